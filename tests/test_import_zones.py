"""Importing files from other calendars: Windows zones, custom VTIMEZONEs, unknown zones, UTC
times, each read from the file itself whatever was imported before."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tracker.feeds.importer import ImportRefused, import_calendar, parse_calendar
from tracker.models import Event

CORPUS = Path(__file__).parent / "data" / "ics"


def read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def by_title(parsed) -> dict:
    return {values.title: values for values in parsed.events}


def refusal(data: bytes) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        import_calendar(data)
    return refused.value.messages


def test_outlook_export_with_windows_zones_imports_in_their_iana_zones(app, db):
    result = import_calendar(read("outlook-windows-zones.ics"))

    assert result.created == 3
    events = {event.title: event for event in db.session.scalars(select(Event))}
    meeting = events["季度工作例会"]
    assert meeting.timezone == "Asia/Shanghai"
    assert meeting.starts_at == datetime(2024, 3, 15, 6, tzinfo=UTC)
    assert meeting.ends_at == datetime(2024, 3, 15, 8, tzinfo=UTC)
    call = events["纽约办事处视频会议"]
    assert call.timezone == "America/New_York"
    assert call.starts_at == datetime(2024, 7, 12, 13, tzinfo=UTC)  # 09:00 EDT
    assert call.ends_at == datetime(2024, 7, 12, 14, 30, tzinfo=UTC)
    # Exchange often leaves the VTIMEZONE out; the Windows name alone is enough.
    visit = events["柏林合作方来访"]
    assert visit.timezone == "Europe/Berlin"
    assert visit.starts_at == datetime(2024, 9, 12, 8, tzinfo=UTC)


def test_windows_zone_is_read_the_same_after_another_file_defined_it(app):
    """icalendar caches a VTIMEZONE by TZID for the whole process; the import must not care."""
    other = (
        read("custom-zones.ics")
        .decode()
        .replace("TZID:UTC+5", "TZID:China Standard Time")
        .replace("TZID=UTC+5:", 'TZID="China Standard Time":')
    )
    # 10:00 in this file's "China Standard Time" (+05:00 here): Windows names follow CLDR.
    first = by_title(parse_calendar(other.encode()))
    assert first["Tashkent site visit"].timezone == "Asia/Shanghai"

    parsed = parse_calendar(read("outlook-windows-zones.ics"))

    assert not parsed.problems
    meeting = by_title(parsed)["季度工作例会"]
    assert meeting.timezone == "Asia/Shanghai"
    assert meeting.starts_at == datetime(2024, 3, 15, 6, tzinfo=UTC)


def test_custom_zones_are_converted_by_their_offsets(app):
    parsed = parse_calendar(read("custom-zones.ics"))

    assert not parsed.problems
    events = by_title(parsed)
    board = events["Board call"]
    assert board.timezone == "America/New_York"
    assert board.starts_at == datetime(2024, 3, 15, 13, tzinfo=UTC)  # 09:00 EDT, after the switch
    # 27 October 2024 is the day Europe leaves summer time: 12:00 is CET, +01:00.
    lunch = events["Partner lunch"]
    assert lunch.starts_at == datetime(2024, 10, 27, 11, tzinfo=UTC)
    assert lunch.ends_at == datetime(2024, 10, 27, 12, tzinfo=UTC)
    zone = ZoneInfo(lunch.timezone)
    for day in range(0, 366 * 2, 7):
        moment = datetime(2024, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
        assert (
            moment.astimezone(zone).utcoffset()
            == moment.astimezone(ZoneInfo("Europe/Berlin")).utcoffset()
        )
    # One fixed offset becomes an Etc/GMT zone, whose sign is inverted (POSIX).
    visit = events["Tashkent site visit"]
    assert visit.timezone == "Etc/GMT-5"
    assert visit.starts_at == datetime(2024, 6, 1, 5, tzinfo=UTC)
    # A fixed +08:00 that the calendar's zone (the tracker's default here) matches.
    study = events["支部学习"]
    assert study.timezone == "Asia/Shanghai"
    assert study.starts_at == datetime(2024, 6, 1, 1, 30, tzinfo=UTC)


CUSTOM_FOO = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Hand-made//EN\r
BEGIN:VTIMEZONE\r
TZID:Foo\r
BEGIN:STANDARD\r
DTSTART:19700101T000000\r
TZOFFSETFROM:{offset}\r
TZOFFSETTO:{offset}\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20240101T000000Z\r
DTSTART;TZID=Foo:20240601T090000\r
DTEND;TZID=Foo:20240601T100000\r
SUMMARY:Foo meeting\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_zone_defined_again_by_a_later_file_is_read_from_that_file(app, db):
    import_calendar(CUSTOM_FOO.format(offset="+0300", uid="a@example.org").encode())
    import_calendar(CUSTOM_FOO.format(offset="-0500", uid="b@example.org").encode())

    first = db.session.scalar(select(Event).where(Event.uid == "a@example.org"))
    second = db.session.scalar(select(Event).where(Event.uid == "b@example.org"))
    assert (first.timezone, first.starts_at) == ("Etc/GMT-3", datetime(2024, 6, 1, 6, tzinfo=UTC))
    assert (second.timezone, second.starts_at) == (
        "Etc/GMT+5",
        datetime(2024, 6, 1, 14, tzinfo=UTC),
    )


def test_unknown_zones_are_refused_with_their_names(app, db):
    messages = refusal(read("unknown-zones.ics"))

    text = "\n".join(messages)
    assert "火星基地例会" in text
    assert "无法识别的时区“Mars/Olympus_Mons”" in text
    assert "“Lunar/Tranquility”的定义（VTIMEZONE）与任何已知时区都对不上" in text
    assert db.session.scalar(select(Event).limit(1)) is None


def test_unknown_calendar_zone_is_named_in_a_warning(app):
    data = read("google-utc-times.ics").replace(
        b"X-WR-TIMEZONE:Asia/Shanghai", b"X-WR-TIMEZONE:Mars/Olympus_Mons"
    )

    parsed = parse_calendar(data)

    assert [values.timezone for values in parsed.events] == ["Asia/Shanghai"]
    assert any("Mars/Olympus_Mons" in warning for warning in parsed.warnings)


def test_utc_times_take_the_calendars_zone(app, client, db, make_user, sign_in):
    import_calendar(read("google-utc-times.ics"))

    event = db.session.scalar(select(Event))
    assert event.timezone == "Asia/Shanghai"
    assert event.starts_at == datetime(2024, 6, 1, 1, tzinfo=UTC)
    sign_in(make_user())
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "09:00" in page and "11:00" in page
    assert "01:00" not in page


def test_utc_times_take_a_windows_calendar_zone_or_the_trackers(app):
    data = read("google-utc-times.ics")
    new_york = data.replace(b"Asia/Shanghai", b"Eastern Standard Time")
    assert [values.timezone for values in parse_calendar(new_york).events] == ["America/New_York"]
    plain = data.replace(b"X-WR-TIMEZONE:Asia/Shanghai\r\n", b"")
    assert [values.timezone for values in parse_calendar(plain).events] == ["Asia/Shanghai"]
    in_utc = data.replace(b"X-WR-TIMEZONE:Asia/Shanghai", b"X-WR-TIMEZONE:UTC")
    assert [values.timezone for values in parse_calendar(in_utc).events] == ["UTC"]
