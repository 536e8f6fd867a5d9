"""Import an iCalendar file: create events, or update them when the UID is known.

All or nothing: the whole file is read and checked before anything is written, and the
writes happen in one transaction that is rolled back on any error. A file exported by this
tracker carries X-TRACKER-* properties (see tracker.feeds.builder) and imports back into the
same events, organisations, stops, category and campaign; a file from another calendar keeps
its title, times, time zone, recurrence, status, location and description.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_request_context
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar.prop import vUnknown
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.audit import record_audit
from tracker.auth.permissions import can_edit_event
from tracker.directory.services import find_or_add
from tracker.events.queries import with_list_details
from tracker.events.services import OrganizationRow, apply_organizations
from tracker.extensions import db
from tracker.feeds.builder import (
    PRODID,
    X_CAMPAIGN,
    X_CATEGORY,
    X_DESCRIPTION,
    X_HEADCOUNT,
    X_ORGANIZATION,
    X_OUTCOME,
    X_STOP,
    X_THEME,
)
from tracker.forms import strip_text
from tracker.i18n import default_locale
from tracker.models import (
    DEFAULT_TIMEZONE,
    ORGANIZATION_KINDS,
    ORGANIZATION_ROLES,
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Stop,
    User,
)
from tracker.recurrence import is_valid_rule, parse_rule, until_in_zone

DEFAULT_MAX_IMPORT_BYTES = 4 * 1024 * 1024
MAX_EVENTS = 20_000
MAX_REPORTED_ERRORS = 10
STATUSES = {"CANCELLED": "cancelled", "TENTATIVE": "tentative"}
LIMITS = {"title": 200, "theme": 200, "uid": 255, "name": 200, "rule": 500}


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
class StopData:
    name: str
    city: Optional[str] = None
    address: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None


@dataclass
class OrganizationData:
    name: str
    role: str
    kind: str
    short_name: Optional[str] = None
    headcount: Optional[int] = None


@dataclass
class EventData:
    """One VEVENT, checked and converted to the model's terms."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    is_all_day: bool
    recurrence_rule: Optional[str]
    status: str
    visibility: str
    description: Optional[str]
    theme: Optional[str]
    outcome: Optional[str]
    headcount: Optional[int]
    headcount_is_approximate: bool
    sequence: int
    last_modified: Optional[datetime]
    stops: list[StopData]
    organizations: list[OrganizationData]
    category: Optional[dict[str, str]]
    campaign: Optional[dict[str, str]]


def max_import_bytes() -> int:
    return current_app.config.get("FEEDS_IMPORT_MAX_BYTES", DEFAULT_MAX_IMPORT_BYTES)


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
    events, warnings = parse_calendar(data)
    result = ImportResult(warnings=warnings)
    try:
        with db.session.no_autoflush:
            existing = _existing_events([event.uid for event in events])
        _check_permissions(existing.values(), user)
        lookups = _Lookups()
        imported: list[tuple[Event, str]] = []
        with db.session.no_autoflush:
            for data_event in events:
                event = existing.get(data_event.uid)
                if event is None:
                    event = _create_event(data_event, user, lookups)
                    imported.append((event, _("从 iCalendar 文件导入（新建）")))
                    result.created += 1
                elif data_event.sequence < (event.sequence or 0):
                    result.unchanged += 1
                    result.warnings.append(
                        _(
                            "“%(title)s”在系统中的版本较新（%(ours)s > %(theirs)s），未覆盖。",
                            title=event.title,
                            ours=event.sequence,
                            theirs=data_event.sequence,
                        )
                    )
                elif _update_event(event, data_event, lookups):
                    imported.append((event, _("从 iCalendar 文件导入（更新）")))
                    result.updated += 1
                else:
                    result.unchanged += 1
        db.session.flush()  # one flush for the whole file; new events get their ids
        for event, summary in imported:
            _audit(event, user, summary)
        db.session.commit()
    except ImportRefused:
        db.session.rollback()
        raise
    except Exception as error:
        db.session.rollback()
        current_app.logger.exception("iCalendar import failed")
        raise ImportRefused(
            [_("导入失败，未保存任何内容：%(error)s", error=str(error)[:300])]
        ) from error
    return result


def parse_calendar(data: bytes) -> tuple[list[EventData], list[str]]:
    """Read and check every event of the file, or raise ImportRefused listing what is wrong."""
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
    broken = [
        str(error) for component in calendar.walk() for error in getattr(component, "errors", [])
    ]
    if broken:
        raise ImportRefused([_("文件中有无法解析的内容：%(error)s", error=str(broken[0])[:200])])
    is_ours = str(calendar.get("PRODID", "")) == PRODID
    default_zone = str(calendar.get("X-WR-TIMEZONE", "") or DEFAULT_TIMEZONE)
    if not _is_zone(default_zone):
        default_zone = DEFAULT_TIMEZONE
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
    errors: list[str] = []
    warnings: list[str] = []
    events: list[EventData] = []
    seen: set[str] = set()
    skipped_overrides = 0
    for number, component in enumerate(components, start=1):
        if component.get("RECURRENCE-ID") is not None:
            skipped_overrides += 1
            continue
        try:
            event = _read_event(component, is_ours, default_zone, warnings)
        except _EventProblem as problem:
            summary = str(component.get("SUMMARY", "") or "")[:40]
            where = _("第 %(n)s 个活动", n=number) + (f"“{summary}”" if summary else "")
            errors.append(f"{where}：{problem}")
            continue
        if event.uid in seen:
            errors.append(_("UID“%(uid)s”在文件中出现了不止一次。", uid=event.uid[:80]))
            continue
        seen.add(event.uid)
        events.append(event)
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > len(shown):
            shown.append(_("……另有 %(n)s 处错误。", n=len(errors) - len(shown)))
        raise ImportRefused([_("文件中有错误，未导入任何活动：")] + shown)
    if skipped_overrides:
        warnings.append(
            _(
                "已忽略 %(n)s 个重复活动的单次修改（RECURRENCE-ID），本系统不保存单次修改。",
                n=skipped_overrides,
            )
        )
    return events, warnings


class _EventProblem(ValueError):
    pass


def _read_event(component, is_ours: bool, default_zone: str, warnings: list[str]) -> EventData:
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
    timezone = default_zone if is_all_day else _zone_name(start, start_property, default_zone)
    zone = ZoneInfo(timezone) if timezone != "UTC" else UTC
    end_property = component.get("DTEND")
    if end_property is not None:
        end = end_property.dt
    elif component.get("DURATION") is not None:
        end = start + component.get("DURATION").dt
    else:
        end = start + timedelta(days=1) if is_all_day else start
    end_is_date = isinstance(end, date) and not isinstance(end, datetime)
    if end_is_date != is_all_day:
        raise _EventProblem(_("开始和结束时间一个是日期、一个是日期时间，无法对应。"))
    starts_at = _to_utc(start, zone)
    ends_at = _to_utc(end, zone)
    if ends_at < starts_at:
        raise _EventProblem(_("结束时间早于开始时间。"))
    rule = _read_rule(component, is_all_day, zone, warnings, title)
    status = STATUSES.get(_text(component.get("STATUS")).upper(), "confirmed")
    visibility = (
        "internal"
        if _text(component.get("CLASS")).upper() in ("PRIVATE", "CONFIDENTIAL")
        else "public"
    )
    sequence = _integer(component.get("SEQUENCE"), 0)
    if sequence < 0:
        raise _EventProblem(_("SEQUENCE 不能为负数。"))
    last_modified = component.get("LAST-MODIFIED")
    last_modified = _to_utc(last_modified.dt, UTC) if last_modified is not None else None
    if is_ours:
        description = _text(component.get(X_DESCRIPTION)) or None
    else:
        description = _text(component.get("DESCRIPTION")) or None
    theme = _text(component.get(X_THEME)) or None
    if theme and len(theme) > LIMITS["theme"]:
        raise _EventProblem(_("主题太长（最多 %(n)s 个字符）。", n=LIMITS["theme"]))
    headcount, approximate = _read_headcount(_text(component.get(X_HEADCOUNT)))
    return EventData(
        uid=uid,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        is_all_day=is_all_day,
        recurrence_rule=rule,
        status=status,
        visibility=visibility,
        description=description,
        theme=theme,
        outcome=_text(component.get(X_OUTCOME)) or None,
        headcount=headcount,
        headcount_is_approximate=approximate,
        sequence=sequence,
        last_modified=last_modified,
        stops=_read_stops(component),
        organizations=_read_organizations(component),
        category=_read_category(component),
        campaign=_read_campaign(component),
    )


def _text(value: Any) -> str:
    """A TEXT value, unescaped (X- properties arrive raw, as RFC 7265 UNKNOWN values)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, vUnknown):
        value = _TEXT_ESCAPE.sub(lambda match: _TEXT_UNESCAPED.get(match[1], match[1]), value)
    return strip_text(str(value))


# RFC 5545 §3.3.11: \\ \; \, and \n (or \N) in a TEXT value.
_TEXT_ESCAPE = re.compile(r"\\([\\;,nN])")
_TEXT_UNESCAPED = {"n": "\n", "N": "\n"}


def _integer(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise _EventProblem(_("“%(value)s”不是整数。", value=str(value)[:20])) from error


def _is_zone(name: str) -> bool:
    if name == "UTC":
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zone_name(moment: datetime, prop, default_zone: str) -> str:
    """The IANA name of a DTSTART's zone: its TZID, the resolved zone, or the calendar's."""
    if moment.tzinfo is None:
        return default_zone
    if moment.utcoffset() == timedelta(0) and _is_utc(moment.tzinfo):
        return "UTC"
    key = getattr(moment.tzinfo, "key", None)
    if key and _is_zone(key):
        return key
    tzid = prop.params.get("TZID")
    if tzid and _is_zone(str(tzid)):
        return str(tzid)
    zone_name = getattr(moment.tzinfo, "zone", None)
    if zone_name and _is_zone(zone_name):
        return zone_name
    raise _EventProblem(_("无法识别的时区“%(tzid)s”。", tzid=str(tzid or moment.tzinfo)[:60]))


def _is_utc(zone: tzinfo) -> bool:
    return zone is UTC or getattr(zone, "key", None) in ("UTC", "Etc/UTC") or str(zone) == "UTC"


def _to_utc(moment, zone) -> datetime:
    """A DTSTART/DTEND value as aware UTC: dates at local midnight, floating times as local."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _read_rule(component, is_all_day: bool, zone, warnings: list[str], title: str) -> Optional[str]:
    """The RRULE as stored: without prefix, UNTIL in local (floating) time."""
    rules = component.get("RRULE")
    if rules is None:
        return None
    if isinstance(rules, list):
        if len(rules) > 1:
            raise _EventProblem(_("本系统每个活动只支持一条重复规则（RRULE）。"))
        rules = rules[0]
    rule = rules.to_ical().decode()
    parts = parse_rule(rule)
    until = parts.get("UNTIL")
    if until and (is_all_day or len(until) == 8):
        rule = rule.replace(f"UNTIL={until}", f"UNTIL={until[:8]}")
    else:
        rule = until_in_zone(rule, zone)
    if len(rule) > LIMITS["rule"] or not is_valid_rule(rule):
        raise _EventProblem(_("重复规则“%(rule)s”无效。", rule=rule[:80]))
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
    if not number.isdigit() or len(number) > 9:
        raise _EventProblem(_("人数“%(value)s”无效。", value=text[:20]))
    return int(number), approximate


def _params(value, name: str) -> Optional[str]:
    found = value.params.get(name) if hasattr(value, "params") else None
    return str(found) if found not in (None, "") else None


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _read_stops(component) -> list[StopData]:
    stops = []
    for value in _as_list(component.get(X_STOP)):
        name = _text(value)
        if not name:
            continue
        latitude = longitude = None
        geo = _params(value, "X-GEO")
        if geo:
            latitude, longitude = _coordinates(geo.split(";"))
        stops.append(
            StopData(
                name=name[: LIMITS["name"]],
                city=_params(value, "X-CITY"),
                address=_params(value, "X-ADDRESS"),
                latitude=latitude,
                longitude=longitude,
            )
        )
    if stops:
        return stops
    location = _text(component.get("LOCATION"))
    if not location:
        return []
    stop = StopData(name=location[: LIMITS["name"]])
    geo = component.get("GEO")
    if geo is not None:
        stop.latitude, stop.longitude = _coordinates([geo.latitude, geo.longitude])
    return [stop]


def _coordinates(values) -> tuple[float, float]:
    try:
        latitude, longitude = (float(value) for value in values)
    except (TypeError, ValueError) as error:
        raise _EventProblem(_("坐标无效。")) from error
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise _EventProblem(_("坐标超出范围。"))
    return latitude, longitude


def _read_organizations(component) -> list[OrganizationData]:
    organizations = []
    for value in _as_list(component.get(X_ORGANIZATION)):
        name = _text(value)[: LIMITS["name"]]
        role = _params(value, "X-ROLE") or "host"
        kind = _params(value, "X-KIND") or "social"
        headcount = _params(value, "X-HEADCOUNT")
        if not name:
            continue
        if role not in ORGANIZATION_ROLES:
            raise _EventProblem(_("未知的组织角色“%(role)s”。", role=role[:20]))
        organizations.append(
            OrganizationData(
                name=name,
                role=role,
                kind=kind if kind in ORGANIZATION_KINDS else "social",
                short_name=_params(value, "X-SHORT-NAME"),
                headcount=_integer(headcount, 0) if headcount else None,
            )
        )
    return organizations


def _read_category(component) -> Optional[dict[str, str]]:
    value = component.get(X_CATEGORY)
    if value is not None and _text(value):
        return {
            "name_zh": _text(value)[:60],
            "slug": (_params(value, "X-SLUG") or "")[:40],
            "name_en": (_params(value, "X-NAME-EN") or _text(value))[:60],
            "color": _params(value, "X-COLOR") or "#3b6ea5",
        }
    categories = component.get("CATEGORIES")
    for item in _as_list(categories):
        names = [str(name).strip() for name in getattr(item, "cats", [item])]
        names = [name for name in names if name]
        if names:
            return {"name_zh": names[0][:60], "slug": "", "name_en": names[0][:60], "color": ""}
    return None


def _read_campaign(component) -> Optional[dict[str, str]]:
    value = component.get(X_CAMPAIGN)
    if value is None or not _text(value):
        return None
    return {"name": _text(value)[: LIMITS["name"]], "theme": _params(value, "X-THEME")}


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


class _Lookups:
    """Get-or-create of directory rows by name, remembered within one import."""

    def __init__(self):
        self.memo: dict[tuple, Any] = {}

    def location(self, stop: StopData) -> Location:
        details = asdict(stop)
        name = details.pop("name")
        return find_or_add(Location, {"name": name}, defaults=details, memo=self.memo)

    def organization(self, data: OrganizationData) -> Organization:
        return find_or_add(
            Organization,
            {"name": data.name},
            defaults={"kind": data.kind, "short_name": data.short_name},
            memo=self.memo,
        )

    def category(self, data: dict[str, str]) -> Category:
        """By Chinese name, else by slug; a new one gets a slug made from its name if none."""
        slug = data["slug"]
        return find_or_add(
            Category,
            {"name_zh": data["name_zh"]},
            fallback={"slug": slug} if slug else None,
            defaults={
                "slug": slug
                or "imported-"
                + hashlib.sha1(data["name_zh"].encode(), usedforsecurity=False).hexdigest()[:10],
                "name_en": data["name_en"],
                "color": data["color"] if _is_color(data["color"]) else "#3b6ea5",
            },
            memo=self.memo,
        )

    def campaign(self, data: dict[str, str]) -> Campaign:
        return find_or_add(
            Campaign, {"name": data["name"]}, defaults={"theme": data["theme"]}, memo=self.memo
        )


def _is_color(value: str) -> bool:
    return (
        len(value) == 7
        and value.startswith("#")
        and all(char in "0123456789abcdefABCDEF" for char in value[1:])
    )


_SCALAR_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "is_all_day",
    "recurrence_rule",
    "status",
    "visibility",
    "description",
    "theme",
    "outcome",
    "headcount",
    "headcount_is_approximate",
)


def _create_event(data: EventData, user: Optional[User], lookups: _Lookups) -> Event:
    event = Event(uid=data.uid, sequence=data.sequence, created_by=user)
    for name in _SCALAR_FIELDS:
        setattr(event, name, getattr(data, name))
    if data.last_modified is not None:
        event.updated_at = data.last_modified
    event.category = lookups.category(data.category) if data.category else None
    event.campaign = lookups.campaign(data.campaign) if data.campaign else None
    for position, stop in enumerate(data.stops):
        event.stops.append(Stop(location=lookups.location(stop), position=position))
    for position, organization in enumerate(data.organizations):
        event.organization_links.append(
            EventOrganization(
                organization=lookups.organization(organization),
                role=organization.role,
                headcount=organization.headcount,
                position=position,
            )
        )
    db.session.add(event)
    return event


def _update_event(event: Event, data: EventData, lookups: _Lookups) -> bool:
    """Apply the file's version; True when anything a subscriber sees changed.

    The flush after the whole file raises SEQUENCE by one for each changed event (the model's
    listener), so the sequence is set one below the file's when the file's is ahead.
    """
    changed = False
    for name in _SCALAR_FIELDS:
        if name == "recurrence_rule" and _same_rule(event.recurrence_rule, data.recurrence_rule):
            continue
        if getattr(event, name) != getattr(data, name):
            setattr(event, name, getattr(data, name))
            changed = True
    category = lookups.category(data.category) if data.category else None
    campaign = lookups.campaign(data.campaign) if data.campaign else None
    if event.category is not category:
        event.category = category
        changed = True
    if event.campaign is not campaign:
        event.campaign = campaign
        changed = True
    locations = [lookups.location(stop) for stop in data.stops]
    if [stop.location for stop in event.stops] != locations:
        changed = True
        for position, location in enumerate(locations):
            if position < len(event.stops):
                event.stops[position].location = location
            else:
                event.stops.append(Stop(location=location, position=position))
        del event.stops[len(locations) :]
    wanted = [
        OrganizationRow(lookups.organization(item), item.role, item.headcount)
        for item in data.organizations
    ]
    if [(row.organization, row.role, row.headcount) for row in wanted] != [
        (link.organization, link.role, link.headcount) for link in event.organization_links
    ]:
        changed = True
        apply_organizations(event, wanted)
    if not changed:
        return False
    event.sequence = max(event.sequence or 0, data.sequence - 1)
    return True


def _same_rule(stored: Optional[str], imported: Optional[str]) -> bool:
    """Rules that differ only in the order of their parts are the same rule."""
    if not stored or not imported:
        return stored == imported
    return parse_rule(stored) == parse_rule(imported)


def _audit(event: Event, user: Optional[User], summary: str) -> None:
    entry = record_audit("import", event, user=user, summary=summary, changes={"uid": event.uid})
    if user is None:
        entry.user = None  # record_audit would name a signed-in user; the caller gave none
