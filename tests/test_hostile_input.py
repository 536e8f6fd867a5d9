"""Odd and hostile input gets a message or a refusal, never a server error or a leak."""

import re
import time
from io import BytesIO

import pytest
from sqlalchemy import func, select
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


# --- bounded input ----------------------------------------------------------------------


@pytest.fixture
def signed_in_coordinator(make_user, make_organization, sign_in):
    union = make_organization(name="总工会", kind="social")
    user = make_user("union", organization=union)
    sign_in(user)
    return user


def _event_post(csrf_token, **rows):
    data = {
        "title": "主题党日",
        "start_date": "2019-06-20",
        "start_time": "14:00",
        "end_time": "17:30",
        "timezone": "Asia/Shanghai",
        "status": "confirmed",
        "visibility": "public",
        "csrf_token": csrf_token("/events/new"),
    }
    data.update(rows)
    return data


def test_too_many_participant_rows_are_refused_with_a_message(
    client, db, csrf_token, signed_in_coordinator
):
    rows = {f"participants-{index}-role": "participant" for index in range(501)}
    response = client.post("/events/new", data=_event_post(csrf_token, **rows))
    assert response.status_code == 422
    assert "最多可填写 500 行" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_a_list_at_its_cap_is_accepted(client, db, csrf_token, signed_in_coordinator):
    rows = {f"stops-{index}-note": "" for index in range(50)}
    response = client.post("/events/new", data=_event_post(csrf_token, **rows))
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Event.id))) == 1


def test_twenty_thousand_rows_build_no_subforms(app):
    formdata = MultiDict({f"participants-{index}-role": "participant" for index in range(20000)})
    started = time.perf_counter()
    with app.test_request_context("/events/new", method="POST"):
        form = EventForm(formdata=formdata, meta={"csrf": False})
        assert not form.validate()
    assert form.participants.entries == []
    assert "最多可填写 500 行" in form.participants.errors[0]
    assert time.perf_counter() - started < 1


def test_a_twenty_thousand_row_post_is_refused_fast(client, db, csrf_token, signed_in_coordinator):
    rows = {f"participants-{index}-person": "" for index in range(20000)}
    started = time.perf_counter()
    response = client.post("/events/new", data=_event_post(csrf_token, **rows))
    assert time.perf_counter() - started < 2
    assert response.status_code == 413
    assert "提交的内容太大" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_a_post_of_many_empty_fields_is_refused_before_parsing(client):
    started = time.perf_counter()
    response = client.post(
        "/login", data=b"a=&" * 100_000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert time.perf_counter() - started < 1


def test_a_body_over_one_megabyte_gets_the_sites_413_page(client):
    response = client.post(
        "/login",
        data={"username": "x" * (1024 * 1024 + 1), "password": "y"},
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "提交的内容太大" in html and "返回首页" in html


def test_the_import_upload_keeps_its_own_larger_limit(app, client, make_user, sign_in):
    sign_in(make_user())
    token = re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
        client.get("/feeds/import").get_data(as_text=True),
    ).group(1)
    body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + b"X-PAD:" + b"x" * 2_000_000 + b"\r\n"
    response = client.post(
        "/feeds/import",
        data={"csrf_token": token, "file": (BytesIO(body), "big.ics")},
        content_type="multipart/form-data",
    )
    assert response.status_code != 413


def test_single_line_fields_lose_line_breaks_and_text_areas_keep_them(
    client, db, csrf_token, signed_in_coordinator
):
    data = _event_post(csrf_token, title="主题\r\n党日\x00", description="第一行\r\n第二行")
    data["theme"] = "不忘初心\n牢记使命"
    assert client.post("/events/new", data=data).status_code == 400  # the NUL is refused
    data["title"] = "主题\r\n党日"
    assert client.post("/events/new", data=data).status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert event.title == "主题 党日"
    assert event.theme == "不忘初心 牢记使命"
    assert "第一行\r\n第二行" in event.description or "第一行\n第二行" in event.description


@pytest.mark.parametrize("value", ["a\r\nb", "a\nb", "a\rb", "a\u2028b"])
def test_strip_text_makes_one_line(value):
    assert strip_text(value) == "a b"


@pytest.mark.parametrize(
    "path", ["/events/?q=%00", "/events/?category=%00", "/stats/?from=%00", "/%00"]
)
def test_nul_in_a_query_string_gets_a_400_page(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "请求无效" in response.get_data(as_text=True)


def test_nul_in_a_sign_in_name_gets_a_400_page(client, csrf_token, make_user):
    make_user("admin", role="admin")
    response = client.post(
        "/login",
        data={"username": "admin\x00", "password": "x", "csrf_token": csrf_token()},
    )
    assert response.status_code == 400
    assert "请求无效" in response.get_data(as_text=True)


def test_nul_in_a_feed_query_answers_plain_text(client):
    response = client.get("/calendar.ics?q=%00")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
