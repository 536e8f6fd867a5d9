"""The folded text search reads, one row per event (tracker.events.search keeps it)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base

TRIGRAM_INDEXES = {
    "ix_event_search_texts_public_trigram": "public_text",
    "ix_event_search_texts_people_trigram": "people_text",
}


def trigram_index(name: str, column: str) -> Index:
    """A pg_trgm index: PostgreSQL answers LIKE '%word%' from it. On SQLite, where a b-tree
    cannot help such a search, the same index is partial and empty (WHERE 0): it costs
    nothing, and the schema stays one declaration for both engines."""
    return Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
        sqlite_where=text("0"),
    )


class EventSearchText(Base):
    """Derived data: an event's searchable text, folded (tracker.folding.fold), rewritten at
    every flush that touches the event or an entry it names. Never edited directly.

    `public_text` holds what anyone may search (title, theme, places, organisations…);
    `people_text` the names of people taking part, searched for signed-in users only.
    """

    __tablename__ = "event_search_texts"
    __table_args__ = tuple(trigram_index(name, column) for name, column in TRIGRAM_INDEXES.items())

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    public_text: Mapped[str] = mapped_column(Text, default="")
    people_text: Mapped[str] = mapped_column(Text, default="")
