"""Read queries for feeds: which events a feed holds and the rows it renders.

A feed of 10,000 events is read in a fixed number of queries (events, stops, organisations,
team counts), as plain rows rather than ORM objects: the feed only needs a few columns and
building 50,000 mapped objects would cost more than rendering them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import Select, or_, select, true

from tracker.events.queries import EventFilters, filtered_events, takes_part
from tracker.extensions import db
from tracker.models import (
    Campaign,
    Category,
    Event,
    EventOrganization,
    Headcount,
    Location,
    Organization,
    Stop,
    headcount_by_rule,
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

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass
class FeedEvent:
    """The columns of an event a feed needs, with its stops and organisations in order."""

    id: int
    uid: str
    title: str
    description: Optional[str]
    theme: Optional[str]
    outcome: Optional[str]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    is_all_day: bool
    recurrence_rule: Optional[str]
    status: str
    visibility: str
    headcount: Optional[int]
    headcount_is_approximate: bool
    organization_headcount: Optional[int]
    participation_count: int
    sequence: int
    updated_at: datetime
    category_name: Optional[str]
    category_slug: Optional[str]
    category_name_en: Optional[str]
    category_color: Optional[str]
    campaign_name: Optional[str]
    campaign_theme: Optional[str]
    stops: list[FeedStop] = field(default_factory=list)
    organizations: list[FeedOrganization] = field(default_factory=list)

    @property
    def reported_headcount(self) -> Optional[Headcount]:
        """The headcount rule, from the figures kept on the event row."""
        return headcount_by_rule(
            self.headcount,
            self.headcount_is_approximate,
            self.organization_headcount,
            self.participation_count,
        )


_EVENT_COLUMNS = (
    Event.id,
    Event.uid,
    Event.title,
    Event.description,
    Event.theme,
    Event.outcome,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Event.is_all_day,
    Event.recurrence_rule,
    Event.status,
    Event.visibility,
    Event.headcount,
    Event.headcount_is_approximate,
    Event.organization_headcount,
    Event.participation_count,
    Event.sequence,
    Event.updated_at,
    Category.name_zh,
    Category.slug,
    Category.name_en,
    Category.color,
    Campaign.name,
    Campaign.theme,
)


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


def load_feed_events(statement: Select) -> list[FeedEvent]:
    """The feed's events with their stops and organisations, in three queries."""
    where = _where(statement)
    rows = db.session.execute(
        select(*_EVENT_COLUMNS)
        .select_from(Event)
        .outerjoin(Category, Event.category_id == Category.id)
        .outerjoin(Campaign, Event.campaign_id == Campaign.id)
        .where(where)
        .order_by(Event.starts_at, Event.id)
    ).all()
    if not rows:
        return []
    event_ids = select(Event.id).where(where)
    events = {row[0]: FeedEvent(*row) for row in rows}

    for event_id, name, city, address, latitude, longitude in db.session.execute(
        select(
            Stop.event_id,
            Location.name,
            Location.city,
            Location.address,
            Location.latitude,
            Location.longitude,
        )
        .join(Location, Stop.location_id == Location.id)
        .where(Stop.event_id.in_(event_ids))
        .order_by(Stop.event_id, Stop.position)
    ):
        events[event_id].stops.append(FeedStop(name, city, address, latitude, longitude))

    for event_id, role, name, short_name, kind, headcount in db.session.execute(
        select(
            EventOrganization.event_id,
            EventOrganization.role,
            Organization.name,
            Organization.short_name,
            Organization.kind,
            EventOrganization.headcount,
        )
        .join(Organization, EventOrganization.organization_id == Organization.id)
        .where(EventOrganization.event_id.in_(event_ids))
        .order_by(EventOrganization.event_id, EventOrganization.position, EventOrganization.id)
    ):
        events[event_id].organizations.append(
            FeedOrganization(role, name, short_name, kind, headcount)
        )
    return list(events.values())
