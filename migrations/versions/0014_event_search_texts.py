"""Search that finds: one folded search text per event, and trigram indexes on PostgreSQL.

Creates `event_search_texts` (kept by tracker.events.search at every flush) and fills it for
the existing events from the sources of this revision: title, theme, description, outcome,
campaign, organisations, locations, and people's names in a column of their own. On
PostgreSQL, pg_trgm GIN indexes answer the LIKE '%word%' searches when the extension can be
created; without it the searches still work, by scanning.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from tracker.folding import fold

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = {
    "ix_event_search_texts_public_trigram": "public_text",
    "ix_event_search_texts_people_trigram": "people_text",
}

# (column filled, query giving (event_id, text) rows), as the sources stood at this revision.
SOURCES = [
    ("public_text", "SELECT id, title FROM events"),
    ("public_text", "SELECT id, theme FROM events"),
    ("public_text", "SELECT id, description FROM events"),
    ("public_text", "SELECT id, outcome FROM events"),
    (
        "public_text",
        "SELECT e.id, c.name FROM events e JOIN campaigns c ON c.id = e.campaign_id",
    ),
    (
        "public_text",
        "SELECT l.event_id, o.name FROM event_organizations l"
        " JOIN organizations o ON o.id = l.organization_id",
    ),
    (
        "public_text",
        "SELECT l.event_id, o.short_name FROM event_organizations l"
        " JOIN organizations o ON o.id = l.organization_id",
    ),
    (
        "public_text",
        "SELECT p.event_id, o.name FROM participations p"
        " JOIN organizations o ON o.id = p.organization_id",
    ),
    (
        "public_text",
        "SELECT s.event_id, l.name FROM stops s JOIN locations l ON l.id = s.location_id",
    ),
    (
        "people_text",
        "SELECT p.event_id, n.name FROM participations p JOIN people n ON n.id = p.person_id",
    ),
]


def upgrade():
    op.create_table(
        "event_search_texts",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=False),
        sa.Column("people_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_search_texts_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_search_texts")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or _has_trigram_extension(bind):
        for name, column in TRIGRAM_INDEXES.items():
            # On SQLite an empty partial index (see tracker.models.search.trigram_index).
            op.create_index(
                name,
                "event_search_texts",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
                sqlite_where=sa.text("0"),
            )
    _fill(bind)


def _has_trigram_extension(bind) -> bool:
    """Create pg_trgm when the database allows it (a superuser or a trusted extension)."""
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return False
    return True


def _fill(bind) -> None:
    texts: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for column, query in SOURCES:
        for event_id, value in bind.execute(sa.text(query)):
            if value:
                texts[event_id][column].append(fold(value))
    rows = [
        {
            "event_id": event_id,
            "public_text": " ".join(columns["public_text"]),
            "people_text": " ".join(columns["people_text"]),
        }
        for event_id, columns in texts.items()
    ]
    table = sa.table(
        "event_search_texts",
        sa.column("event_id", sa.Integer),
        sa.column("public_text", sa.Text),
        sa.column("people_text", sa.Text),
    )
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    op.drop_table("event_search_texts")
