"""The data version: a one-row counter raised in the same transaction as every visible write.

Replaces reading the newest `updated_at` and audit time (wall clocks of whichever machine
wrote them) as the key of cached feeds and statistics.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.String(length=32), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_single_row")),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        table, [{"id": 1, "epoch": secrets.token_hex(8), "number": 1, "changed_at": now}]
    )


def downgrade():
    op.drop_table("data_version")
