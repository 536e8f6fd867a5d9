"""What an import carries, an export keeps (issue 11 point 5): alarms, the organiser, TRANSP,
every category, GEO and Apple's structured location; ATTENDEEs become participants and are
written into no feed."""

import re
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from icalendar import Calendar
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tracker import create_app
from tracker.extensions import db as database
from tracker.feeds.importer import import_calendar
from tracker.feeds.services import create_feed_token
from tracker.models import Event, Location, Participation, Person

CORPUS = Path(__file__).parent / "data" / "ics"


def read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def events(db) -> dict:
    return {event.title: event for event in db.session.scalars(select(Event))}


def vevents(body: bytes) -> dict:
    return {str(item["SUMMARY"]): item for item in Calendar.from_ical(body).walk("VEVENT")}


def private_feed(client, make_user) -> bytes:
    _token, secret = create_feed_token(make_user(role="admin"), "电脑")
    response = client.get(f"/feeds/private/{secret}.ics")
    assert response.status_code == 200
    return response.data


def test_alarms_and_organizer_reach_private_feeds_only(client, db, make_user):
    import_calendar(read("issue17-unknown-properties.ics"))
    event = events(db)["带外部属性的活动"]
    assert event.organizer_name == "高新区安监局"
    assert event.organizer_address == "anjian@gov.example"
    assert "TRIGGER:-P1D" in event.alarms
    assert "ATTENDEE" not in event.alarms  # an e-mail alarm's addressees are contact data

    private = vevents(private_feed(client, make_user))["带外部属性的活动"]
    assert str(private["ORGANIZER"]) == "mailto:anjian@gov.example"
    assert private["ORGANIZER"].params["CN"] == "高新区安监局"
    (alarm,) = private.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm["TRIGGER"].to_ical() == b"-P1D"

    public_body = client.get("/calendar.ics").data
    public = vevents(public_body)["带外部属性的活动"]
    assert str(public["ORGANIZER"]).startswith("mailto:noreply@")
    assert b"anjian@gov.example" not in public_body
    assert b"BEGIN:VALARM" not in public_body


def test_transp_is_kept_and_all_day_events_are_transparent_unless_stated(client, db):
    import_calendar(read("issue17-unknown-properties.ics"))
    import_calendar(read("apple-calendar.ics"))
    feed = vevents(client.get("/calendar.ics").data)
    assert str(feed["带外部属性的活动"]["TRANSP"]) == "TRANSPARENT"  # stated on a timed event
    assert str(feed["第二个"]["TRANSP"]) == "OPAQUE"
    assert str(feed["安全生产宣传周"]["TRANSP"]) == "TRANSPARENT"  # all-day, not stated
    assert events(db)["带外部属性的活动"].transparency == "transparent"


def test_every_category_is_kept_and_written_back(client, db):
    import_calendar(read("issue17-unknown-properties.ics"))
    event = events(db)["带外部属性的活动"]
    assert event.category.name_zh == "安全生产"
    assert event.extra_categories == "宣传教育\n学校"
    categories = vevents(client.get("/calendar.ics").data)["带外部属性的活动"]["CATEGORIES"]
    assert categories.cats == ["安全生产", "宣传教育", "学校"]


def test_apple_structured_location_gives_the_place_its_address_and_coordinates(client, db):
    import_calendar(read("apple-calendar.ics"))
    place = db.session.scalars(select(Location).where(Location.name == "会同书店")).one()
    assert (place.address, place.latitude, place.longitude) == (
        "珠海市香洲区会同村",
        22.365123,
        113.545678,
    )
    exported = vevents(client.get("/calendar.ics").data)["“红色经典”读书分享会"]
    assert exported["GEO"].latitude == 22.365123
    apple = exported["X-APPLE-STRUCTURED-LOCATION"]
    assert str(apple) == "geo:22.365123,113.545678"
    assert apple.params["X-TITLE"] == "会同书店"
    assert apple.params["X-ADDRESS"] == "珠海市香洲区会同村"


def test_attendees_become_participants_matched_by_email_then_name(db, make_person):
    known = make_person(name="王老师（名录）", email="wang@school.example")
    by_name = make_person(name="赵老师")
    data = read("issue17-unknown-properties.ics").replace(
        b"ORGANIZER;",
        b"ATTENDEE;CN=\xe8\xb5\xb5\xe8\x80\x81\xe5\xb8\x88:mailto:zhao@x.example\r\n"
        b"ATTENDEE;CN=\xe6\x96\xb0\xe4\xba\xba:mailto:new@x.example\r\nORGANIZER;",
    )
    result = import_calendar(data)
    event = events(db)["带外部属性的活动"]
    people = {item.person.name: item.person for item in event.participations}
    assert people["王老师（名录）"].id == known.id  # by e-mail
    assert people["赵老师"].id == by_name.id  # no e-mail match: by name
    assert people["新人"].email == "new@x.example"  # made: it has a name
    assert len(people) == 3  # nobody@ has no name and matches no one
    assert any("只有邮箱地址" in warning for warning in result.warnings)
    assert db.session.scalar(select(Person).where(Person.email == "nobody@school.example")) is None


def test_attendees_are_written_into_no_feed(client, db, make_user):
    import_calendar(read("issue17-unknown-properties.ics"))
    assert db.session.scalar(select(Participation)) is not None
    for body in (client.get("/calendar.ics").data, private_feed(client, make_user)):
        assert b"ATTENDEE" not in body
        assert "王老师".encode() not in body and b"wang@school.example" not in body


def test_the_event_form_leaves_what_only_files_carry(client, db, make_user, sign_in):
    import_calendar(read("issue17-unknown-properties.ics"))
    event = events(db)["带外部属性的活动"]
    sign_in(make_user(role="admin"))
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/events/{event.id}/edit",
        data={
            "csrf_token": token,
            "version": str(event.version),
            "title": "改过标题",
            "start_date": "2024-07-30",
            "start_time": "09:00",
            "end_time": "10:00",
            "timezone": "Asia/Shanghai",
            "status": "confirmed",
            "visibility": "public",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.title == "改过标题"
    assert (event.organizer_name, event.transparency) == ("高新区安监局", "transparent")
    assert "TRIGGER:-P1D" in event.alarms and event.extra_categories == "宣传教育\n学校"


def test_properties_without_a_place_get_one_warning_each_with_their_count(db):
    result = import_calendar(read("issue17-unknown-properties.ics"))
    assert "本系统没有存放 PRIORITY 的地方，已略过 2 处。" in result.warnings
    assert "本系统没有存放 X-MICROSOFT-CDO-BUSYSTATUS 的地方，已略过 2 处。" in result.warnings
    assert "本系统没有存放 VTODO 的地方，已略过 1 处。" in result.warnings
    assert sum("PRIORITY" in warning for warning in result.warnings) == 1


def test_migration_0012_keeps_every_row_of_existing_events(tmp_path):
    """The new columns are added in place: no event loses its stops or participants (a
    copied-and-dropped events table would delete them through ON DELETE CASCADE)."""
    url = "sqlite:///" + str(tmp_path / "before.db")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0009")
        with database.engine.begin() as connection:
            for statement in (
                "INSERT INTO locations (id, name, created_at) VALUES (1, '书店', '2019-06-01')",
                "INSERT INTO people (id, name, is_party_member, created_at)"
                " VALUES (1, '李明', 0, '2019-06-01')",
                "INSERT INTO events (id, uid, title, starts_at, ends_at, timezone, is_all_day,"
                " status, visibility, headcount_is_approximate, date_is_approximate, sequence,"
                " version, created_at, updated_at) VALUES (1, 'u1', '旧活动', '2019-06-01',"
                " '2019-06-01', 'Asia/Shanghai', 0, 'confirmed', 'public', 0, 0, 0, 1,"
                " '2019-06-01', '2019-06-01')",
                "INSERT INTO stops (event_id, location_id, position) VALUES (1, 1, 0)",
                "INSERT INTO participations (event_id, person_id, role, attended, position)"
                " VALUES (1, 1, 'participant', 1, 0)",
            ):
                connection.execute(text(statement))

        def rows():
            with database.engine.connect() as connection:
                return [
                    connection.scalar(text(f"SELECT count(*) FROM {table}"))
                    for table in ("events", "stops", "participations")
                ]

        upgrade()
        assert rows() == [1, 1, 1]
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(text("UPDATE events SET transparency = 'x'"))
        downgrade(revision="0009")
        assert rows() == [1, 1, 1]
        database.engine.dispose()
