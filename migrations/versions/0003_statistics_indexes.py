"""Covering indexes on participations for the statistics' per-event and per-person figures.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_participations_event_figures", "participations", ["event_id", "attended", "hours"]
    )
    op.create_index(
        "ix_participations_person_figures",
        "participations",
        ["person_id", "attended", "event_id", "hours"],
    )


def downgrade():
    op.drop_index("ix_participations_person_figures", table_name="participations")
    op.drop_index("ix_participations_event_figures", table_name="participations")
