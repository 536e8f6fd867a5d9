"""Recurrence rules (RFC 5545 RRULE), read and written with icalendar's `vRecur`.

A rule is stored as RFC 5545 wants it next to the event's DTSTART (§3.3.10): for an event
with a time, UNTIL is a UTC date-time (`…Z`); for an all-day event it is a DATE. dateutil
expands rules from a naive local start, so `until_in_zone` turns a UTC UNTIL into local wall
time for the expansion only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Optional

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from icalendar import vRecur

from tracker.labels import WEEKDAY_LABELS


def parse_rule(rule_text: str) -> vRecur:
    """The rule's parts (values are lists, UNTIL a date or datetime); raises ValueError."""
    return vRecur.from_ical(rule_text.removeprefix("RRULE:"))


def rule_text(rule: vRecur) -> str:
    """The rule as RRULE value text, parts in RFC 5545's canonical order."""
    return rule.to_ical().decode()


def first(rule: vRecur, part: str):
    """The first value of a part, or None."""
    values = rule.get(part)
    return values[0] if values else None


def is_valid_rule(text: str) -> bool:
    """Whether the rule parses, has a FREQ and dateutil can expand it."""
    try:
        rule = parse_rule(text)
        rrulestr(until_in_zone(text, UTC), ignoretz=True)
    except (ValueError, TypeError, KeyError):
        return False
    return "FREQ" in rule


def end_of_series(last_day: date, zone: tzinfo) -> datetime:
    """UNTIL for a timed series that ends on `last_day` (inclusive) in `zone`, in UTC."""
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def stored_rule(text: str, zone: tzinfo, is_all_day: bool) -> str:
    """The rule in the form it is stored in: UNTIL in UTC next to a timed start, a DATE next to
    an all-day one. A floating UNTIL is read as wall time in `zone`; a DATE UNTIL next to a
    timed start as the end of that day there."""
    rule = parse_rule(text)
    until = first(rule, "UNTIL")
    if until is None:
        return rule_text(rule)
    if is_all_day:
        value = _local_day(until, zone)
    elif not isinstance(until, datetime):
        value = end_of_series(until, zone)
    elif until.tzinfo is None:
        value = until.replace(tzinfo=zone).astimezone(UTC)
    else:
        value = until.astimezone(UTC)
    rule["UNTIL"] = [value]
    return rule_text(rule)


def until_in_zone(text: str, zone: tzinfo) -> str:
    """The rule with a UTC UNTIL turned into wall time in `zone`, as dateutil expands rules
    from a naive local start; other rules unchanged."""
    rule = parse_rule(text)
    until = first(rule, "UNTIL")
    if not _is_aware(until):
        return rule_text(rule)
    rule["UNTIL"] = [until.astimezone(zone).replace(tzinfo=None)]
    return rule_text(rule)


def has_end(text: str) -> bool:
    """Whether the series ends (COUNT or UNTIL)."""
    rule = parse_rule(text)
    return "COUNT" in rule or "UNTIL" in rule


def until_day(text: str, zone: tzinfo) -> Optional[date]:
    """The last day of the series in `zone`, when the rule has an UNTIL."""
    until = first(parse_rule(text), "UNTIL")
    return None if until is None else _local_day(until, zone)


def same_rule(one: Optional[str], other: Optional[str]) -> bool:
    """Rules that differ only in the order or spelling of their parts are the same rule."""
    if not one or not other:
        return one == other
    return parse_rule(one) == parse_rule(other)


def _is_aware(value) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def _local_day(until, zone: tzinfo) -> date:
    """The day of an UNTIL value in `zone` (a floating time or a DATE as it stands)."""
    if _is_aware(until):
        return until.astimezone(zone).date()
    return until.date() if isinstance(until, datetime) else until


def describe_recurrence(text: str | None, zone: tzinfo = UTC) -> str:
    """'每周（周一、周三）', '每2个月，共6次', 'Weekly (Mon), until 2019-12-31'…"""
    if not text:
        return ""
    try:
        rule = parse_rule(text)
    except ValueError:
        return text
    interval = first(rule, "INTERVAL") or 1
    units = {
        "DAILY": (_("每天"), _("每%(n)s天")),
        "WEEKLY": (_("每周"), _("每%(n)s周")),
        "MONTHLY": (_("每月"), _("每%(n)s个月")),
        "YEARLY": (_("每年"), _("每%(n)s年")),
    }
    frequency = first(rule, "FREQ")
    if frequency not in units:
        return text
    single, plural = units[frequency]
    words = single if interval == 1 else plural % {"n": interval}
    details = []
    if rule.get("BYDAY"):
        days = [
            str(WEEKDAY_LABELS.get(day, day)) if len(day) <= 2 else _describe_nth_weekday(day)
            for day in rule["BYDAY"]
        ]
        details.append(_("、").join(days))
    if rule.get("BYMONTHDAY"):
        days = ",".join(str(day) for day in rule["BYMONTHDAY"])
        details.append(_("%(days)s日") % {"days": days})
    if details:
        words += _("（%(details)s）") % {"details": _("；").join(details)}
    if rule.get("COUNT"):
        words += _("，共%(count)s次") % {"count": first(rule, "COUNT")}
    elif rule.get("UNTIL"):
        words += _("，至%(date)s") % {"date": until_day(text, zone).isoformat()}
    return words


def _describe_nth_weekday(day: str) -> str:
    ordinal, weekday = day[:-2], day[-2:]
    if ordinal == "-1":
        return _("最后一个%(day)s") % {"day": WEEKDAY_LABELS.get(weekday, weekday)}
    return _("第%(n)s个%(day)s") % {
        "n": ordinal.lstrip("+"),
        "day": WEEKDAY_LABELS.get(weekday, weekday),
    }


# --- bounds --------------------------------------------------------------------------------

# Frequencies an activity can repeat at; SECONDLY, MINUTELY and HOURLY fit none.
ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Most occurrences a COUNT may ask for (the form offers the same range).
MAX_COUNT = 1000
# Most start times a rule may give one day (BYHOUR × BYMINUTE × BYSECOND).
MAX_TIMES_PER_DAY = 24
# A rule whose first occurrence is further than this from its start is refused.
FIRST_OCCURRENCE_HORIZON_YEARS = 10
# Most occurrences one expansion walks through, those before the window included.
MAX_EXPANSION_STEPS = 100_000
# The Gregorian calendar repeats itself every 400 years: weekdays, leap days, week numbers.
_CALENDAR_CYCLE_YEARS = 400


def rule_problem(text: str, start: datetime, zone: tzinfo) -> Optional[str]:
    """Why the rule cannot be kept for an event starting at `start` (aware), or None.

    Refused: rules that do not parse, repeat more often than daily, give more than
    MAX_TIMES_PER_DAY times a day, have a COUNT above MAX_COUNT, or whose first occurrence
    lies beyond FIRST_OCCURRENCE_HORIZON_YEARS (rules that never occur among them). The probe
    is bounded: dateutil alone would walk to the year 9999 looking for a first occurrence.
    """
    try:
        rule = parse_rule(text)
    except (ValueError, TypeError, KeyError):
        return _("重复规则无效。")
    if not is_valid_rule(text):
        return _("重复规则无效。")
    structural = _structural_problem(rule)
    if structural:
        return structural
    local_start = start.astimezone(zone).replace(tzinfo=None)
    horizon = add_years(local_start, FIRST_OCCURRENCE_HORIZON_YEARS)
    first_start = next(iter(bounded_expansion(text, local_start, zone, horizon)), None)
    if first_start is None:
        return _(
            "重复规则在开始后 %(years)s 年内没有任何一次活动。",
            years=FIRST_OCCURRENCE_HORIZON_YEARS,
        )
    return None


def _structural_problem(rule: vRecur) -> Optional[str]:
    """What the rule's parts alone show to be unfit for an activity, or None."""
    if first(rule, "FREQ") not in ALLOWED_FREQUENCIES:
        return _("不支持按秒、分钟或小时重复，请按天、周、月或年重复。")
    count = first(rule, "COUNT")
    if count is not None and not 1 <= count <= MAX_COUNT:
        return _("重复次数应在 1 到 %(n)s 之间。", n=MAX_COUNT)
    times = 1
    for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        times *= len(rule.get(part) or [None])
    if times > MAX_TIMES_PER_DAY:
        return _("重复规则每天最多 %(n)s 个时间。", n=MAX_TIMES_PER_DAY)
    return None


@lru_cache(maxsize=4096)
def is_expandable(text: str) -> bool:
    """Whether a stored rule may be expanded; other rules (old data, or written around the
    forms) are shown as their first occurrence only."""
    try:
        return _structural_problem(parse_rule(text)) is None
    except (ValueError, TypeError, KeyError):
        return False


# Rules whose occurrences repeat with a fixed period of whole days: a search may start any
# whole number of periods later and find the same occurrences from there on.
_FIXED_PERIOD_DAYS = {"DAILY": 1, "WEEKLY": 7}
_PERIOD_BREAKING_PARTS = ("COUNT", "BYSETPOS", "BYWEEKNO", "BYYEARDAY", "BYMONTH", "BYMONTHDAY")


@lru_cache(maxsize=4096)
def _fixed_period(text: str) -> Optional[timedelta]:
    """The period of a daily or weekly rule without COUNT or parts that break the period."""
    try:
        rule = parse_rule(text)
    except (ValueError, TypeError, KeyError):
        return None
    days = _FIXED_PERIOD_DAYS.get(first(rule, "FREQ"))
    if days is None or any(rule.get(part) for part in _PERIOD_BREAKING_PARTS):
        return None
    return timedelta(days=days * (first(rule, "INTERVAL") or 1))


def search_start(text: str, local_start: datetime, local_from: datetime) -> datetime:
    """Where to start expanding the rule to find its occurrences from `local_from` on: the
    series' own start, or, for a daily or weekly series that began long before the window,
    the last whole period before it. A weekly meeting since 2019 then costs a few steps for a
    month in 2026 instead of hundreds."""
    period = _fixed_period(text)
    if period is None or local_from <= local_start:
        return local_start
    periods = (local_from - local_start) // period - 1
    return local_start + period * periods if periods > 0 else local_start


def bounded_expansion(text: str, local_start: datetime, zone: tzinfo, local_until: datetime):
    """Naive local starts of the rule from `local_start` up to `local_until` inclusive, at most
    MAX_EXPANSION_STEPS of them.

    dateutil stops looking for occurrences only at the year 9999, which takes seconds for a
    rule that never occurs. The rule is therefore expanded whole 400-year cycles later, with
    `local_until` in the calendar's last cycle, and the starts moved back: same weekdays and
    leap days, and the search ends at most one cycle after `local_until`.
    """
    if local_until < local_start:
        return
    shift = (datetime.max.year - 1 - local_until.year) // _CALENDAR_CYCLE_YEARS
    shift *= _CALENDAR_CYCLE_YEARS
    if local_start.year + shift < 1:
        shift = 0
    local_rule, until, text_without_until = _local_rule(text, zone)
    if until is not None and until < local_until:
        bounded_rule = vRecur(local_rule)
        bounded_rule["UNTIL"] = [add_years(until, shift)]
        expanded_text = rule_text(bounded_rule)
    else:
        expanded_text = text_without_until
    rule = rrulestr(expanded_text, dtstart=add_years(local_start, shift))
    shifted_until = add_years(local_until, shift)
    for steps, moment in enumerate(rule):
        if moment > shifted_until or steps >= MAX_EXPANSION_STEPS:
            return
        yield add_years(moment, -shift)


@lru_cache(maxsize=4096)
def _local_rule(text: str, zone: tzinfo) -> tuple[vRecur, Optional[datetime], str]:
    """The rule in local wall time without its UNTIL, that UNTIL (naive local), and the rule's
    text without it. Parsed once per rule and zone: a month grid asks for hundreds. The rule
    returned is shared: copy it before changing it."""
    local_rule = parse_rule(until_in_zone(text, zone))
    until = first(local_rule, "UNTIL")  # naive local wall time, or a day
    local_rule.pop("UNTIL", None)
    if until is not None and not isinstance(until, datetime):
        until = datetime.combine(until, time.min)  # as dateutil reads a DATE UNTIL
    return local_rule, until, rule_text(local_rule)


def add_years(moment: datetime, years: int) -> datetime:
    """The moment `years` later; 29 February becomes 28 February in a year without it, and a
    moment past the year 9999 the last moment of that year."""
    if moment.year + years > datetime.max.year:
        return datetime(datetime.max.year, 12, 31, 23, 59, 59)
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)
