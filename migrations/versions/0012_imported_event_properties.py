"""What an imported file carries: TRANSP, every CATEGORIES value, ORGANIZER and VALARMs.

Adds to `events`: `transparency` (NULL: not stated), `extra_categories` (the CATEGORIES after
the first, one per line), `organizer_name`, `organizer_address` and `alarms` (VALARM
components as iCalendar text). Existing events get NULL everywhere, as if never stated.

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("transparency", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("extra_categories", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("organizer_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("organizer_address", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("alarms", sa.Text(), nullable=True))
        batch.create_check_constraint(
            "transparency", "transparency IS NULL OR transparency IN ('opaque', 'transparent')"
        )


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("ck_events_transparency", type_="check")
        batch.drop_column("alarms")
        batch.drop_column("organizer_address")
        batch.drop_column("organizer_name")
        batch.drop_column("extra_categories")
        batch.drop_column("transparency")
