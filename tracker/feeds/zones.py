"""Which IANA zone a TZID of an imported file means.

A TZID is read, in order, as an IANA name; as a Windows name (Outlook, Exchange) through
CLDR's windowsZones table, which icalendar ships; or, when the file defines it in a
VTIMEZONE, as the IANA zone whose offsets match that definition for a year either side of
the event (a definition with one fixed offset becomes an Etc/GMT zone). A TZID that is none
of these is unknown, and the importer says so instead of guessing.

Everything is resolved from the file being imported: icalendar keeps the zones of every file
it has parsed in a process-wide cache keyed by TZID, so its tzinfo objects are not used.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

# How far around an event a custom zone's offsets must agree with an IANA zone's.
MATCH_WINDOW = timedelta(days=366)
MATCH_STEP = timedelta(hours=1)


class UnknownZone(ValueError):
    """A TZID that names no known zone and that the file does not define usably."""

    def __init__(self, tzid: str, is_defined: bool):
        super().__init__(tzid)
        self.tzid = tzid
        self.is_defined = is_defined


def known_zone_name(name: str) -> Optional[str]:
    """The IANA name for an IANA or Windows zone name, else None."""
    cleaned = name.strip().strip('"').strip("/")
    if _is_zone(cleaned):
        return "UTC" if cleaned in ("UTC", "Etc/UTC", "Etc/UCT", "Etc/Zulu") else cleaned
    if cleaned in WINDOWS_TO_OLSON:
        mapped = WINDOWS_TO_OLSON[cleaned]
        return "UTC" if mapped == "Etc/UTC" else mapped
    return None


class ZoneResolver:
    """Resolves the TZIDs of one file, using that file's own VTIMEZONE definitions only."""

    def __init__(self, calendar, preferred_zone: str):
        self.definitions = {
            str(component["TZID"]): component
            for component in calendar.walk("VTIMEZONE")
            if "TZID" in component
        }
        self.preferred_zone = preferred_zone
        self._resolved: dict[tuple[str, int], str] = {}

    def zone_name(self, tzid: str, near: datetime) -> str:
        """The IANA name for `tzid` at a wall time `near`; raises UnknownZone."""
        name = known_zone_name(tzid)
        if name is not None:
            return name
        key = (tzid, near.year)
        if key not in self._resolved:
            self._resolved[key] = self._match_definition(tzid, near)
        return self._resolved[key]

    def _match_definition(self, tzid: str, near: datetime) -> str:
        definition = self.definitions.get(tzid)
        if definition is None:
            raise UnknownZone(tzid, is_defined=False)
        # Keyed by the definition's whole text: the same definition gives the same answer
        # whatever file it comes in, and another definition under the same TZID another one.
        try:
            key = (tzid, definition.to_ical(), near.year, self.preferred_zone)
        except (ValueError, TypeError, AttributeError):
            key = None
        if key is not None and key in _MATCHED:
            answer = _MATCHED[key]
            if answer is None:
                raise UnknownZone(tzid, is_defined=True)
            return answer
        try:
            answer = self._compare_definition(tzid, definition, near)
        except UnknownZone:
            _remember(key, None)
            raise
        _remember(key, answer)
        return answer

    def _compare_definition(self, tzid: str, definition, near: datetime) -> str:
        try:
            custom = _DefinedZone(definition)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise UnknownZone(tzid, is_defined=True) from error
        instants = _sample_instants(near)
        wanted = _Offsets(custom, instants)
        hints = _names_inside(tzid) + [self.preferred_zone] + _cities_named(tzid)
        for name in hints:
            if wanted.matches(ZoneInfo(name)):
                return name
        fixed = wanted.fixed_offset()
        if fixed is not None and fixed % timedelta(hours=1) == timedelta(0):
            hours = fixed // timedelta(hours=1)
            if hours == 0:
                return "UTC"
            if -12 <= hours <= 14:
                # Etc/GMT signs are POSIX's, the opposite of ISO 8601: UTC+8 is Etc/GMT-8.
                return f"Etc/GMT{-hours:+d}"
        for name in _candidate_zones():
            if wanted.matches(ZoneInfo(name)):
                return name
        raise UnknownZone(tzid, is_defined=True)


# Answers for definitions already compared (bounded: a process reads many files).
_MATCHED: dict[tuple, Optional[str]] = {}
MATCHED_KEPT = 512


def _remember(key: Optional[tuple], answer: Optional[str]) -> None:
    if key is None:
        return
    if len(_MATCHED) >= MATCHED_KEPT:
        _MATCHED.pop(next(iter(_MATCHED)))
    _MATCHED[key] = answer


class _DefinedZone:
    """The offsets a VTIMEZONE defines, from its own transitions (icalendar expands them);
    a dateutil zone built from the definition would answer a hundred times more slowly."""

    def __init__(self, definition):
        self.transitions, infos = definition.get_transitions()
        self.offsets_after = [info[0] for info in infos]
        observances = [
            observance
            for observance in definition.subcomponents
            if "DTSTART" in observance and "TZOFFSETFROM" in observance
        ]
        earliest = min(observances, key=lambda observance: _naive(observance["DTSTART"].dt))
        self.offset_before = earliest["TZOFFSETFROM"].td

    def offset_at(self, instant: datetime) -> timedelta:
        """The UTC offset at an aware instant."""
        index = bisect_right(self.transitions, instant.astimezone(UTC).replace(tzinfo=None))
        return self.offsets_after[index - 1] if index else self.offset_before


def _naive(value) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=None)


class _Offsets:
    """A zone's UTC offsets at given instants, computed as far as a comparison needs."""

    def __init__(self, zone: _DefinedZone, instants: list[datetime]):
        self.zone = zone
        self.instants = instants
        self.offsets: dict[int, timedelta] = {}

    def at(self, index: int) -> timedelta:
        offset = self.offsets.get(index)
        if offset is None:
            offset = self.offsets[index] = self.zone.offset_at(self.instants[index])
        return offset

    def matches(self, zone: tzinfo) -> bool:
        """Whether `zone` has the same offset at every instant. Compared first at the probes
        and once a day, then hour by hour only within the days whose offset changes: a
        match costs some 800 comparisons instead of 17,500."""
        days = range(PROBES, len(self.instants), HOURS_PER_DAY)
        for index in (*range(PROBES), *days):
            if self.instants[index].astimezone(zone).utcoffset() != self.at(index):
                return False
        for start in days:
            end = min(start + HOURS_PER_DAY, len(self.instants) - 1)
            if end > start and self.at(start) != self.at(end):
                for index in range(start + 1, end):
                    if self.instants[index].astimezone(zone).utcoffset() != self.at(index):
                        return False
        return True

    def fixed_offset(self) -> Optional[timedelta]:
        first = self.at(0)
        days = range(PROBES, len(self.instants), HOURS_PER_DAY)
        if all(self.at(index) == first for index in days):
            return first
        return None


# Instants `_sample_instants` puts before its hourly grid, and the grid's hours per day.
PROBES = 3
HOURS_PER_DAY = 24


def _sample_instants(near: datetime) -> list[datetime]:
    """Hourly instants for a year either side of `near`; a few far-apart ones first, so that
    most zones are told apart after two or three comparisons."""
    centre = near.replace(tzinfo=UTC, minute=0, second=0, microsecond=0)
    first = centre - MATCH_WINDOW
    steps = (2 * MATCH_WINDOW) // MATCH_STEP
    grid = [first + step * MATCH_STEP for step in range(steps + 1)]
    probes = [centre, centre + timedelta(days=182), centre - timedelta(days=182)]
    return probes + grid


def _names_inside(tzid: str) -> list[str]:
    """IANA names a TZID ends with, such as "America/New_York" in "custom_America/New_York"."""
    found = []
    for index in range(len(tzid)):
        if index == 0 or tzid[index - 1] in "/_- ":
            name = known_zone_name(tzid[index:])
            if name and name not in found:
                found.append(name)
    return found


def _cities_named(tzid: str) -> list[str]:
    """Zones whose city a TZID names ("Custom Berlin": Europe/Berlin)."""
    found: list[str] = []
    cities = _zones_by_city()
    words = re.findall(r"[A-Za-z]+", tzid)
    for length in (3, 2, 1):  # "Ho Chi Minh" before "Minh"
        for start in range(len(words) - length + 1):
            name = cities.get("_".join(words[start : start + length]).lower())
            if name and name not in found:
                found.append(name)
    return found


@cache
def _zones_by_city() -> dict[str, str]:
    """IANA zones by their city, lower case ("berlin": "Europe/Berlin")."""
    return {name.rsplit("/", 1)[-1].lower(): name for name in reversed(_candidate_zones())}


@cache
def _candidate_zones() -> list[str]:
    """Every IANA zone, CLDR's representative ones (the values of the Windows table) first."""
    representative = list(dict.fromkeys(WINDOWS_TO_OLSON.values()))
    others = sorted(
        name
        for name in available_timezones() - set(representative)
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return [name for name in representative + others if _is_zone(name)]


def _is_zone(name: str) -> bool:
    if not name or name == "localtime":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
