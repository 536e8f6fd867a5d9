"""Exceptions of a recurring series: skipped, added and changed (moved, retitled, cancelled)
occurrences, from the event page to the month grid, the statistics, the feeds and back in
through an import. The everyday case: a monthly 三会一课 whose October meeting moves a week
for the 国庆 holiday."""

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from helpers import expand_with_icaljs
from icalendar import Calendar
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tracker.cache import data_version
from tracker.events.calendar import month_grid
from tracker.events.exceptions import OccurrenceRow, add_occurrence, change_occurrence
from tracker.events.exceptions import skip_occurrence as skip
from tracker.feeds.importer import ImportRefused, import_calendar
from tracker.models import AuditEntry, Event, OccurrenceChange
from tracker.stats.queries import gather_statistics, parse_stats_filters

SHANGHAI = ZoneInfo("Asia/Shanghai")
CORPUS = Path(__file__).parent / "data" / "ics"
MEETING = "“三会一课”支部党员大会"
# A year whose September is always ahead, so the page lists the series' occurrences.
YEAR = datetime.now(UTC).year + 1


def first_friday(year: int, month: int, week: int = 1) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(4 - day.weekday()) % 7 + 7 * (week - 1))


def at_seven_pm(day: date) -> datetime:
    return datetime.combine(day, time(19, 0), tzinfo=SHANGHAI).astimezone(UTC)


def key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local_text(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y%m%dT%H%M%S")


def make_meeting(make_event, count: int = 6, **overrides) -> Event:
    """The monthly 三会一课 on the first Friday, 19:00–21:00, from September of YEAR."""
    start = at_seven_pm(first_friday(YEAR, 9))
    values = {
        "title": MEETING,
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "timezone": "Asia/Shanghai",
        "recurrence_rule": f"FREQ=MONTHLY;BYDAY=1FR;COUNT={count}",
    }
    return make_event(**(values | overrides))


def month_days(year: int, month: int) -> dict[date, list]:
    grid = month_grid(year, month, include_internal=True)
    return {day.day: day.occurrences for week in grid.weeks for day in week if day.in_month}


def post(client, csrf_token, path, **data):
    return client.post(path, data={"csrf_token": csrf_token("/feeds/tokens"), **data})


# --- the everyday case, through the event page ---------------------------------------------


def test_october_meeting_moved_a_week_for_national_day_everywhere(
    app, client, db, make_event, make_user, sign_in, csrf_token
):
    meeting = make_meeting(make_event)
    sequence = meeting.sequence
    version = data_version().key
    sign_in(make_user("admin", role="admin"))
    october = at_seven_pm(first_friday(YEAR, 10))
    moved_to = first_friday(YEAR, 10, week=2)

    page = client.get(f"/events/{meeting.id}").text
    assert "仅修改此次" in page and "跳过此次" in page and "添加一次" in page
    assert f'value="{key(october)}"' in page
    form = client.get(f"/events/{meeting.id}/occurrences/change?occurrence={key(october)}")
    assert form.status_code == 200 and f'value="{first_friday(YEAR, 10).isoformat()}"' in form.text

    response = post(
        client,
        csrf_token,
        f"/events/{meeting.id}/occurrences/change",
        occurrence=key(october),
        date=moved_to.isoformat(),
        start_time="19:00",
        end_time="21:00",
        title=MEETING,
        location="党群服务中心二楼会议室",
        note="国庆假期顺延一周",
    )
    assert response.status_code == 302

    db.session.expire_all()
    meeting = db.session.get(Event, meeting.id)
    [change] = meeting.occurrence_changes
    assert (change.kind, change.starts_at) == ("changed", at_seven_pm(moved_to))
    assert change.title is None  # the series' own title is no change
    assert meeting.sequence == sequence + 1
    assert data_version().key != version
    october_days = month_days(YEAR, 10)
    assert october_days[first_friday(YEAR, 10)] == []
    [moved] = october_days[moved_to]
    assert moved.change is not None and moved.starts_at == at_seven_pm(moved_to)

    page = client.get(f"/events/{meeting.id}").text
    assert "本次有变动" in page and "党群服务中心二楼会议室" in page and "国庆假期顺延一周" in page
    history = page.split("修改记录", 1)[1]
    assert "修改一次" in history and "改到" in history

    body = client.get(f"/events/{meeting.id}.ics").data
    calendar = Calendar.from_ical(body)
    override = [item for item in calendar.walk("VEVENT") if "RECURRENCE-ID" in item]
    assert len(override) == 1
    assert f"RECURRENCE-ID;TZID=Asia/Shanghai:{local_text(october)}" in body.decode()
    assert override[0]["DTSTART"].dt == at_seven_pm(moved_to)
    assert override[0]["SEQUENCE"] == meeting.sequence
    # The internal note is written into no feed, not even the signed-in coordinator's file.
    assert "国庆假期顺延一周".encode() not in body
    assert "国庆假期顺延一周".encode() not in app.test_client().get("/calendar.ics").data


def test_only_editors_see_the_occurrence_buttons(client, make_event):
    meeting = make_meeting(make_event)
    page = client.get(f"/events/{meeting.id}").text
    assert "近期各次" in page
    assert "跳过此次" not in page and "仅修改此次" not in page and "添加一次" not in page


def test_skip_and_restore_a_date(app, client, db, make_event, make_user, sign_in, csrf_token):
    meeting = make_meeting(make_event)
    sign_in(make_user("admin", role="admin"))
    november = at_seven_pm(first_friday(YEAR, 11))
    path = f"/events/{meeting.id}/occurrences"

    assert post(client, csrf_token, f"{path}/skip", occurrence=key(november)).status_code == 302
    page = client.get(f"/events/{meeting.id}").text
    assert "已跳过" in page and "恢复此次" in page
    assert month_days(YEAR, 11)[first_friday(YEAR, 11)] == []
    body = client.get(f"/events/{meeting.id}.ics").data.decode()
    assert f"EXDATE;TZID=Asia/Shanghai:{local_text(november)}" in body

    assert post(client, csrf_token, f"{path}/restore", occurrence=key(november)).status_code == 302
    assert len(month_days(YEAR, 11)[first_friday(YEAR, 11)]) == 1
    assert "EXDATE" not in client.get(f"/events/{meeting.id}.ics").data.decode()
    db.session.expire_all()
    assert db.session.get(Event, meeting.id).sequence == 2
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["skip_occurrence", "restore_occurrence"]


def test_a_changed_occurrence_can_be_skipped(db, make_event, make_user):
    admin = make_user("admin", role="admin")
    meeting = make_meeting(make_event)
    october = at_seven_pm(first_friday(YEAR, 10))
    later = october + timedelta(days=7)
    change_occurrence(
        meeting, OccurrenceRow(october, "changed", later, later + timedelta(hours=2)), admin
    )
    skip(meeting, october, admin)
    [skipped] = meeting.occurrence_changes
    assert (skipped.kind, skipped.starts_at) == ("skipped", None)
    assert month_days(YEAR, 10)[later.astimezone(SHANGHAI).date()] == []


def test_a_date_the_series_does_not_have_cannot_be_skipped(
    client, db, make_event, make_user, sign_in, csrf_token
):
    meeting = make_meeting(make_event)
    sign_in(make_user("admin", role="admin"))
    thursday = at_seven_pm(first_friday(YEAR, 11) - timedelta(days=1))
    response = post(
        client, csrf_token, f"/events/{meeting.id}/occurrences/skip", occurrence=key(thursday)
    )
    assert response.status_code == 302
    assert "该日期不是此重复活动的一次" in client.get(response.headers["Location"]).text
    for bad in ("99991231T235959Z", "00010101T000000Z", "2027-10-01", "x" * 5000):
        response = post(
            client, csrf_token, f"/events/{meeting.id}/occurrences/skip", occurrence=bad
        )
        assert response.status_code == 302
        assert "未指定要修改的那一次活动" in client.get(response.headers["Location"]).text
        page = client.get(f"/events/{meeting.id}/occurrences/change?occurrence={bad[:100]}")
        assert page.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(OccurrenceChange)) == 0


def test_an_extra_date_is_added_and_bad_ones_refused(
    client, db, make_event, make_user, sign_in, csrf_token
):
    meeting = make_meeting(make_event, count=2)  # September and October
    sign_in(make_user("admin", role="admin"))
    path = f"/events/{meeting.id}/occurrences/add"
    assert client.get(path).status_code == 200
    december = date(YEAR, 12, 20)
    added = post(
        client, csrf_token, path, date=december.isoformat(), start_time="15:00", end_time="17:00"
    )
    assert added.status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Event, meeting.id)
    start = datetime.combine(december, time(15), tzinfo=SHANGHAI).astimezone(UTC)
    # The series now ends with the added date, so range queries find it in December.
    assert meeting.series_ends_at == start + timedelta(hours=2)
    assert [o.starts_at for o in month_days(YEAR, 12)[december]] == [start]
    assert (
        f"RDATE;TZID=Asia/Shanghai:{local_text(start)}"
        in client.get(f"/events/{meeting.id}.ics").data.decode()
    )

    again = post(
        client, csrf_token, path, date=december.isoformat(), start_time="15:00", end_time="17:00"
    )
    assert again.status_code == 422 and "这个时间已经有一次活动了" in again.text
    early = post(client, csrf_token, path, date=f"{YEAR}-08-01", start_time="19:00")
    assert early.status_code == 422 and "不能早于该重复活动的第一次" in early.text
    backwards = post(
        client, csrf_token, path, date=f"{YEAR}-12-21", start_time="19:00", end_time="18:00"
    )
    assert backwards.status_code == 422 and "结束时间不能早于开始时间" in backwards.text
    assert len(db.session.get(Event, meeting.id).occurrence_changes) == 1


def test_a_too_long_title_for_one_occurrence_is_refused(
    client, db, make_event, make_user, sign_in, csrf_token
):
    meeting = make_meeting(make_event)
    sign_in(make_user("admin", role="admin"))
    october = at_seven_pm(first_friday(YEAR, 10))
    response = post(
        client,
        csrf_token,
        f"/events/{meeting.id}/occurrences/change",
        occurrence=key(october),
        date=first_friday(YEAR, 10).isoformat(),
        title="长" * 201,
    )
    assert response.status_code == 422 and "不能超过 200 个字符" in response.text
    assert db.session.scalar(select(func.count()).select_from(OccurrenceChange)) == 0


def test_a_cancelled_occurrence_is_struck_through_and_counts_nowhere(
    app, client, db, make_event, make_user, sign_in, csrf_token
):
    meeting = make_meeting(make_event)
    sign_in(make_user("admin", role="admin"))
    december = first_friday(YEAR, 12)
    response = post(
        client,
        csrf_token,
        f"/events/{meeting.id}/occurrences/change",
        occurrence=key(at_seven_pm(december)),
        date=december.isoformat(),
        start_time="19:00",
        end_time="21:00",
        cancelled="y",
    )
    assert response.status_code == 302
    [shown] = month_days(YEAR, 12)[december]
    assert shown.is_cancelled
    page = client.get(f"/?month={YEAR}-12").text
    assert re.search(r'class="day-event cancelled"[^>]*title="' + re.escape(MEETING), page)
    assert "本次取消" in client.get(f"/events/{meeting.id}").text

    body = client.get(f"/events/{meeting.id}.ics").data
    assert "X-TRACKER-CANCELLED=TRUE" in body.decode()
    window = (datetime(YEAR, 12, 1, tzinfo=SHANGHAI), datetime(YEAR + 1, 1, 1, tzinfo=SHANGHAI))
    # (ical.js reads the same marked EXDATE in the Google round trip below.)
    assert recurring_ical_events.of(Calendar.from_ical(body)).between(*window) == []

    def activities(start: str, end: str) -> int:
        with app.test_request_context():
            scope = parse_stats_filters(MultiDict({"from": start, "to": end}), True)
            return gather_statistics(scope).totals.activities

    assert activities(f"{YEAR}-12-01", f"{YEAR}-12-31") == 0
    assert activities(f"{YEAR}-11-01", f"{YEAR}-11-30") == 1
    assert activities(f"{YEAR}-11-01", f"{YEAR}-12-31") == 1


# --- import and export ----------------------------------------------------------------------


def _every_kind_of_exception(db, meeting, user):
    """Skip November, move October (own title and place, a note), cancel December, add a
    date in January."""
    october, november, december = (at_seven_pm(first_friday(YEAR, m)) for m in (10, 11, 12))
    moved = at_seven_pm(first_friday(YEAR, 10, week=2))
    change_occurrence(
        meeting,
        OccurrenceRow(
            october,
            "changed",
            moved,
            moved + timedelta(hours=2),
            title="支部党员大会（国庆顺延）",
            location="党群服务中心二楼会议室",
            note="国庆假期顺延一周",
        ),
        user,
    )
    skip(meeting, november, user)
    change_occurrence(
        meeting,
        OccurrenceRow(
            december, "changed", december, december + timedelta(hours=2), is_cancelled=True
        ),
        user,
    )
    extra = at_seven_pm(date(YEAR + 1, 1, 20))
    add_occurrence(meeting, extra, extra + timedelta(hours=2), user)


def _rows(event: Event) -> list[tuple]:
    return [
        (c.original_starts_at, c.kind, c.starts_at, c.ends_at, c.title, c.location, c.is_cancelled)
        for c in event.occurrence_changes
    ]


def test_own_export_imports_back_with_no_change_and_into_an_empty_database(
    client, db, make_event, make_user
):
    admin = make_user("admin", role="admin")
    meeting = make_meeting(make_event)
    _every_kind_of_exception(db, meeting, admin)
    rows, uid = _rows(meeting), meeting.uid
    exported = client.get("/calendar.ics").data

    result = import_calendar(exported)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    db.session.expire_all()
    meeting = db.session.scalar(select(Event).where(Event.uid == uid))
    assert _rows(meeting) == rows
    assert [c.note for c in meeting.occurrence_changes if c.note] == ["国庆假期顺延一周"]

    db.session.delete(meeting)
    db.session.commit()
    result = import_calendar(exported)
    assert result.created == 1
    imported = db.session.scalar(select(Event).where(Event.uid == uid))
    assert _rows(imported) == rows


def test_overrides_before_their_series_are_kept_and_orphans_named(db):
    text = (CORPUS / "google_recurring.ics").read_text(encoding="utf-8")
    orphan = (
        "BEGIN:VEVENT\r\nUID:lost@example.com\r\nDTSTAMP:20270915T020000Z\r\n"
        "RECURRENCE-ID;TZID=Asia/Shanghai:20271001T190000\r\n"
        "DTSTART;TZID=Asia/Shanghai:20271002T190000\r\nSUMMARY:孤立的单次修改\r\nEND:VEVENT\r\n"
    )
    result = import_calendar(text.replace("END:VCALENDAR", orphan + "END:VCALENDAR").encode())
    assert result.created == 2
    assert any(
        "lost@example.com" in warning and "RECURRENCE-ID" in warning for warning in result.warnings
    )
    meeting = db.session.scalar(select(Event).where(Event.title == MEETING))
    [moved] = meeting.occurrence_changes  # the override stood before the series in the file
    assert moved.original_starts_at == datetime(2027, 10, 1, 11, tzinfo=UTC)
    assert moved.starts_at == datetime(2027, 10, 8, 11, tzinfo=UTC)
    assert moved.title == "“三会一课”支部党员大会（国庆顺延）"
    assert moved.location == "金鼎社区党群服务中心二楼会议室"
    visits = db.session.scalar(select(Event).where(Event.title == "网格走访"))
    assert [(c.kind, c.is_cancelled) for c in visits.occurrence_changes] == [
        ("skipped", False),
        ("skipped", False),
        ("changed", True),
    ]
    assert db.session.scalar(select(func.count()).select_from(Event)) == 2


# --- the Google corpus, read three ways ------------------------------------------------------

WINDOW = (datetime(2027, 9, 1, tzinfo=SHANGHAI), datetime(2028, 3, 1, tzinfo=SHANGHAI))


def _held_by_icaljs(body: bytes) -> set[tuple]:
    return {
        (item["uid"], datetime.fromtimestamp(item["start"], UTC), item["summary"])
        for item in expand_with_icaljs(body, *WINDOW)
        if item["status"] != "CANCELLED"
    }


def _held_by_recurring_ical_events(body: bytes) -> set[tuple]:
    return {
        (str(item["UID"]), item["DTSTART"].dt.astimezone(UTC), str(item["SUMMARY"]))
        for item in recurring_ical_events.of(Calendar.from_ical(body)).between(*WINDOW)
        if str(item.get("STATUS", "")).upper() != "CANCELLED"
    }


def _held_by_tracker(db) -> set[tuple]:
    held = set()
    for event in db.session.scalars(select(Event)):
        for slot in event.occurrence_slots(*WINDOW):
            if not slot.is_cancelled:
                held.add((event.uid, slot.starts_at, slot.title or event.title))
    return held


def test_google_export_lists_the_same_occurrences_in_icaljs_recurring_ical_events_and_tracker(
    client, db
):
    source = (CORPUS / "google_recurring.ics").read_bytes()
    expected = _held_by_icaljs(source)
    assert expected == _held_by_recurring_ical_events(source)
    assert (
        len(expected) == 6 + 8
    )  # six meetings (one moved); eight visits (two skipped, one cancelled)
    assert (
        "3h1c0m9kq2s7bq5v8d4e6f0a1b@google.com",
        datetime(2027, 10, 8, 11, tzinfo=UTC),
        "“三会一课”支部党员大会（国庆顺延）",
    ) in expected

    imported = import_calendar(source)
    assert imported.created == 2
    assert not [warning for warning in imported.warnings if re.search("EXDATE|RECURRENCE", warning)]
    assert _held_by_tracker(db) == expected
    exported = client.get("/calendar.ics").data
    assert _held_by_icaljs(exported) == expected
    assert _held_by_recurring_ical_events(exported) == expected

    again = import_calendar(exported)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _held_by_tracker(db) == expected


def test_exceptions_follow_the_series_when_its_time_of_day_changes(db, make_event, make_user):
    admin = make_user("admin", role="admin")
    meeting = make_meeting(make_event)
    november = at_seven_pm(first_friday(YEAR, 11))
    skip(meeting, november, admin)
    december = at_seven_pm(first_friday(YEAR, 12))
    change_occurrence(
        meeting,
        OccurrenceRow(december, "changed", december, december + timedelta(hours=2), title="年终"),
        admin,
    )
    meeting.starts_at -= timedelta(minutes=30)  # now 18:30–21:00
    db.session.commit()
    earlier = timedelta(minutes=30)
    assert [(c.kind, c.original_starts_at) for c in meeting.occurrence_changes] == [
        ("skipped", november - earlier),
        ("changed", december - earlier),
    ]
    assert month_days(YEAR, 11)[first_friday(YEAR, 11)] == []
    [retitled] = month_days(YEAR, 12)[first_friday(YEAR, 12)]
    assert retitled.title == "年终" and retitled.starts_at == december - earlier


def _series_file(extra_series_lines: str = "", extra_events: str = "") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\nBEGIN:VEVENT\r\n"
        "UID:weekly@example.com\r\nDTSTAMP:20270101T000000Z\r\nSUMMARY:每周例会\r\n"
        "DTSTART;TZID=Asia/Shanghai:20270104T090000\r\n"
        "DTEND;TZID=Asia/Shanghai:20270104T100000\r\nRRULE:FREQ=DAILY;COUNT=900\r\n"
        f"{extra_series_lines}END:VEVENT\r\n{extra_events}END:VCALENDAR\r\n"
    ).encode()


def test_imported_exceptions_are_bounded_and_checked(db):
    too_many = "".join(
        f"EXDATE;TZID=Asia/Shanghai:{(date(2027, 1, 5) + timedelta(days=n)):%Y%m%d}T090000\r\n"
        for n in range(501)
    )
    with pytest.raises(ImportRefused) as refused:
        import_calendar(_series_file(too_many))
    assert "最多 500 处" in str(refused.value) and "每周例会" in str(refused.value)

    backwards = (
        "BEGIN:VEVENT\r\nUID:weekly@example.com\r\nDTSTAMP:20270101T000000Z\r\n"
        "RECURRENCE-ID;TZID=Asia/Shanghai:20270105T090000\r\n"
        "DTSTART;TZID=Asia/Shanghai:20270105T110000\r\n"
        "DTEND;TZID=Asia/Shanghai:20270105T100000\r\nSUMMARY:每周例会\r\nEND:VEVENT\r\n"
    )
    with pytest.raises(ImportRefused) as refused:
        import_calendar(_series_file(extra_events=backwards))
    assert "结束时间早于开始时间" in str(refused.value)
    assert "weekly@example.com" in str(refused.value)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
