"""The iCalendar properties that carry an event's fields, for the builder and the importer.

Standard properties carry what every client shows (SUMMARY, DTSTART, RRULE, STATUS, CLASS…);
X-TRACKER-* properties carry the structured facts, so that an exported file imports back
into the same events. Clients ignore X- properties they do not know.

A field declared in tracker.events.fields that no property below names is carried by
`X-TRACKER-<NAME>` (underscores as hyphens), encoded by its kind: adding a field needs no
change here.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from tracker.events.fields import (
    EVENT_FIELDS,
    MAX_SEGMENTS,
    SEGMENT_NOTE_MAX,
    SEGMENT_TITLE_MAX,
    EventField,
    segment,
)

X_PREFIX = "X-TRACKER-"
X_HEADCOUNT = "X-TRACKER-HEADCOUNT"  # the reported headcount, "100+" when approximate
X_ORGANIZATION = "X-TRACKER-ORGANIZATION"
X_STOP = "X-TRACKER-STOP"
X_TEAM = "X-TRACKER-TEAM"
X_CATEGORY = "X-TRACKER-CATEGORY"
X_CAMPAIGN = "X-TRACKER-CAMPAIGN"

# Fields with a property of their own (written and read by name in builder and importer).
OWN_PROPERTIES = {
    "title": "SUMMARY",
    "starts_at": "DTSTART",
    "ends_at": "DTEND",
    "timezone": "DTSTART",
    "is_all_day": "DTSTART",
    "recurrence_rule": "RRULE",
    "status": "STATUS",
    "visibility": "CLASS",
    "reported_headcount": X_HEADCOUNT,
    "reported_headcount_is_approximate": X_HEADCOUNT,
    "category": X_CATEGORY,
    "campaign": X_CAMPAIGN,
    "stops": X_STOP,
    "organizations": X_ORGANIZATION,
    "participants": X_TEAM,
    "transparency": "TRANSP",
    "extra_categories": "CATEGORIES",
    "organizer_name": "ORGANIZER",
    "organizer_address": "ORGANIZER",
    "alarms": "VALARM",
}
# Apple Calendar's place with coordinates and address; written for the first stop with
# coordinates, read from other calendars' files.
X_APPLE_LOCATION = "X-APPLE-STRUCTURED-LOCATION"
TRANSPARENCY_VALUES = {"opaque": "OPAQUE", "transparent": "TRANSPARENT"}

# Parameters of the structured properties.
STOP_PARAMS = {
    "city": "X-CITY",
    "address": "X-ADDRESS",
    "geo": "X-GEO",
    "note": "X-NOTE",
    "starts_at": "X-TIME",
}
ORGANIZATION_PARAMS = {
    "role": "X-ROLE",
    "kind": "X-KIND",
    "short_name": "X-SHORT-NAME",
    "headcount": "X-HEADCOUNT",
    "note": "X-NOTE",
}
TEAM_PARAMS = {
    "kind": "X-KIND",
    "short_name": "X-SHORT-NAME",
    "role": "X-ROLE",
    "attended": "X-ATTENDED",
    "hours": "X-HOURS",
    "award": "X-AWARD",
    "rank": "X-RANK",
    "award_level": "X-AWARD-LEVEL",
}
CATEGORY_PARAMS = {"slug": "X-SLUG", "name_en": "X-NAME-EN", "color": "X-COLOR"}
CAMPAIGN_PARAMS = {"theme": "X-THEME"}
UTC_TIME_FORMAT = "%Y%m%dT%H%M%SZ"


def plain_property(field: EventField) -> str:
    """X-TRACKER-<NAME> for a field without a property of its own."""
    return X_PREFIX + field.name.upper().replace("_", "-")


PLAIN_FIELDS: tuple[tuple[EventField, str], ...] = tuple(
    (field, plain_property(field))
    for field in EVENT_FIELDS
    if field.feeds is not None and field.name not in OWN_PROPERTIES
)
PLAIN_KINDS = ("text", "long_text", "flag", "count", "segments")
SEGMENT_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
assert all(field.kind in PLAIN_KINDS for field, _ in PLAIN_FIELDS), (
    "a new field of another kind needs a property in OWN_PROPERTIES"
)


def encode_plain(field: EventField, value: Any) -> Optional[str]:
    """A field's value as property text, or None when there is nothing to write."""
    if field.kind == "flag":
        return "TRUE" if value else None
    if value is None or value == "" or value == []:
        return None
    if field.kind == "segments":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def decode_plain(field: EventField, text: str) -> Any:
    """Property text back into a field's value; raises ValueError for a bad number."""
    if field.kind == "flag":
        return text.strip().upper() == "TRUE"
    if field.kind == "count":
        if not text.strip().isdigit() or len(text.strip()) > 9:
            raise ValueError(text)
        return int(text)
    if field.kind == "segments":
        return decode_segments(text)
    return text or None


def decode_segments(text: str) -> Optional[list[dict]]:
    """A programme written by `encode_plain`, checked as the form checks it; ValueError when
    it is not one."""
    try:
        rows = json.loads(text)
    except ValueError as error:
        raise ValueError(text) from error
    if not isinstance(rows, list) or len(rows) > MAX_SEGMENTS:
        raise ValueError(text)
    segments = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError(text)
        title, time, note = (row.get(key) for key in ("title", "time", "note"))
        if not isinstance(title, str) or not title.strip():
            raise ValueError(text)
        if time is not None and not (isinstance(time, str) and SEGMENT_TIME.fullmatch(time)):
            raise ValueError(text)
        if note is not None and not isinstance(note, str):
            raise ValueError(text)
        segments.append(
            segment(
                title.strip()[:SEGMENT_TITLE_MAX],
                time,
                note.strip()[:SEGMENT_NOTE_MAX] if note else None,
            )
        )
    return segments or None
