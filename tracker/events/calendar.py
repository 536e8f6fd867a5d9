"""Occurrences in time: the month grid of the home page and the upcoming list."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from tracker.events.queries import local_day_start, overlapping, visible_events, with_list_details
from tracker.extensions import db
from tracker.models import DEFAULT_TIMEZONE, Event, OccurrenceChange
from tracker.models.events import last_local_day
from tracker.models.occurrences import SKIPPED

DISPLAY_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
# What a grid cell and a list row read of an event (a crowded month loads hundreds).
GRID_COLUMNS = (
    Event.title,
    Event.status,
    Event.visibility,
    Event.starts_at,
    Event.ends_at,
    Event.series_ends_at,
    Event.timezone,
    Event.is_all_day,
    Event.recurrence_rule,
    Event.category_id,
    Event.version,
)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event (a single event has exactly one)."""

    event: Event
    starts_at: datetime
    ends_at: datetime
    # The series' change of this one occurrence (moved, retitled, cancelled…), if any.
    change: Optional[OccurrenceChange] = None

    @property
    def is_cancelled(self) -> bool:
        """The event is cancelled, or only this occurrence of it."""
        return self.event.is_cancelled or (self.change is not None and self.change.is_cancelled)

    @property
    def title(self) -> str:
        return (self.change.title if self.change is not None else None) or self.event.title

    @property
    def local_days(self) -> list[date]:
        """Every local day the occurrence covers (all-day ends are exclusive)."""
        zone = self.event.zone
        start = self.starts_at.astimezone(zone)
        first = start.date()
        last = last_local_day(start, self.ends_at.astimezone(zone), self.event.is_all_day)
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass
class MonthGrid:
    year: int
    month: int
    weeks: list[list[CalendarDay]]

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def previous_month(self) -> str:
        return (self.first_day - timedelta(days=1)).strftime("%Y-%m")

    @property
    def next_month(self) -> str:
        return (self.first_day + timedelta(days=32)).strftime("%Y-%m")


def with_grid_details(statement: Select) -> Select:
    """What the upcoming list needs of an event to order it: its category's colour, joined
    into the one query, and a series' changed occurrences."""
    return statement.options(joinedload(Event.category), selectinload(Event.occurrence_changes))


def occurrences_between(
    window_start: datetime,
    window_end: datetime,
    include_internal: bool = False,
    details: bool = True,
) -> list[Occurrence]:
    """All occurrences overlapping the window, recurring events expanded with their
    exceptions (cancelled occurrences kept, marked), in start order; at most
    RECURRENCE_MAX_OCCURRENCES of them, so no rule can make a page slow. Without `details`,
    only the category and the series' changes are loaded with each event (what a grid cell
    shows)."""
    statement = visible_events(include_internal).where(overlapping(window_start, window_end))
    if details:
        statement = with_list_details(statement)
    else:
        statement = statement.options(
            load_only(*GRID_COLUMNS),
            selectinload(Event.category),
            selectinload(Event.occurrence_changes),
        )
    found = []
    room = current_app.config["RECURRENCE_MAX_OCCURRENCES"]
    for event in db.session.scalars(statement):
        slots = event.occurrence_slots(window_start, window_end, limit=room - len(found))
        found.extend(Occurrence(event, slot.starts_at, slot.ends_at, slot.change) for slot in slots)
        if len(found) >= room:
            break
    found.sort(key=lambda occurrence: (occurrence.starts_at, occurrence.event.id))
    return found


def month_grid(
    year: int, month: int, include_internal: bool = False, today: date | None = None
) -> MonthGrid:
    """Monday-first weeks covering the month, each day with the occurrences on it."""
    today = today or datetime.now(DISPLAY_ZONE).date()
    weeks_of_dates = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks_of_dates[0][0], weeks_of_dates[-1][-1]
    days = {
        day: CalendarDay(day, day.month == month, day == today)
        for week in weeks_of_dates
        for day in week
    }
    window = (local_day_start(first), local_day_start(last + timedelta(days=1)))
    for occurrence in occurrences_between(
        *window, include_internal=include_internal, details=False
    ):
        for day in occurrence.local_days:
            if day in days:
                days[day].occurrences.append(occurrence)
    return MonthGrid(year, month, [[days[day] for day in week] for week in weeks_of_dates])


def upcoming_occurrences(
    limit: int = 8, include_internal: bool = False, now: datetime | None = None
):
    """The next occurrences from now on, cancelled ones included (marked on the page)."""
    now = now or datetime.now(UTC)
    # Chosen from what ordering needs; the chosen few get their list details at the end, in
    # the same statements whichever mix of single events and series they are.
    single = with_grid_details(
        visible_events(include_internal)
        .where(Event.recurrence_rule.is_(None), Event.starts_at >= now)
        .order_by(Event.starts_at)
        .limit(limit)
    )
    recurring = with_grid_details(
        visible_events(include_internal).where(
            Event.recurrence_rule.is_not(None),
            Event.series_ends_at.is_(None) | (Event.series_ends_at >= now),
        )
    )
    found = [
        Occurrence(event, event.starts_at, event.ends_at) for event in db.session.scalars(single)
    ]
    horizon = now + timedelta(days=400)
    room = current_app.config["RECURRENCE_MAX_OCCURRENCES"]
    for event in db.session.scalars(recurring):
        # Occurrences that began before now and still run are expanded but not listed.
        slots = event.occurrence_slots(now, horizon, limit=min(limit + 1, room))
        upcoming = [slot for slot in slots if slot.starts_at >= now]
        found.extend(
            Occurrence(event, slot.starts_at, slot.ends_at, slot.change)
            for slot in upcoming[:limit]
        )
        room -= len(slots)
        if room <= 0:
            break
    found.sort(key=lambda occurrence: occurrence.starts_at)
    chosen = found[:limit]
    if chosen:
        chosen_ids = {occurrence.event.id for occurrence in chosen}
        db.session.scalars(
            with_list_details(select(Event).where(Event.id.in_(chosen_ids))).execution_options(
                populate_existing=True
            )
        ).all()
    return chosen


def recent_events(limit: int = 6, include_internal: bool = False) -> list[Event]:
    """The latest events that have started, for a home page with nothing upcoming."""
    statement = with_list_details(
        visible_events(include_internal)
        .where(Event.starts_at < datetime.now(UTC))
        .order_by(Event.starts_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def parse_month(value: str | None, today: date | None = None) -> tuple[int, int] | None:
    """'2019-06' → (2019, 6); None for an empty value; raises ValueError for a bad one."""
    if not value:
        today = today or datetime.now(DISPLAY_ZONE).date()
        return today.year, today.month
    year_text, _, month_text = value.partition("-")
    year, month = int(year_text), int(month_text)
    if not (1900 <= year <= 9998 and 1 <= month <= 12):
        raise ValueError(value)
    return year, month


# --- a series' own occurrences, on its event page ----------------------------------------

# How many coming occurrences the event page lists.
LISTED_OCCURRENCES = 12
# How far ahead the event page looks for them.
LISTED_HORIZON = timedelta(days=3 * 366)


@dataclass
class ListedOccurrence:
    """A line of the event page's occurrences list."""

    original_starts_at: datetime
    starts_at: datetime
    ends_at: Optional[datetime]
    change: Optional[OccurrenceChange]

    @property
    def is_skipped(self) -> bool:
        return self.change is not None and self.change.kind == SKIPPED

    @property
    def key(self) -> str:
        """The occurrence as the forms name it (its original start in UTC)."""
        return self.original_starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def series_occurrences(event: Event, now: Optional[datetime] = None) -> list[ListedOccurrence]:
    """The series' coming occurrences with their changes, skipped dates among them (so they
    can be brought back): at most LISTED_OCCURRENCES, from now on."""
    if not event.is_recurring:
        return []
    now = now or datetime.now(UTC)
    slots = event.occurrence_slots(now, now + LISTED_HORIZON, limit=LISTED_OCCURRENCES)
    listed = [
        ListedOccurrence(slot.original_starts_at, slot.starts_at, slot.ends_at, slot.change)
        for slot in slots
        if slot.starts_at >= now
    ]
    last = listed[-1].starts_at if len(listed) >= LISTED_OCCURRENCES else now + LISTED_HORIZON
    listed += [
        ListedOccurrence(change.original_starts_at, change.original_starts_at, None, change)
        for change in event.occurrence_changes
        if change.kind == SKIPPED and now <= change.original_starts_at <= last
    ]
    listed.sort(key=lambda line: line.starts_at)
    return listed[:LISTED_OCCURRENCES]
