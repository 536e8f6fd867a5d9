"""Drop four indexes that are prefixes of wider ones on the same table.

stops.event_id, event_organizations.event_id and participations.event_id lead their table's
unique key; participations.person_id leads ix_participations_person_figures. Lookups and the
foreign keys' cascades use those; the single-column copies only slowed every write.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DROPPED = (
    ("ix_stops_event_id", "stops", "event_id"),
    ("ix_event_organizations_event_id", "event_organizations", "event_id"),
    ("ix_participations_event_id", "participations", "event_id"),
    ("ix_participations_person_id", "participations", "person_id"),
)


def upgrade():
    for name, table, _column in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, column in DROPPED:
        op.create_index(name, table, [column])
