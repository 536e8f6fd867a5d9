"""Import an iCalendar file: a parser turns the bytes into the events' input values (the same
`EventInput` the event form gives) and a list of problems, and the import saves them through
the event services, all or nothing.

The whole file is read and checked before anything is written; the writes happen in one
batch (one flush, one transaction) that is rolled back on any error. A file exported by this
tracker carries X-TRACKER-* properties (tracker.feeds.properties) and imports back into the
same events, organisations, stops, teams, category and campaign; a file from another calendar
gives its title, times, time zone, recurrence, status, location, category and description,
and an update from it leaves the event's other fields as they are.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar.prop import vUnknown
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth.permissions import can_edit_event
from tracker.events.fields import (
    EVENT_FIELDS,
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
from tracker.feeds.builder import PRODID
from tracker.feeds.properties import (
    CAMPAIGN_PARAMS,
    CATEGORY_PARAMS,
    ORGANIZATION_PARAMS,
    PLAIN_FIELDS,
    STOP_PARAMS,
    TEAM_PARAMS,
    UTC_TIME_FORMAT,
    X_CAMPAIGN,
    X_CATEGORY,
    X_HEADCOUNT,
    X_ORGANIZATION,
    X_STOP,
    X_TEAM,
    decode_plain,
)
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
    User,
)
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
TRACKER_FIELDS = frozenset(
    {declared.name for declared in EVENT_FIELDS if declared.feeds is not None} - {"participants"}
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


def max_import_bytes() -> int:
    return current_app.config["FEEDS_IMPORT_MAX_BYTES"]


def import_calendar(data: bytes, user: Optional[User] = None) -> ImportResult:
    """Check the whole file, then create or update its events in one transaction.

    `user` is the coordinator uploading (None from the command line): an import may only
    update events that user may edit. Raises ImportRefused, with nothing saved, on any problem.
    Messages follow the page's language, or the default language outside a request.
    """
    if has_request_context():
        return _import_calendar(data, user)
    with default_locale():
        return _import_calendar(data, user)


def _import_calendar(data: bytes, user: Optional[User]) -> ImportResult:
    parsed = _parse_calendar(data)
    if parsed.problems:
        shown = [str(problem) for problem in parsed.problems[:MAX_REPORTED_ERRORS]]
        if len(parsed.problems) > len(shown):
            shown.append(_("……另有 %(n)s 处错误。", n=len(parsed.problems) - len(shown)))
        raise ImportRefused([_("文件中有错误，未导入任何活动：")] + shown)
    result = ImportResult(warnings=parsed.warnings)
    try:
        with db.session.no_autoflush:
            existing = _existing_events([values.uid for values in parsed.events])
        _check_permissions(existing.values(), user)
        batch = EventBatch(user, _("从 iCalendar 文件导入"), claim_new_entries=False)
        for values in parsed.events:
            event = existing.get(values.uid)
            if event is None:
                batch.create(values, action="import")
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
            else:
                result.unchanged += 1
        batch.commit()
    except ImportRefused:
        db.session.rollback()
        raise
    except Exception as error:
        db.session.rollback()
        current_app.logger.exception("iCalendar import failed")
        raise ImportRefused([_("导入失败，未保存任何内容。请检查文件后重试。")]) from error
    return result


def parse_calendar(data: bytes) -> ParsedCalendar:
    """Every event of the file as input values, with the problems of those that cannot be
    read (with their line numbers); raises ImportRefused when the file as a whole cannot.
    Messages follow the page's language, or the default language outside a request."""
    if has_request_context():
        return _parse_calendar(data)
    with default_locale():
        return _parse_calendar(data)


def _parse_calendar(data: bytes) -> ParsedCalendar:
    limit = max_import_bytes()
    if len(data) > limit:
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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            [_("文件不是 UTF-8 编码（第 %(n)s 个字节处无法解码）。", n=error.start + 1)]
        ) from error
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise ImportRefused([_("这不是 iCalendar 文件：文件应以 BEGIN:VCALENDAR 开头。")])
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise ImportRefused(
            [_("文件格式错误，无法解析：%(error)s", error=str(error)[:200])]
        ) from error
    # A VEVENT's broken values are reported with the event, below.
    broken = [
        str(error)
        for component in calendar.walk()
        if component.name != "VEVENT"
        for error in getattr(component, "errors", [])
    ]
    if broken:
        raise ImportRefused([_("文件中有无法解析的内容：%(error)s", error=str(broken[0])[:200])])
    is_ours = str(calendar.get("PRODID", "")) == PRODID
    parsed = ParsedCalendar()
    zones = _calendar_zones(calendar, parsed.warnings)
    components = calendar.walk("VEVENT")
    if not components:
        raise ImportRefused([_("文件中没有任何活动（VEVENT）。")])
    if len(components) > MAX_EVENTS:
        raise ImportRefused(
            [
                _(
                    "文件中的活动太多（%(n)s 个），上限为 %(max)s 个。",
                    n=len(components),
                    max=MAX_EVENTS,
                )
            ]
        )
    lines = _vevent_lines(text)
    seen: set[str] = set()
    skipped_overrides = 0
    for number, component in enumerate(components, start=1):
        if component.get("RECURRENCE-ID") is not None:
            skipped_overrides += 1
            continue
        summary = str(component.get("SUMMARY", "") or "")[:40]
        where = _("第 %(n)s 个活动", n=number) + (f"“{summary}”" if summary else "")
        line = lines[number - 1] if number <= len(lines) else 0
        try:
            _check_values_parsed(component)
            values = _read_event(component, is_ours, zones, parsed.warnings)
        except _EventProblem as problem:
            parsed.problems.append(Problem(line, where, str(problem)))
            continue
        if values.uid in seen:
            message = _("UID“%(uid)s”在文件中出现了不止一次。", uid=values.uid[:80])
            parsed.problems.append(Problem(line, where, message))
            continue
        seen.add(values.uid)
        parsed.events.append(values)
    if skipped_overrides:
        parsed.warnings.append(
            _(
                "已忽略 %(n)s 个重复活动的单次修改（RECURRENCE-ID），本系统不保存单次修改。",
                n=skipped_overrides,
            )
        )
    return parsed


def _vevent_lines(text: str) -> list[int]:
    """The line number of each BEGIN:VEVENT, in file order (the order of `walk`)."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip().upper() == "BEGIN:VEVENT"
    ]


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


def _check_values_parsed(component) -> None:
    """Refuse an event with a value icalendar could not read (a SEQUENCE out of range…)."""
    for name, _error in getattr(component, "errors", []):
        value = str(component.get(name, ""))[:20]
        raise _EventProblem(_("%(name)s 的值“%(value)s”无法识别。", name=name, value=value))


def _read_event(component, is_ours: bool, zones: ZoneResolver, warnings: list[str]) -> EventInput:
    uid = _text(component.get("UID"))
    if not uid:
        raise _EventProblem(_("缺少 UID。"))
    if len(uid) > LIMITS["uid"]:
        raise _EventProblem(_("UID 太长（最多 %(n)s 个字符）。", n=LIMITS["uid"]))
    title = _text(component.get("SUMMARY"))
    if not title:
        raise _EventProblem(_("缺少标题（SUMMARY）。"))
    if len(title) > LIMITS["title"]:
        raise _EventProblem(_("标题太长（最多 %(n)s 个字符）。", n=LIMITS["title"]))
    start_property = component.get("DTSTART")
    if start_property is None:
        raise _EventProblem(_("缺少开始时间（DTSTART）。"))
    start = start_property.dt
    is_all_day = isinstance(start, date) and not isinstance(start, datetime)
    timezone = zones.preferred_zone if is_all_day else _zone_name(start_property, zones, is_ours)
    zone = _zone(timezone)
    starts_at = _to_utc(start, zone) if is_all_day else _moment(start_property, zones)
    end_property = component.get("DTEND")
    if end_property is not None:
        end = end_property.dt
        end_is_date = isinstance(end, date) and not isinstance(end, datetime)
        if end_is_date != is_all_day:
            raise _EventProblem(_("开始和结束时间一个是日期、一个是日期时间，无法对应。"))
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
    else:
        ends_at = _to_utc(start + timedelta(days=1), zone) if is_all_day else starts_at
    if ends_at < starts_at:
        raise _EventProblem(_("结束时间早于开始时间。"))
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
        "recurrence_rule": _read_rule(component, starts_at, is_all_day, zone, warnings, title),
        "status": STATUSES.get(_text(component.get("STATUS")).upper(), "confirmed"),
        "visibility": (
            "internal"
            if _text(component.get("CLASS")).upper() in ("PRIVATE", "CONFIDENTIAL")
            else "public"
        ),
        "sequence": sequence,
        "updated_at": _to_utc(last_modified.dt, UTC) if last_modified is not None else None,
        "stops": _read_stops(component, zone),
        "category": _read_category(component),
    }
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
    else:
        given = STANDARD_FIELDS | ({"category"} if values["category"] is not None else set())
        values["description"] = _text(component.get("DESCRIPTION")) or None
    theme = values.get("theme")
    if theme and len(theme) > LIMITS["theme"]:
        raise _EventProblem(_("主题太长（最多 %(n)s 个字符）。", n=LIMITS["theme"]))
    return EventInput(**values, given=frozenset(given))


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
    component, start: datetime, is_all_day: bool, zone, warnings: list[str], title: str
) -> Optional[str]:
    """The RRULE as stored: UNTIL in UTC next to a timed start, a DATE next to an all-day one."""
    rules = component.get("RRULE")
    if rules is None:
        return None
    if isinstance(rules, list):
        if len(rules) > 1:
            raise _EventProblem(_("本系统每个活动只支持一条重复规则（RRULE）。"))
        rules = rules[0]
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
    if component.get("EXDATE") is not None or component.get("RDATE") is not None:
        warnings.append(
            _(
                "“%(title)s”的例外日期（EXDATE/RDATE）未导入，本系统不保存例外日期。",
                title=title[:40],
            )
        )
    return rule


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


def _read_stops(component, zone) -> list[StopRow]:
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
    if not location:
        return []
    details = {}
    geo = component.get("GEO")
    if geo is not None:
        details["latitude"], details["longitude"] = _coordinates([geo.latitude, geo.longitude])
    return [StopRow(location=EntryRef(Location, {"name": location[: LIMITS["name"]]}, details))]


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
