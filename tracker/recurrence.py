"""Recurrence rules (RFC 5545 RRULE), read and written with icalendar's `vRecur`.

A rule is stored as RFC 5545 wants it next to the event's DTSTART (§3.3.10): for an event
with a time, UNTIL is a UTC date-time (`…Z`); for an all-day event it is a DATE. dateutil
expands rules from a naive local start, so `until_in_zone` turns a UTC UNTIL into local wall
time for the expansion only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
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
        value = until.astimezone(zone).date() if _is_aware(until) else _day(until)
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
    if until is None:
        return None
    return until.astimezone(zone).date() if _is_aware(until) else _day(until)


def same_rule(one: Optional[str], other: Optional[str]) -> bool:
    """Rules that differ only in the order or spelling of their parts are the same rule."""
    if not one or not other:
        return one == other
    return parse_rule(one) == parse_rule(other)


def _is_aware(value) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


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
