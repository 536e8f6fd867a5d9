"""Feed test helpers (no tests): RFC 5545 form checks, icalendar and ical.js parses."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from icalendar import Calendar

ROOT = Path(__file__).resolve().parent.parent
PARSE_SCRIPT = ROOT / "tests" / "js" / "parse_ics.mjs"


def check_wire_format(body: bytes) -> None:
    """CRLF line ends, physical lines of at most 75 octets that each decode alone as UTF-8."""
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "bare LF in the feed"
    assert b"\r" not in body.replace(b"\r\n", b""), "bare CR in the feed"
    for line in body.split(b"\r\n")[:-1]:
        assert len(line) <= 75, f"line of {len(line)} octets: {line[:40]!r}"
        line.decode("utf-8")  # a folded line never ends or starts inside a character


def check_timezones(calendar: Calendar) -> None:
    """Every TZID used by a property has its VTIMEZONE."""
    defined = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    used = set()
    for component in calendar.walk("VEVENT"):
        for value in component.values():
            for item in value if isinstance(value, list) else [value]:
                tzid = getattr(item, "params", {}).get("TZID")
                if tzid:
                    used.add(str(tzid))
    assert used <= defined, f"TZIDs without VTIMEZONE: {used - defined}"


def parse_with_icaljs(body: bytes) -> dict:
    """The feed as Mozilla's ical.js (Thunderbird's parser) reads it."""
    node = shutil.which("node")
    installed = (ROOT / "node_modules" / "ical.js").is_dir()
    if node is None or not installed:
        message = "ical.js is not installed: run `npm install` (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    completed = subprocess.run(  # noqa: S603
        [node, str(PARSE_SCRIPT)],
        input=body,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return json.loads(completed.stdout)


def parse_feed(body: bytes) -> tuple[Calendar, dict]:
    """Check the wire format and parse the feed with both parsers."""
    check_wire_format(body)
    calendar = Calendar.from_ical(body)
    check_timezones(calendar)
    parsed = parse_with_icaljs(body)
    python_uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert [event["uid"] for event in parsed["events"]] == python_uids
    return calendar, parsed


def get_feed(client, url: str, **kwargs):
    """GET a feed, check the answer and both parses; (response, calendar, ical.js view)."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.data[:500]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar, parsed = parse_feed(response.data)
    return response, calendar, parsed


def events_by_uid(calendar: Calendar) -> dict:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def comparable(calendar: Calendar, ignore=("DTSTAMP",)) -> dict:
    """Each event's properties as text, without those that may differ between exports."""
    result = {}
    for event in calendar.walk("VEVENT"):
        lines = [
            line
            for line in event.content_lines()
            if line and not re.match(rf"^({'|'.join(ignore)})[;:]", line)
        ]
        result[str(event["UID"])] = sorted(lines)
    return result


EXPAND_SCRIPT = ROOT / "tests" / "js" / "expand_ics.mjs"


def expand_with_icaljs(body: bytes, start, end) -> list[dict]:
    """Occurrences between two aware datetimes as ical.js expands them, overrides applied:
    dicts of uid, start (seconds since 1970), summary, status."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        message = "ical.js is not installed: run `npm install` (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    completed = subprocess.run(  # noqa: S603
        [node, str(EXPAND_SCRIPT), str(int(start.timestamp())), str(int(end.timestamp()))],
        input=body,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return json.loads(completed.stdout)
