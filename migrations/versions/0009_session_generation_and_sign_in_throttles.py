"""Sessions end when the account changes; sign-in throttling per (account, address).

Adds `users.session_generation` (sessions signed in under an older value are refused) and
replaces the log of failed sign-ins with one counter row per (account, address) pair and per
address. Old failures are not carried over: they only ever delayed sign-ins.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
    op.drop_table("sign_in_failures")
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("username", "address", name="uq_sign_in_throttles_pair"),
    )
    op.create_index("ix_sign_in_throttles_address", "sign_in_throttles", ["address"])
    op.create_index("ix_sign_in_throttles_last_failure_at", "sign_in_throttles", ["last_failure_at"])


def downgrade():
    op.drop_table("sign_in_throttles")
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    for column in ("username", "address", "failed_at"):
        op.create_index(f"ix_sign_in_failures_{column}", "sign_in_failures", [column])
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
