"""Importing iCalendar files: create or update by UID, all or nothing, round trip with export."""

import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from helpers import comparable, events_by_uid, get_feed
from icalendar import Calendar, vText
from sqlalchemy import func, select

from tracker.feeds.builder import PRODID
from tracker.feeds.importer import ImportRefused, import_calendar
from tracker.feeds.services import feed_cache
from tracker.models import (
    AuditEntry,
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Stop,
)
from tracker.recurrence import until_in_zone

SHANGHAI = ZoneInfo("Asia/Shanghai")

FOREIGN = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Other//Calendar//EN\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:weekly-1@other.example\r
DTSTAMP:20190101T000000Z\r
DTSTART;TZID=Europe/Berlin:20190306T090000\r
DTEND;TZID=Europe/Berlin:20190306T100000\r
RRULE:FREQ=WEEKLY;UNTIL=20190403T070000Z\r
SUMMARY:Weekly meeting\\, Berlin\r
DESCRIPTION:Line one\\nLine two\r
LOCATION:Rathaus Schöneberg\r
GEO:52.4849;13.3442\r
SEQUENCE:2\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:cancelled-1@other.example\r
DTSTAMP:20190101T000000Z\r
DTSTART;VALUE=DATE:20190601\r
DTEND;VALUE=DATE:20190603\r
SUMMARY:取消的活动\r
STATUS:CANCELLED\r
CLASS:PRIVATE\r
CATEGORIES:安全生产\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def upload(client, data: bytes, filename="calendar.ics"):
    """Upload, and confirm the preview when one is shown (the import's two steps)."""
    page = client.get("/feeds/import").get_data(as_text=True)
    response = client.post(
        "/feeds/import",
        data={"csrf_token": _csrf(page), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )
    preview = response.get_data(as_text=True)
    upload_id = re.search(r'name="upload_id" type="hidden" value="([^"]+)"', preview)
    if response.status_code != 200 or upload_id is None:
        return response
    return client.post(
        "/feeds/import",
        data={"csrf_token": _csrf(preview), "upload_id": upload_id.group(1), "confirm": "确认导入"},
    )


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_upload_creates_events_keeping_zone_recurrence_cancellation_and_place(
    client, db, make_user, sign_in
):
    sign_in(make_user())
    response = upload(client, FOREIGN.encode())
    assert response.status_code == 200
    assert "新建 2 项" in response.get_data(as_text=True)
    weekly = db.session.scalar(select(Event).where(Event.uid == "weekly-1@other.example"))
    assert weekly.title == "Weekly meeting, Berlin"
    assert weekly.description == "Line one\nLine two"
    assert weekly.timezone == "Europe/Berlin"
    assert weekly.starts_at == datetime(2019, 3, 6, 8, tzinfo=UTC)
    assert weekly.recurrence_rule == "FREQ=WEEKLY;UNTIL=20190403T070000Z"
    starts = [
        start
        for start, _ in weekly.occurrences_between(
            datetime(2019, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC)
        )
    ]
    assert [start.astimezone(ZoneInfo("Europe/Berlin")).hour for start in starts] == [9] * 5
    assert weekly.sequence == 2
    [stop] = weekly.stops
    assert stop.location.name == "Rathaus Schöneberg"
    assert (stop.location.latitude, stop.location.longitude) == (52.4849, 13.3442)
    cancelled = db.session.scalar(select(Event).where(Event.uid == "cancelled-1@other.example"))
    assert cancelled.status == "cancelled"
    assert cancelled.visibility == "internal"
    assert cancelled.is_all_day
    assert cancelled.category.name_zh == "安全生产"
    assert cancelled.local_starts_at.date() == date(2019, 6, 1)
    assert cancelled.last_local_day == date(2019, 6, 2)
    imports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert sorted(entry.entity_id for entry in imports) == sorted([weekly.id, cancelled.id])

    # and what was imported goes out again in the feed, expanded the same way
    _, calendar, _ = get_feed(client, "/calendar.ics")
    occurrences = recurring_ical_events.of(calendar).between(date(2019, 1, 1), date(2020, 1, 1))
    assert len([o for o in occurrences if str(o["UID"]) == weekly.uid]) == 5


def test_upload_updates_events_whose_uid_is_known(client, db, make_user, sign_in, make_event):
    user = make_user(role="admin")
    existing = make_event(uid="weekly-1@other.example", title="旧标题", sequence=1)
    sign_in(user)
    response = upload(client, FOREIGN.encode())
    assert "新建 1 项，更新 1 项" in response.get_data(as_text=True)
    db.session.expire_all()
    updated = db.session.get(Event, existing.id)
    assert updated.title == "Weekly meeting, Berlin"
    assert updated.uid == "weekly-1@other.example"
    assert updated.sequence == 2
    assert count(db, Event) == 2


def test_coordinator_cannot_overwrite_another_organisations_event(
    client, db, make_user, sign_in, make_event, make_organization
):
    mine, theirs = make_organization(), make_organization()
    make_event(uid="weekly-1@other.example", title="别人的活动", hosts=[theirs])
    sign_in(make_user(organization=mine))
    response = upload(client, FOREIGN.encode())
    assert response.status_code == 400
    assert "无权编辑" in response.get_data(as_text=True)
    assert db.session.scalar(select(Event.title)) == "别人的活动"
    assert count(db, Event) == 1


def test_malformed_file_is_refused_with_a_message_and_nothing_saved(client, db, make_user, sign_in):
    sign_in(make_user())
    broken = FOREIGN.replace("DTSTART;VALUE=DATE:20190601\r\n", "DTSTART;VALUE=DATE:2019-06-xx\r\n")
    response = upload(client, broken.encode())
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "未导入" in text
    assert count(db, Event) == 0
    assert count(db, Location) == 0

    for data, message in (
        (b"hello", "BEGIN:VCALENDAR"),
        (b"", "文件是空的"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "没有任何活动"),
        (FOREIGN.encode("utf-16"), "UTF-8"),
        (
            FOREIGN.replace(
                "RRULE:FREQ=WEEKLY;UNTIL=20190403T070000Z", "RRULE:FREQ=WEEKLY;COUNT=x"
            ).encode(),
            "RRULE",
        ),
    ):
        response = upload(client, data)
        assert response.status_code == 400, message
        assert message in response.get_data(as_text=True), message
    assert count(db, Event) == 0


def test_one_bad_event_saves_none_of_the_good_ones(db, app):

    bad = FOREIGN.replace("DTSTART;VALUE=DATE:20190601\r\n", "")
    try:
        import_calendar(bad.encode())
    except ImportRefused as refusal:
        assert any("缺少开始时间" in message for message in refusal.messages)
    else:
        raise AssertionError("the file was accepted")
    assert count(db, Event) == 0
    assert count(db, Location) == 0


def test_oversized_file_is_refused_with_a_message(app, client, db, make_user, sign_in):
    app.config["FEEDS_IMPORT_MAX_BYTES"] = 1000
    sign_in(make_user())
    response = upload(client, FOREIGN.encode() + b" " * 2000)
    assert response.status_code == 400
    assert "文件太大" in response.get_data(as_text=True)
    assert count(db, Event) == 0


def test_import_page_needs_sign_in(client):
    assert client.get("/feeds/import").status_code == 302


def test_cli_imports_a_file(runner, db, tmp_path):
    path = tmp_path / "calendar.ics"
    path.write_bytes(FOREIGN.encode())
    result = runner.invoke(args=["ics", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新建 2 项" in result.output
    assert count(db, Event) == 2
    result = runner.invoke(args=["ics", "import", str(path)])
    assert "未变 2 项" in result.output


def test_cli_refuses_a_malformed_file(runner, db, tmp_path):
    path = tmp_path / "broken.ics"
    path.write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n")
    result = runner.invoke(args=["ics", "import", str(path)])
    assert result.exit_code != 0
    assert count(db, Event) == 0


def _rich_data(db, make_event, make_organization, make_location, make_category):
    union = make_organization(name="珠海市总工会", short_name="总工会", kind="social")
    safety = make_organization(name="安监局", kind="government")
    campaign = Campaign(name="第18个全国“安全生产月”", theme="防风险、除隐患、遏事故")
    db.session.add(campaign)
    category = make_category(
        slug="safety", name_zh="安全生产", name_en="Work safety", color="#e67e22"
    )
    first = make_location(name="广州辛亥革命纪念馆", city="广州", latitude=23.1, longitude=113.3)
    second = make_location(name="广州起义纪念馆", city="广州", address="起义路200号")
    contest = make_event(
        title='"安康杯"知识竞赛, 第1轮; 决赛\\复赛 🎉',
        description="第一行\n第二行",
        theme="不忘初心、牢记使命",
        outcome="健帆获冠军",
        reported_headcount=100,
        reported_headcount_is_approximate=True,
        category=category,
        campaign=campaign,
        hosts=[union, safety],
        stops=[first, second],
        starts_at=datetime(2019, 6, 20, 9, tzinfo=SHANGHAI).astimezone(UTC),
    )
    contest.organization_links[1].headcount = 30
    contest.status = "tentative"
    make_event(
        title="网格员每周走访",
        recurrence_rule="FREQ=WEEKLY;BYDAY=WE;UNTIL=20190731T235959",
        starts_at=datetime(2019, 6, 5, 9, tzinfo=SHANGHAI).astimezone(UTC),
    )
    make_event(
        title="安全生产月",
        is_all_day=True,
        starts_at=datetime(2019, 6, 1, tzinfo=SHANGHAI).astimezone(UTC),
        ends_at=datetime(2019, 7, 1, tzinfo=SHANGHAI).astimezone(UTC),
        status="cancelled",
        campaign=campaign,
    )
    make_event(
        title="Berlin",
        timezone="Europe/Berlin",
        starts_at=datetime(2019, 3, 31, 9, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC),
        recurrence_rule="FREQ=DAILY;COUNT=3",
    )
    db.session.commit()


def _empty_database(db):
    for model in (AuditEntry, Stop, EventOrganization, Event, Location, Organization, Campaign):
        db.session.execute(model.__table__.delete())

    db.session.execute(Category.__table__.delete())
    db.session.commit()

    feed_cache().clear()


def test_export_import_into_empty_database_export_gives_the_same_events(
    client, db, runner, tmp_path, make_event, make_organization, make_location, make_category
):
    _rich_data(db, make_event, make_organization, make_location, make_category)
    first, calendar, _ = get_feed(client, "/calendar.ics")
    old_ids = {event.uid: event.id for event in db.session.scalars(select(Event))}
    _empty_database(db)
    assert count(db, Event) == 0
    path = tmp_path / "export.ics"
    path.write_bytes(first.data)
    result = runner.invoke(args=["ics", "import", str(path)])
    assert result.exit_code == 0, result.output
    second, again, _ = get_feed(client, "/calendar.ics")
    new_ids = {event.uid: event.id for event in db.session.scalars(select(Event))}
    assert set(new_ids) == set(old_ids)
    before = comparable(calendar, ignore=("DTSTAMP", "URL"))
    after = comparable(again, ignore=("DTSTAMP", "URL"))
    assert after == before
    for uid, event in events_by_uid(again).items():
        assert str(event["URL"]) == f"http://localhost/events/{new_ids[uid]}"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == [
        str(zone["TZID"]) for zone in again.walk("VTIMEZONE")
    ]


def test_reimporting_an_export_changes_nothing(
    client, db, runner, tmp_path, make_event, make_organization, make_location, make_category
):
    _rich_data(db, make_event, make_organization, make_location, make_category)
    first = client.get("/calendar.ics")
    sequences = dict(db.session.execute(select(Event.uid, Event.sequence)).all())
    path = tmp_path / "export.ics"
    path.write_bytes(first.data)
    result = runner.invoke(args=["ics", "import", str(path)])
    assert "未变 4 项" in result.output, result.output
    db.session.expire_all()
    assert dict(db.session.execute(select(Event.uid, Event.sequence)).all()) == sequences


def test_import_edit_raises_sequence_once_and_keeps_uid(
    client, db, runner, tmp_path, make_event, make_organization, make_location, make_category
):
    _rich_data(db, make_event, make_organization, make_location, make_category)
    calendar = Calendar.from_ical(client.get("/calendar.ics").data)
    contest = next(e for e in calendar.walk("VEVENT") if "安康杯" in str(e["SUMMARY"]))
    uid, sequence = str(contest["UID"]), int(contest["SEQUENCE"])
    contest["X-TRACKER-OUTCOME"] = vText("健帆获冠军，艾默生获二等奖")
    for organization in contest["X-TRACKER-ORGANIZATION"]:
        if str(organization) == "安监局":
            organization.params["X-ROLE"] = "co_organizer"
    path = tmp_path / "edited.ics"
    path.write_bytes(calendar.to_ical())
    result = runner.invoke(args=["ics", "import", str(path)])
    assert "更新 1 项" in result.output, result.output
    _, after, _ = get_feed(client, "/calendar.ics")
    event = events_by_uid(after)[uid]
    assert int(event["SEQUENCE"]) == sequence + 1
    assert "艾默生获二等奖" in str(event["DESCRIPTION"])
    assert "协办：安监局" in str(event["DESCRIPTION"])
    assert event["LAST-MODIFIED"].dt >= contest["LAST-MODIFIED"].dt


def test_until_in_zone_turns_a_utc_until_into_local_wall_time():

    rule = "FREQ=WEEKLY;UNTIL=20240630T155959Z;BYDAY=MO"
    assert until_in_zone(rule, SHANGHAI) == "FREQ=WEEKLY;UNTIL=20240630T235959;BYDAY=MO"
    assert until_in_zone(rule, UTC) == "FREQ=WEEKLY;UNTIL=20240630T155959;BYDAY=MO"
    for unchanged in (
        "FREQ=DAILY;UNTIL=20240630T235959",
        "FREQ=DAILY;UNTIL=20240630",
        "FREQ=DAILY",
    ):
        assert until_in_zone(unchanged, SHANGHAI) == unchanged


def test_reimporting_an_export_keeps_derived_headcounts_derived(
    client, db, runner, tmp_path, make_event, make_organization, make_person
):
    """Headcounts counted from organisations or participants are shown in DESCRIPTION but
    are not the event's own; importing the export back must not make them its own."""
    union, safety = make_organization(name="总工会"), make_organization(name="安监局")
    counted = make_event(title="组织人数", hosts=[union, safety])
    counted.organization_links[0].headcount = 30
    counted.organization_links[1].headcount = 12
    make_event(title="点名人数", people=[make_person(), make_person()])
    make_event(
        title="约数", reported_headcount=100, reported_headcount_is_approximate=True, hosts=[union]
    )
    make_event(title="准确", reported_headcount=7)
    db.session.commit()
    export = client.get("/calendar.ics").data
    described = {
        str(event["SUMMARY"]): str(event["DESCRIPTION"])
        for event in Calendar.from_ical(export).walk("VEVENT")
    }
    assert "人数：42" in described["组织人数"] and "人数：2" in described["点名人数"]
    assert "人数：100+" in described["约数"] and "人数：7" in described["准确"]

    def saved():
        db.session.expire_all()
        columns = (
            Event.sequence,
            Event.reported_headcount,
            Event.reported_headcount_is_approximate,
        )
        return {row[0]: tuple(row[1:]) for row in db.session.execute(select(Event.uid, *columns))}

    before = saved()
    path = tmp_path / "export.ics"
    path.write_bytes(export)
    result = runner.invoke(args=["ics", "import", str(path)])
    assert "更新 0 项" in result.output and "未变 4 项" in result.output, result.output
    assert saved() == before


def our_calendar(properties: str, team: str = "") -> bytes:
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\n"
        "BEGIN:VEVENT\r\nUID:numbers@activity-tracker\r\nDTSTAMP:20190101T000000Z\r\n"
        "DTSTART:20190603T010000Z\r\nDTEND:20190603T020000Z\r\nSUMMARY:数字过大\r\n"
        f"{properties}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("properties", "name"),
    [
        ("X-TRACKER-ORGANIZATION;X-HEADCOUNT=99999999999999999999999:总工会\r\n", "X-HEADCOUNT"),
        ("X-TRACKER-ORGANIZATION;X-HEADCOUNT=3000000000:总工会\r\n", "X-HEADCOUNT"),
        ("X-TRACKER-ORGANIZATION;X-HEADCOUNT=-5:总工会\r\n", "X-HEADCOUNT"),
        ("X-TRACKER-TEAM;X-RANK=99999999999999999999999:一队\r\n", "X-RANK"),
        ("X-TRACKER-TEAM;X-HOURS=NaN:一队\r\n", "时长"),
        ("X-TRACKER-HEADCOUNT:99999999999999999999999\r\n", "人数"),
        ("SEQUENCE:99999999999999999999999\r\n", "SEQUENCE"),
        ("SEQUENCE:2147483647\r\n", "SEQUENCE"),
    ],
)
def test_numbers_out_of_range_are_refused_naming_the_event(db, properties, name):
    with pytest.raises(ImportRefused) as refusal:
        import_calendar(our_calendar(properties))
    _header, message = refusal.value.messages
    assert "数字过大" in message and name in message and "不是整数" not in message
    assert "Python" not in message and "INTEGER" not in message
    assert count(db, Event) == 0
