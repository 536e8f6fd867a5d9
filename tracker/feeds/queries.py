"""Read queries for feeds: which events a feed holds and the rows it renders.

A feed of 10,000 events is read in a fixed number of queries (events, stops, organisations,
teams), as plain rows rather than ORM objects: the feed only needs a few columns and
building 50,000 mapped objects would cost more than rendering them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Select, or_, select, true

from tracker.events.fields import PUBLIC, feed_scalar_fields
from tracker.events.queries import EventFilters, filtered_events, takes_part
from tracker.extensions import db
from tracker.models import (
    Campaign,
    Category,
    Event,
    EventOrganization,
    Headcount,
    Location,
    OccurrenceChange,
    Organization,
    Participation,
    Photo,
    RoleCount,
    Stop,
    headcount_by_rule,
    role_counts,
)
from tracker.models.accounts import User


@dataclass
class FeedStop:
    """One itinerary stop as a feed shows it."""

    name: str
    city: Optional[str]
    address: Optional[str]
    latitude: Optional[float]
    longitude: Optional[float]
    starts_at: Optional[datetime] = None
    note: Optional[str] = None

    @property
    def full_name(self) -> str:
        """Same wording as `Location.full_name`."""
        if self.city and self.city not in self.name:
            return f"{self.name}（{self.city}）"
        return self.name


@dataclass
class FeedOrganization:
    """An organisation's role in an event, as a feed shows it."""

    role: str
    name: str
    short_name: Optional[str]
    kind: str
    headcount: Optional[int]
    note: Optional[str] = None

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass
class FeedTeam:
    """An organisation taking part as a team (a contest's), with its result."""

    name: str
    short_name: Optional[str]
    kind: str
    role: str
    attended: bool
    hours: Optional[Decimal]
    award: Optional[str]
    rank: Optional[int]
    award_level: Optional[str] = None


@dataclass
class FeedOccurrenceChange:
    """A skipped, added or changed occurrence of a series, as feeds write it (never its
    internal note)."""

    original_starts_at: datetime
    kind: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]
    title: Optional[str]
    location: Optional[str]
    is_cancelled: bool


# Columns every feed reads besides the declared fields it carries.
_BOOKKEEPING_COLUMNS = (
    Event.id,
    Event.uid,
    Event.sequence,
    Event.updated_at,
    Event.organization_headcount,
    Event.participation_count,
)
_ENTRY_COLUMNS = (
    Category.name_zh.label("category_name"),
    Category.slug.label("category_slug"),
    Category.name_en.label("category_name_en"),
    Category.color.label("category_color"),
    Campaign.name.label("campaign_name"),
    Campaign.theme.label("campaign_theme"),
)


def feed_columns(audience: str) -> tuple:
    """The columns a feed for `audience` reads: its declared fields and the bookkeeping."""
    declared = tuple(getattr(Event, field.name) for field in feed_scalar_fields(audience))
    return _BOOKKEEPING_COLUMNS + declared + _ENTRY_COLUMNS


class FeedEvent:
    """An event's columns as a feed needs them (named as in `feed_columns`), with its stops,
    organisations and teams in order."""

    def __init__(self, columns):
        self.__dict__.update(columns)
        self.stops: list[FeedStop] = []
        self.organizations: list[FeedOrganization] = []
        self.teams: list[FeedTeam] = []
        self.occurrence_changes: list[FeedOccurrenceChange] = []
        # (photo id, media type) of a public event's photos, for ATTACH.
        self.photos: list[tuple[int, str]] = []

    @property
    def shown_headcount(self) -> Optional[Headcount]:
        """The headcount rule, from the figures kept on the event row."""
        return headcount_by_rule(
            self.reported_headcount,
            self.reported_headcount_is_approximate,
            self.organization_headcount,
            self.participation_count,
        )

    def role_counts(self) -> list[RoleCount]:
        """The counted roles, as the event page says them ("参赛队 10 支（具名 3 支）")."""
        return role_counts(self, self.named_in_role)

    def named_in_role(self, role: str) -> int:
        named = {link.name for link in self.organizations if link.role == role}
        if role == "team":
            named |= {team.name for team in self.teams}
        return len(named)


def public_feed_events(filters: EventFilters) -> Select:
    """Public events matching the filters; internal events never."""
    return filtered_events(filters, include_internal=False)


def private_feed_events(filters: EventFilters, user: User) -> Select:
    """Public events plus the internal events of the user's organisation (any role)."""
    statement = filtered_events(filters, include_internal=True)
    if user.organization_id is None:
        return statement.where(Event.visibility == "public")
    return statement.where(or_(Event.visibility == "public", takes_part([user.organization_id])))


def _where(statement: Select):
    return statement.whereclause if statement.whereclause is not None else true()


def load_feed_events(statement: Select, audience: str = PUBLIC) -> list[FeedEvent]:
    """The feed's events with their stops, organisations, teams and the exceptions of the
    series among them, in five queries."""
    where = _where(statement)
    rows = db.session.execute(
        select(*feed_columns(audience))
        .select_from(Event)
        .outerjoin(Category, Event.category_id == Category.id)
        .outerjoin(Campaign, Event.campaign_id == Campaign.id)
        .where(where)
        .order_by(Event.starts_at, Event.id)
    ).all()
    if not rows:
        return []
    event_ids = select(Event.id).where(where)
    names = rows[0]._fields
    events = {row.id: FeedEvent(zip(names, row, strict=True)) for row in rows}

    for event_id, *stop in db.session.execute(
        select(
            Stop.event_id,
            Location.name,
            Location.city,
            Location.address,
            Location.latitude,
            Location.longitude,
            Stop.starts_at,
            Stop.note,
        )
        .join(Location, Stop.location_id == Location.id)
        .where(Stop.event_id.in_(event_ids))
        .order_by(Stop.event_id, Stop.position)
    ):
        events[event_id].stops.append(FeedStop(*stop))

    for event_id, *link in db.session.execute(
        select(
            EventOrganization.event_id,
            EventOrganization.role,
            Organization.name,
            Organization.short_name,
            Organization.kind,
            EventOrganization.headcount,
            EventOrganization.note,
        )
        .join(Organization, EventOrganization.organization_id == Organization.id)
        .where(EventOrganization.event_id.in_(event_ids))
        .order_by(EventOrganization.event_id, EventOrganization.position, EventOrganization.id)
    ):
        events[event_id].organizations.append(FeedOrganization(*link))

    for event_id, *team in db.session.execute(
        select(
            Participation.event_id,
            Organization.name,
            Organization.short_name,
            Organization.kind,
            Participation.role,
            Participation.attended,
            Participation.hours,
            Participation.award,
            Participation.rank,
            Participation.award_level,
        )
        .join(Organization, Participation.organization_id == Organization.id)
        .where(Participation.organization_id.is_not(None), Participation.event_id.in_(event_ids))
        .order_by(Participation.event_id, Participation.position, Participation.id)
    ):
        events[event_id].teams.append(FeedTeam(*team))

    for event_id, *change in db.session.execute(
        select(
            OccurrenceChange.event_id,
            OccurrenceChange.original_starts_at,
            OccurrenceChange.kind,
            OccurrenceChange.starts_at,
            OccurrenceChange.ends_at,
            OccurrenceChange.title,
            OccurrenceChange.location,
            OccurrenceChange.is_cancelled,
        )
        .where(OccurrenceChange.event_id.in_(event_ids))
        .order_by(OccurrenceChange.event_id, OccurrenceChange.original_starts_at)
    ):
        events[event_id].occurrence_changes.append(FeedOccurrenceChange(*change))
    for event_id, photo_id, media_type in db.session.execute(
        select(Photo.event_id, Photo.id, Photo.media_type)
        .where(Photo.event_id.in_(event_ids))
        .order_by(Photo.event_id, Photo.position, Photo.id)
    ):
        if events[event_id].visibility == "public":  # an internal event's photos are not public
            events[event_id].photos.append((photo_id, media_type))
    return list(events.values())
