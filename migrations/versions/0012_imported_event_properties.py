"""What an imported file carries: TRANSP, every CATEGORIES value, ORGANIZER and VALARMs.

Adds to `events`: `transparency` (NULL: not stated), `extra_categories` (the CATEGORIES after
the first, one per line), `organizer_name`, `organizer_address` and `alarms` (VALARM
components as iCalendar text). Existing events get NULL everywhere, as if never stated.

Plain ADD COLUMN on SQLite, never batch mode: batch mode copies `events` into a new table and
drops the old one, and with foreign keys on, dropping it deletes every stop, organisation
role and participation (ON DELETE CASCADE). The CHECK goes inline with its column there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CHECK_NAME = "ck_events_transparency"
CHECK = "transparency IS NULL OR transparency IN ('opaque', 'transparent')"
COLUMNS = (
    ("extra_categories", sa.String(length=500)),
    ("organizer_name", sa.String(length=200)),
    ("organizer_address", sa.String(length=320)),
    ("alarms", sa.Text()),
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE events ADD COLUMN transparency VARCHAR(20) "
            f"CONSTRAINT {CHECK_NAME} CHECK ({CHECK})"
        )
    else:
        op.add_column("events", sa.Column("transparency", sa.String(length=20), nullable=True))
        op.create_check_constraint("transparency", "events", CHECK)
    for name, column_type in COLUMNS:
        op.add_column("events", sa.Column(name, column_type, nullable=True))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, _column_type in reversed(COLUMNS):
        if sqlite:
            op.execute(f"ALTER TABLE events DROP COLUMN {name}")
        else:
            op.drop_column("events", name)
    if sqlite:
        op.execute("ALTER TABLE events DROP COLUMN transparency")
    else:
        op.drop_constraint(op.f(CHECK_NAME), "events", type_="check")  # op.f: already full
        op.drop_column("events", "transparency")
