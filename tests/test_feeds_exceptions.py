"""Exceptions of a series in the feeds: EXDATE and RDATE in DTSTART's own form (TZID, UTC or
VALUE=DATE), override VEVENTs with the series' UID and a RECURRENCE-ID, cancelled occurrences
as marked EXDATEs, no internal notes anywhere; the fast writer and icalendar agree."""

from datetime import UTC, date, datetime, timedelta

import recurring_ical_events
from helpers import expand_with_icaljs, get_feed
from icalendar import Calendar

from tracker.events.exceptions import OccurrenceRow, add_occurrence, change_occurrence
from tracker.events.exceptions import skip_occurrence as skip
from tracker.events.queries import EventFilters
from tracker.feeds.builder import FeedContext, build_calendar
from tracker.feeds.queries import load_feed_events, public_feed_events
from tracker.feeds.services import create_feed_token
from tracker.feeds.writer import render_calendar

START = datetime(2030, 1, 7, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai


def weekly(make_event, **overrides):
    values = {
        "title": "网格走访",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "timezone": "Asia/Shanghai",
        "recurrence_rule": "FREQ=WEEKLY;COUNT=6",
    }
    return make_event(**(values | overrides))


def every_kind(event, user, step=timedelta(weeks=1)):
    """Skip week 2, move week 3 by a day with its own title, place and note, cancel week 4,
    add a day after the last week."""
    skip(event, event.starts_at + step, user)
    third = event.starts_at + 2 * step
    moved = third + timedelta(days=1)
    change_occurrence(
        event,
        OccurrenceRow(
            third,
            "changed",
            moved,
            moved + (event.ends_at - event.starts_at),
            title="网格走访（改期）",
            location="第三网格活动室",
            note="内部：人手不够",
        ),
        user,
    )
    fourth = event.starts_at + 3 * step
    change_occurrence(
        event,
        OccurrenceRow(
            fourth, "changed", fourth, fourth + (event.ends_at - event.starts_at), is_cancelled=True
        ),
        user,
    )
    extra = event.starts_at + 6 * step + timedelta(days=2)
    add_occurrence(event, extra, extra + (event.ends_at - event.starts_at), user)


def test_zoned_series_writes_exdate_rdate_and_an_override(client, make_event, make_user):
    event = weekly(make_event)
    every_kind(event, make_user("admin", role="admin"))
    response, calendar, parsed = get_feed(client, "/calendar.ics")
    body = response.data.decode()
    assert "EXDATE;TZID=Asia/Shanghai:20300114T090000\r\n" in body
    assert "EXDATE;TZID=Asia/Shanghai;X-TRACKER-CANCELLED=TRUE:20300128T090000\r\n" in body
    assert "RDATE;TZID=Asia/Shanghai:20300220T090000\r\n" in body
    series, override = calendar.walk("VEVENT")
    assert str(override["UID"]) == str(series["UID"]) == event.uid
    assert override["RECURRENCE-ID"].dt == START + timedelta(weeks=2)
    assert override["RECURRENCE-ID"].params["TZID"] == "Asia/Shanghai"
    assert override["DTSTART"].dt == START + timedelta(weeks=2, days=1)
    assert str(override["SUMMARY"]) == "网格走访（改期）"
    assert str(override["LOCATION"]) == "第三网格活动室"
    assert override["SEQUENCE"] == series["SEQUENCE"] and "DTSTAMP" in override
    assert "RRULE" not in override and "EXDATE" not in override
    assert not any(name.startswith("X-TRACKER") for name in override)
    assert "人手不够" not in body
    assert [item["uid"] for item in parsed["events"]] == [event.uid, event.uid]

    window = (START, START + timedelta(weeks=10))
    expected = [
        START,
        START + timedelta(weeks=2, days=1),
        START + timedelta(weeks=4),
        START + timedelta(weeks=5),
        START + timedelta(weeks=6, days=2),
    ]
    icaljs = sorted(
        datetime.fromtimestamp(item["start"], UTC)
        for item in expand_with_icaljs(body.encode(), *window)
    )
    python = sorted(
        item["DTSTART"].dt.astimezone(UTC)
        for item in recurring_ical_events.of(Calendar.from_ical(body)).between(*window)
    )
    tracker = [start for start, _end in event.occurrences_between(*window)]
    assert icaljs == python == tracker == expected


def test_all_day_and_utc_series_write_exceptions_like_their_dtstart(client, make_event, make_user):
    admin = make_user("admin", role="admin")
    all_day_start = datetime(2030, 1, 6, 16, tzinfo=UTC)  # 7 January in Shanghai
    all_day = weekly(
        make_event,
        title="安全巡查",
        is_all_day=True,
        starts_at=all_day_start,
        ends_at=all_day_start + timedelta(days=1),
    )
    every_kind(all_day, admin)
    in_utc = weekly(make_event, title="线上例会", timezone="UTC")
    every_kind(in_utc, admin)
    response, calendar, _parsed = get_feed(client, "/calendar.ics")
    body = response.data.decode()
    assert "EXDATE;VALUE=DATE:20300114\r\n" in body
    assert "RDATE;VALUE=DATE:20300220\r\n" in body
    assert "RECURRENCE-ID;VALUE=DATE:20300121\r\n" in body
    assert "EXDATE:20300114T010000Z\r\n" in body
    assert "RECURRENCE-ID:20300121T010000Z\r\n" in body
    overrides = [item for item in calendar.walk("VEVENT") if "RECURRENCE-ID" in item]
    assert {item["DTSTART"].dt for item in overrides} == {
        date(2030, 1, 22),
        START + timedelta(weeks=2, days=1),
    }


def test_fast_writer_equals_icalendar_for_series_with_exceptions(app, make_event, make_user):
    admin = make_user("admin", role="admin")
    every_kind(weekly(make_event), admin)
    every_kind(weekly(make_event, title="全天", is_all_day=True), admin, timedelta(weeks=1))
    with app.test_request_context("/calendar.ics"):
        events = load_feed_events(public_feed_events(EventFilters()))
        context = FeedContext("https://huodong.example.cn")
        served = render_calendar(events, "活动日历", context)
        reference = build_calendar(events, "活动日历", context).to_ical()
    assert Calendar.from_ical(served) == Calendar.from_ical(reference)
    assert sorted(served.replace(b"\r\n ", b"").split(b"\r\n")) == sorted(
        reference.replace(b"\r\n ", b"").split(b"\r\n")
    )


def test_private_feed_and_event_file_carry_exceptions_without_notes(
    app, client, db, make_event, make_user, sign_in
):
    admin = make_user("admin", role="admin")
    event = weekly(make_event)
    every_kind(event, admin)
    _token, secret = create_feed_token(admin, "手机")
    private = client.get(f"/feeds/private/{secret}.ics").data.decode()
    assert "RECURRENCE-ID" in private and "EXDATE" in private and "人手不够" not in private
    sign_in(admin)
    single = client.get(f"/events/{event.id}.ics").data.decode()
    assert "RECURRENCE-ID" in single and "RDATE" in single and "人手不够" not in single
