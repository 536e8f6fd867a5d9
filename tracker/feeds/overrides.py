"""Exceptions of a recurring series in iCalendar: written into feeds, read from files.

Writing. The series' VEVENT lists a skipped occurrence as EXDATE and an added one as RDATE,
each one property per date, with the same TZID or VALUE=DATE as DTSTART (ical.js reads only
the first value of a comma-separated list in some places, and RFC 5545 §3.8.5.1 wants the
same value type as DTSTART). A changed occurrence (moved, retitled, elsewhere) is a VEVENT of
its own after the series: same UID, RECURRENCE-ID (the original start, in DTSTART's form),
the series' SEQUENCE and DTSTAMP, its own SUMMARY, DTSTART, DTEND and LOCATION; internal notes
are never written, in any feed.

A cancelled occurrence is written as an EXDATE, not as a STATUS:CANCELLED override. All four
parsers the clients use (ical.js, libical, node-ical, recurring-ical-events) drop an EXDATE
date from the series; a STATUS:CANCELLED override is returned by all four as an occurrence
like any other, and it is up to each client to strike it through or hide it (Google and
Outlook subscriptions show it as a normal meeting). So the EXDATE is the form they agree on
for "this meeting will not take place". The EXDATE carries X-TRACKER-CANCELLED=TRUE so that
the tracker's own export imports back as cancelled, not skipped.

Reading. `series_source` turns a series' EXDATE and RDATE properties into rows; the importer
keeps the VEVENTs with a RECURRENCE-ID aside wherever they stand in the file (before their
series too), reads them with `read_override` once every series is read, and `apply_overrides`
adds them to their series' rows. An
override whose series is not in the file is left out, with a warning naming it: on its own it
is one occurrence of a series this tracker does not have, and importing it as a single event
would duplicate that occurrence once the series arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import vDate, vDatetime, vText

from tracker.audit import record_audit
from tracker.events.exceptions import (
    LIMITS,
    MAX_OCCURRENCE_CHANGES,
    OccurrenceRow,
    replace_occurrence_changes,
)
from tracker.events.fields import OCCURRENCE_CHANGES
from tracker.models import DEFAULT_TIMEZONE
from tracker.models.occurrences import ADDED, CHANGED, SKIPPED

CANCELLED_PARAM = "X-TRACKER-CANCELLED"
# Properties of the series that an override VEVENT does not repeat.
_SERIES_ONLY = ("RRULE", "EXDATE", "RDATE")


# --- writing -------------------------------------------------------------------------------


def feed_moment(moment: datetime, tzid: str, is_all_day: bool, params: Optional[dict] = None):
    """A UTC moment in the form of the series' DTSTART: a DATE, a Z time, or wall time with
    TZID."""
    extra = dict(params or {})
    if is_all_day:
        day = moment.astimezone(ZoneInfo(tzid)).date()
        return vDate(day, {"VALUE": "DATE", **extra})
    if tzid == "UTC":
        value = vDatetime(moment.astimezone(UTC))
        value.params.update(extra)
        return value
    value = vDatetime(moment.astimezone(ZoneInfo(tzid)).replace(tzinfo=None))
    value.params["TZID"] = tzid
    value.params.update(extra)
    return value


def exception_properties(event) -> list[tuple[str, Any]]:
    """EXDATE for each skipped or cancelled occurrence, RDATE for each added one."""
    if not event.recurrence_rule:
        return []
    tzid = event.timezone or DEFAULT_TIMEZONE
    properties = []
    for change in event.occurrence_changes:
        if change.kind == SKIPPED:
            properties.append(
                ("EXDATE", feed_moment(change.original_starts_at, tzid, event.is_all_day))
            )
        elif change.is_cancelled:
            if change.kind == CHANGED:  # a cancelled added date is simply not written
                params = {CANCELLED_PARAM: "TRUE"}
                moment = feed_moment(change.original_starts_at, tzid, event.is_all_day, params)
                properties.append(("EXDATE", moment))
        elif change.kind == ADDED:
            properties.append(("RDATE", feed_moment(change.starts_at, tzid, event.is_all_day)))
    return properties


def _needs_override(event, change) -> bool:
    if change.kind == SKIPPED or change.is_cancelled:
        return False
    if change.kind == CHANGED:
        return True
    duration = event.ends_at - event.starts_at
    return bool(change.title or change.location) or change.ends_at - change.starts_at != duration


def override_property_lists(event, series_properties: list) -> list[list[tuple[str, Any]]]:
    """One property list per changed occurrence of the series, built from the series' own
    properties (`series_properties`, as `vevent_properties` gives them)."""
    if not event.recurrence_rule:
        return []
    changes = [change for change in event.occurrence_changes if _needs_override(event, change)]
    if not changes:
        return []
    tzid = event.timezone or DEFAULT_TIMEZONE
    kept = [
        (name, value)
        for name, value in series_properties
        if name not in _SERIES_ONLY and not name.startswith("X-")
    ]
    return [_override(event, change, tzid, kept) for change in changes]


def _override(event, change, tzid: str, kept: list) -> list[tuple[str, Any]]:
    replaced = {
        "SUMMARY": vText(change.title or event.title),
        "DTSTART": feed_moment(change.starts_at, tzid, event.is_all_day),
        "DTEND": feed_moment(change.ends_at, tzid, event.is_all_day),
    }
    if change.location:
        replaced["LOCATION"] = vText(change.location)
    properties = []
    for name, value in kept:
        if name == "GEO" and change.location:
            continue  # the series' place, not this one's
        properties.append((name, replaced.pop(name, value)))
        if name == "UID":
            original = feed_moment(change.original_starts_at, tzid, event.is_all_day)
            properties.append(("RECURRENCE-ID", original))
    properties.extend(replaced.items())  # LOCATION when the series has none
    return properties


# --- reading -------------------------------------------------------------------------------


class OverrideProblem(ValueError):
    """Why a series' exceptions in a file cannot be imported, as a Chinese sentence."""


@dataclass
class Override:
    """A VEVENT with a RECURRENCE-ID: one occurrence of a series, changed or cancelled."""

    uid: str
    original_starts_at: datetime
    starts_at: datetime
    ends_at: datetime
    title: Optional[str]
    location: Optional[str]
    is_cancelled: bool
    sequence: int = 0


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dates(prop) -> list:
    """The dates of one EXDATE or RDATE property (a PERIOD counts by its start)."""
    values = []
    for item in getattr(prop, "dts", []):
        value = item.dt
        if isinstance(value, tuple):
            value = value[0]
        values.append(value)
    return values


def read_override(component, uid: str, read_moment) -> Override:
    """An override VEVENT's values; `read_moment(prop)` reads a DTSTART-like property in UTC."""
    recurrence_id = component.get("RECURRENCE-ID")
    original = read_moment(recurrence_id)
    start_property = component.get("DTSTART")
    starts_at = read_moment(start_property) if start_property is not None else original
    end_property = component.get("DTEND")
    if end_property is not None:
        ends_at = read_moment(end_property)
    elif component.get("DURATION") is not None:
        ends_at = starts_at + component.get("DURATION").dt
    else:
        ends_at = None
    if ends_at is not None and ends_at < starts_at:
        raise OverrideProblem(_("单次修改的结束时间早于开始时间。"))
    title = str(component.get("SUMMARY", "") or "").strip() or None
    if title and len(title) > LIMITS["title"]:
        raise OverrideProblem(_("单次修改的标题太长（最多 %(n)s 个字符）。", n=LIMITS["title"]))
    location = str(component.get("LOCATION", "") or "").strip() or None
    status = str(component.get("STATUS", "") or "").upper()
    return Override(
        uid=uid,
        original_starts_at=original,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
        location=location[: LIMITS["location"]] if location else None,
        is_cancelled=status == "CANCELLED",
    )


def check_rows(rows: list[OccurrenceRow]) -> None:
    """Refuse more exceptions than a series keeps."""
    if len(rows) > MAX_OCCURRENCE_CHANGES:
        raise OverrideProblem(
            _(
                "例外日期和单次修改共 %(n)s 处，一个重复活动最多 %(max)s 处。",
                n=len(rows),
                max=MAX_OCCURRENCE_CHANGES,
            )
        )


def apply_overrides(
    rows: list[OccurrenceRow],
    overrides: list[Override],
    series_title: str,
    series_location: Optional[str],
    duration: timedelta,
) -> list[OccurrenceRow]:
    """The series' rows with its overrides applied: an override of an added date changes that
    date; an override of a skipped date is left out (the EXDATE wins, RFC 5545 §3.8.5.1);
    a title or place equal to the series' own is not kept as a change."""
    by_key = {row.key: row for row in rows}
    for override in overrides:
        key = override.original_starts_at
        existing = by_key.get(key)
        if existing is not None and existing.kind == SKIPPED:
            continue
        if existing is not None and existing.is_cancelled and override.is_cancelled:
            continue
        kind = ADDED if existing is not None and existing.kind == ADDED else CHANGED
        if kind == ADDED and override.is_cancelled:
            del by_key[key]
            continue
        ends_at = override.ends_at or override.starts_at + duration
        by_key[key] = OccurrenceRow(
            key,
            kind,
            override.starts_at,
            ends_at,
            title=override.title if override.title != series_title else None,
            location=override.location if override.location != series_location else None,
            is_cancelled=override.is_cancelled,
        )
    return sorted(by_key.values(), key=lambda row: row.key)


def orphan_warning(uid: str, count: int) -> str:
    return _(
        "UID“%(uid)s”的 %(n)s 个单次修改（RECURRENCE-ID）在文件中找不到所属的重复活动，已忽略。",
        uid=uid[:80],
        n=count,
    )


@dataclass
class SeriesSource:
    """What the overrides of one series of a file are read against."""

    rows: list[OccurrenceRow]
    title: str
    location: Optional[str]
    duration: timedelta
    read_moment: Any  # prop -> aware UTC datetime, in the series' zones
    # Where the series stands in the file, for messages.
    line: int = 0
    where: str = ""


def series_source(component, values, read_moment, read_value) -> SeriesSource:
    """A series' EXDATE and RDATE rows and what its overrides are compared with.

    `read_value(value, params)` turns one EXDATE/RDATE value into aware UTC."""
    duration = values.ends_at - values.starts_at
    rows: dict[datetime, OccurrenceRow] = {}
    for prop in _as_list(component.get("RDATE")):
        for value in _dates(prop):
            start = read_value(value, prop.params)
            rows[start] = OccurrenceRow(start, ADDED, start, start + duration)
    for prop in _as_list(component.get("EXDATE")):
        cancelled = str(prop.params.get(CANCELLED_PARAM, "")).upper() == "TRUE"
        for value in _dates(prop):
            original = read_value(value, prop.params)
            if original in rows and rows[original].kind == ADDED:
                del rows[original]  # an added date excluded again is no date at all
            elif cancelled:
                rows[original] = OccurrenceRow(
                    original, CHANGED, original, original + duration, is_cancelled=True
                )
            else:
                rows[original] = OccurrenceRow(original, SKIPPED)
    location = str(component.get("LOCATION", "") or "").strip() or None
    return SeriesSource(list(rows.values()), values.title, location, duration, read_moment)


# --- saving what a file gives ----------------------------------------------------------------


def import_rows(event, rows: Optional[list[OccurrenceRow]]):
    """Make a series' exceptions those of the file (no commit); (event, [old, new] text)
    when they changed, else None. Notes stay: files never carry them."""
    if rows is None:
        return None
    change = replace_occurrence_changes(event, rows)
    return None if change is None else (event, change)


def record_import_audits(changes: list, user) -> None:
    """One audit entry per series whose exceptions an import changed (after the flush that
    gave new events their ids)."""
    for item in changes:
        if item is None:
            continue
        event, change = item
        entry = record_audit("import", event, user=user, changes={OCCURRENCE_CHANGES: change})
        if user is None:
            entry.user = None
