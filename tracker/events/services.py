"""Writing events: create, edit (with optimistic locking), cancel and delete; the one
writer behind the event form, the calendar importer and the demo data.

Each service owns its transaction and writes an audit entry with the changed fields.
SEQUENCE and updated_at are raised at flush (tracker.events.tracking), not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, NoReturn, Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import StaleDataError

from tracker import labels
from tracker.audit import diff_values, insert_audit_entries, record_audit, signed_in_user
from tracker.directory.services import PERSON_REFERENCE, find_or_add, person_reference
from tracker.events.fields import (
    EVENT_FIELDS,
    FIELD_LABELS,
    FIELDS_BY_NAME,
    PEOPLE,
    RENAMED_FIELDS,
    SCALAR_FIELDS,
    TEAMS,
    EntryRef,
    EventInput,
    OrganizationRow,
    ParticipationRow,
    StopRow,
    programme_text,
)
from tracker.extensions import db
from tracker.i18n import default_locale
from tracker.models import (
    DEFAULT_TIMEZONE,
    Event,
    EventOrganization,
    FormSubmission,
    Location,
    Participation,
    Person,
    Stop,
    User,
)
from tracker.recurrence import describe_recurrence

__all__ = [
    "EntryRef",
    "EventInput",
    "OrganizationRow",
    "ParticipationRow",
    "StopRow",
    "EventBatch",
    "create_event",
    "update_event",
    "cancel_event",
    "delete_event",
    "AlreadySubmitted",
]


class EditConflict(Exception):
    """Somebody saved the event after this user loaded it; nothing was saved."""

    def __init__(self, current: Event):
        super().__init__("event changed since it was loaded")
        self.current = current


class EventGone(Exception):
    """The event was deleted while the user was looking at it."""


class AlreadySubmitted(Exception):
    """This rendering of the form was submitted before (Back, a double click): nothing was
    saved now; `event_id` is the event the first submission saved."""

    def __init__(self, event_id: int):
        super().__init__("form submitted before")
        self.event_id = event_id


def submitted_event_id(token: Optional[str]) -> Optional[int]:
    """The event a form token already saved, or None when the token is unused (or absent)."""
    if not token:
        return None
    return db.session.scalar(select(FormSubmission.event_id).where(FormSubmission.token == token))


def _claim_token(event: Event, token: Optional[str], user: Optional[User]) -> None:
    """Record the token against the event in the same transaction: the primary key refuses a
    second submission even when both arrive at once (no check-then-insert race)."""
    if token:
        db.session.add(FormSubmission(token=token, event=event, user=user))


def _commit_once(batch: EventBatch, token: Optional[str]) -> None:
    """Commit the batch; when the token was used meanwhile, undo it and raise AlreadySubmitted."""
    try:
        batch.commit()
    except IntegrityError:
        db.session.rollback()
        event_id = submitted_event_id(token)
        if event_id is None:
            raise
        raise AlreadySubmitted(event_id) from None


class EventBatch:
    """Writes of one or more events saved in one flush and one commit, with their audit
    entries and the directory entries they name (found, or created on the spot).

    The form saves a batch of one; an imported file or the demo data, a batch of many.
    `claim_new_entries` inserts each new directory entry at once in a savepoint, so two
    coordinators typing the same new place both succeed (see find_or_add); a batch of many
    events leaves it off and writes everything in one flush (a clash then refuses the
    whole batch, nothing half-saved).
    """

    def __init__(
        self,
        user: Optional[User],
        action_summary: Optional[str] = None,
        claim_new_entries: bool = True,
    ):
        self.user = user
        self.summary = action_summary
        self.claim_new_entries = claim_new_entries
        self._memo: dict[tuple, Any] = {}
        self._new_entries: list[Any] = []
        self._audits: list[tuple[str, Event, dict[str, list]]] = []

    def create(self, values: EventInput, action: str = "create") -> Event:
        """A new event from the values (its UID from them when given)."""
        self._resolve_entries(values)
        event = Event(created_by=self.user)
        if values.uid:
            event.uid = values.uid
        event.sequence = values.sequence
        if values.updated_at is not None:
            event.updated_at = values.updated_at
        db.session.add(event)
        with db.session.no_autoflush:
            self._apply(event, values)
            snapshot = event_snapshot(event)
        self._audits.append(
            (action, event, {name: [None, value] for name, value in snapshot.items() if value})
        )
        return event

    def update(self, event: Event, values: EventInput, action: str = "edit") -> bool:
        """Apply the values to a loaded event; whether anything recorded changed."""
        self._resolve_entries(values)
        with db.session.no_autoflush:
            before = event_snapshot(event)
            self._apply(event, values)
            changes = diff_values(before, event_snapshot(event))
        if not changes:
            return False
        seen = any(FIELDS_BY_NAME[name].seen_by_subscribers for name in changes)
        if seen and values.sequence > (event.sequence or 0) + 1:
            # The flush adds one: the event ends at the sequence its source gave.
            event.sequence = values.sequence - 1
        self._audits.append((action, event, changes))
        return True

    def flush(self) -> None:
        """Write everything, then the audit entries (they need the new rows' ids)."""
        if not self.claim_new_entries:
            number_new_rows(db.session)
        db.session.flush()
        if not self.claim_new_entries:
            # As record_audit names them: a new entry by the signed-in user when none is given.
            entry_user = self.user if self.user is not None else signed_in_user()
            insert_audit_entries(
                [
                    ("create", entry, _entry_changes(entry), None, entry_user)
                    for entry in self._new_entries
                ]
                + [
                    (action, event, changes, self.summary, self.user)
                    for action, event, changes in self._audits
                ]
            )
            self._new_entries, self._audits = [], []
            return
        for entry in self._new_entries:
            record_audit("create", entry, user=self.user, changes=_entry_changes(entry))
        for action, event, changes in self._audits:
            entry = record_audit(
                action, event, user=self.user, summary=self.summary, changes=changes
            )
            if self.user is None:
                entry.user = None  # record_audit would name a signed-in user; none was given
        self._new_entries, self._audits = [], []

    def commit(self, after_flush: Optional[Callable[[], None]] = None) -> None:
        """Flush, let `after_flush` add what needs the new rows' ids (more audit entries),
        then commit."""
        self.flush()
        if after_flush is not None:
            after_flush()
        if not self.claim_new_entries:
            number_new_rows(db.session)  # the audit entries, inserted many per statement
        db.session.commit()

    # --- applying the values -----------------------------------------------------------

    def entry(self, value: Any) -> Any:
        """A directory entry, or the one an EntryRef names (found or created)."""
        if not isinstance(value, EntryRef):
            return value
        return find_or_add(
            value.model,
            value.match,
            fallback=value.fallback,
            defaults=value.defaults,
            memo=self._memo,
            insert_now=self.claim_new_entries,
            created=self._new_entries,
        )

    def prefetch(self, inputs: list[EventInput]) -> None:
        """Find the directory entries many inputs name in one query per model and column
        (instead of one or two per entry), and, in a batch that inserts at flush, add the
        missing ones at once; `entry` then answers from the batch's memo."""
        references = [
            value
            for values in inputs
            for value in _named_entries(values)
            if isinstance(value, EntryRef)
            and len(value.match) == 1
            and (value.fallback is None or len(value.fallback) == 1)
        ]
        wanted: dict[tuple, set] = {}
        for reference in references:
            for columns in (reference.match, reference.fallback or {}):
                for column, value in columns.items():
                    wanted.setdefault((reference.model, column), set()).add(value)
        found: dict[tuple, dict] = {}
        for (model, column), values in wanted.items():
            by_value = found[(model, column)] = {}
            ordered = sorted(values, key=str)
            for start in range(0, len(ordered), PREFETCH_CHUNK):
                chunk = ordered[start : start + PREFETCH_CHUNK]
                statement = select(model).where(getattr(model, column).in_(chunk))
                for entry in db.session.scalars(statement.order_by(model.id)):
                    by_value.setdefault(getattr(entry, column), entry)
        for reference in references:
            key = (reference.model.__name__, *sorted(reference.match.items()))
            if key in self._memo:
                continue
            entry = _found(found, reference.model, reference.match)
            if entry is None and reference.fallback:
                entry = _found(found, reference.model, reference.fallback)
            if entry is None and self.claim_new_entries:
                continue  # find_or_add claims the new name in a savepoint
            if entry is None:
                fallback = reference.fallback or {}
                entry = reference.model(**{**reference.defaults, **fallback, **reference.match})
                db.session.add(entry)
                self._new_entries.append(entry)
            self._memo[key] = entry

    def _resolve_entries(self, values: EventInput) -> None:
        """Find or insert the entries the values name, before the event is touched: each new
        one is inserted in its own savepoint, which flushes the session (see find_or_add)."""
        for value in _named_entries(values):
            self.entry(value)

    def _apply(self, event: Event, values: EventInput) -> None:
        given = values.given
        for name in SCALAR_FIELDS:
            if given is None or name in given:
                _set(event, name, getattr(values, name))
        for name in ("category", "campaign"):
            if given is None or name in given:
                _set(event, name, self.entry(getattr(values, name)))
        if given is None or "stops" in given:
            self._apply_stops(event, values.stops)
        if given is None or "organizations" in given:
            apply_organizations(
                event,
                [
                    OrganizationRow(self.entry(row.organization), row.role, row.headcount, row.note)
                    for row in values.organizations
                ],
            )
        if given is None or "participants" in given:
            self._apply_participants(event, values.participants)
        elif TEAMS in given or PEOPLE in given:
            kept = participation_rows(event)
            people = [
                row for row in (values.participants if PEOPLE in given else kept) if row.person
            ]
            teams = [
                row for row in (values.participants if TEAMS in given else kept) if not row.person
            ]
            self._apply_participants(event, people + teams)

    def _apply_stops(self, event: Event, rows: list[StopRow]) -> None:
        """Rows replace stops position by position (keeps the unique (event, position) happy)."""
        for position, row in enumerate(rows):
            if position < len(event.stops):
                stop = event.stops[position]
            else:
                stop = Stop(position=position)
                event.stops.append(stop)
            _set(stop, "location", self.entry(row.location))
            _set(stop, "starts_at", row.starts_at)
            _set(stop, "note", row.note)
        del event.stops[len(rows) :]

    def _apply_participants(self, event: Event, rows: list[ParticipationRow]) -> None:
        """Rows are matched by who takes part (a person, or a team), so removing or
        re-ordering rows never gives one person two rows for a moment (the unique key would
        refuse it)."""
        existing: dict[tuple, list[Participation]] = {}
        for participation in event.participations:
            key = (participation.person_id, participation.organization_id)
            existing.setdefault(key, []).append(participation)
        participations = []
        for position, row in enumerate(rows):
            person, team = self.entry(row.person), self.entry(row.organization)
            key = (
                person.id if person is not None else None,
                team.id if team is not None else None,
            )
            matches = existing.get(key)
            if matches:
                participation = matches.pop(0)
            else:
                participation = Participation(person=person, organization=team)
            _set(participation, "position", position)
            for name in ("role", "attended", "award_level", "award", "rank"):
                _set(participation, name, getattr(row, name))
            hours = Decimal(row.hours).quantize(Decimal("0.01")) if row.hours is not None else None
            _set(participation, "hours", hours)
            participations.append(participation)
        if participations != list(event.participations):
            event.participations = participations


# Names looked up per query when a batch prefetches its directory entries.
PREFETCH_CHUNK = 500
# From this many new rows on, a batch on SQLite numbers them itself (see `number_new_rows`).
NUMBERED_BATCH = 20


def _found(found: dict[tuple, dict], model: type, columns: dict[str, Any]) -> Any:
    ((column, value),) = columns.items()
    return found.get((model, column), {}).get(value)


def number_new_rows(session) -> None:
    """Give the session's new rows their ids before a flush, on SQLite, so the flush inserts
    them many rows per statement.

    SQLite cannot tell which generated id belongs to which row of a multi-row INSERT, so
    SQLAlchemy inserts rows whose ids the database makes one statement at a time: an import
    of 10,000 events would run some 60,000 INSERTs. A no-op write first takes the database's
    write lock, so no other writer can take the ids between reading the highest and
    inserting. PostgreSQL numbers many rows per statement itself (RETURNING in order)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    new_rows: dict[Any, list] = {}
    for row in session.new:
        table = getattr(type(row), "__table__", None)
        if table is not None and "id" in table.c and row.id is None:
            new_rows.setdefault(table, []).append(row)
    if sum(map(len, new_rows.values())) < NUMBERED_BATCH:
        return
    with session.no_autoflush:
        for table, rows in new_rows.items():
            session.execute(table.update().where(false()).values(id=table.c.id))
            highest = session.execute(select(func.max(table.c.id))).scalar() or 0
            for offset, row in enumerate(rows, start=1):
                row.id = highest + offset


def _named_entries(values: EventInput) -> list[Any]:
    """The directory entries (or references) the values name, in the order they are used."""
    named = [values.category, values.campaign]
    named += [row.location for row in values.stops]
    named += [row.organization for row in values.organizations]
    named += [entry for row in values.participants for entry in (row.person, row.organization)]
    return named


def create_event(values: EventInput, author: User, submission_token: Optional[str] = None) -> Event:
    """Save a new event with its rows and a "create" audit entry.

    With a `submission_token` the event is saved once per token: a second submission raises
    AlreadySubmitted (having saved nothing)."""
    existing = submitted_event_id(submission_token)
    if existing is not None:
        raise AlreadySubmitted(existing)
    batch = EventBatch(author)
    event = batch.create(values)
    _claim_token(event, submission_token, author)
    _commit_once(batch, submission_token)
    return event


def update_event(
    event: Event,
    values: EventInput,
    editor: User,
    loaded_version: Optional[int],
    submission_token: Optional[str] = None,
) -> Event:
    """Save the edited values, unless the event changed since the user loaded it.

    Raises EditConflict (having saved nothing) when `loaded_version` is not the current
    version, or when another save slips in between this check and the commit; and
    AlreadySubmitted when this rendering of the form was saved before.
    """
    if submitted_event_id(submission_token) is not None:
        raise AlreadySubmitted(event.id)
    if loaded_version != event.version:
        raise EditConflict(event)
    try:
        batch = EventBatch(editor)
        batch.update(event, values)
        _claim_token(event, submission_token, editor)
        _commit_once(batch, submission_token)
    except StaleDataError as error:
        _raise_conflict(event, error)
    return event


def cancel_event(event: Event, user: User) -> bool:
    """Mark the event cancelled (it stays, and feeds announce the cancellation).

    Returns False when it already was cancelled.
    """
    if event.status == "cancelled":
        return False
    record_audit("cancel", event, user=user, changes={"status": [event.status, "cancelled"]})
    event.status = "cancelled"
    _commit_or_conflict(event)
    return True


def delete_event(event: Event, user: User) -> None:
    """Delete the event and its rows; the audit entry keeps what it held."""
    record_audit(
        "delete",
        event,
        user=user,
        changes={name: [value, None] for name, value in event_snapshot(event).items() if value},
    )
    db.session.delete(event)
    _commit_or_conflict(event)


def _commit_or_conflict(event: Event) -> None:
    try:
        db.session.commit()
    except StaleDataError as error:
        _raise_conflict(event, error)


def _raise_conflict(event: Event, error: StaleDataError) -> NoReturn:
    """After a save another one overtook: undo it, and raise EditConflict with what is saved
    now, or EventGone when the event was deleted meanwhile."""
    db.session.rollback()
    current = db.session.get(Event, event.id, populate_existing=True)
    if current is None:
        raise EventGone from error
    raise EditConflict(current) from error


# --- applying rows --------------------------------------------------------------------


def _set(target: Any, name: str, value: Any) -> None:
    """Assign only when the value differs, so unchanged rows stay unchanged for the flush."""
    state = instance_state(target)
    if state.key is None and name in _column_names(type(target)):
        # A row not yet saved: a column never assigned reads as None, without the
        # attribute machinery a read goes through (thousands of times in an import).
        current = state.dict.get(name)
    else:
        current = getattr(target, name)
    if current != value:
        setattr(target, name, value)


@cache
def _column_names(model: type) -> frozenset[str]:
    return frozenset(attribute.key for attribute in inspect(model).column_attrs)


def _entry_changes(entry: Any) -> dict[str, list]:
    name = getattr(entry, "name", None) or getattr(entry, "name_zh", None)
    return {"name": [None, name]}


def apply_organizations(event: Event, rows: list[OrganizationRow]) -> None:
    """Links are matched by (organisation, role), so re-ordering never trips the unique key."""
    existing = {(link.organization_id, link.role): link for link in event.organization_links}
    links = []
    for position, row in enumerate(rows):
        link = existing.pop((row.organization.id, row.role), None)
        if link is None:
            link = EventOrganization(organization=row.organization, role=row.role)
        _set(link, "position", position)
        _set(link, "headcount", row.headcount)
        _set(link, "note", row.note)
        links.append(link)
    if links != list(event.organization_links):
        event.organization_links = links


def participation_rows(event: Event) -> list[ParticipationRow]:
    """The event's participations as input rows."""
    return [
        ParticipationRow(
            person=item.person,
            organization=item.organization,
            role=item.role,
            attended=item.attended,
            hours=item.hours,
            award=item.award,
            rank=item.rank,
            award_level=item.award_level,
        )
        for item in event.participations
    ]


# --- what the audit trail and the conflict page show -----------------------------------


def event_snapshot(event: Event) -> dict[str, Any]:
    """The event as the audit trail records it: JSON-friendly display values per field."""
    return _snapshot(
        event,
        stops=[(stop.location.full_name, stop.starts_at, stop.note) for stop in event.stops],
        organizations=[_organization_entry(link) for link in event.organization_links],
        participants=[_participant_entry(item) for item in event.participations],
    )


def input_snapshot(values: EventInput) -> dict[str, Any]:
    """Typed, unsaved values in the same shape as `event_snapshot` (for the conflict page)."""
    return _snapshot(
        values,
        stops=[(_entry_name(row.location), row.starts_at, row.note) for row in values.stops],
        organizations=[_organization_entry(row) for row in values.organizations],
        participants=[_participant_entry(row) for row in values.participants],
    )


def _entry_name(entry: Any) -> Optional[str]:
    """How the audit trail names a directory entry, saved or only referred to."""
    if entry is None:
        return None
    if isinstance(entry, EntryRef):
        city = entry.defaults.get("city")
        return f"{entry.name}（{city}）" if city and city not in entry.name else entry.name
    if isinstance(entry, Location):
        return entry.full_name
    return getattr(entry, "name_zh", None) or entry.name


def _organization_entry(item) -> tuple:
    """An organisation's role, saved (EventOrganization) or typed (OrganizationRow)."""
    return (_entry_name(item.organization), item.role, item.headcount, item.note)


def _participant_entry(item) -> tuple:
    """A participation, saved (Participation) or typed (ParticipationRow); a saved person
    by reference (a person only named in this batch has no id yet, and keeps the name)."""
    person_id = getattr(item.person, "id", None)
    if person_id is not None:
        name = person_reference(person_id)
    else:
        name = _entry_name(item.person or item.organization)
    return (name, item.role, item.attended, item.hours, item.award_level, item.award, item.rank)


def _snapshot(source, *, stops, organizations, participants) -> dict[str, Any]:
    """Every audited field's display value, by its kind, in declaration order; labels in the
    site's language, whatever the request's (the audit trail keeps the text)."""
    with default_locale():
        return _snapshot_values(source, stops, organizations, participants)


def _snapshot_values(source, stops, organizations, participants) -> dict[str, Any]:
    zone = ZoneInfo(source.timezone or DEFAULT_TIMEZONE)
    time_format = "%Y-%m-%d" if source.is_all_day else "%Y-%m-%d %H:%M"
    rows = {
        "stops": "；".join(_stop_text(zone, *stop) for stop in stops) or None,
        "organizations": "；".join(_organization_text(*row) for row in organizations) or None,
        "participants": "；".join(_participant_text(*row) for row in participants) or None,
    }
    snapshot: dict[str, Any] = {}
    for declared in EVENT_FIELDS:
        if not declared.audited:
            continue
        if declared.kind == "rows":
            snapshot[declared.name] = rows[declared.name]
            continue
        value = getattr(source, declared.name)
        if declared.kind == "moment":
            value = value.astimezone(zone).strftime(time_format)
        elif declared.kind == "flag":
            value = bool(value)
        elif declared.kind == "entry":
            value = _entry_name(value)
        elif declared.kind == "segments":
            value = programme_text(value or []) or None
        snapshot[declared.name] = value
    return snapshot


def _stop_text(zone, name, starts_at, note) -> str:
    text = name
    if starts_at:
        text += " " + starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if note:
        text += f"（{note}）"
    return text


def _organization_text(name, role, headcount, note) -> str:
    text = f"{labels.ORGANIZATION_ROLE_LABELS[role]}：{name}"
    if headcount is not None:
        text += f" {headcount}人"
    if note:
        text += f"（{note}）"
    return text


def _participant_text(name, role, attended, hours, award_level, award, rank) -> str:
    text = name
    if role != "participant":
        text += f"（{labels.PARTICIPATION_ROLE_LABELS[role]}）"
    if not attended:
        text += " 未出席"
    if hours is not None:
        text += f" {Decimal(hours).normalize():f}小时"
    if award_level:
        text += f" {labels.AWARD_LEVEL_LABELS[award_level]}"
    if award:
        text += f" {award}"
    if rank:
        text += f" 第{rank}名"
    return text


# --- history on the event page ---------------------------------------------------------

ACTION_LABELS = {
    "create": _l("创建"),
    "edit": _l("修改"),
    "cancel": _l("取消"),
    "delete": _l("删除"),
    "import": _l("导入"),
    "skip_occurrence": _l("跳过一次"),
    "restore_occurrence": _l("恢复一次"),
    "change_occurrence": _l("修改一次"),
    "add_occurrence": _l("添加一次"),
}
LONG_TEXT = 120


@dataclass
class ChangeLine:
    label: str
    old: str
    new: str


def describe_change(name: str, value: Any) -> str:
    """One recorded value as the history and the conflict page show it."""
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name == "status":
        return str(labels.EVENT_STATUS_LABELS.get(value, value))
    if name == "visibility":
        return str(labels.EVENT_VISIBILITY_LABELS.get(value, value))
    if name == "recurrence_rule":
        return describe_recurrence(value)
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[:LONG_TEXT] + "…"


def change_lines(
    changes: dict[str, list], names: Optional[dict[str, str]] = None
) -> list[ChangeLine]:
    """Changed fields in form order, with labels and readable old and new values; people
    referred to by id (`person_reference`) are shown by their current name (`names`, looked
    up here when not given)."""
    changes = {RENAMED_FIELDS.get(name, name): change for name, change in changes.items()}
    ordered = [name for name in FIELD_LABELS if name in changes]
    ordered += [name for name in changes if name not in FIELD_LABELS]
    if names is None:
        names = _referenced_names(changes.get("participants") or [])
    return [
        ChangeLine(
            str(FIELD_LABELS.get(name, name)),
            describe_change(name, _with_names(changes[name][0], names)),
            describe_change(name, _with_names(changes[name][1], names)),
        )
        for name in ordered
    ]


def history_lines(entries: list) -> list[tuple[Any, list[ChangeLine]]]:
    """Each audit entry with its change lines; the people they refer to in one query."""
    referred = [
        value for entry in entries for value in (entry.changes or {}).get("participants") or []
    ]
    names = _referenced_names(referred)
    return [(entry, change_lines(entry.changes or {}, names)) for entry in entries]


def _referenced_names(values: list) -> dict[str, str]:
    """The current names of the people the values refer to, in one query."""
    texts = [value for value in values if isinstance(value, str)]
    ids = {int(number) for text in texts for number in PERSON_REFERENCE.findall(text)}
    if not ids:
        return {}
    rows = db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {person_reference(person_id): name for person_id, name in rows}


def _with_names(value: Any, names: dict[str, str]) -> Any:
    if not names or not isinstance(value, str):
        return value
    return PERSON_REFERENCE.sub(lambda match: names.get(match.group(0), match.group(0)), value)
