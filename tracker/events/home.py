"""What the home page shows around its month grid: the chosen month or day, the month/year
picker, the list that belongs to the month (or the tapped day), and the nearest months with
activities when the month is empty."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tracker.events.calendar import DISPLAY_ZONE, MonthGrid, Occurrence, parse_month
from tracker.events.queries import local_day_start, visible_events, with_list_details
from tracker.extensions import db
from tracker.models import Event

LISTED_OCCURRENCES = 20  # under the grid; the rest through the link to the event list


@dataclass
class Chosen:
    """The month the page shows, the day tapped in it (if any), and a message for bad input."""

    year: int
    month: int
    day: Optional[date] = None
    messages: list[str] = field(default_factory=list)


def choose_month(args: MultiDict, today: Optional[date] = None) -> Chosen:
    """`month=YYYY-MM`, or the picker's `year` and `m`, and `day=YYYY-MM-DD` (which also
    chooses its month when no month is given); bad values fall back to this month."""
    today = today or datetime.now(DISPLAY_ZONE).date()
    messages: list[str] = []
    day = None
    if args.get("day"):
        try:
            day = date.fromisoformat(args["day"][:10])
            if not 1900 <= day.year <= 9998:
                raise ValueError
        except ValueError:
            messages.append(_("日期“%(value)s”无效。", value=args["day"][:20]))
    month_text = args.get("month")
    if args.get("year") and args.get("m"):
        month_text = f"{args['year'][:4]}-{args['m'][:2].zfill(2)}"
    if not month_text and day:
        month_text = day.strftime("%Y-%m")
    try:
        year, month = parse_month(month_text, today)
    except ValueError:
        messages.append(
            _("月份“%(value)s”无效，请使用 YYYY-MM 格式。", value=(month_text or "")[:20])
        )
        year, month = today.year, today.month
    if day and (day.year, day.month) != (year, month):
        day = None
    return Chosen(year, month, day, messages)


def listed_occurrences(grid: MonthGrid, day: Optional[date]) -> tuple[list[Occurrence], int]:
    """The occurrences of the tapped day, or of the month shown (not the neighbouring weeks'
    days), first ones first: at most LISTED_OCCURRENCES, and how many there are."""
    seen, found = set(), []
    for week in grid.weeks:
        for calendar_day in week:
            if not calendar_day.in_month or (day and calendar_day.day != day):
                continue
            for occurrence in calendar_day.occurrences:
                key = (occurrence.event.id, occurrence.starts_at)
                if key not in seen:
                    seen.add(key)
                    found.append(occurrence)
    found.sort(key=lambda occurrence: (occurrence.starts_at, occurrence.event.id))
    listed = found[:LISTED_OCCURRENCES]
    # The grid loaded only what its cells show; the listed rows show more.
    ids = {occurrence.event.id for occurrence in listed}
    if ids:
        db.session.scalars(with_list_details(select(Event).where(Event.id.in_(ids)))).all()
    return listed, len(found)


def listed_period(grid: MonthGrid, day: Optional[date]) -> tuple[date, date]:
    """The first and last day of what the list under the grid holds."""
    if day:
        return day, day
    next_month = (grid.first_day + timedelta(days=32)).replace(day=1)
    return grid.first_day, next_month - timedelta(days=1)


def nearest_months(year: int, month: int, include_internal: bool) -> list[str]:
    """'YYYY-MM' of the latest month before and the earliest after this one with activities
    starting in it (local time), for an empty month."""
    first = date(year, month, 1)
    after = (first + timedelta(days=32)).replace(day=1)
    starts = visible_events(include_internal).with_only_columns(Event.starts_at)
    before = db.session.scalar(
        starts.where(Event.starts_at < local_day_start(first))
        .order_by(None)
        .with_only_columns(func.max(Event.starts_at))
    )
    later = db.session.scalar(
        starts.where(Event.starts_at >= local_day_start(after))
        .order_by(None)
        .with_only_columns(func.min(Event.starts_at))
    )
    return [
        moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m") for moment in (before, later) if moment
    ]


def picker_years(data_years: list[int], year: int) -> list[int]:
    """The years the month/year picker offers: those with data, and the one shown."""
    return sorted(set(data_years) | {year})
