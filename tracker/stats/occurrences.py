"""Which recurring series the statistics leave out of a period because of their exceptions.

A recurring series counts once, as one activity, in every period its span overlaps (its first
start to its last end, added and moved occurrences included: `Event.series_ends_at`). A
skipped or cancelled occurrence is not counted: a series whose every occurrence the rule puts
in the period is skipped, cancelled or moved out of it, and that has no added or moved-in
occurrence there, does not count in that period. A period that falls between two occurrences
of a series (a yearly one, say) keeps counting it, as before.

Only series with exceptions are expanded, bounded by the window and by
RECURRENCE_MAX_OCCURRENCES like the pages.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.events.queries import filtered_events, local_day_start
from tracker.extensions import db
from tracker.models import Event, OccurrenceChange

_CACHE_ATTRIBUTE = "_series_without_occurrences"


def series_without_held_occurrences(scope) -> list[int]:
    """Ids of the scope's series that hold no occurrence in its period (remembered on the
    scope: every statement of one statistics page asks)."""
    cached = getattr(scope, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = _series_without_held_occurrences(scope)
        setattr(scope, _CACHE_ATTRIBUTE, cached)
    return cached


def _series_without_held_occurrences(scope) -> list[int]:
    filters = scope.filters
    window_start = local_day_start(filters.date_from or date(1900, 1, 1))
    window_end = local_day_start((filters.date_to or date(9999, 12, 30)) + timedelta(days=1))
    statement = (
        filtered_events(filters, include_internal=scope.include_internal)
        .where(
            Event.status != "cancelled",
            Event.recurrence_rule.is_not(None),
            Event.id.in_(select(OccurrenceChange.event_id)),
        )
        .options(selectinload(Event.occurrence_changes))
    )
    limit = current_app.config["RECURRENCE_MAX_OCCURRENCES"]
    left_out = []
    for event in db.session.scalars(statement):
        slots = event.occurrence_slots(window_start, window_end, limit=limit)
        if any(not slot.is_cancelled for slot in slots):
            continue
        if any(
            window_start <= change.original_starts_at < window_end
            for change in event.occurrence_changes
        ):
            left_out.append(event.id)
    return left_out
