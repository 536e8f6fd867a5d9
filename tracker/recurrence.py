"""Recurrence rules (RFC 5545 RRULE): parts, checks, UNTIL in local time, put into words."""

import re
from datetime import UTC, datetime, tzinfo

from dateutil.rrule import rrulestr
from flask_babel import gettext as _

from tracker.labels import WEEKDAY_LABELS


def parse_rule(rule_text: str) -> dict[str, str]:
    """The RRULE parts as a dict, e.g. {'FREQ': 'WEEKLY', 'BYDAY': 'MO,WE'}."""
    parts = {}
    for part in rule_text.removeprefix("RRULE:").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            parts[key.strip().upper()] = value.strip()
    return parts


def is_valid_rule(rule_text: str) -> bool:
    """Whether dateutil can expand the rule (used before storing one)."""
    try:
        rrulestr(rule_text, ignoretz=True)
    except (ValueError, TypeError):
        return False
    return "FREQ" in parse_rule(rule_text)


_UTC_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z")


def until_in_zone(rule_text: str, zone: tzinfo) -> str:
    """The rule with a UTC UNTIL (`…Z`) turned into wall time in `zone`, without the Z, as
    rules are stored and expanded (naive, in the event's zone); other rules unchanged."""
    match = _UTC_UNTIL.search(rule_text)
    if not match:
        return rule_text
    until = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    local_until = until.astimezone(zone).strftime("%Y%m%dT%H%M%S")
    return rule_text.replace(match.group(0), f"UNTIL={local_until}")


def describe_recurrence(rule_text: str | None) -> str:
    """'每周（周一、周三）', '每2个月，共6次', 'Weekly (Mon), until 2019-12-31'…"""
    if not rule_text:
        return ""
    parts = parse_rule(rule_text)
    interval = int(parts.get("INTERVAL", "1") or 1)
    frequency = parts.get("FREQ", "")
    units = {
        "DAILY": (_("每天"), _("每%(n)s天")),
        "WEEKLY": (_("每周"), _("每%(n)s周")),
        "MONTHLY": (_("每月"), _("每%(n)s个月")),
        "YEARLY": (_("每年"), _("每%(n)s年")),
    }
    if frequency not in units:
        return rule_text
    single, plural = units[frequency]
    text = single if interval == 1 else plural % {"n": interval}
    details = []
    if parts.get("BYDAY"):
        days = [
            str(WEEKDAY_LABELS.get(day[-2:], day)) if len(day) <= 2 else _describe_nth_weekday(day)
            for day in parts["BYDAY"].split(",")
        ]
        details.append(_("、").join(days))
    if parts.get("BYMONTHDAY"):
        details.append(_("%(days)s日") % {"days": parts["BYMONTHDAY"]})
    if details:
        text += _("（%(details)s）") % {"details": _("；").join(details)}
    if parts.get("COUNT"):
        text += _("，共%(count)s次") % {"count": parts["COUNT"]}
    elif parts.get("UNTIL"):
        until = parts["UNTIL"][:8]
        text += _("，至%(date)s") % {"date": f"{until[:4]}-{until[4:6]}-{until[6:8]}"}
    return text


def _describe_nth_weekday(day: str) -> str:
    ordinal, weekday = day[:-2], day[-2:]
    if ordinal == "-1":
        return _("最后一个%(day)s") % {"day": WEEKDAY_LABELS.get(weekday, weekday)}
    return _("第%(n)s个%(day)s") % {
        "n": ordinal.lstrip("+"),
        "day": WEEKDAY_LABELS.get(weekday, weekday),
    }
