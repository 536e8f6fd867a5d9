"""Writing events: create, edit (with optimistic locking), cancel and delete.

Each service owns its transaction and writes an audit entry with the changed fields.
SEQUENCE and updated_at are raised by the model's before_flush listener, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn, Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from tracker import labels
from tracker.audit import diff_values, record_audit
from tracker.extensions import db
from tracker.models import (
    DEFAULT_TIMEZONE,
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
    User,
)

SCALAR_FIELDS = (
    "title",
    "description",
    "theme",
    "starts_at",
    "ends_at",
    "timezone",
    "is_all_day",
    "recurrence_rule",
    "status",
    "visibility",
    "headcount",
    "headcount_is_approximate",
    "outcome",
    "notes",
    "date_is_approximate",
)


@dataclass
class StopRow:
    """An itinerary stop as typed: an existing location, or the name of a new one."""

    location: Optional[Location]
    new_location_name: Optional[str] = None
    new_location_city: Optional[str] = None
    starts_at: Optional[datetime] = None
    note: Optional[str] = None


@dataclass
class OrganizationRow:
    organization: Organization
    role: str
    headcount: Optional[int] = None
    note: Optional[str] = None


@dataclass
class ParticipationRow:
    person: Optional[Person]
    organization: Optional[Organization]
    role: str = "participant"
    attended: bool = True
    hours: Optional[Decimal] = None
    award: Optional[str] = None
    rank: Optional[int] = None


@dataclass
class EventInput:
    """Everything the event form collects, as plain values and directory entries."""

    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str = DEFAULT_TIMEZONE
    description: Optional[str] = None
    category: Optional[Category] = None
    campaign: Optional[Campaign] = None
    theme: Optional[str] = None
    is_all_day: bool = False
    recurrence_rule: Optional[str] = None
    status: str = "confirmed"
    visibility: str = "public"
    headcount: Optional[int] = None
    headcount_is_approximate: bool = False
    outcome: Optional[str] = None
    notes: Optional[str] = None
    date_is_approximate: bool = False
    stops: list[StopRow] = field(default_factory=list)
    organizations: list[OrganizationRow] = field(default_factory=list)
    participants: list[ParticipationRow] = field(default_factory=list)


class EditConflict(Exception):
    """Somebody saved the event after this user loaded it; nothing was saved."""

    def __init__(self, current: Event):
        super().__init__("event changed since it was loaded")
        self.current = current


class EventGone(Exception):
    """The event was deleted while the user was looking at it."""


def create_event(values: EventInput, author: User) -> Event:
    """Save a new event with its rows and a "create" audit entry."""
    event = Event(created_by=author)
    db.session.add(event)
    with db.session.no_autoflush:
        new_locations = _apply(event, values)
    db.session.flush()
    _record_new_locations(new_locations, author)
    record_audit(
        "create",
        event,
        user=author,
        changes={name: [None, value] for name, value in event_snapshot(event).items() if value},
    )
    db.session.commit()
    return event


def update_event(
    event: Event, values: EventInput, editor: User, loaded_version: Optional[int]
) -> Event:
    """Save the edited values, unless the event changed since the user loaded it.

    Raises EditConflict (having saved nothing) when `loaded_version` is not the current
    version, or when another save slips in between this check and the commit.
    """
    if loaded_version != event.version:
        raise EditConflict(event)
    before = event_snapshot(event)
    try:
        with db.session.no_autoflush:
            new_locations = _apply(event, values)
            changes = diff_values(before, event_snapshot(event))
        db.session.flush()
        _record_new_locations(new_locations, editor)
        if changes:
            record_audit("edit", event, user=editor, changes=changes)
        db.session.commit()
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


# --- applying the typed values ---------------------------------------------------------


def _set(target: Any, name: str, value: Any) -> None:
    """Assign only when the value differs, so unchanged rows stay unchanged for the flush."""
    if getattr(target, name) != value:
        setattr(target, name, value)


def _apply(event: Event, values: EventInput) -> list[Location]:
    """Copy the values onto the event and its rows; returns locations created on the spot."""
    for name in SCALAR_FIELDS:
        _set(event, name, getattr(values, name))
    _set(event, "category", values.category)
    _set(event, "campaign", values.campaign)
    new_locations = _apply_stops(event, values.stops)
    apply_organizations(event, values.organizations)
    _apply_participants(event, values.participants)
    return new_locations


def _record_new_locations(locations: list[Location], user: User) -> None:
    for location in locations:
        record_audit("create", location, user=user, changes={"name": [None, location.name]})


def _apply_stops(event: Event, rows: list[StopRow]) -> list[Location]:
    """Rows replace stops position by position (keeps the unique (event, position) happy)."""
    new_locations: dict[str, Location] = {}
    for position, row in enumerate(rows):
        location = row.location or _location_named(
            row.new_location_name or "", row.new_location_city, new_locations
        )
        if position < len(event.stops):
            stop = event.stops[position]
        else:
            stop = Stop(position=position)
            event.stops.append(stop)
        _set(stop, "location", location)
        _set(stop, "starts_at", row.starts_at)
        _set(stop, "note", row.note)
    del event.stops[len(rows) :]
    return [location for location in new_locations.values() if location.id is None]


def _location_named(name: str, city: Optional[str], made: dict[str, Location]) -> Location:
    """The location with this name, created on the spot when the directory lacks it."""
    key = name.strip().lower()
    if key in made:
        return made[key]
    location = db.session.scalar(select(Location).where(func.lower(Location.name) == key))
    if location is None:
        location = Location(name=name.strip(), city=city)
        db.session.add(location)
    made[key] = location
    return location


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


def _apply_participants(event: Event, rows: list[ParticipationRow]) -> None:
    """Rows are matched by who takes part (a person, or a team), so removing or re-ordering
    rows never gives one person two rows for a moment (the unique key would refuse it)."""
    existing: dict[tuple, list[Participation]] = {}
    for participation in event.participations:
        key = (participation.person_id, participation.organization_id)
        existing.setdefault(key, []).append(participation)
    participations = []
    for position, row in enumerate(rows):
        matches = existing.get(
            (
                row.person.id if row.person is not None else None,
                row.organization.id if row.organization is not None else None,
            )
        )
        if matches:
            participation = matches.pop(0)
        else:
            participation = Participation(person=row.person, organization=row.organization)
        _set(participation, "position", position)
        for name in ("role", "attended", "award", "rank"):
            _set(participation, name, getattr(row, name))
        hours = Decimal(row.hours).quantize(Decimal("0.01")) if row.hours is not None else None
        _set(participation, "hours", hours)
        participations.append(participation)
    if participations != list(event.participations):
        event.participations = participations


# --- what the audit trail and the conflict page show -----------------------------------

FIELD_LABELS = {
    "title": _l("标题"),
    "category": _l("类别"),
    "campaign": _l("专项活动"),
    "theme": _l("主题"),
    "starts_at": _l("开始"),
    "ends_at": _l("结束"),
    "timezone": _l("时区"),
    "is_all_day": _l("全天"),
    "recurrence_rule": _l("重复"),
    "status": _l("状态"),
    "visibility": _l("公开范围"),
    "headcount": _l("报告人数"),
    "headcount_is_approximate": _l("人数为约数"),
    "date_is_approximate": _l("日期为估计"),
    "description": _l("活动简介"),
    "outcome": _l("活动成果"),
    "notes": _l("备注"),
    "stops": _l("行程"),
    "organizations": _l("组织单位"),
    "participants": _l("参与者"),
}


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
        stops=[
            (
                row.location.full_name if row.location else row.new_location_name,
                row.starts_at,
                row.note,
            )
            for row in values.stops
        ],
        organizations=[_organization_entry(row) for row in values.organizations],
        participants=[_participant_entry(row) for row in values.participants],
    )


def _organization_entry(item) -> tuple:
    """An organisation's role, saved (EventOrganization) or typed (OrganizationRow)."""
    return (item.organization.name, item.role, item.headcount, item.note)


def _participant_entry(item) -> tuple:
    """A participation, saved (Participation) or typed (ParticipationRow)."""
    name = (item.person or item.organization).name
    return (name, item.role, item.attended, item.hours, item.award, item.rank)


def _snapshot(source, *, stops, organizations, participants) -> dict[str, Any]:
    zone = ZoneInfo(source.timezone or DEFAULT_TIMEZONE)
    time_format = "%Y-%m-%d" if source.is_all_day else "%Y-%m-%d %H:%M"
    return {
        "title": source.title,
        "category": source.category.name_zh if source.category else None,
        "campaign": source.campaign.name if source.campaign else None,
        "theme": source.theme,
        "starts_at": source.starts_at.astimezone(zone).strftime(time_format),
        "ends_at": source.ends_at.astimezone(zone).strftime(time_format),
        "timezone": source.timezone,
        "is_all_day": bool(source.is_all_day),
        "recurrence_rule": source.recurrence_rule,
        "status": source.status,
        "visibility": source.visibility,
        "headcount": source.headcount,
        "headcount_is_approximate": bool(source.headcount_is_approximate),
        "date_is_approximate": bool(source.date_is_approximate),
        "description": source.description,
        "outcome": source.outcome,
        "notes": source.notes,
        "stops": "；".join(_stop_text(zone, *stop) for stop in stops) or None,
        "organizations": "；".join(_organization_text(*row) for row in organizations) or None,
        "participants": "；".join(_participant_text(*row) for row in participants) or None,
    }


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


def _participant_text(name, role, attended, hours, award, rank) -> str:
    text = name
    if role != "participant":
        text += f"（{labels.PARTICIPATION_ROLE_LABELS[role]}）"
    if not attended:
        text += " 未出席"
    if hours is not None:
        text += f" {Decimal(hours).normalize():f}小时"
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
        from tracker.recurrence import describe_recurrence

        return describe_recurrence(value)
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[:LONG_TEXT] + "…"


def change_lines(changes: dict[str, list]) -> list[ChangeLine]:
    """Changed fields in form order, with labels and readable old and new values."""
    ordered = [name for name in FIELD_LABELS if name in changes]
    ordered += [name for name in changes if name not in FIELD_LABELS]
    return [
        ChangeLine(
            str(FIELD_LABELS.get(name, name)),
            describe_change(name, changes[name][0]),
            describe_change(name, changes[name][1]),
        )
        for name in ordered
    ]
