"""What every flush keeps up to date on an event: SEQUENCE and LAST-MODIFIED when a
subscriber would see a change, the end of a series, and the kept figures and organisation
involvements the statistics read.

Children (stops, organisations, participations, and a series' skipped, added and changed
occurrences) count as part of their event. Whichever code
writes an event through the ORM gets this; rows written through Core need
`tracker.models.events.recount_all_event_figures` afterwards.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from tracker.db import now_utc
from tracker.events.exceptions import follow_series_time
from tracker.events.fields import ROW_FIELDS, SUBSCRIBER_VISIBLE_COLUMNS
from tracker.models import (
    COUNTED_TOTAL_COLUMNS,
    Event,
    EventOrganization,
    OccurrenceChange,
    Participation,
    Stop,
)
from tracker.models.events import refresh_organization_involvements
from tracker.models.versions import UNSEEN_TABLES, bump_data_version
from tracker.recurrence import stored_rule

# Relationships count too: assigning `event.category` sets category_id only during the flush.
ROW_RELATIONSHIPS = {
    "stops": "stops",
    "organizations": "organization_links",
    "participants": "participations",
}
SUBSCRIBER_VISIBLE_RELATIONSHIPS = (
    "category",
    "campaign",
    *(ROW_RELATIONSHIPS[name] for name in ROW_FIELDS),
)
# What the kept figures and the series end are computed from.
FIGURE_RELATIONSHIPS = ("participations", "organization_links", *COUNTED_TOTAL_COLUMNS.values())
SERIES_COLUMNS = ("starts_at", "ends_at", "recurrence_rule", "timezone", "is_all_day")
_INVOLVEMENTS_TO_REFRESH = "organization_involvements_to_refresh"
# Participations count only as far as feeds show them (`_seen_by_subscribers`).
WATCHED_BESIDES_PARTICIPATIONS = SUBSCRIBER_VISIBLE_COLUMNS + tuple(
    name for name in SUBSCRIBER_VISIBLE_RELATIONSHIPS if name != "participations"
)


@event.listens_for(Session, "before_flush")
def _track_subscriber_visible_changes(session: Session, flush_context, instances) -> None:
    """Raise SEQUENCE and LAST-MODIFIED once per flush for each event a subscriber sees change;
    keep the rule in its stored form and recompute the series end when the times or the rule
    change, and recount the kept figures
    of each event that is new or whose participations or organisations change."""
    # The session rebuilds these sets at every access: read them once.
    new, dirty, deleted = set(session.new), set(session.dirty), set(session.deleted)
    changed: set[Event] = set()
    recount: set[Event] = set()
    series_changed: set[Event] = set()
    for obj in new | dirty | deleted:
        if isinstance(obj, Event):
            if obj in deleted:
                continue
            is_new = obj in new
            # A new event's history is all "added": read only for saved ones (an import
            # brings thousands of new events).
            attributes = None if is_new else inspect(obj).attrs

            def changes(names, attributes=attributes) -> bool:
                return any(attributes[name].history.has_changes() for name in names)

            if is_new or changes(SERIES_COLUMNS):
                if not is_new:
                    moved_from = attributes["starts_at"].history.deleted
                    if moved_from and obj.occurrence_changes:
                        follow_series_time(obj, moved_from[0])
                if obj.recurrence_rule:
                    rule = stored_rule(obj.recurrence_rule, obj.zone, bool(obj.is_all_day))
                    if rule != obj.recurrence_rule:
                        obj.recurrence_rule = rule
                obj.series_ends_at = obj.compute_series_end() if obj.starts_at else None
            if is_new or changes(FIGURE_RELATIONSHIPS):
                recount.add(obj)
            if not is_new and (
                changes(WATCHED_BESIDES_PARTICIPATIONS)
                or _participations_seen_changing(obj, attributes)
            ):
                changed.add(obj)
        elif isinstance(obj, OccurrenceChange):
            # A skipped, added or changed occurrence is seen by subscribers and can move the
            # series' end.
            if obj in dirty and not session.is_modified(obj):
                continue
            parent = obj.event or _former_parent(obj)
            if parent is None or parent in deleted:
                continue
            series_changed.add(parent)
            if parent not in new:
                changed.add(parent)
        elif isinstance(obj, (Stop, EventOrganization, Participation)):
            if obj in dirty and not session.is_modified(obj):
                continue
            parent = obj.event
            if parent is None or parent in deleted:
                continue
            if not isinstance(obj, Stop):
                recount.add(parent)
            if parent not in new and _seen_by_subscribers(obj, parent, obj in dirty):
                changed.add(parent)
    for series in series_changed:
        if series.starts_at and series.recurrence_rule:
            series.series_ends_at = series.compute_series_end()
    for counted_event in recount:
        counted_event.recount_figures(frozenset(deleted))
    # Kept on this flush (not the session), so a flush that fails leaves nothing behind.
    flush_context.attributes[_INVOLVEMENTS_TO_REFRESH] = recount
    for changed_event in changed:
        changed_event.sequence = (changed_event.sequence or 0) + 1
        changed_event.updated_at = now_utc()


def _former_parent(change: OccurrenceChange):
    """The event a change was removed from (`event.occurrence_changes.remove(change)`)."""
    removed_from = inspect(change).attrs.event.history.deleted
    return removed_from[0] if removed_from else None


def _participations_seen_changing(event_row: Event, attributes) -> bool:
    """Whether rows added to or removed from the event's participations show in a feed."""
    history = attributes["participations"].history
    return any(
        _seen_by_subscribers(row, event_row, is_edit=False)
        for row in (*history.added, *history.deleted)
    )


def _seen_by_subscribers(obj, parent: Event, is_edit: bool) -> bool:
    """Whether a feed shows the change of a child row. Feeds carry stops, organisations and
    teams, but of named people only how many there are (the headcount rule's last resort):
    a person's row changing (attendance, sign-in, role, hours) is not seen, a person added
    or removed only when neither a reported nor an organisation headcount is known."""
    if not isinstance(obj, Participation) or obj.person_id is None and obj.person is None:
        return True
    if is_edit:
        return False
    return parent.reported_headcount is None and parent.organization_headcount is None


@event.listens_for(Session, "after_flush")
def _refresh_involvements_after_flush(session: Session, flush_context) -> None:
    """Rewrite the kept involvements of the events recounted before this flush, now that new
    events, roles and participations have their ids and rows."""
    events = flush_context.attributes.get(_INVOLVEMENTS_TO_REFRESH, set())
    event_ids = {counted.id for counted in events if counted.id is not None}
    if event_ids:
        refresh_organization_involvements(session.connection(), event_ids)


@event.listens_for(Session, "before_flush")
def _raise_data_version(session: Session, flush_context, instances) -> None:
    """Raise the data version in the flush's transaction when it writes anything a page or
    feed may show: a row of any table but the few in UNSEEN_TABLES, so tables added later
    count without their code knowing.

    Before the flush's own writes, so that on PostgreSQL concurrent writers queue on the
    version row before either holds a row the other needs (no deadlock between them)."""
    for obj in (*session.new, *session.deleted, *session.dirty):
        if inspect(obj).mapper.local_table.name not in UNSEEN_TABLES:
            if obj in session.dirty and not session.is_modified(obj):
                continue
            bump_data_version(session.connection())
            return


@event.listens_for(Session, "do_orm_execute")
def _raise_data_version_on_statement(execute_state) -> None:
    """The same for UPDATE, DELETE and INSERT statements run through the session."""
    if not (execute_state.is_update or execute_state.is_delete or execute_state.is_insert):
        return
    table = getattr(execute_state.statement, "table", None)
    if table is not None and getattr(table, "name", None) not in UNSEEN_TABLES:
        bump_data_version(execute_state.session.connection())
