"""Import an iCalendar file: a parser turns the bytes into the events' input values (the same
`EventInput` the event form gives) and a list of problems, and the import saves them through
the event services, all or nothing.

The whole file is read (tracker.feeds.reader) and checked before anything is written; the
writes happen in one batch (one flush, one transaction) that is rolled back on any error. A
file exported by this tracker carries X-TRACKER-* properties (tracker.feeds.properties) and
imports back into the same events, organisations, stops, teams, category and campaign; a file
from another calendar gives its title, times, time zone, recurrence, status, location (with
Apple's structured location), categories, TRANSP, organiser, alarms, attendees (as people
taking part) and description, and an update from it leaves the event's other fields as they
are. A series' skipped, added and changed occurrences (EXDATE, RDATE, RECURRENCE-ID) come
from either (tracker.feeds.overrides); an override may come before its series.

Two kinds of problems (issue 17). Errors stop the import: no event at all, not iCalendar, an
event whose identity (UID, DTSTART, RRULE) cannot be read, a rule no parser understands.
Everything a calendar program would repair is repaired and listed per event as a warning: a
missing title or UID, several RRULEs, an end before the start, a line that cannot be read,
properties the tracker has no place for (counted per name). Every message is a sentence
naming the event and its line, never a Python or database message.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context
from flask_babel import gettext as _
from icalendar import Alarm, vRecur, vText
from icalendar.prop import vBroken, vUnknown
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth.permissions import can_edit_event
from tracker.events.fields import (
    EVENT_FIELDS,
    PEOPLE,
    TEAMS,
    EntryRef,
    EventInput,
    OrganizationRow,
    ParticipationRow,
    StopRow,
)
from tracker.events.forms import MAX_HEADCOUNT
from tracker.events.queries import with_list_details
from tracker.events.services import EventBatch
from tracker.extensions import db
from tracker.feeds import overrides as series_exceptions
from tracker.feeds.builder import PRODID
from tracker.feeds.properties import (
    CAMPAIGN_PARAMS,
    CATEGORY_PARAMS,
    ORGANIZATION_PARAMS,
    PLAIN_FIELDS,
    STOP_PARAMS,
    TEAM_PARAMS,
    UTC_TIME_FORMAT,
    X_APPLE_LOCATION,
    X_CAMPAIGN,
    X_CATEGORY,
    X_HEADCOUNT,
    X_ORGANIZATION,
    X_PREFIX,
    X_STOP,
    X_TEAM,
    decode_plain,
)
from tracker.feeds.reader import ReadCalendar, read_calendar
from tracker.feeds.zones import UnknownZone, ZoneResolver, known_zone_name
from tracker.forms import strip_long_text
from tracker.i18n import default_locale
from tracker.models import (
    AWARD_LEVELS,
    DEFAULT_TIMEZONE,
    ORGANIZATION_KINDS,
    ORGANIZATION_ROLES,
    PARTICIPATION_ROLES,
    Campaign,
    Category,
    Event,
    Location,
    Organization,
    Person,
    User,
)
from tracker.models.events import UID_DOMAIN
from tracker.recurrence import is_valid_rule, rule_problem, stored_rule

MAX_EVENTS = 20_000
MAX_REPORTED_ERRORS = 10
STATUSES = {"CANCELLED": "cancelled", "TENTATIVE": "tentative"}
LIMITS = {
    "title": 200,
    "theme": 200,
    "uid": 255,
    "name": 200,
    "rule": 500,
    "city": 60,
    "address": 300,
    "note": 300,
    "short_name": 60,
    "award": 100,
}
# What a file from another calendar gives (an update leaves the rest of the event alone).
STANDARD_FIELDS = frozenset(
    (
        "title",
        "starts_at",
        "ends_at",
        "timezone",
        "is_all_day",
        "recurrence_rule",
        "status",
        "visibility",
        "description",
        "stops",
    )
)
# What a file this tracker exported gives: every field feeds carry; of the participants,
# the teams (people never leave the tracker).
# The organiser and the alarms only private feeds write: given when the file has them.
GIVEN_WHEN_PRESENT = frozenset(("organizer_name", "organizer_address", "alarms"))
TRACKER_FIELDS = frozenset(
    {declared.name for declared in EVENT_FIELDS if declared.feeds is not None}
    - {"participants"}
    - GIVEN_WHEN_PRESENT
) | {TEAMS}


class ImportRefused(ValueError):
    """The file cannot be imported; `messages` say why, in Chinese. Nothing was saved."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class ImportResult:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class Problem:
    """Why one event of a file cannot be imported, and where."""

    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return _(
            "第 %(line)s 行，%(where)s：%(message)s",
            line=self.line,
            where=self.where,
            message=self.message,
        )


@dataclass
class ParsedCalendar:
    """A file's events as input values, with the problems that keep them out and warnings."""

    events: list[EventInput] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Each series' skipped, added and changed occurrences, by UID (tracker.feeds.overrides).
    exceptions: dict[str, list] = field(default_factory=dict)
    # UIDs of the events that were repaired (issue 17), and what had no place, by name.
    corrected: set[str] = field(default_factory=set)
    dropped: Counter = field(default_factory=Counter)


def max_import_bytes() -> int:
    return current_app.config["FEEDS_IMPORT_MAX_BYTES"]


def import_calendar(
    data: bytes,
    user: Optional[User] = None,
    max_bytes: Any = ...,
    *,
    strict: bool = False,
    progress: Optional[Callable[[int, int, str], None]] = None,
) -> ImportResult:
    """Check the whole file, then create or update its events in one transaction.

    `user` is the coordinator uploading (None from the command line): an import may only
    update events that user may edit. `max_bytes` is the size limit (the upload's setting by
    default; None: any size, for the command line). `strict` refuses a file that needed any
    repair. `progress(done, total, stage)` is told how far reading and saving are.
    Raises ImportRefused, with nothing saved, on any problem. Messages follow the page's
    language, or the default language outside a request.
    """
    with _collector_paused():
        if has_request_context():
            return _import_calendar(data, user, max_bytes, strict, progress)
        with default_locale():
            return _import_calendar(data, user, max_bytes, strict, progress)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is read and saved: an import keeps every
    parsed component and new row alive to the end, so each full collection walks them all
    again for nothing (a quarter of a 10,000-event import's time). It runs again after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# The stages `progress` is told about.
READING, SAVING = "reading", "saving"


def _import_calendar(data: bytes, user: Optional[User], max_bytes, strict, progress):
    reading = (lambda done, total: progress(done, total, READING)) if progress else None
    parsed = _parse_calendar(data, max_bytes, reading)
    if parsed.problems:
        shown = [str(problem) for problem in parsed.problems[:MAX_REPORTED_ERRORS]]
        if len(parsed.problems) > len(shown):
            shown.append(_("……另有 %(n)s 处错误。", n=len(parsed.problems) - len(shown)))
        raise ImportRefused([_("文件中有错误，未导入任何活动：")] + shown)
    if strict and parsed.warnings:
        shown = parsed.warnings[:MAX_REPORTED_ERRORS]
        if len(parsed.warnings) > len(shown):
            shown = [*shown, _("……另有 %(n)s 处。", n=len(parsed.warnings) - len(shown))]
        raise ImportRefused([_("严格模式：文件需要修正，未导入任何活动：")] + shown)
    return save_parsed(parsed, user, progress)


def save_parsed(
    parsed: ParsedCalendar,
    user: Optional[User],
    progress: Optional[Callable[[int, int, str], None]] = None,
) -> ImportResult:
    """Create or update the parsed events in one transaction, all or nothing."""
    result = ImportResult(warnings=list(parsed.warnings))
    total = len(parsed.events)
    try:
        with db.session.no_autoflush:
            existing = _existing_events([values.uid for values in parsed.events])
            _resolve_attendees(parsed.events, result.warnings)
        _check_permissions(existing.values(), user)
        batch = EventBatch(user, _("从 iCalendar 文件导入"), claim_new_entries=False)
        exception_audits = []
        with db.session.no_autoflush:
            batch.prefetch(parsed.events)
        for number, values in enumerate(parsed.events, start=1):
            if progress is not None:
                progress(number, total, SAVING)
            event = existing.get(values.uid)
            if event is None:
                event = batch.create(values, action="import")
                series_exceptions.import_rows(event, parsed.exceptions.get(values.uid))
                result.created += 1
            elif values.sequence < (event.sequence or 0):
                result.unchanged += 1
                result.warnings.append(
                    _(
                        "“%(title)s”在系统中的版本较新（%(ours)s > %(theirs)s），未覆盖。",
                        title=event.title,
                        ours=event.sequence,
                        theirs=values.sequence,
                    )
                )
            elif batch.update(event, values, action="import"):
                result.updated += 1
                exception_audits.append(
                    series_exceptions.import_rows(event, parsed.exceptions.get(values.uid))
                )
            else:
                change = series_exceptions.import_rows(event, parsed.exceptions.get(values.uid))
                exception_audits.append(change)
                if change is None:
                    result.unchanged += 1
                else:
                    result.updated += 1
        batch.commit(lambda: series_exceptions.record_import_audits(exception_audits, user))
    except ImportRefused:
        db.session.rollback()
        raise
    except Exception as error:
        db.session.rollback()
        current_app.logger.exception("iCalendar import failed")
        raise ImportRefused([_("导入失败，未保存任何内容。请检查文件后重试。")]) from error
    return result


def _resolve_attendees(events: list[EventInput], warnings: list[str]) -> None:
    """ATTENDEEs known by address only: the people with those addresses, in one query per
    500; those without a match and without a name are left out (a person needs a name)."""
    nameless = {
        row.person.match["email"]
        for values in events
        for row in values.participants
        if isinstance(row.person, EntryRef) and not row.person.defaults.get("name")
    }
    if not nameless:
        return
    found: dict[str, Person] = {}
    addresses = sorted(nameless)
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        for person in db.session.scalars(select(Person).where(Person.email.in_(chunk))):
            found.setdefault(person.email, person)
    left_out = 0
    for values in events:
        kept = []
        for row in values.participants:
            reference = row.person
            if isinstance(reference, EntryRef) and not reference.defaults.get("name"):
                person = found.get(reference.match["email"])
                if person is None:
                    left_out += 1
                    continue
                row.person = person
            kept.append(row)
        values.participants = kept
    if left_out:
        warnings.append(
            _(
                "%(n)s 位参与者（ATTENDEE）只有邮箱地址，且与人员名录中的人对不上，未导入。",
                n=left_out,
            )
        )


def parse_calendar(data: bytes, max_bytes: Any = ...) -> ParsedCalendar:
    """Every event of the file as input values, with the problems of those that cannot be
    read (with their line numbers) and the repairs made (warnings); raises ImportRefused
    when the file as a whole cannot. Messages follow the page's language, or the default
    language outside a request."""
    if has_request_context():
        return _parse_calendar(data, max_bytes)
    with default_locale():
        return _parse_calendar(data, max_bytes)


def _parse_calendar(data: bytes, max_bytes=..., progress=None) -> ParsedCalendar:
    limit = max_import_bytes() if max_bytes is ... else max_bytes
    if limit is not None and len(data) > limit:
        raise ImportRefused(
            [
                _(
                    "文件太大：%(size)s，导入上限为 %(limit)s。请分成几个较小的文件再导入。",
                    size=_format_size(len(data)),
                    limit=_format_size(limit),
                )
            ]
        )
    if not data.strip():
        raise ImportRefused([_("文件是空的。")])
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:200]:
            raise ImportRefused([_("文件不是 UTF-8 编码（第 %(n)s 个字节处无法解码）。", n=1)])
        raise ImportRefused([_("这不是 iCalendar 文件：文件应以 BEGIN:VCALENDAR 开头。")])
    try:
        read = read_calendar(data)
    except UnicodeDecodeError as error:
        raise ImportRefused(
            [_("文件不是 UTF-8 编码（第 %(n)s 个字节处无法解码）。", n=error.start + 1)]
        ) from error
    except RecursionError as error:
        raise ImportRefused([_("文件中的组件嵌套太深，无法读取。")]) from error
    if not read.calendars:
        raise ImportRefused([_("这不是 iCalendar 文件：文件应以 BEGIN:VCALENDAR 开头。")])
    try:
        return _parse_read_calendar(read, limit, progress)
    except ImportRefused:
        raise
    except Exception as error:  # a sentence, never a traceback (issue 17)
        current_app.logger.exception("iCalendar file could not be read")
        raise ImportRefused([_("文件无法读取，未导入任何内容。请检查文件后重试。")]) from error


def _parse_read_calendar(read: ReadCalendar, limit, progress) -> ParsedCalendar:
    calendar = read.calendars[0]
    for other in read.calendars[1:]:  # several VCALENDARs in one file: their events count
        for component in other.subcomponents:
            calendar.add_component(component)
    is_ours = str(calendar.get("PRODID", "")) == PRODID
    parsed = ParsedCalendar()
    for error in read.errors:
        if error.component not in ("VEVENT", "VALARM"):
            parsed.warnings.append(
                _(
                    "第 %(line)s 行无法解析，已跳过：%(text)s",
                    line=error.line,
                    text=_quoted_name(error.name),
                )
            )
    zones = _calendar_zones(calendar, parsed.warnings)
    components = calendar.walk("VEVENT")
    if not components:
        raise ImportRefused([_("文件中没有任何活动（VEVENT）。")])
    if limit is not None and len(components) > MAX_EVENTS:
        raise ImportRefused(
            [
                _(
                    "文件中的活动太多（%(n)s 个），上限为 %(max)s 个。",
                    n=len(components),
                    max=MAX_EVENTS,
                )
            ]
        )
    _count_unused_components(calendar, parsed.dropped)
    lines = [number for name, number in read.begin_lines if name == "VEVENT"]
    index_by_uid: dict[str, int] = {}
    series: dict[str, series_exceptions.SeriesSource] = {}
    overrides = []  # read once every series is (an override may come first)
    for number, component in enumerate(components, start=1):
        if progress is not None:
            progress(number, len(components))
        if component.get("RECURRENCE-ID") is not None:
            overrides.append((number, component))
            continue
        where = _event_name(component, number)
        line = lines[number - 1] if number <= len(lines) else 0
        fixes: list[str] = []
        try:
            _skip_unreadable_lines(component, fixes)
            _keep_first_of_repeated(component, fixes)
            values = _read_event(component, is_ours, zones, parsed.warnings, fixes, parsed.dropped)
        except _EventProblem as problem:
            parsed.problems.append(Problem(line, where, str(problem)))
            continue
        except Exception:  # a sentence naming the event, never a traceback
            current_app.logger.exception("iCalendar event could not be read")
            message = _("此活动无法读取，请检查它的内容。")
            parsed.problems.append(Problem(line, where, message))
            continue
        if values.uid in index_by_uid:
            fixes.append(
                _(
                    "UID“%(uid)s”在文件中出现了不止一次，已保留最后一个。",
                    uid=values.uid[:80],
                )
            )
            parsed.events[index_by_uid[values.uid]] = values
        else:
            index_by_uid[values.uid] = len(parsed.events)
            parsed.events.append(values)
        if fixes:
            parsed.corrected.add(values.uid)
            parsed.warnings.extend(str(Problem(line, where, fix)) for fix in fixes)
        if values.recurrence_rule:
            try:
                series[values.uid] = _series_source(component, values, zones)
                series[values.uid].line, series[values.uid].where = line, where
            except _EventProblem as problem:
                parsed.problems.append(Problem(line, where, str(problem)))
        elif component.get("RDATE") is not None:
            parsed.warnings.append(
                _(
                    "“%(title)s”没有重复规则（RRULE），其额外日期（RDATE）未导入。",
                    title=values.title[:40],
                )
            )
    _read_overrides(overrides, series, lines, parsed)
    for name, count in sorted(parsed.dropped.items()):
        parsed.warnings.append(
            _("本系统没有存放 %(name)s 的地方，已略过 %(n)s 处。", name=name, n=count)
        )
    return parsed


def _series_source(component, values: EventInput, zones: ZoneResolver):
    """The series' EXDATEs and RDATEs, read in the zones of its DTSTART."""
    zone = _zone(values.timezone)

    def read_moment(prop) -> datetime:
        if isinstance(prop.dt, datetime):
            return _moment(prop, zones)
        return _to_utc(prop.dt, zone)

    def read_value(value, params) -> datetime:
        if not isinstance(value, datetime):
            return _to_utc(value, zone)
        tzid = params.get("TZID")
        if tzid:
            return _to_utc(value.replace(tzinfo=None), _zone(_resolve(str(tzid), value, zones)))
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return _to_utc(value, _zone(zones.preferred_zone))

    return series_exceptions.series_source(component, values, read_moment, read_value)


def _read_overrides(overrides: list, series: dict, lines: list[int], parsed: ParsedCalendar):
    """Attach each override (a VEVENT with RECURRENCE-ID) to its series; overrides of a series
    the file does not hold are left out with a warning (tracker.feeds.overrides)."""
    by_uid: dict[str, list] = {}
    orphans: dict[str, int] = {}
    for number, component in overrides:
        uid = _text(component.get("UID"))
        source = series.get(uid)
        if source is None:
            orphans[uid] = orphans.get(uid, 0) + 1
            continue
        try:
            override = series_exceptions.read_override(component, uid, source.read_moment)
        except (_EventProblem, series_exceptions.OverrideProblem) as problem:
            line = lines[number - 1] if number <= len(lines) else 0
            where = _("第 %(n)s 个活动", n=number) + f"（RECURRENCE-ID，UID“{uid[:80]}”）"
            parsed.problems.append(Problem(line, where, str(problem)))
            continue
        by_uid.setdefault(uid, []).append(override)
    for uid, source in series.items():
        rows = series_exceptions.apply_overrides(
            source.rows, by_uid.get(uid, []), source.title, source.location, source.duration
        )
        try:
            series_exceptions.check_rows(rows)
        except series_exceptions.OverrideProblem as problem:
            parsed.problems.append(Problem(source.line, source.where, str(problem)))
            continue
        parsed.exceptions[uid] = rows
    parsed.warnings.extend(
        series_exceptions.orphan_warning(uid, count) for uid, count in orphans.items()
    )


def _event_name(component, number: int) -> str:
    """How a message names an event: its place in the file and its title, else its UID."""
    where = _("第 %(n)s 个活动", n=number)
    summary = _text(_as_list(component.get("SUMMARY"))[0] if "SUMMARY" in component else None)
    if summary:
        return where + f"“{summary[:40]}”"
    uid = _text(_as_list(component.get("UID"))[0] if "UID" in component else None)
    return where + (f"（UID {uid[:60]}）" if uid else "")


def _quoted_name(name: str) -> str:
    return name or _("（无法识别的行）")


# What an event must have readable: without them it is not the same event (issue 17).
IDENTITY_PROPERTIES = frozenset(("UID", "DTSTART", "RRULE", "RECURRENCE-ID"))
# Properties every import reads or may leave out without losing anything (stamps).
READ_PROPERTIES = frozenset(
    (
        "UID",
        "DTSTAMP",
        "CREATED",
        "LAST-MODIFIED",
        "DTSTART",
        "DTEND",
        "DURATION",
        "SUMMARY",
        "DESCRIPTION",
        "LOCATION",
        "GEO",
        "RRULE",
        "EXDATE",
        "RDATE",
        "RECURRENCE-ID",
        "STATUS",
        "CLASS",
        "SEQUENCE",
        "CATEGORIES",
        "TRANSP",
        "ORGANIZER",
        "ATTENDEE",
        X_APPLE_LOCATION,
    )
)
# In this tracker's own files: the event page's URL (made again on export) and X-TRACKER-*.
OWN_FILE_PROPERTIES = frozenset(("URL",))


# Properties an event has once (RFC 5545 §3.6.1); a repeated one keeps its first value.
SINGLE_PROPERTIES = frozenset(
    (
        "UID",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "DURATION",
        "SUMMARY",
        "DESCRIPTION",
        "LOCATION",
        "GEO",
        "STATUS",
        "CLASS",
        "SEQUENCE",
        "LAST-MODIFIED",
        "CREATED",
        "TRANSP",
        "ORGANIZER",
        "RECURRENCE-ID",
        X_APPLE_LOCATION,
    )
)


def _keep_first_of_repeated(component, fixes: list[str]) -> None:
    """A property that may appear once but appears more often keeps its first value."""
    for name in list(component):
        upper = name.upper()
        single = upper in SINGLE_PROPERTIES or (
            upper.startswith(X_PREFIX) and upper not in (X_ORGANIZATION, X_STOP, X_TEAM)
        )
        value = component[name]
        if single and isinstance(value, list) and len(value) > 1:
            component[name] = value[0]
            fixes.append(_("%(name)s 出现了 %(n)s 次，已使用第一个。", name=upper, n=len(value)))


def _skip_unreadable_lines(component, fixes: list[str]) -> None:
    """Drop the lines of the event that could not be read, each with a note; refuse the
    event when one of them is part of its identity (UID, DTSTART, RRULE, RECURRENCE-ID)."""
    for error in getattr(component, "line_errors", []):
        name = error.name.upper()
        if name == "SEQUENCE":
            continue  # read as text below, and refused with its range (it orders updates)
        if name in IDENTITY_PROPERTIES:
            value = component.get(name)
            shown = str(_as_list(value)[0])[:20] if value is not None else ""
            raise _EventProblem(
                _(
                    "第 %(line)s 行：%(name)s 的值“%(value)s”无法识别。",
                    line=error.line,
                    name=name,
                    value=shown,
                )
            )
        if name and name in component:
            kept = [value for value in _as_list(component[name]) if not isinstance(value, vBroken)]
            if kept:
                component[name] = kept if len(kept) > 1 else kept[0]
            else:
                del component[name]
        fixes.append(
            _(
                "第 %(line)s 行无法解析，已跳过：%(text)s",
                line=error.line,
                text=_quoted_name(name),
            )
        )


def _count_unused_components(calendar, dropped: Counter) -> None:
    """Components the tracker has no place for (VTODO, VJOURNAL…), counted by name."""
    for component in calendar.subcomponents:
        if component.name not in ("VEVENT", "VTIMEZONE"):
            dropped[component.name or "?"] += 1
    for event in calendar.walk("VEVENT"):
        for component in event.subcomponents:
            if component.name != "VALARM":
                dropped[component.name or "?"] += 1


def _count_unused_properties(component, is_ours: bool, dropped: Counter) -> None:
    for name in component:
        upper = name.upper()
        if upper in READ_PROPERTIES:
            continue
        if is_ours and (upper in OWN_FILE_PROPERTIES or upper.startswith(X_PREFIX)):
            continue
        dropped[upper] += len(_as_list(component[name]))


class _EventProblem(ValueError):
    pass


def _calendar_zones(calendar, warnings: list[str]) -> ZoneResolver:
    """The file's zones: its VTIMEZONEs, and X-WR-TIMEZONE (or the tracker's default) as the
    zone of its floating and UTC times."""
    given = _text(calendar.get("X-WR-TIMEZONE"))
    default_zone = known_zone_name(given) if given else DEFAULT_TIMEZONE
    if default_zone is None:
        warnings.append(
            _(
                "无法识别日历的时区（X-WR-TIMEZONE）“%(tzid)s”，已按 %(zone)s 处理。",
                tzid=given[:60],
                zone=DEFAULT_TIMEZONE,
            )
        )
        default_zone = DEFAULT_TIMEZONE
    return ZoneResolver(calendar, default_zone)


def _read_event(
    component,
    is_ours: bool,
    zones: ZoneResolver,
    warnings: list[str],
    fixes: Optional[list[str]] = None,
    dropped: Optional[Counter] = None,
) -> EventInput:
    """One VEVENT as input values. What a calendar program would repair is repaired, with
    a sentence in `fixes` (issue 17); what it would refuse raises _EventProblem."""
    fixes = [] if fixes is None else fixes
    start_property = component.get("DTSTART")
    if start_property is None:
        raise _EventProblem(_("缺少开始时间（DTSTART）。"))
    uid = _text(component.get("UID"))
    if not uid:
        uid = _derived_uid(component)
        fixes.append(
            _("缺少 UID，已按开始时间、标题和地点生成（重新导入同一文件会更新而不是重复）。")
        )
    if len(uid) > LIMITS["uid"]:
        raise _EventProblem(_("UID 太长（最多 %(n)s 个字符）。", n=LIMITS["uid"]))
    title = _text(component.get("SUMMARY"))
    if not title:
        title = _("（无标题）")
        fixes.append(_("缺少标题（SUMMARY），已记为“（无标题）”。"))
    if len(title) > LIMITS["title"]:
        title = title[: LIMITS["title"]]
        fixes.append(_("标题太长，已截取前 %(n)s 个字符。", n=LIMITS["title"]))
    start = start_property.dt
    if not isinstance(start, date):  # a TIME, DURATION or PERIOD where a date belongs
        raise _EventProblem(_("开始时间（DTSTART）不是日期或日期时间。"))
    is_all_day = isinstance(start, date) and not isinstance(start, datetime)
    timezone = zones.preferred_zone if is_all_day else _zone_name(start_property, zones, is_ours)
    zone = _zone(timezone)
    starts_at = _to_utc(start, zone) if is_all_day else _moment(start_property, zones)
    end_property = component.get("DTEND")
    ends_at = None
    if end_property is not None:
        end = end_property.dt
        end_is_date = isinstance(end, date) and not isinstance(end, datetime)
        if not isinstance(end, date):
            fixes.append(_("结束时间（DTEND）不是日期或日期时间，已忽略。"))
        elif end_is_date != is_all_day:
            fixes.append(_("开始和结束时间一个是日期、一个是日期时间，已忽略结束时间。"))
        else:
            ends_at = _to_utc(end, zone) if is_all_day else _moment(end_property, zones)
    elif component.get("DURATION") is not None:
        duration = component.get("DURATION").dt
        if is_all_day:
            ends_at = _to_utc(start + duration, zone)
        else:
            # Days and weeks are counted on DTSTART's own wall clock (RFC 5545, 3.3.6).
            start_zone = _moment_zone(start_property, zones)
            local = starts_at.astimezone(start_zone).replace(tzinfo=None) + duration
            ends_at = _to_utc(local, start_zone)
    if ends_at is not None and ends_at < starts_at:
        fixes.append(_("结束时间早于开始时间，已按没有时长的活动导入。"))
        ends_at = None
    if ends_at is None:
        ends_at = _to_utc(start + timedelta(days=1), zone) if is_all_day else starts_at
    sequence = _integer(component.get("SEQUENCE"), 0, "SEQUENCE", high=MAX_SEQUENCE)
    if sequence < 0:
        raise _EventProblem(_("SEQUENCE 不能为负数。"))
    last_modified = component.get("LAST-MODIFIED")
    values: dict[str, Any] = {
        "uid": uid,
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": timezone,
        "is_all_day": is_all_day,
        "recurrence_rule": _read_rule(
            component, starts_at, is_all_day, zone, warnings, title, fixes
        ),
        "status": STATUSES.get(_text(component.get("STATUS")).upper(), "confirmed"),
        "visibility": (
            "internal"
            if _text(component.get("CLASS")).upper() in ("PRIVATE", "CONFIDENTIAL")
            else "public"
        ),
        "sequence": sequence,
        "updated_at": _to_utc(last_modified.dt, UTC) if last_modified is not None else None,
        "stops": _read_stops(component, zone, is_ours),
        "category": _read_category(component),
        "transparency": _read_transparency(component, is_all_day),
        "extra_categories": None,
    }
    carried = {"transparency"}
    if is_ours:
        given = TRACKER_FIELDS
        for declared, name in PLAIN_FIELDS:
            text = _text(component.get(name))
            try:
                values[declared.name] = decode_plain(declared, text) if text else declared.default
            except ValueError as error:
                raise _EventProblem(
                    _("%(name)s 的值“%(value)s”无效。", name=name, value=text[:20])
                ) from error
        values["reported_headcount"], values["reported_headcount_is_approximate"] = _read_headcount(
            _text(component.get(X_HEADCOUNT))
        )
        values["campaign"] = _read_campaign(component)
        values["organizations"] = _read_organizations(component)
        values["participants"] = _read_teams(component)
        category = values["category"].name if values["category"] is not None else None
        values["extra_categories"] = _extra_categories(component, skip=category)
        carried.add("extra_categories")
    else:
        given = STANDARD_FIELDS | ({"category"} if values["category"] is not None else set())
        values["description"] = _text(component.get("DESCRIPTION")) or None
        if values["category"] is not None:
            values["extra_categories"] = _extra_categories(component, skip=None, first=1)
            carried.add("extra_categories")
        attendees = _read_attendees(component)
        if attendees:
            values["participants"] = attendees
            carried.add(PEOPLE)
    organizer = _read_organizer(component)
    if organizer is not None:
        values["organizer_name"], values["organizer_address"] = organizer
        carried |= {"organizer_name", "organizer_address"}
    alarms = _read_alarms(component, fixes)
    if alarms is not None:
        values["alarms"] = alarms
        carried.add("alarms")
    theme = values.get("theme")
    if theme and len(theme) > LIMITS["theme"]:
        values["theme"] = theme[: LIMITS["theme"]]
        fixes.append(_("主题太长，已截取前 %(n)s 个字符。", n=LIMITS["theme"]))
    if dropped is not None:
        _count_unused_properties(component, is_ours, dropped)
    return EventInput(**values, given=frozenset(given) | carried)


def _text(value: Any) -> str:
    """A TEXT value, unescaped (X- properties arrive raw, as RFC 7265 UNKNOWN values)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, vUnknown):
        value = _TEXT_ESCAPE.sub(lambda match: _TEXT_UNESCAPED.get(match[1], match[1]), value)
    return strip_long_text(str(value))


# RFC 5545 §3.3.11: \\ \; \, and \n (or \N) in a TEXT value.
_TEXT_ESCAPE = re.compile(r"\\([\\;,nN])")
_TEXT_UNESCAPED = {"n": "\n", "N": "\n"}


# The range of the INTEGER columns the numbers are stored in (32 bits on PostgreSQL).
INTEGER_RANGE = (-(2**31), 2**31 - 1)


# Room left for the edits that each raise an imported SEQUENCE by one.
MAX_SEQUENCE = 2**30


def _integer(
    value: Any, default: int, name: str, low: int = INTEGER_RANGE[0], high: int = INTEGER_RANGE[1]
) -> int:
    """A whole number that fits its column; `name` is the property or parameter it came from."""
    if value is None:
        return default
    text = str(value).strip()
    try:
        # Python refuses to read more than 4,300 digits; any such number is far too large.
        if len(text) <= 4000:
            number = int(text)
        else:
            number = high + 1 if text.lstrip("+").isdigit() else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise _EventProblem(_("%(name)s 的值“%(value)s”不是整数。", name=name, value=text[:20]))
    if number > high:
        raise _EventProblem(
            _(
                "%(name)s 的值“%(value)s”太大（最大 %(high)s）。",
                name=name,
                value=text[:20],
                high=high,
            )
        )
    if number < low:
        raise _EventProblem(
            _("%(name)s 的值“%(value)s”太小（最小 %(low)s）。", name=name, value=text[:20], low=low)
        )
    return number


def _zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def _zone_name(prop, zones: ZoneResolver, is_ours: bool) -> str:
    """The IANA name of a DTSTART's zone.

    A time with a TZID is in that zone, resolved from this file alone (tracker.feeds.zones).
    A floating time is in the calendar's zone. A UTC time is shown in the calendar's zone too
    (Google writes every time in UTC next to X-WR-TIMEZONE), except in this tracker's own
    files, where a UTC time is an event kept in UTC.
    """
    tzid = prop.params.get("TZID")
    if tzid:
        return _resolve(str(tzid), prop.dt, zones)
    if prop.dt.tzinfo is not None and is_ours:
        return "UTC"
    return zones.preferred_zone


def _moment(prop, zones: ZoneResolver) -> datetime:
    """A DATE-TIME property as aware UTC, its TZID read from this file alone."""
    return _to_utc(prop.dt.replace(tzinfo=None), _moment_zone(prop, zones))


def _moment_zone(prop, zones: ZoneResolver) -> tzinfo:
    """The zone a DATE-TIME property's wall time is in: its TZID, UTC, or the calendar's."""
    tzid = prop.params.get("TZID")
    if tzid:
        return _zone(_resolve(str(tzid), prop.dt, zones))
    if prop.dt.tzinfo is not None:
        return UTC
    return _zone(zones.preferred_zone)


def _resolve(tzid: str, near: datetime, zones: ZoneResolver) -> str:
    try:
        return zones.zone_name(tzid, near.replace(tzinfo=None))
    except UnknownZone as unknown:
        if unknown.is_defined:
            message = _(
                "时区“%(tzid)s”的定义（VTIMEZONE）与任何已知时区都对不上，无法换算时间。",
                tzid=tzid[:60],
            )
        else:
            message = _(
                "无法识别的时区“%(tzid)s”，文件中也没有它的定义（VTIMEZONE）。",
                tzid=tzid[:60],
            )
        raise _EventProblem(message) from unknown


def _to_utc(moment, zone) -> datetime:
    """A DTSTART/DTEND value as aware UTC: dates at local midnight, floating times as local."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _read_rule(
    component,
    start: datetime,
    is_all_day: bool,
    zone,
    warnings: list[str],
    title: str,
    fixes: Optional[list[str]] = None,
) -> Optional[str]:
    """The RRULE as stored: UNTIL in UTC next to a timed start, a DATE next to an all-day one.

    Several RRULEs (RFC 2445 allowed them) are combined into one when they differ in one
    BY part only (their union); otherwise the first is kept, with a note."""
    rules = component.get("RRULE")
    if rules is None:
        return None
    if isinstance(rules, list):
        combined = combine_rules(rules)
        if len(rules) > 1 and fixes is not None:
            if combined is not None:
                fixes.append(_("有 %(n)s 条重复规则（RRULE），已合并为一条。", n=len(rules)))
            else:
                fixes.append(
                    _("有 %(n)s 条重复规则（RRULE）且无法合并，只导入了第一条。", n=len(rules))
                )
        rules = combined if combined is not None else rules[0]
    text = rules.to_ical().decode()
    try:
        rule = stored_rule(text, zone, is_all_day)
    except (ValueError, TypeError) as error:
        raise _EventProblem(_("重复规则“%(rule)s”无效。", rule=text[:80])) from error
    if len(rule) > LIMITS["rule"] or not is_valid_rule(rule):
        raise _EventProblem(_("重复规则“%(rule)s”无效。", rule=rule[:80]))
    problem = rule_problem(rule, start, zone)
    if problem:
        raise _EventProblem(
            _(
                "“%(title)s”的重复规则“%(rule)s”：%(problem)s",
                title=title[:40],
                rule=rule[:80],
                problem=problem,
            )
        )
    return rule


def combine_rules(rules: list) -> Optional[vRecur]:
    """One rule with the occurrences of all: possible when they differ in one list part
    (BYDAY, BYMONTHDAY…) and agree on everything else; None when they cannot be combined."""
    parts = [{key.upper(): list(value) for key, value in rule.items()} for rule in rules]
    keys = set().union(*parts)
    differing = [key for key in keys if any(part.get(key) != parts[0].get(key) for part in parts)]
    if not differing:
        return rules[0]
    if len(differing) != 1 or not differing[0].startswith("BY") or "COUNT" in keys:
        return None
    key = differing[0]
    if any(key not in part for part in parts):
        return None
    union: list = []
    for part in parts:
        union += [value for value in part[key] if value not in union]
    combined = vRecur({**parts[0], key: union})
    return combined


def _read_headcount(text: str) -> tuple[Optional[int], bool]:
    if not text:
        return None, False
    approximate = text.endswith("+")
    number = text.rstrip("+")
    if not number.isdigit() or len(number) > 9 or int(number) > MAX_HEADCOUNT:
        raise _EventProblem(_("人数“%(value)s”无效。", value=text[:20]))
    return int(number), approximate


def _param_values(value, names: dict[str, str]) -> dict[str, Optional[str]]:
    """A property's parameters by the keys of `names` (None where absent or empty)."""
    params = getattr(value, "params", {})
    found = {}
    for key, parameter in names.items():
        text = params.get(parameter)
        found[key] = str(text) if text not in (None, "") else None
    return found


def _bounded(text: Optional[str], limit: str) -> Optional[str]:
    """Text cut to the length its column holds."""
    return text[: LIMITS[limit]] if text else None


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _read_stops(component, zone, is_ours: bool = True) -> list[StopRow]:
    stops = []
    for value in _as_list(component.get(X_STOP)):
        name = _text(value)
        if not name:
            continue
        params = _param_values(value, STOP_PARAMS)
        details: dict[str, Any] = {
            "city": _bounded(params["city"], "city"),
            "address": _bounded(params["address"], "address"),
        }
        if params["geo"]:
            details["latitude"], details["longitude"] = _coordinates(params["geo"].split(";"))
        stops.append(
            StopRow(
                location=EntryRef(Location, {"name": name[: LIMITS["name"]]}, details),
                starts_at=_utc_time(params["starts_at"]),
                note=_bounded(params["note"], "note"),
            )
        )
    if stops:
        return stops
    location = _text(component.get("LOCATION"))
    details: dict[str, Any] = {}
    if not is_ours:
        location = _read_apple_location(component, location, details)
    if not location:
        return []
    geo = component.get("GEO")
    if geo is not None:
        details["latitude"], details["longitude"] = _coordinates([geo.latitude, geo.longitude])
    return [StopRow(location=EntryRef(Location, {"name": location[: LIMITS["name"]]}, details))]


def _read_apple_location(component, location: str, details: dict[str, Any]) -> str:
    """Apple's X-APPLE-STRUCTURED-LOCATION: the place's name (X-TITLE), address and a
    geo: URI. Apple writes "name\\naddress" into LOCATION; the title names the place."""
    value = component.get(X_APPLE_LOCATION)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return location
    params = _param_values(value, {"title": "X-TITLE", "address": "X-ADDRESS"})
    if params["address"]:
        details["address"] = params["address"].replace("\\n", "\n")[: LIMITS["address"]]
    uri = str(value).strip()
    if uri.lower().startswith("geo:"):
        coordinates = uri[4:].split(";")[0].split(",")[:2]
        details["latitude"], details["longitude"] = _coordinates(coordinates)
    title = (params["title"] or "").strip()
    return title or location.split("\n")[0]


def _derived_uid(component) -> str:
    """A UID for an event without one, the same for the same DTSTART, SUMMARY and LOCATION,
    so importing the file again updates the event instead of adding a second one."""
    start = component.get("DTSTART")
    parts = [
        start.to_ical().decode() if hasattr(start, "to_ical") else str(start),
        str(start.params.get("TZID", "")) if hasattr(start, "params") else "",
        _text(component.get("SUMMARY")),
        _text(component.get("LOCATION")),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{digest}@imported.{UID_DOMAIN}"


TRANSPARENCIES = {"OPAQUE": "opaque", "TRANSPARENT": "transparent"}


def _read_transparency(component, is_all_day: bool) -> Optional[str]:
    """TRANSP as stored: None where it is what the event's kind implies (all-day events are
    TRANSPARENT, others OPAQUE), so a file's explicit default and no TRANSP read the same."""
    code = TRANSPARENCIES.get(_text(component.get("TRANSP")).upper())
    implied = "transparent" if is_all_day else "opaque"
    return None if code in (None, implied) else code


def _extra_categories(component, skip: Optional[str], first: int = 0) -> Optional[str]:
    """The CATEGORIES after the event's category, one per line (at most 500 characters)."""
    names = [
        str(name).strip()
        for item in _as_list(component.get("CATEGORIES"))
        for name in getattr(item, "cats", [item])
    ]
    names = [name.replace("\n", " ")[:60] for name in names if name][first:]
    if skip is not None and skip in names:
        names.remove(skip)
    kept: list[str] = []
    for name in names:
        if name not in kept and len("\n".join([*kept, name])) <= 500:
            kept.append(name)
    return "\n".join(kept) or None


# The organiser address this tracker writes into public feeds (a site mailbox, not a person's).
_NO_REPLY = "mailto:noreply@"


def _read_organizer(component) -> Optional[tuple[Optional[str], str]]:
    """The ORGANIZER's name and address; None when absent or the tracker's own no-reply."""
    value = component.get("ORGANIZER")
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    address = str(value).strip()
    if not address or address.lower().startswith(_NO_REPLY):
        return None
    if address.lower().startswith("mailto:"):
        address = address[7:]
    name = _param_values(value, {"name": "CN"})["name"]
    return (_bounded(name.strip() if name else None, "name"), address[:320])


# ATTENDEE's ROLE as a participation role.
ATTENDEE_ROLES = {"CHAIR": "speaker", "NON-PARTICIPANT": "guest"}


def _read_attendees(component) -> list[ParticipationRow]:
    """ATTENDEEs as people taking part: matched by e-mail, then by name (CN); a new person
    is only made from a name. Each person once."""
    rows: list[ParticipationRow] = []
    seen: set[tuple] = set()
    for value in _as_list(component.get("ATTENDEE")):
        address = str(value).strip()
        email = address[7:].strip()[:200] if address.lower().startswith("mailto:") else ""
        params = _param_values(value, {"name": "CN", "role": "ROLE", "status": "PARTSTAT"})
        name = (params["name"] or "").strip()[:100]
        if not email and not name:
            continue
        key = ("email", email.lower()) if email else ("name", name)
        if key in seen:
            continue
        seen.add(key)
        match = {"email": email} if email else {"name": name}
        reference = EntryRef(
            Person,
            match,
            defaults={"name": name} if name else {},
            fallback={"name": name} if email and name else None,
        )
        rows.append(
            ParticipationRow(
                person=reference,
                organization=None,
                role=ATTENDEE_ROLES.get((params["role"] or "").upper(), "participant"),
                attended=(params["status"] or "").upper() != "DECLINED",
            )
        )
    return rows


# What an alarm keeps: when and how it reminds; never its ATTENDEEs (e-mail alarms' addresses).
ALARM_PROPERTIES = ("ACTION", "TRIGGER", "DURATION", "REPEAT", "DESCRIPTION", "SUMMARY")
MAX_ALARMS = 5
MAX_ALARM_TEXT = 4000


def _read_alarms(component, fixes: list[str]) -> Optional[str]:
    """The event's VALARMs as iCalendar text (what private feeds write back); None without."""
    found = [item for item in component.subcomponents if item.name == "VALARM"]
    if not found:
        return None
    texts = []
    for alarm in found[:MAX_ALARMS]:
        if getattr(alarm, "line_errors", None) or "TRIGGER" not in alarm or "ACTION" not in alarm:
            continue
        kept = Alarm()
        for name in ALARM_PROPERTIES:
            if name in alarm:
                kept.add(name, alarm[name], encode=False)
        if str(kept["ACTION"]).upper() == "EMAIL":
            # An e-mail alarm needs ATTENDEEs (contact data): kept as a display alarm.
            kept["ACTION"] = vText("DISPLAY")
            kept.pop("SUMMARY", None)
        if "DESCRIPTION" not in kept and str(kept["ACTION"]).upper() == "DISPLAY":
            kept.add("DESCRIPTION", _text(component.get("SUMMARY")) or "Reminder")
        texts.append(kept.to_ical().decode())
    if len(found) > MAX_ALARMS:
        fixes.append(_("提醒（VALARM）超过 %(n)s 个，只保留了前 %(n)s 个。", n=MAX_ALARMS))
    text = "".join(texts)
    if len(text) > MAX_ALARM_TEXT:
        fixes.append(_("提醒（VALARM）内容太长，未导入。"))
        return None
    return text or None


def _utc_time(text: Optional[str]) -> Optional[datetime]:
    if not text:
        return None
    try:
        return datetime.strptime(text, UTC_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as error:
        raise _EventProblem(_("时间“%(value)s”无效。", value=text[:20])) from error


def _coordinates(values) -> tuple[float, float]:
    try:
        latitude, longitude = (float(value) for value in values)
    except (TypeError, ValueError) as error:
        raise _EventProblem(_("坐标无效。")) from error
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise _EventProblem(_("坐标超出范围。"))
    return latitude, longitude


def _organization_ref(name: str, params: dict[str, Optional[str]]) -> EntryRef:
    kind = params["kind"] if params["kind"] in ORGANIZATION_KINDS else "social"
    defaults = {"kind": kind, "short_name": _bounded(params["short_name"], "short_name")}
    return EntryRef(Organization, {"name": name[: LIMITS["name"]]}, defaults)


def _read_organizations(component) -> list[OrganizationRow]:
    organizations = []
    for value in _as_list(component.get(X_ORGANIZATION)):
        name = _text(value)
        if not name:
            continue
        params = _param_values(value, ORGANIZATION_PARAMS)
        role = params["role"] or "host"
        if role not in ORGANIZATION_ROLES:
            raise _EventProblem(_("未知的组织角色“%(role)s”。", role=role[:20]))
        organizations.append(
            OrganizationRow(
                organization=_organization_ref(name, params),
                role=role,
                headcount=(
                    _integer(params["headcount"], 0, "X-HEADCOUNT", 0, MAX_HEADCOUNT)
                    if params["headcount"]
                    else None
                ),
                note=_bounded(params["note"], "note"),
            )
        )
    return organizations


def _read_teams(component) -> list[ParticipationRow]:
    teams = []
    for value in _as_list(component.get(X_TEAM)):
        name = _text(value)
        if not name:
            continue
        params = _param_values(value, TEAM_PARAMS)
        role = params["role"] or "participant"
        if role not in PARTICIPATION_ROLES:
            raise _EventProblem(_("未知的参与角色“%(role)s”。", role=role[:20]))
        try:
            hours = Decimal(params["hours"]) if params["hours"] else None
        except InvalidOperation as error:
            raise _EventProblem(_("时长“%(value)s”无效。", value=params["hours"][:20])) from error
        if hours is not None and not (hours.is_finite() and 0 <= hours <= 1000):
            raise _EventProblem(_("时长“%(value)s”无效。", value=params["hours"][:20]))
        rank = _integer(params["rank"], 0, "X-RANK") if params["rank"] else None
        award = _bounded(params["award"], "award")
        level = params["award_level"]
        if level is not None and level not in AWARD_LEVELS:
            raise _EventProblem(_("未知的奖项等级“%(level)s”。", level=level[:20]))
        teams.append(
            ParticipationRow(
                person=None,
                organization=_organization_ref(name, params),
                role=role,
                attended=(params["attended"] or "TRUE").upper() != "FALSE",
                hours=hours,
                award=award,
                rank=rank if rank and rank >= 1 else None,
                award_level=level,
            )
        )
    return teams


def _read_category(component) -> Optional[EntryRef]:
    """By Chinese name, else by slug; a new one gets a slug made from its name if none."""
    value = component.get(X_CATEGORY)
    if value is not None and _text(value):
        name = _text(value)[:60]
        params = _param_values(value, CATEGORY_PARAMS)
        slug, name_en, color = (params["slug"] or "")[:40], params["name_en"], params["color"]
    else:
        names = [
            str(name).strip()
            for item in _as_list(component.get("CATEGORIES"))
            for name in getattr(item, "cats", [item])
        ]
        names = [name for name in names if name]
        if not names:
            return None
        name, slug, name_en, color = names[0][:60], "", None, None
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:10]
    return EntryRef(
        Category,
        {"name_zh": name},
        fallback={"slug": slug} if slug else None,
        defaults={
            "slug": slug or f"imported-{digest}",
            "name_en": (name_en or name)[:60],
            "color": color if color and _is_color(color) else "#3b6ea5",
        },
    )


def _read_campaign(component) -> Optional[EntryRef]:
    value = component.get(X_CAMPAIGN)
    if value is None or not _text(value):
        return None
    theme = _param_values(value, CAMPAIGN_PARAMS)["theme"]
    return EntryRef(Campaign, {"name": _text(value)[: LIMITS["name"]]}, {"theme": theme})


def _is_color(value: str) -> bool:
    return (
        len(value) == 7
        and value.startswith("#")
        and all(char in "0123456789abcdefABCDEF" for char in value[1:])
    )


def _format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size // 1024, 1)} KB"


# --- writing ---------------------------------------------------------------------------


def _existing_events(uids: list[str]) -> dict[str, Event]:
    """The events of these UIDs with the rows an update compares and the flush recounts."""
    found: dict[str, Event] = {}
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        statement = with_list_details(select(Event).where(Event.uid.in_(chunk))).options(
            selectinload(Event.participations)
        )
        for event in db.session.scalars(statement):
            found[event.uid] = event
    return found


def _check_permissions(events, user: Optional[User]) -> None:
    """Coordinators update only the events the event form would let them edit."""
    if user is None or user.is_admin:
        return
    refused = [event.title for event in events if not can_edit_event(user, event)]
    if refused:
        names = "、".join(f"“{title}”" for title in refused[:5])
        raise ImportRefused(
            [
                _(
                    "文件会修改您无权编辑的活动：%(names)s%(more)s。未导入任何内容。",
                    names=names,
                    more=_("等 %(n)s 项", n=len(refused)) if len(refused) > 5 else "",
                )
            ]
        )
