"""Keeping and reading the events' search texts (tracker.models.search.EventSearchText).

The text is built from a list of sources, each a query giving (event_id, text) rows for a set
of events: to make a new field searchable, add a source here. A flush that touches an event,
its rows, or the name of an entry events refer to rewrites the texts of the events concerned,
in the same transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, Text, and_, cast, event, inspect, literal, or_, select, union_all
from sqlalchemy.orm import Session

from tracker.folding import fold, like_pattern, search_words
from tracker.models import (
    Campaign,
    Event,
    EventOrganization,
    EventSearchText,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
)

PUBLIC_TEXT, PEOPLE_TEXT = "public_text", "people_text"


@dataclass(frozen=True)
class SearchSource:
    """Where some searchable text comes from, and which column it goes to."""

    name: str
    column: str  # PUBLIC_TEXT, or PEOPLE_TEXT for what only signed-in users may search
    rows: Callable[[], Select]  # (event_id, text) of every event; filtered by event id below
    # Turns the stored text into what is searched (a JSON column's words); None: as it is.
    decode: Callable[[str], str] | None = None


def _event_column(column) -> Callable[[], Select]:
    return lambda: select(Event.id, column)


def _programme_words(stored: str) -> str:
    """A programme's titles and notes, from its JSON text."""
    try:
        segments = json.loads(stored)
    except ValueError:
        return ""
    if not isinstance(segments, list):
        return ""
    return " ".join(
        str(segment.get(key) or "")
        for segment in segments
        if isinstance(segment, dict)
        for key in ("title", "note")
    )


SEARCH_SOURCES: list[SearchSource] = [
    SearchSource("title", PUBLIC_TEXT, _event_column(Event.title)),
    SearchSource("theme", PUBLIC_TEXT, _event_column(Event.theme)),
    SearchSource("description", PUBLIC_TEXT, _event_column(Event.description)),
    SearchSource("outcome", PUBLIC_TEXT, _event_column(Event.outcome)),
    SearchSource(
        "programme",
        PUBLIC_TEXT,
        lambda: select(Event.id, Event.programme).where(Event.programme.is_not(None)),
        decode=_programme_words,
    ),
    SearchSource(
        "campaign", PUBLIC_TEXT, lambda: select(Event.id, Campaign.name).join(Event.campaign)
    ),
    SearchSource(
        "organizations",
        PUBLIC_TEXT,
        lambda: select(EventOrganization.event_id, Organization.name).join(
            EventOrganization.organization
        ),
    ),
    SearchSource(
        "organization_short_names",
        PUBLIC_TEXT,
        lambda: select(EventOrganization.event_id, Organization.short_name).join(
            EventOrganization.organization
        ),
    ),
    SearchSource(
        "teams",
        PUBLIC_TEXT,
        lambda: select(Participation.event_id, Organization.name).join(Participation.organization),
    ),
    SearchSource(
        "locations",
        PUBLIC_TEXT,
        lambda: select(Stop.event_id, Location.name).join(Stop.location),
    ),
    SearchSource(
        "people",
        PEOPLE_TEXT,
        lambda: select(Participation.event_id, Person.name).join(Participation.person),
    ),
]

# Entries whose name is part of the events' texts: renaming one rewrites its events' texts.
NAMED_ENTRIES = {
    Organization: ("name", "short_name"),
    Location: ("name",),
    Person: ("name",),
    Campaign: ("name",),
}
REFRESH_CHUNK = 500


def _event_ids_naming(connection, entry) -> set[int]:
    """The events whose text holds this entry's name."""
    if isinstance(entry, Organization):
        statements = [
            select(EventOrganization.event_id).where(EventOrganization.organization_id == entry.id),
            select(Participation.event_id).where(Participation.organization_id == entry.id),
        ]
    elif isinstance(entry, Location):
        statements = [select(Stop.event_id).where(Stop.location_id == entry.id)]
    elif isinstance(entry, Person):
        statements = [select(Participation.event_id).where(Participation.person_id == entry.id)]
    else:
        statements = [select(Event.id).where(Event.campaign_id == entry.id)]
    return {event_id for statement in statements for event_id in connection.scalars(statement)}


def _sources_statement(event_ids: list[int] | None):
    """(event_id, source number, text) from every source in one UNION ALL, in a stable
    order. The title source names every existing event, so a deleted one gets no row."""
    parts = []
    for number, source in enumerate(SEARCH_SOURCES):
        rows = source.rows()
        event_id, value = rows.selected_columns
        if event_ids is not None:
            rows = rows.where(event_id.in_(event_ids))
        parts.append(
            rows.with_only_columns(
                event_id.label("event_id"),
                literal(number).label("source"),
                cast(value, Text).label("text"),
            )
        )
    combined = union_all(*parts).subquery()
    return select(combined).order_by(combined.c.event_id, combined.c.source, combined.c.text)


def search_texts(connection, event_ids: list[int] | None) -> dict[int, dict[str, str]]:
    """The folded texts of the events (of every event when None), by column."""
    parts: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    fold_once = lru_cache(maxsize=4096)(fold)  # names and boilerplate repeat across events
    for event_id, number, value in connection.execute(_sources_statement(event_ids)):
        source = SEARCH_SOURCES[number]
        if source.decode is not None and value:
            value = source.decode(value)
        folded = fold_once(value)
        if folded and folded not in parts[event_id][source.column]:
            parts[event_id][source.column].append(folded)
    return {
        event_id: {
            column: " ".join(columns.get(column, [])) for column in (PUBLIC_TEXT, PEOPLE_TEXT)
        }
        for event_id, columns in parts.items()
    }


def refresh_search_texts(connection, event_ids=None) -> None:
    """Rewrite the search texts of `event_ids` (of every event when None): three statements
    per REFRESH_CHUNK events, whatever the number of sources."""
    table = EventSearchText.__table__
    if event_ids is None:
        connection.execute(table.delete())
        chunks = [None]
    else:
        event_ids = sorted(event_ids)
        chunks = [
            event_ids[start : start + REFRESH_CHUNK]
            for start in range(0, len(event_ids), REFRESH_CHUNK)
        ]
    for chunk in chunks:
        texts = search_texts(connection, chunk)
        if chunk is not None:
            connection.execute(table.delete().where(table.c.event_id.in_(chunk)))
        rows = [{"event_id": event_id, **columns} for event_id, columns in texts.items()]
        for start in range(0, len(rows), REFRESH_CHUNK):
            connection.execute(table.insert(), rows[start : start + REFRESH_CHUNK])


def search_condition(query: str, include_people: bool):
    """Condition on Event: every word of the query is in its text (people's names counted
    only when `include_people`); None for a query without words."""
    words = search_words(query)
    if not words:
        return None
    texts = EventSearchText
    conditions = []
    for word in words:
        pattern = like_pattern(word)
        found = texts.public_text.like(pattern, escape="\\")
        if include_people:
            found = or_(found, texts.people_text.like(pattern, escape="\\"))
        conditions.append(found)
    return Event.id.in_(select(texts.event_id).where(and_(*conditions)))


# --- keeping the texts at every flush ------------------------------------------------------

_TO_REFRESH = "search_texts_to_refresh"
_RENAMED = "search_entries_renamed"


@event.listens_for(Session, "before_flush")
def _note_events_to_refresh(session: Session, flush_context, instances) -> None:
    """Remember the events (and renamed entries) whose texts this flush may change."""
    events, renamed = set(), set()
    for obj in set(session.new) | set(session.dirty) | set(session.deleted):
        if isinstance(obj, Event):
            if obj not in session.deleted:
                events.add(obj)
        elif isinstance(obj, (Stop, EventOrganization, Participation)):
            if obj.event is not None and obj.event not in session.deleted:
                events.add(obj.event)
        elif type(obj) in NAMED_ENTRIES and obj in session.dirty:
            attributes = inspect(obj).attrs
            if any(attributes[name].history.has_changes() for name in NAMED_ENTRIES[type(obj)]):
                renamed.add(obj)
    flush_context.attributes[_TO_REFRESH] = events
    flush_context.attributes[_RENAMED] = renamed


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, flush_context) -> None:
    events = flush_context.attributes.get(_TO_REFRESH, set())
    renamed = flush_context.attributes.get(_RENAMED, set())
    if not events and not renamed:
        return
    connection = session.connection()
    event_ids = {item.id for item in events if item.id is not None}
    for entry in renamed:
        event_ids |= _event_ids_naming(connection, entry)
    if event_ids:
        refresh_search_texts(connection, event_ids)
