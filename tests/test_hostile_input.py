"""Odd and hostile input gets a message or a refusal, never a server error or a leak."""

import re
from io import BytesIO

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tracker.events.forms import EventForm
from tracker.feeds.importer import import_calendar
from tracker.forms import strip_text
from tracker.models import Event, EventOrganization
from tracker.web import safe_next_url


@pytest.mark.parametrize(
    "path",
    [
        "/?endpoint=x",
        "/events/?_anchor=x&_scheme=x&_method=x&_external=1",
        "/stats/?endpoint=1",
        "/events/?category=%C2%B2",
        "/events/?organization=%C2%B2",
        "/events/?to=9999-12-31",
        "/calendar.ics?to=9999-12-31",
        "/stats/?to=9999-12-31",
        "/stats/export.csv?to=9999-12-31",
        "/stats/?from=0001-01-01",
        "/?month=9999-12",
        "/events/?page=99999999999999999999",
        "/events/?page=-3",
    ],
)
def test_odd_query_strings_never_cause_a_server_error(client, path):
    assert client.get(path).status_code < 500


def test_query_name_equal_to_a_path_argument_is_harmless(client, make_event):
    event = make_event()
    assert client.get(f"/events/{event.id}?event_id=2").status_code == 200


def test_out_of_range_filter_dates_are_reported(client):
    html = client.get("/events/?from=0001-01-01").get_data(as_text=True)
    assert "须在1900年至9998年之间" in html


def test_error_page_language_link_cannot_leave_the_site(client):
    html = client.get("/%5Cevil.com").get_data(as_text=True)
    assert 'href="/\\evil.com' not in html and 'href="//' not in html
    assert 'href="/?lang=en"' in html


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/events/", "/events/"),
        ("//evil.com", None),
        ("/\\evil.com", None),
        ("/\t/evil.com", None),
        ("https://evil.com", None),
        ("", None),
    ],
)
def test_only_same_site_paths_are_followed(target, expected):
    assert safe_next_url(target) == expected


def test_individual_awards_stay_out_of_public_statistics(
    client, db, make_event, make_person, make_organization
):
    unit = make_organization(name="某单位")
    person = make_person(name="获奖者", organization=unit)
    event = make_event(people=[person])
    event.participations[0].award = "获奖者个人一等奖"
    db.session.commit()
    public = client.get("/stats/?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    assert "个人一等奖" not in public
    csv = client.get("/stats/export.csv?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    assert "个人一等奖" not in csv


def test_import_refuses_events_the_form_would_not_let_the_user_edit(
    client, db, make_event, make_organization, make_user, sign_in
):
    organiser = make_organization(name="承办单位")
    event = make_event(title="原标题")
    event.organization_links.append(
        EventOrganization(organization=organiser, role="organizer", position=0)
    )
    db.session.commit()
    coordinator = make_user(organization=organiser)
    ics = client.get(f"/events/{event.id}.ics").get_data(as_text=True)
    changed = ics.replace("SUMMARY:原标题", "SUMMARY:被改掉的标题").replace(
        "SEQUENCE:0", "SEQUENCE:50"
    )
    sign_in(coordinator)
    assert client.get(f"/events/{event.id}/edit").status_code == 403
    page = client.get("/feeds/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/feeds/import",
        data={"csrf_token": token, "file": (BytesIO(changed.encode()), "changed.ics")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    assert db.session.scalar(select(Event.title).where(Event.id == event.id)) == "原标题"


def test_control_characters_are_dropped_from_typed_text(app):
    assert strip_text(" 标题\x00X\x01Y\n ") == "标题XY"


def test_year_one_is_refused_in_the_event_form(app):
    with app.test_request_context():
        form = EventForm(
            MultiDict({"title": "古代活动", "start_date": "0001-01-01", "start_time": "00:00"}),
            meta={"csrf": False},
        )
        form.validate()
        assert "日期须在1900年至9998年之间。" in [str(e) for e in form.start_date.errors]


def test_imported_text_loses_control_characters(app, db):
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        "UID:nul-test@example.org\r\nDTSTAMP:20190601T000000Z\r\n"
        "DTSTART:20190601T010000Z\r\nDTEND:20190601T020000Z\r\n"
        "SUMMARY:标题\x01带控制符\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    import_calendar(ics, user=None)
    assert db.session.scalar(select(Event.title)) == "标题带控制符"
