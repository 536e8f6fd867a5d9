"""Write a feed's bytes fast: icalendar encodes every value, this module only lays out lines.

`builder.build_calendar` makes icalendar components; serialising 10,000 of them with
`Calendar.to_ical()` takes seconds (component dictionaries, parameter objects and a
character-by-character fold for 250,000 lines). Here the calendar head and the VTIMEZONEs are
still serialised by icalendar, and each event's properties are the same icalendar value
objects (`builder.vevent_properties`), encoded by their own `to_ical()`; only the content line
layout (RFC 5545 §3.1) and the folding are done here. A test checks that both paths give the
same calendar.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker.feeds.builder import AlarmText, FeedContext, build_calendar, vevent_properties
from tracker.feeds.overrides import override_property_lists
from tracker.feeds.queries import FeedEvent

FOLD_LIMIT = 75  # octets per physical line, excluding CRLF (RFC 5545 §3.1)
END_CALENDAR = b"END:VCALENDAR\r\n"


def render_calendar(
    events: Iterable[FeedEvent],
    name: str,
    context: FeedContext,
) -> bytes:
    """The whole feed as bytes: head and zones by icalendar, then one VEVENT per event."""
    events = list(events)
    head = build_calendar([], name, context, zones={event.timezone for event in events}).to_ical()
    assert head.endswith(END_CALENDAR)
    encoded: dict[int, bytes] = {}
    lines: list[bytes] = [head[: -len(END_CALENDAR)]]
    for event in events:
        properties = vevent_properties(event, context)
        # The series, then a VEVENT per changed occurrence (tracker.feeds.overrides).
        for component in [properties, *override_property_lists(event, properties)]:
            lines.append(b"BEGIN:VEVENT\r\n")
            for name_, value in component:
                if isinstance(value, AlarmText):
                    lines.append(value.lines())
                    continue
                cached = encoded.get(id(value))
                if cached is None:
                    cached = content_line(name_, value)
                    if context.is_shared(value):  # handed to many events: encode once per feed
                        encoded[id(value)] = cached
                lines.append(cached)
            lines.append(b"END:VEVENT\r\n")
    lines.append(END_CALENDAR)
    return b"".join(lines)


def content_line(name: str, value) -> bytes:
    """`NAME;PARAMS:VALUE` folded, with CRLF; the value and parameters encoded by icalendar."""
    params = value.params
    text = value.to_ical()
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if params:
        encoded_params = params.to_ical()
        if isinstance(encoded_params, bytes):
            encoded_params = encoded_params.decode("utf-8")
        line = f"{name};{encoded_params}:{text}" if encoded_params else f"{name}:{text}"
    else:
        line = f"{name}:{text}"
    return fold(line.encode("utf-8")) + b"\r\n"


def fold(line: bytes, limit: int = FOLD_LIMIT) -> bytes:
    """Fold a content line so every physical line has at most `limit` octets.

    Never inside a UTF-8 character, and never between a backslash and the character it
    escapes (some clients unescape before unfolding).
    """
    if len(line) <= limit:
        return line
    segments = []
    start = 0
    room = limit
    while len(line) - start > room:
        cut = start + room
        while line[cut] & 0xC0 == 0x80:  # continuation byte: back off to the character start
            cut -= 1
        backslashes = 0
        while line[cut - 1 - backslashes] == 0x5C and cut - 1 - backslashes > start:
            backslashes += 1
        if backslashes % 2:
            cut -= 1
        segments.append(line[start:cut])
        start = cut
        room = limit - 1  # the continuation line starts with a space
    segments.append(line[start:])
    return b"\r\n ".join(segments)
