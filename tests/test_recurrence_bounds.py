"""Bounded recurrence: rules no activity needs are refused at import, and rules already stored
(old data, or written around the forms) cannot make a page expand without end."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tracker.events.calendar import month_grid, occurrences_between, upcoming_occurrences
from tracker.feeds.importer import ImportRefused, import_calendar
from tracker.models import Event
from tracker.recurrence import rule_problem

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2019, 6, 3, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai

NEVER_OCCURS = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
EVERY_HOUR_OF_THE_DAY = "FREQ=DAILY;BYHOUR=" + ",".join(str(hour) for hour in range(24))


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=SECONDLY", "不支持按秒"),
        ("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30", "不支持按秒"),
        ("FREQ=HOURLY;COUNT=3", "不支持按秒"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", "没有任何一次"),
        (NEVER_OCCURS, "没有任何一次"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=SU", "没有任何一次"),
        ("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "没有任何一次"),
        ("FREQ=DAILY;COUNT=5000000", "重复次数"),
        ("FREQ=DAILY;BYHOUR=9,10;BYMINUTE=" + ",".join(map(str, range(60))), "每天最多"),
        ("FREQ=DAILY;UNTIL=20190101T000000Z", "没有任何一次"),
    ],
)
def test_rules_no_activity_needs_are_refused(app, rule, reason):
    problem = rule_problem(rule, START, SHANGHAI)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=DAILY;COUNT=1000",
        "FREQ=DAILY;BYHOUR=9,14",
    ],
)
def test_rules_activities_use_are_accepted(app, rule):
    assert rule_problem(rule, START, SHANGHAI) is None


def foreign_calendar(rule: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//Calendar//EN\r\n"
        "BEGIN:VEVENT\r\nUID:bomb@other.example\r\nDTSTAMP:20190101T000000Z\r\n"
        "DTSTART:20190603T010000Z\r\nDTEND:20190603T020000Z\r\n"
        f"RRULE:{rule}\r\nSUMMARY:规则炸弹\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
        "FREQ=DAILY;COUNT=5000000",
    ],
)
def test_import_refuses_a_rule_bomb_naming_the_event(db, rule):
    with pytest.raises(ImportRefused) as refusal:
        import_calendar(foreign_calendar(rule))
    _header, message = refusal.value.messages
    assert "规则炸弹" in message and "重复规则" in message
    assert db.session.query(Event).count() == 0


def store_rule(db, event: Event, rule: str) -> None:
    """Write a rule straight into the table, past the form, the import and the listener."""
    db.session.execute(update(Event).where(Event.id == event.id).values(recurrence_rule=rule))
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30",
        NEVER_OCCURS,
        "FREQ=DAILY;COUNT=5000000",
        EVERY_HOUR_OF_THE_DAY,
    ],
)
def test_pages_answer_whatever_rule_is_stored(client, db, make_event, rule):
    event = make_event(title="旧数据", starts_at=START)
    store_rule(db, event, rule)
    for path in ("/?month=2019-06", "/?month=2026-11", "/events/", f"/events/{event.id}"):
        assert client.get(path).status_code == 200, path
    assert client.get("/calendar.ics").status_code == 200


def test_a_rule_repeating_faster_than_daily_shows_its_first_occurrence_only(db, make_event):
    event = make_event(title="每秒", starts_at=START)
    store_rule(db, event, "FREQ=SECONDLY")
    found = occurrences_between(START - timedelta(days=1), START + timedelta(days=30))
    assert [(occurrence.starts_at, occurrence.event.title) for occurrence in found] == [
        (START, "每秒")
    ]


def test_a_rule_that_never_occurs_shows_nothing(db, make_event):
    event = make_event(title="永不", starts_at=START)
    store_rule(db, event, NEVER_OCCURS)
    assert occurrences_between(START, START + timedelta(days=3650)) == []


def test_occurrences_one_page_expands_are_capped(app, db, make_event):
    app.config["RECURRENCE_MAX_OCCURRENCES"] = 50
    event = make_event(title="每小时", starts_at=START, ends_at=START + timedelta(minutes=30))
    store_rule(db, event, EVERY_HOUR_OF_THE_DAY)
    window = (START, START + timedelta(days=30))
    assert len(occurrences_between(*window)) == 50
    grid = month_grid(2019, 6)
    shown = {id(o) for week in grid.weeks for day in week for o in day.occurrences}
    more = sum(day.more for week in grid.weeks for day in week)
    assert len(shown) + more == 50  # a day shows its first few, then a link to the rest
    assert len(upcoming_occurrences(limit=8, now=START)) == 8


def test_series_end_of_a_huge_count_is_not_walked_through(app):
    event = Event(
        title="五百万次",
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        timezone="Asia/Shanghai",
        recurrence_rule="FREQ=DAILY;COUNT=5000000",
    )
    assert event.compute_series_end() is None


def test_series_end_is_the_end_of_the_last_occurrence(app):
    event = Event(
        title="十次",
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        timezone="Asia/Shanghai",
        recurrence_rule="FREQ=WEEKLY;COUNT=10",
    )
    assert event.compute_series_end() == START + timedelta(weeks=9, hours=1)
    event.recurrence_rule = "FREQ=DAILY;UNTIL=20190605T155959Z"
    assert event.compute_series_end() == START + timedelta(days=2, hours=1)
    event.recurrence_rule = NEVER_OCCURS + ";COUNT=3"
    assert event.compute_series_end() == START + timedelta(hours=1)
