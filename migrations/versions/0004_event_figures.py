"""Per-event figures kept on the events table for the statistics.

`participation_count` (every named participation), `attended_count` and `attended_hours`
(attended participations only; hours NULL when none are known) and `organization_headcount`
(the sum of the organisations' known headcounts, NULL when none is known). The model's flush
listener keeps them equal to a recount; existing rows are filled here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("participation_count", "attended_count", "attended_hours", "organization_headcount")


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("participation_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("attended_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("attended_hours", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("organization_headcount", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE events SET
            participation_count = (
                SELECT count(*) FROM participations WHERE participations.event_id = events.id
            ),
            attended_count = (
                SELECT count(*) FROM participations
                WHERE participations.event_id = events.id AND participations.attended
            ),
            attended_hours = (
                SELECT sum(participations.hours) FROM participations
                WHERE participations.event_id = events.id AND participations.attended
            ),
            organization_headcount = (
                SELECT sum(event_organizations.headcount) FROM event_organizations
                WHERE event_organizations.event_id = events.id
            )
        """
    )


def downgrade():
    with op.batch_alter_table("events") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
