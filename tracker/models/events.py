"""Activities and what hangs off them: itinerary stops, organisations' roles, participations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker import labels
from tracker.db import Base, UTCDateTime, now_utc
from tracker.models.directory import _in
from tracker.models.occurrences import SKIPPED, OccurrenceChange, OccurrenceSlot
from tracker.models.versions import bump_data_version
from tracker.recurrence import (
    MAX_EXPANSION_STEPS,
    add_years,
    bounded_expansion,
    first,
    has_end,
    is_expandable,
    parse_rule,
    search_start,
    until_day,
)

if TYPE_CHECKING:
    from tracker.models.accounts import User
    from tracker.models.directory import Campaign, Category, Location, Organization, Person

# The codes stored; their order is that of the CHECK constraints in the migrations.
EVENT_STATUSES = tuple(labels.EVENT_STATUS_LABELS)
EVENT_VISIBILITIES = tuple(labels.EVENT_VISIBILITY_LABELS)
ORGANIZATION_ROLES = tuple(labels.ORGANIZATION_ROLE_LABELS)
PARTICIPATION_ROLES = tuple(labels.PARTICIPATION_ROLE_LABELS)
AWARD_LEVELS = tuple(labels.AWARD_LEVEL_LABELS)
# Roles whose organisations an event counts, named or not: the event's column holding the
# count of each ("参赛队 10 支（具名 3 支）").
COUNTED_ROLES = tuple(labels.COUNTED_ROLE_NOUNS)
COUNTED_TOTAL_COLUMNS = {role: f"{role}_total" for role in COUNTED_ROLES}
# How an organisation's roles count in the statistics: 主办; 协办 or 承办; 参与, 参展 or 参赛队.
HOSTED_ROLES = ("host",)
CO_ORGANIZED_ROLES = ("co_organizer", "organizer")
TOOK_PART_ROLES = ("participant", "exhibitor", "team", "village")
INVOLVEMENT_FLAGS = ("hosted", "co_organized", "took_part")
DEFAULT_TIMEZONE = "Asia/Shanghai"
UID_DOMAIN = "activity-tracker"


def new_uid() -> str:
    """A globally unique, database-independent event UID (RFC 5545 §3.8.4.7)."""
    return f"{uuid.uuid4()}@{UID_DOMAIN}"


@dataclass(frozen=True)
class Headcount:
    """A number of participants and whether it is only approximate."""

    value: int
    is_approximate: bool = False

    def __str__(self) -> str:
        return f"{self.value}+" if self.is_approximate else str(self.value)


@dataclass(frozen=True)
class RoleCount:
    """How many organisations took part in a counted role, and how many of them are named."""

    role: str
    total: Optional[int]
    named: int

    @property
    def shown_total(self) -> int:
        return max(self.total or 0, self.named)

    def __str__(self) -> str:
        noun = labels.COUNTED_ROLE_NOUNS[self.role]
        unit = labels.COUNTED_ROLE_UNITS[self.role]
        text = gettext("%(noun)s %(count)s %(unit)s", noun=noun, count=self.shown_total, unit=unit)
        if self.named < self.shown_total:
            text += gettext("（具名 %(count)s %(unit)s）", count=self.named, unit=unit)
        return text


def role_counts(event, named_in_role) -> list[RoleCount]:
    """The counted roles whose total `event` states (its `<role>_total` attributes), with
    the named ones `named_in_role(role)` gives: for the event page and the feeds alike."""
    counts = [
        RoleCount(role, getattr(event, column), named_in_role(role))
        for role, column in COUNTED_TOTAL_COLUMNS.items()
    ]
    return [count for count in counts if count.total is not None]


def headcount_by_rule(
    reported: Optional[int],
    reported_is_approximate: bool,
    organization_headcount: Optional[int],
    named_participants: int,
) -> Optional[Headcount]:
    """The headcount rule, used wherever a number of participants is shown: the reported
    headcount, else the sum of the organisations' headcounts, else the named people (teams
    and institutions are counted as organisations, never as people)."""
    if reported is not None:
        return Headcount(reported, bool(reported_is_approximate))
    if organization_headcount is not None:
        return Headcount(organization_headcount)
    if named_participants:
        return Headcount(named_participants)
    return None


class Event(Base):
    """One activity, possibly recurring; times in UTC, shown in its own IANA zone."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_not_negative"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        *(
            CheckConstraint(f"{column} IS NULL OR {column} >= 0", name=f"{column}_not_negative")
            for column in COUNTED_TOTAL_COLUMNS.values()
        ),
        CheckConstraint(_in("status", EVENT_STATUSES), name="status"),
        CheckConstraint(_in("visibility", EVENT_VISIBILITIES), name="visibility"),
        CheckConstraint(
            "transparency IS NULL OR transparency IN ('opaque', 'transparent')",
            name="transparency",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True, default=new_uid)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    category_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    theme: Mapped[Optional[str]] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # End of the last occurrence; NULL for a recurrence without an end. Kept for range queries.
    series_ends_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    is_all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # RRULE value without the "RRULE:" prefix, as RFC 5545 has it next to DTSTART: UNTIL in
    # UTC for a timed event, a DATE for an all-day one (tracker.recurrence.stored_rule).
    recurrence_rule: Mapped[Optional[str]] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="confirmed", index=True)
    visibility: Mapped[str] = mapped_column(String(20), default="public", index=True)
    # The figure the coordinator reported (报告人数); not the headcount rule's answer, which
    # is `shown_headcount`. The columns keep their first names.
    reported_headcount: Mapped[Optional[int]] = mapped_column("headcount", Integer)
    reported_headcount_is_approximate: Mapped[bool] = mapped_column(
        "headcount_is_approximate", Boolean, default=False
    )
    outcome: Mapped[Optional[str]] = mapped_column(Text)
    # The programme (环节/议程), in order: [{"title", "time" ("HH:MM" or None), "note"}].
    programme: Mapped[Optional[list]] = mapped_column(JSON)
    # How many organisations take part in each counted role, named or not (the named ones
    # are the role's rows); NULL when only the named ones are known.
    participant_total: Mapped[Optional[int]] = mapped_column(Integer)
    exhibitor_total: Mapped[Optional[int]] = mapped_column(Integer)
    team_total: Mapped[Optional[int]] = mapped_column(Integer)
    village_total: Mapped[Optional[int]] = mapped_column(Integer)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    date_is_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Figures of the children, kept by the flush listener below for the statistics (which
    # then read the events table alone): every named person taking part (teams are not
    # people); attended ones and their hours (NULL when none is known); the organisations'
    # known headcounts summed (NULL when none is known); the organisations taking part,
    # counted ones included (`organizations_taking_part`).
    participation_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attended_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attended_hours: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    organization_headcount: Mapped[Optional[int]] = mapped_column(Integer)
    # Carried by imported files (tracker.events.fields): TRANSP ("opaque", "transparent", or
    # NULL when not stated), the CATEGORIES after the first (one per line), the ORGANIZER's
    # name and address, and the VALARM components as iCalendar text.
    transparency: Mapped[Optional[str]] = mapped_column(String(20))
    extra_categories: Mapped[Optional[str]] = mapped_column(String(500))
    organizer_name: Mapped[Optional[str]] = mapped_column(String(200))
    organizer_address: Mapped[Optional[str]] = mapped_column(String(320))
    alarms: Mapped[Optional[str]] = mapped_column(Text)
    organization_count: Mapped[int] = mapped_column(Integer, server_default="0")

    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Optional[Category]] = relationship(back_populates="events")
    campaign: Mapped[Optional[Campaign]] = relationship(back_populates="events")
    created_by: Mapped[Optional[User]] = relationship()
    stops: Mapped[list[Stop]] = relationship(
        back_populates="event", order_by="Stop.position", cascade="all, delete-orphan"
    )
    organization_links: Mapped[list[EventOrganization]] = relationship(
        back_populates="event",
        order_by="EventOrganization.position",
        cascade="all, delete-orphan",
    )
    participations: Mapped[list[Participation]] = relationship(
        back_populates="event",
        order_by="Participation.position",
        cascade="all, delete-orphan",
    )
    occurrence_changes: Mapped[list[OccurrenceChange]] = relationship(
        back_populates="event",
        order_by="OccurrenceChange.original_starts_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or DEFAULT_TIMEZONE)

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def last_local_day(self) -> date:
        """The last calendar day the event covers (all-day ends are exclusive)."""
        return last_local_day(self.local_starts_at, self.local_ends_at, self.is_all_day)

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def is_recurring(self) -> bool:
        return bool(self.recurrence_rule)

    def organizations_in_role(self, role: str) -> list[Organization]:
        return [link.organization for link in self.organization_links if link.role == role]

    @property
    def host_organizations(self) -> list[Organization]:
        return self.organizations_in_role("host")

    @property
    def shown_headcount(self) -> Optional[Headcount]:
        """The headcount rule over the event's rows as they are now (saved or not)."""
        organization_counts = [
            link.headcount for link in self.organization_links if link.headcount is not None
        ]
        return headcount_by_rule(
            self.reported_headcount,
            self.reported_headcount_is_approximate,
            sum(organization_counts) if organization_counts else None,
            sum(1 for participation in self.participations if _is_person(participation)),
        )

    def named_in_role(self, role: str, removed: frozenset = frozenset()) -> int:
        """How many organisations the event names in a counted role: its rows in the role,
        and for 参赛队 its teams too."""
        named = {
            _organization_key(link)
            for link in self.organization_links
            if link.role == role and link not in removed
        }
        if role == "team":
            named |= {
                _organization_key(item)
                for item in self.participations
                if item not in removed and (item.organization_id or item.organization) is not None
            }
        return len(named)

    def role_counts(self) -> list[RoleCount]:
        """The counted roles the event has, as "参赛队 10 支（具名 3 支）" says them."""
        return role_counts(self, self.named_in_role)

    @property
    def teams_in_award_order(self) -> list[Participation]:
        """The teams, best award first (by level, then rank), the others in their order."""
        teams = [item for item in self.participations if item.organization is not None]
        return sorted(teams, key=award_order)

    def organizations_taking_part(self, removed: frozenset = frozenset()) -> int:
        """The organisations taking part, counted ones included: for each counted role its
        stated total (at least the named ones), else the named ones."""
        return sum(
            max(getattr(self, COUNTED_TOTAL_COLUMNS[role]) or 0, self.named_in_role(role, removed))
            for role in COUNTED_ROLES
        )

    def recount_figures(self, removed: frozenset = frozenset()) -> None:
        """Set the kept figures from the event's children (`removed` ones left out).

        Assigns only the values that differ, so an unchanged event is not written."""
        participations = [p for p in self.participations if p not in removed and _is_person(p)]
        attended = [p for p in participations if p.attended or p.attended is None]
        hours = [Decimal(str(p.hours)) for p in attended if p.hours is not None]
        headcounts = [
            link.headcount
            for link in self.organization_links
            if link not in removed and link.headcount is not None
        ]
        figures = {
            "participation_count": len(participations),
            "attended_count": len(attended),
            "attended_hours": sum(hours, Decimal("0")) if hours else None,
            "organization_headcount": sum(headcounts) if headcounts else None,
            "organization_count": self.organizations_taking_part(removed),
        }
        for name, value in figures.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def occurrences_between(
        self, window_start: datetime, window_end: datetime, limit: Optional[int] = None
    ):
        """(start, end) UTC pairs of the occurrences held in [window_start, window_end), at
        most `limit` of them: skipped and cancelled ones left out, added and moved ones at
        their own times (`occurrence_slots`)."""
        slots = self.occurrence_slots(window_start, window_end, limit)
        return [(slot.starts_at, slot.ends_at) for slot in slots if not slot.is_cancelled]

    def occurrence_slots(
        self, window_start: datetime, window_end: datetime, limit: Optional[int] = None
    ) -> list[OccurrenceSlot]:
        """The occurrences overlapping [window_start, window_end) in start order, at most
        `limit` of them, with the series' exceptions applied: a skipped date is gone, an added
        one is there, a changed one lies at its new time (in the window where that falls) and
        carries its change; a cancelled one stays, marked, for pages to strike through.

        A change applies as stored, whether or not the rule still gives its original start
        (a later edit of the series may have moved the rule away from it).
        """
        if not self.recurrence_rule or not is_expandable(self.recurrence_rule):
            slot = OccurrenceSlot(self.starts_at, self.ends_at, self.starts_at)
            return [slot][:limit] if slot.overlaps(window_start, window_end) else []
        changes = {change.original_starts_at: change for change in self.occurrence_changes}
        room = None if limit is None else limit + len(changes)
        slots = [
            OccurrenceSlot(start, end, start)
            for start, end in self._rule_occurrences(window_start, window_end, room)
            if start not in changes
        ]
        for change in changes.values():
            if change.kind == SKIPPED:
                continue
            slot = OccurrenceSlot(
                change.starts_at, change.ends_at, change.original_starts_at, change
            )
            if slot.overlaps(window_start, window_end):
                slots.append(slot)
        slots.sort(key=lambda slot: slot.starts_at)
        return slots[:limit]

    def _rule_occurrences(
        self, window_start: datetime, window_end: datetime, limit: Optional[int]
    ) -> list[tuple[datetime, datetime]]:
        """(start, end) UTC pairs the rule alone gives in the window, at most `limit`.

        Recurrences are expanded in local wall time so a weekly 09:00 meeting stays at 09:00.
        The work is bounded whatever the rule (`bounded_expansion`); a rule no form or import
        accepts (SECONDLY…, stored by old data or written around them) shows its first
        occurrence only.
        """
        duration = self.ends_at - self.starts_at
        zone = self.zone
        local_from = (window_start - duration).astimezone(zone).replace(tzinfo=None)
        local_to = window_end.astimezone(zone).replace(tzinfo=None)
        local_start = search_start(
            self.recurrence_rule, self.local_starts_at.replace(tzinfo=None), local_from
        )
        found = []
        for moment in bounded_expansion(self.recurrence_rule, local_start, zone, local_to):
            if limit is not None and len(found) >= limit:
                break
            if moment < local_from:
                continue
            start = moment.replace(tzinfo=zone).astimezone(UTC)
            end = start + duration
            if start < window_end and (end > window_start or start >= window_start):
                found.append((start, end))
        return found

    def compute_series_end(self) -> Optional[datetime]:
        """End of the last occurrence, or None when the recurrence never ends; added and
        moved occurrences count (a moved last one can end the series later).

        Bounded like the pages' expansion: a series too long to walk through (or a rule no form
        accepts) counts as one without an end, which only widens the range queries."""
        end = self._rule_series_end()
        if end is None or not self.recurrence_rule:
            return end
        ends = [change.ends_at for change in self.occurrence_changes if change.ends_at]
        return max([end, *ends])

    def _rule_series_end(self) -> Optional[datetime]:
        rule = self.recurrence_rule
        if not rule:
            return self.ends_at
        if not has_end(rule) or not is_expandable(rule):
            return None
        zone = self.zone
        local_start = self.local_starts_at.replace(tzinfo=None)
        until = until_day(rule, zone)
        count = first(parse_rule(rule), "COUNT")
        if until is not None:
            local_until = datetime.combine(until, datetime.max.time())
        else:
            # COUNT ≤ MAX_COUNT periods of at most a year each (sparser rules are cut off
            # below, and then count as without an end).
            years = min(count * (first(parse_rule(rule), "INTERVAL") or 1) + 1, 9000)
            local_until = add_years(local_start, years)
        found = list(bounded_expansion(rule, local_start, zone, local_until))
        if not found:
            return self.ends_at
        if len(found) >= MAX_EXPANSION_STEPS or (until is None and len(found) < count):
            return None
        last = found[-1]
        last_start = last.replace(tzinfo=zone).astimezone(UTC)
        return last_start + (self.ends_at - self.starts_at)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title}>"


def award_order(participation) -> tuple:
    """Sort key putting awards by level (特等奖 first), then by rank; no award last."""
    level = participation.award_level
    has_award = bool(level or participation.award or participation.rank)
    return (
        not has_award,
        AWARD_LEVELS.index(level) if level in AWARD_LEVELS else len(AWARD_LEVELS),
        participation.rank or 10**6,
    )


def _is_person(participation) -> bool:
    """Whether a participation is a person's (not a team's), without loading either."""
    if participation.person_id is not None:
        return True
    return participation.organization_id is None and participation.person is not None


def _organization_key(row) -> object:
    """The organisation of a role or team row: its id, or the object itself before a flush."""
    return row.organization_id if row.organization_id is not None else row.organization


def last_local_day(local_start: datetime, local_end: datetime, is_all_day: bool) -> date:
    """The last calendar day from `local_start` to `local_end`: an all-day end, or any end at
    midnight after the first day, is exclusive (the day before it is the last)."""
    last = local_end.date()
    if last > local_start.date() and (is_all_day or local_end.time() == datetime.min.time()):
        return last - timedelta(days=1)
    return last


class Stop(Base):
    """An ordered itinerary entry of an event."""

    __tablename__ = "stops"
    __table_args__ = (
        UniqueConstraint("event_id", "position", name="uq_stops_event_position"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the table's unique key.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    note: Mapped[Optional[str]] = mapped_column(String(300))

    event: Mapped[Event] = relationship(back_populates="stops")
    location: Mapped[Location] = relationship()


class EventOrganization(Base):
    """An organisation's role in an event: 主办, 协办, 承办, 参与, 参展, 参赛队."""

    __tablename__ = "event_organizations"
    __table_args__ = (
        UniqueConstraint("event_id", "organization_id", "role", name="uq_event_organizations_role"),
        CheckConstraint(_in("role", ORGANIZATION_ROLES), name="role"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the table's unique key.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    headcount: Mapped[Optional[int]] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[Optional[str]] = mapped_column(String(300))

    event: Mapped[Event] = relationship(back_populates="organization_links")
    organization: Mapped[Organization] = relationship(back_populates="event_links")


class Participation(Base):
    """A person, or an organisation as a team, taking part in an event."""

    __tablename__ = "participations"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (organization_id IS NULL)", name="person_or_organization"
        ),
        CheckConstraint(_in("role", PARTICIPATION_ROLES), name="role"),
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 1000)", name="hours_range"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),
        CheckConstraint(
            "sign_in_source IS NULL OR sign_in_source IN ('qr', 'manual', 'walk_in')",
            name="sign_in_source",
        ),
        CheckConstraint(_in("award_level", AWARD_LEVELS), name="award_level"),
        # Covering indexes for the statistics: per-event and per-person figures are read
        # from the index alone, in order, without touching or sorting the table.
        Index("ix_participations_event_figures", "event_id", "attended", "hours"),
        Index("ix_participations_person_figures", "person_id", "attended", "event_id", "hours"),
        # A person takes part in an activity once (one role, one award), so per-person
        # figures count rows rather than distinct activities.
        Index("uq_participations_event_person", "event_id", "person_id", unique=True),
        # Awards are few: the contest results read them without a pass over every row.
        Index(
            "ix_participations_awards",
            "award",
            sqlite_where=text("award IS NOT NULL"),
            postgresql_where=text("award IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the table's unique key.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Indexed as the first column of ix_participations_person_figures.
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    organization_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="participant")
    attended: Mapped[bool] = mapped_column(Boolean, default=True)
    hours: Mapped[Optional[Decimal]] = mapped_column(Numeric(7, 2))
    award_level: Mapped[Optional[str]] = mapped_column(String(20))
    award: Mapped[Optional[str]] = mapped_column(String(100))
    rank: Mapped[Optional[int]] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # When and how the person signed in (tracker.attendance); NULL for rows typed in the form.
    signed_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    sign_in_source: Mapped[Optional[str]] = mapped_column(String(20))

    event: Mapped[Event] = relationship(back_populates="participations")
    person: Mapped[Optional[Person]] = relationship(back_populates="participations")
    organization: Mapped[Optional[Organization]] = relationship(back_populates="participations")


class OrganizationInvolvement(Base):
    """Kept figures: one row per organisation involved in an event, by a role or by an
    attended team participation, with what it did there.

    Derived data, rewritten from the roles and participations at every flush that touches the
    event (`refresh_organization_involvements`), so the statistics group these rows instead of
    de-duplicating roles and teams at every reading. Never edited directly.
    """

    __tablename__ = "organization_involvements"
    # Without rowid, SQLite keeps the rows in the primary key's b-tree: reading an event's
    # involvements is one index range, flags included.
    __table_args__ = {"sqlite_with_rowid": False}

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    hosted: Mapped[bool] = mapped_column(Boolean)
    co_organized: Mapped[bool] = mapped_column(Boolean)
    took_part: Mapped[bool] = mapped_column(Boolean)


def involvements_select(event_ids=None):
    """(event_id, organization_id, hosted, co_organized, took_part) as the roles and the
    attended teams give them, for every event or for `event_ids`."""
    links, participations = EventOrganization.__table__, Participation.__table__

    def flag(roles):
        return case((links.c.role.in_(roles), 1), else_=0)

    roles = select(
        links.c.event_id,
        links.c.organization_id,
        flag(HOSTED_ROLES).label("hosted"),
        flag(CO_ORGANIZED_ROLES).label("co_organized"),
        flag(TOOK_PART_ROLES).label("took_part"),
    )
    teams = select(
        participations.c.event_id,
        participations.c.organization_id,
        literal(0),
        literal(0),
        literal(1),
    ).where(participations.c.organization_id.is_not(None), participations.c.attended.is_(True))
    if event_ids is not None:
        roles = roles.where(links.c.event_id.in_(event_ids))
        teams = teams.where(participations.c.event_id.in_(event_ids))
    either = union_all(roles, teams).subquery("roles_and_teams")
    return select(
        either.c.event_id,
        either.c.organization_id,
        *((func.max(either.c[name]) == 1).label(name) for name in INVOLVEMENT_FLAGS),
    ).group_by(either.c.event_id, either.c.organization_id)


# Events refreshed per statement: well under every engine's limit on bound parameters.
REFRESH_CHUNK = 500


def refresh_organization_involvements(connection, event_ids=None) -> None:
    """Rewrite the kept involvements of `event_ids` (of every event when None)."""
    table = OrganizationInvolvement.__table__
    columns = ["event_id", "organization_id", *INVOLVEMENT_FLAGS]
    if event_ids is None:
        connection.execute(table.delete())
        connection.execute(table.insert().from_select(columns, involvements_select()))
        return
    event_ids = sorted(event_ids)
    for start in range(0, len(event_ids), REFRESH_CHUNK):
        chunk = event_ids[start : start + REFRESH_CHUNK]
        connection.execute(table.delete().where(table.c.event_id.in_(chunk)))
        connection.execute(table.insert().from_select(columns, involvements_select(chunk)))


def recount_all_event_figures(connection) -> None:
    """Recount the kept per-event figures of every event, one UPDATE per column, and
    rewrite every organisation involvement.

    For rows written without the ORM (bulk inserts through Core, as the benchmarks do), which
    the flush listener that keeps them (`Event.recount_figures`) never sees."""
    events, participations, links = (
        Event.__table__,
        Participation.__table__,
        EventOrganization.__table__,
    )
    people = participations.c.person_id.is_not(None)
    attended = people & participations.c.attended.is_(True)
    for column, source, value, where in (
        ("participation_count", participations, func.count(), people),
        ("attended_count", participations, func.count(), attended),
        ("attended_hours", participations, func.sum(participations.c.hours), attended),
        ("organization_headcount", links, func.sum(links.c.headcount), None),
    ):
        figure = select(value).where(source.c.event_id == events.c.id)
        if where is not None:
            figure = figure.where(where)
        counted = figure.scalar_subquery()
        if column.endswith("_count"):
            # coalesce around the subquery, not a SELECT of it: a subquery nested in another
            # SELECT would no longer correlate with the updated row and count every event's.
            counted = func.coalesce(counted, 0)
        connection.execute(events.update().values({column: counted}))
    connection.execute(events.update().values(organization_count=organizations_taking_part_sql()))
    refresh_organization_involvements(connection)
    # Rows written through Core never reach the flush listener that raises the data version.
    bump_data_version(connection)


def organizations_taking_part_sql():
    """`Event.organizations_taking_part` as an SQL expression over an events row."""
    events = Event.__table__
    total = literal(0)
    for role, column in COUNTED_TOTAL_COLUMNS.items():
        named = named_in_role_sql(role)
        stated = func.coalesce(events.c[column], 0)
        total = total + case((stated > named, stated), else_=named)
    return total


def named_in_role_sql(role: str):
    """`Event.named_in_role(role)` as an SQL expression over an events row."""
    events, participations, links = (
        Event.__table__,
        Participation.__table__,
        EventOrganization.__table__,
    )
    named = (
        select(func.count())
        .where(links.c.event_id == events.c.id, links.c.role == role)
        .scalar_subquery()
    )
    if role != "team":
        return named
    same_team_link = select(links.c.id).where(
        links.c.event_id == participations.c.event_id,
        links.c.organization_id == participations.c.organization_id,
        links.c.role == "team",
    )
    return named + (
        select(func.count())
        .where(
            participations.c.event_id == events.c.id,
            participations.c.organization_id.is_not(None),
            ~same_team_link.exists(),
        )
        .scalar_subquery()
    )
