"""Turn feed rows into an RFC 5545 calendar with the icalendar library.

What clients need beyond the letter of the RFC is here too: a VTIMEZONE for every TZID
(Outlook ignores a TZID it has no definition for), X-WR-CALNAME and X-WR-TIMEZONE (Apple,
Google), REFRESH-INTERVAL and X-PUBLISHED-TTL (Apple and Outlook honour one or the other;
Google polls on its own schedule), and an ORGANIZER on every event because METHOD:PUBLISH
requires one (RFC 5546 §3.2.1). The organiser's address is a no-reply mailbox of the site, never
a person's. Besides the standard properties each event carries X-TRACKER-* properties with
the structured facts (raw description, theme, organisations, stops…) so that an exported file
imports back into the same events; clients ignore X- properties they do not know.
"""

from __future__ import annotations

import functools
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Optional
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from icalendar import (
    Calendar,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vCategory,
    vDate,
    vDatetime,
    vDuration,
    vGeo,
    vInt,
    vRecur,
    vText,
    vUri,
)
from icalendar import Event as VEvent
from icalendar.parser import Contentline

from tracker.events.fields import programme_text
from tracker.feeds.overrides import exception_properties, override_property_lists
from tracker.feeds.properties import (
    CAMPAIGN_PARAMS,
    CATEGORY_PARAMS,
    ORGANIZATION_PARAMS,
    PLAIN_FIELDS,
    STOP_PARAMS,
    TEAM_PARAMS,
    TRANSPARENCY_VALUES,
    UTC_TIME_FORMAT,
    X_APPLE_LOCATION,
    X_CAMPAIGN,
    X_CATEGORY,
    X_HEADCOUNT,
    X_ORGANIZATION,
    X_STOP,
    X_TEAM,
    encode_plain,
)
from tracker.feeds.queries import FeedEvent, FeedOrganization, FeedStop, FeedTeam
from tracker.labels import AWARD_LEVEL_LABELS, ORGANIZATION_ROLE_LABELS
from tracker.models import DEFAULT_TIMEZONE, Headcount
from tracker.models.events import award_order

PRODID = "-//Activity Tracker//活动日历//ZH"
REFRESH_INTERVAL = timedelta(hours=1)
STATUS_VALUES = {"tentative": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}
# VTIMEZONEs start here, and their yearly rules are checked against zoneinfo up to the end of
# VTIMEZONE_LAST_YEAR (a zone whose changes follow no yearly rule is listed up to it).
VTIMEZONE_FIRST_YEAR = 1970
VTIMEZONE_LAST_YEAR = 2100
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class FeedCalendar(Calendar):
    """A VCALENDAR that serialises like icalendar's, without building throw-away parameters.

    `Component.content_line` evaluates `Parameters()` as a getattr default for every
    property although every value built here carries its own `params`; at 200,000 lines a
    feed that is a large share of the serialisation time. The root component serialises all
    nested ones, so overriding it here covers every VEVENT and VTIMEZONE line.
    """

    def content_line(self, name, value, sorted: bool = True):  # noqa: A002
        params = getattr(value, "params", None)
        if params is None:
            return super().content_line(name, value, sorted=sorted)
        return Contentline.from_parts(name, params, value, sorted=sorted)


@dataclass(frozen=True)
class Transition:
    """A change of a zone's offset or name: the local wall time it happens at (in the
    offset being left, as RFC 5545 §3.6.5 counts onsets) and the states either side."""

    onset: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    @property
    def shape(self) -> tuple:
        """What a yearly rule must repeat: month, weekday, wall time and both states."""
        return (
            self.onset.month,
            self.onset.weekday(),
            self.onset.time(),
            self.offset_from,
            self.offset_to,
            self.name,
            self.is_dst,
        )


def _state(zone: ZoneInfo, moment: datetime) -> tuple[timedelta, str, bool]:
    local = moment.astimezone(zone)
    return local.utcoffset(), local.tzname(), bool(local.dst())


def zone_transitions(tzid: str) -> tuple[tuple[timedelta, str, bool], list[Transition]]:
    """The zone's state on 1 January 1970 and its changes up to the end of 2100, from zoneinfo
    (which follows the zone's rule beyond the last transition it lists)."""
    zone = ZoneInfo(tzid)
    moment = datetime(VTIMEZONE_FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(VTIMEZONE_LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    first = state = _state(zone, moment)
    transitions = []
    step = timedelta(days=1)
    while moment < end:
        following = moment + step
        new_state = _state(zone, following)
        if new_state != state:
            low, high = moment, following  # bisect to the second of the change
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            onset = (high + state[0]).replace(tzinfo=None)
            transitions.append(Transition(onset, state[0], *new_state))
            state = new_state
        moment = following
    return first, transitions


def _week_rule(onsets: list[datetime]) -> Optional[int]:
    """The BYDAY ordinal (1–4, or -1 for the last) that every onset's day satisfies."""
    ordinals = {(onset.day - 1) // 7 + 1 for onset in onsets}
    if len(ordinals) == 1 and ordinals != {5}:
        return ordinals.pop()
    if all(onset.day + 7 > monthrange(onset.year, onset.month)[1] for onset in onsets):
        return -1
    return None


def yearly_rules(transitions: list[Transition]) -> tuple[list[Transition], list[tuple]]:
    """Split the changes into those before the zone's current yearly pattern and the rules of
    that pattern: (first transition, BYDAY ordinal) pairs that repeat every year to 2100."""
    by_year: dict[int, list[Transition]] = {}
    for transition in transitions:
        by_year.setdefault(transition.onset.year, []).append(transition)
    last = VTIMEZONE_LAST_YEAR
    if not by_year.get(last):
        return transitions, []
    shapes = [transition.shape for transition in by_year[last]]
    start = last
    while [t.shape for t in by_year.get(start - 1, [])] == shapes:
        start -= 1
    for first_year in range(start, last):
        years = [by_year[year] for year in range(first_year, last + 1)]
        ordinals = [
            _week_rule([year[index].onset for year in years]) for index in range(len(shapes))
        ]
        if None not in ordinals:
            break
    else:
        return transitions, []
    earlier = [t for t in transitions if t.onset.year < first_year]
    return earlier, list(zip(by_year[first_year], ordinals, strict=True))


def _observance(transition: Transition):
    """A STANDARD or DAYLIGHT component whose first onset is this change."""
    component = TimezoneDaylight() if transition.is_dst else TimezoneStandard()
    component.add("DTSTART", transition.onset)
    component.add("TZOFFSETFROM", transition.offset_from)
    component.add("TZOFFSETTO", transition.offset_to)
    component.add("TZNAME", transition.name)
    return component


@functools.lru_cache(maxsize=64)
def vtimezone(tzid: str) -> Optional[Timezone]:
    """The VTIMEZONE for an IANA zone, generated once from zoneinfo; None for UTC/unknown.

    Changes up to the start of the zone's present yearly pattern are listed as RDATEs; the
    pattern itself is written as yearly RRULEs (checked against zoneinfo up to 2100), so
    clients compute offsets for any year. A zone whose changes follow no such pattern is
    listed change by change up to 2100.
    """
    if tzid == "UTC":
        return None
    try:
        (offset, name, is_dst), transitions = zone_transitions(tzid)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    timezone = Timezone()
    timezone.add("TZID", tzid)
    timezone.add("X-LIC-LOCATION", tzid)
    timezone.add_component(
        _observance(Transition(datetime(VTIMEZONE_FIRST_YEAR, 1, 1), offset, offset, name, is_dst))
    )
    listed, rules = yearly_rules(transitions)
    groups: dict[tuple, Timezone] = {}
    for transition in listed:
        key = transition.shape[3:]
        component = groups.get(key)
        if component is None:
            component = groups[key] = _observance(transition)
            timezone.add_component(component)
        # One RDATE property per change, the first (DTSTART) too: ical.js (Thunderbird's
        # parser) reads only the first value of a comma-separated RDATE list, and leaves out
        # DTSTART when there are RDATEs.
        component.add("RDATE", transition.onset)
    for transition, ordinal in rules:
        component = _observance(transition)
        component.add(
            "RRULE",
            {
                "FREQ": "YEARLY",
                "BYMONTH": transition.onset.month,
                "BYDAY": f"{ordinal}{WEEKDAYS[transition.onset.weekday()]}",
            },
        )
        timezone.add_component(component)
    return timezone


class FeedContext:
    """What every event of one feed shares: addresses, the stamp, the organiser's mailbox."""

    def __init__(
        self, base_url: str, event_url: Optional[str] = None, now: Optional[datetime] = None
    ):
        """`event_url` is the absolute URL of event 0; others replace the trailing 0."""
        self.base_url = base_url.rstrip("/")
        self.event_url_prefix = (event_url or f"{self.base_url}/events/0")[:-1]
        host = urlsplit(self.base_url).hostname or "localhost"
        self.organizer_address = f"mailto:noreply@{host}"
        self._shared_ids: set[int] = set()
        self.stamp = self._share(vDatetime((now or datetime.now(UTC)).replace(microsecond=0)))
        self._organizers: dict[str, vCalAddress] = {}
        self._categories: dict[str, vCategory] = {}
        self._statuses = {code: vText(value) for code, value in STATUS_VALUES.items()}
        self._sequences: dict[int, vInt] = {}
        self._rules: dict[str, vRecur] = {}
        self._texts: dict[tuple, vText] = {}
        self._structured: dict[tuple, vText] = {}
        self._classes = {True: vText("PUBLIC"), False: vText("PRIVATE")}
        self._transparencies = {code: vText(value) for code, value in TRANSPARENCY_VALUES.items()}
        for value in (
            *self._classes.values(),
            *self._transparencies.values(),
            *self._statuses.values(),
        ):
            self._share(value)
        self.role_labels = {role: str(label) for role, label in ORGANIZATION_ROLE_LABELS.items()}
        self.award_labels = {level: str(label) for level, label in AWARD_LEVEL_LABELS.items()}
        self.labels = {
            "headcount": _("人数"),
            "organizations": _("参与组织"),
            "programme": _("活动环节"),
            "awards": _("获奖"),
            "theme": _("主题"),
            "campaign": _("专项活动"),
            "outcome": _("活动成果"),
            "itinerary": _("行程"),
            "site": _("活动日历"),
        }

    def photo_attachment(self, photo_id: int, media_type: str) -> vUri:
        """ATTACH of a public event's photo: its address, with its type (RFC 5545 §3.8.1.1)."""
        extension = "png" if media_type == "image/png" else "jpg"
        return vUri(
            f"{self.base_url}/photos/{photo_id}.{extension}", params={"FMTTYPE": media_type}
        )

    def event_url(self, event_id: int) -> vUri:
        return vUri(f"{self.event_url_prefix}{event_id}")

    def organizer(self, name: str) -> vCalAddress:
        """ORGANIZER naming the host organisation(s) with a non-personal address; shared."""
        if name not in self._organizers:
            address = vCalAddress(self.organizer_address)
            address.params["CN"] = name
            self._organizers[name] = self._share(address)
        return self._organizers[name]

    def category(self, name: str, extra: Optional[str] = None) -> vCategory:
        """CATEGORIES: the category, then the other imported ones (one per line in `extra`)."""
        key = f"{name}\n{extra}" if extra else name
        if key not in self._categories:
            names = [item for item in key.split("\n") if item]
            self._categories[key] = self._share(vCategory(names))
        return self._categories[key]

    def apple_location(self, stop: FeedStop) -> vUri:
        key = (X_APPLE_LOCATION, stop.name, stop.address, stop.latitude, stop.longitude)
        value = self._structured.get(key)
        if value is None:
            params = {"VALUE": "URI", "X-ADDRESS": stop.address, "X-APPLE-RADIUS": "100"}
            params = {name: text for name, text in params.items() if text}
            params["X-TITLE"] = stop.name
            value = vUri(f"geo:{stop.latitude},{stop.longitude}", params=params)
            self._structured[key] = self._share(value)
        return value

    def transparency(self, code: Optional[str], is_all_day: bool) -> vText:
        """TRANSP as imported, else TRANSPARENT for all-day events and OPAQUE for others."""
        if code not in self._transparencies:
            code = "transparent" if is_all_day else "opaque"
        return self._transparencies[code]

    def is_shared(self, value) -> bool:
        """Whether the value is one this context hands to many events (see `writer`)."""
        return id(value) in self._shared_ids

    def _share(self, value):
        self._shared_ids.add(id(value))
        return value

    def shared(self, name: str, text: str, params: dict[str, str]) -> vText:
        """A TEXT value with parameters, made once per feed for all events that repeat it."""
        key = (name, text, tuple(sorted(params.items())))
        value = self._texts.get(key)
        if value is None:
            escaped = [key for key, param_text in params.items() if "\\" in param_text]
            if escaped:
                # icalendar reads a parameter's "\\" as one backslash (and "\\;" as ";"):
                # double them and quote the value, so the importer reads back what was written.
                params = params | {key: params[key].replace("\\", "\\\\") for key in escaped}
            value = vText(text, params=params)
            if escaped:
                value.params.quote_also = value.params.quote_also | dict.fromkeys(escaped, "\\")
            self._texts[key] = self._share(value)
        return value

    def structured(self, name: str, row, make_params) -> vText:
        """A structured property (a stop, an organisation, a team) named by the row's name,
        its parameters from `make_params(row)`; rows that repeat across events share one."""
        key = (name, *vars(row).values())
        value = self._structured.get(key)
        if value is None:
            value = self._structured[key] = self.shared(name, row.name, make_params(row))
        return value

    def rule(self, text: str) -> vRecur:
        if text not in self._rules:
            self._rules[text] = self._share(vRecur.from_ical(text))
        return self._rules[text]

    def classification(self, visibility: str) -> vText:
        return self._classes[visibility == "public"]

    def status(self, code: str) -> vText:
        return self._statuses.get(code, self._statuses["confirmed"])

    def sequence(self, number: int) -> vInt:
        if number not in self._sequences:
            self._sequences[number] = self._share(vInt(number))
        return self._sequences[number]


def build_calendar(
    events: Iterable[FeedEvent],
    name: str,
    context: FeedContext,
    zones: Optional[set[str]] = None,
) -> FeedCalendar:
    """A VCALENDAR with METHOD:PUBLISH, names, refresh hints, zones and one VEVENT per event.

    `zones` adds VTIMEZONEs for events written separately (see tracker.feeds.writer). The
    default zone (X-WR-TIMEZONE) is always defined, so a feed without events still holds a
    component, as RFC 5545 §3.6 requires of every calendar.
    """
    calendar = FeedCalendar()
    calendar["PRODID"] = vText(PRODID)
    calendar["VERSION"] = vText("2.0")
    calendar["CALSCALE"] = vText("GREGORIAN")
    calendar["METHOD"] = vText("PUBLISH")
    calendar["X-WR-CALNAME"] = vText(name)
    calendar["NAME"] = vText(name)
    calendar["X-WR-TIMEZONE"] = vText(DEFAULT_TIMEZONE)
    calendar["REFRESH-INTERVAL"] = vDuration(REFRESH_INTERVAL)
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar["X-PUBLISHED-TTL"] = vDuration(REFRESH_INTERVAL)
    zones = set(zones or ()) | {DEFAULT_TIMEZONE}
    for event in events:
        calendar.add_component(build_vevent(event, context))
        for properties in override_property_lists(event, vevent_properties(event, context)):
            calendar.add_component(_component(properties))
        zones.add(event.timezone)
    for index, tzid in enumerate(sorted({zone or DEFAULT_TIMEZONE for zone in zones})):
        component = vtimezone(tzid)
        if component is not None:
            calendar.subcomponents.insert(index, component)
    return calendar


def build_vevent(event: FeedEvent, context: FeedContext) -> VEvent:
    """One event as an icalendar VEVENT component."""
    return _component(vevent_properties(event, context))


def _component(properties: list[tuple[str, object]]) -> VEvent:
    component = VEvent()
    for name, value in properties:
        if isinstance(value, AlarmText):
            for alarm in Calendar.from_ical(f"BEGIN:VCALENDAR\r\n{value}END:VCALENDAR\r\n").walk(
                "VALARM"
            ):
                component.add_component(alarm)
            continue
        if name in component:
            existing = component[name]
            component[name] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            component[name] = value
    return component


def vevent_properties(event: FeedEvent, context: FeedContext) -> list[tuple[str, object]]:
    """An event's properties as (name, icalendar value) pairs, in the order they are written.

    Never a person's name or contact, never an ATTENDEE.
    """
    tzid = event.timezone or DEFAULT_TIMEZONE
    if event.is_all_day:
        zone = ZoneInfo(tzid)
        start = vDate(event.starts_at.astimezone(zone).date(), {"VALUE": "DATE"})
        end = vDate(event.ends_at.astimezone(zone).date(), {"VALUE": "DATE"})
    else:
        start = _local_datetime(event.starts_at, tzid)
        end = _local_datetime(event.ends_at, tzid)
    properties: list[tuple[str, object]] = [
        ("SUMMARY", vText(event.title)),
        ("DTSTART", start),
        ("DTEND", end),
        ("DTSTAMP", context.stamp),
        ("UID", vText(event.uid)),
        ("SEQUENCE", context.sequence(event.sequence or 0)),
    ]
    if event.recurrence_rule:
        properties.append(("RRULE", context.rule(event.recurrence_rule)))
        properties.extend(exception_properties(event))  # EXDATE, RDATE (tracker.feeds.overrides)
    if event.category_name or event.extra_categories:
        properties.append(
            ("CATEGORIES", context.category(event.category_name or "", event.extra_categories))
        )
    itinerary = " → ".join(stop.full_name for stop in event.stops)
    properties.append(("CLASS", context.classification(event.visibility)))
    description = describe(event, context, itinerary)
    if description:  # libical drops an empty DESCRIPTION: as a VALUE-PARSE-ERROR
        properties.append(("DESCRIPTION", vText(description)))
    if event.stops:
        first = event.stops[0]
        if first.latitude is not None and first.longitude is not None:
            properties.append(("GEO", vGeo((first.latitude, first.longitude))))
    properties.append(
        ("LAST-MODIFIED", vDatetime(event.updated_at.astimezone(UTC).replace(microsecond=0)))
    )
    if event.stops:
        properties.append(("LOCATION", context.shared("LOCATION", itinerary, {})))
    properties.append(("ORGANIZER", _organizer(event, context)))
    properties.append(("STATUS", context.status(event.status)))
    properties.append(("TRANSP", context.transparency(event.transparency, event.is_all_day)))
    properties.append(("URL", context.event_url(event.id)))
    located = next((stop for stop in event.stops if stop.latitude is not None), None)
    if located is not None and located.longitude is not None:
        properties.append((X_APPLE_LOCATION, _apple_location(located, context)))
    properties.extend(
        ("ATTACH", context.photo_attachment(*photo)) for photo in getattr(event, "photos", ())
    )
    properties.extend(_tracker_properties(event, context))
    alarms = getattr(event, "alarms", None)  # private feeds only
    if alarms:
        properties.append(("VALARM", AlarmText(alarms)))
    return properties


class AlarmText(str):
    """An event's VALARM components as iCalendar text: written as they are, nested in the
    VEVENT (the writer lays them out, `build_vevent` adds them as subcomponents)."""

    params: dict = {}

    def lines(self) -> bytes:
        from tracker.feeds.writer import fold

        return b"".join(
            fold(line.encode("utf-8")) + b"\r\n" for line in self.splitlines() if line.strip()
        )


def _organizer(event: FeedEvent, context: FeedContext) -> vCalAddress:
    """The imported ORGANIZER in private feeds (its address is contact data); in public ones
    the host organisations with the site's no-reply address."""
    address = getattr(event, "organizer_address", None)
    if not address:
        return context.organizer(organizer_name(event, context))
    value = vCalAddress(address if ":" in address else f"mailto:{address}")
    name = getattr(event, "organizer_name", None)
    if name:
        value.params["CN"] = name
    return value


def _apple_location(stop: FeedStop, context: FeedContext) -> vUri:
    """Apple's structured location: the place's name, address and coordinates (a geo: URI);
    one value per place and feed."""
    return context.apple_location(stop)


def _local_datetime(moment: datetime, tzid: str) -> vDatetime:
    """DTSTART/DTEND in the event's own zone with its TZID (UTC as a Z time)."""
    if tzid == "UTC":
        return vDatetime(moment.astimezone(UTC))
    # The local wall time with an explicit TZID parameter: the same property icalendar makes
    # from an aware datetime, without looking the zone's name up again for every event.
    value = vDatetime(moment.astimezone(ZoneInfo(tzid)).replace(tzinfo=None))
    value.params["TZID"] = tzid
    return value


def organizer_name(event: FeedEvent, context: FeedContext) -> str:
    """The host organisations' names, else the first organisation's, else the site's name."""
    hosts = [link.display_name for link in event.organizations if link.role == "host"]
    if hosts:
        return "、".join(hosts)
    if event.organizations:
        return event.organizations[0].display_name
    return context.labels["site"]


def describe(event: FeedEvent, context: FeedContext, itinerary: str) -> str:
    """DESCRIPTION: the event's own text, then organisers, headcount, theme and outcome.

    `itinerary` is the stops' full names joined with arrows (LOCATION shows the same text).
    """
    lines: list[str] = []
    by_role: dict[str, list[str]] = {}
    for link in event.organizations:
        by_role.setdefault(link.role, []).append(link.name)
    for role, names in by_role.items():
        lines.append(f"{context.role_labels.get(role, role)}：{'、'.join(names)}")
    headcount = event.shown_headcount
    if headcount is not None:
        lines.append(f"{context.labels['headcount']}：{headcount}")
    counts = event.role_counts()
    if counts:
        lines.append(f"{context.labels['organizations']}：{'；'.join(map(str, counts))}")
    if event.programme:
        lines.append(f"{context.labels['programme']}：{programme_text(event.programme)}")
    awards = [team for team in sorted(event.teams, key=award_order) if team.award_level]
    if awards:
        lines.append(
            f"{context.labels['awards']}："
            + "；".join(
                f"{team.name} {context.award_labels[team.award_level]}"
                + (f"（{team.award}）" if team.award else "")
                for team in awards
            )
        )
    if event.theme:
        lines.append(f"{context.labels['theme']}：{event.theme}")
    if event.campaign_name:
        lines.append(f"{context.labels['campaign']}：{event.campaign_name}")
    if len(event.stops) > 1:
        lines.append(f"{context.labels['itinerary']}：{itinerary}")
    if event.outcome:
        lines.append(f"{context.labels['outcome']}：{event.outcome}")
    parts = [event.description.strip()] if event.description and event.description.strip() else []
    if lines:
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _tracker_properties(event: FeedEvent, context: FeedContext) -> list[tuple[str, object]]:
    """The structured facts that DESCRIPTION only shows as prose, for re-import."""
    properties: list[tuple[str, object]] = []
    for field, name in PLAIN_FIELDS:
        if hasattr(event, field.name):  # the feed's audience carries it
            text = encode_plain(field, getattr(event, field.name))
            if text is not None:
                properties.append((name, vText(text)))
    if event.reported_headcount is not None:
        # The event's own reported figure, not the shown one that DESCRIPTION gives: the
        # importer stores this as the event's own.
        own = Headcount(event.reported_headcount, event.reported_headcount_is_approximate)
        properties.append((X_HEADCOUNT, context.shared(X_HEADCOUNT, str(own), {})))
    if event.category_slug:
        values = {
            "slug": event.category_slug,
            "name_en": event.category_name_en or event.category_name,
            "color": event.category_color or "#3b6ea5",
        }
        params = _params(CATEGORY_PARAMS, values)
        properties.append((X_CATEGORY, context.shared(X_CATEGORY, event.category_name, params)))
    if event.campaign_name:
        params = _params(CAMPAIGN_PARAMS, {"theme": event.campaign_theme})
        properties.append((X_CAMPAIGN, context.shared(X_CAMPAIGN, event.campaign_name, params)))
    for link in event.organizations:
        value = context.structured(X_ORGANIZATION, link, _organization_params)
        properties.append((X_ORGANIZATION, value))
    for stop in event.stops:
        properties.append((X_STOP, context.structured(X_STOP, stop, _stop_params)))
    for team in event.teams:
        properties.append((X_TEAM, context.structured(X_TEAM, team, _team_params)))
    return properties


def _organization_params(link: FeedOrganization) -> dict[str, str]:
    return _params(ORGANIZATION_PARAMS, vars(link))


def _stop_params(stop: FeedStop) -> dict[str, str]:
    geo = None
    if stop.latitude is not None and stop.longitude is not None:
        geo = f"{stop.latitude};{stop.longitude}"
    starts_at = stop.starts_at.astimezone(UTC).strftime(UTC_TIME_FORMAT) if stop.starts_at else None
    return _params(STOP_PARAMS, vars(stop) | {"geo": geo, "starts_at": starts_at})


def _team_params(team: FeedTeam) -> dict[str, str]:
    values = vars(team) | {
        "role": team.role if team.role != "participant" else None,
        "attended": None if team.attended else "FALSE",
        "hours": f"{Decimal(team.hours).normalize():f}" if team.hours is not None else None,
    }
    return _params(TEAM_PARAMS, values)


def _params(names: dict[str, str], values: dict) -> dict[str, str]:
    """Parameters for the values that are set, named by `names` (in its order)."""
    return {
        parameter: str(values[key])
        for key, parameter in names.items()
        if values.get(key) not in (None, "")
    }
