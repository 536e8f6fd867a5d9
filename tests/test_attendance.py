"""Signing in on a phone, the coordinator's corrections and walk-in review, invite lists,
the sign-in screen and sheet, throttling, and attendance in the statistics."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tracker.attendance import tokens
from tracker.cache import data_version
from tracker.models import AuditEntry, EventInvitation, Participation, Person, WalkIn

# 09:00 in Shanghai; the event runs 09:30–11:30.
NOW = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock(app):
    """The check-in clock, set to NOW; tests move it with `clock.now = …`."""

    class Clock:
        now = NOW

    app.extensions["checkin_clock"] = lambda: Clock.now.timestamp()
    yield Clock
    app.extensions.pop("checkin_clock", None)


@pytest.fixture
def meeting(db, make_organization, make_person, make_event, make_user):
    """安监局 invited as a whole (张三明, and two 李伟), plus 王芳 of another office alone."""
    office = make_organization(name="高新区安全生产监督管理局", short_name="安监局")
    other = make_organization(name="高新区教育局", short_name="教育局")
    people = {
        "zhang": make_person(name="张三明", organization=office, phone="13800001111"),
        "li_1": make_person(name="李伟", organization=office, phone="13800002222"),
        "li_2": make_person(name="李伟", organization=office, phone="13800003333"),
        "wang": make_person(name="王芳", organization=other, phone="13800004444"),
        "outsider": make_person(name="赵六", organization=other),
    }
    event = make_event(
        title="安全生产月启动会",
        hosts=[office],
        starts_at=NOW + timedelta(minutes=30),
        reported_headcount=50,
    )
    db.session.add_all(
        [
            EventInvitation(event_id=event.id, organization_id=office.id),
            EventInvitation(event_id=event.id, person_id=people["wang"].id),
        ]
    )
    db.session.commit()
    coordinator = make_user("anjian", organization=office)
    return {"event": event, "office": office, "coordinator": coordinator, **people}


def _code(app, event, clock, periods_ago=0):
    period = tokens.period_at(clock.now.timestamp(), app.config["CHECKIN_TOKEN_PERIOD_SECONDS"])
    return tokens.make_token(app.secret_key, event.id, period - periods_ago)


def _hidden(page_text, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', page_text)
    return match.group(1) if match else None


class Phone:
    """A phone that scanned a code: keeps the form's CSRF token and pass between steps."""

    def __init__(self, client, code):
        self.client = client
        self.code = code
        self.page = client.get(f"/checkin/{code}")
        self.text = self.page.get_data(as_text=True)

    def post(self, **fields):
        data = {
            "csrf_token": _hidden(self.text, "csrf_token"),
            "pass": _hidden(self.text, "pass"),
            **fields,
        }
        self.page = self.client.post(f"/checkin/{self.code}", data=data)
        self.text = self.page.get_data(as_text=True)
        return self.text


def _person_ids(text):
    return re.findall(r'name="person_id" value="(\d+)"', text)


def test_scan_type_name_pick_self_signs_in_and_a_second_scan_says_when(
    app, client, db, clock, meeting
):
    clock.now = NOW + timedelta(minutes=3)
    phone = Phone(client, _code(app, meeting["event"], clock))
    assert phone.page.status_code == 200 and "安全生产月启动会" in phone.text

    text = phone.post(action="find", name="张三明")
    assert "张*明 · 安监局" in text
    assert "张三明" not in text.replace('value="张三明"', "")  # the full name only as typed
    text = phone.post(action="pick", name="张三明", person_id=_person_ids(text)[0])
    assert "已签到 09:03" in text

    participation = db.session.scalar(
        select(Participation).where(Participation.person_id == meeting["zhang"].id)
    )
    assert participation.attended is True
    assert participation.sign_in_source == "qr"
    assert participation.signed_in_at == NOW + timedelta(minutes=3)

    clock.now = NOW + timedelta(minutes=20)
    again = Phone(client, _code(app, meeting["event"], clock))
    text = again.post(action="find", name="张三明")
    text = again.post(action="pick", name="张三明", person_id=_person_ids(text)[0])
    assert "您已于 09:03 签到" in text
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_an_expired_code_says_so_and_a_forged_one_is_refused(app, client, clock, meeting):
    old = _code(app, meeting["event"], clock, periods_ago=2)
    page = client.get(f"/checkin/{old}")
    assert "二维码已过期，请扫描屏幕上的新二维码" in page.get_data(as_text=True)
    assert "<form" not in page.get_data(as_text=True)
    previous = _code(app, meeting["event"], clock, periods_ago=1)
    assert 'name="name"' in client.get(f"/checkin/{previous}").get_data(as_text=True)
    forged = old.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"
    assert client.get(f"/checkin/{forged}").status_code == 404


def test_the_page_says_when_signing_in_is_closed(app, client, clock, meeting):
    clock.now = NOW - timedelta(hours=2)
    early = client.get(f"/checkin/{_code(app, meeting['event'], clock)}").get_data(as_text=True)
    assert "签到尚未开始" in early and 'name="name"' not in early
    clock.now = NOW + timedelta(hours=5)
    late = client.get(f"/checkin/{_code(app, meeting['event'], clock)}").get_data(as_text=True)
    assert "签到已结束" in late and 'name="name"' not in late


def test_a_shared_name_is_decided_by_the_last_four_digits(app, client, db, clock, meeting):
    phone = Phone(client, _code(app, meeting["event"], clock))
    text = phone.post(action="find", name="李伟")
    assert text.count("李* · 安监局") == 2 and 'name="last_four"' in text
    assert "2222" not in text and "3333" not in text

    text = phone.post(action="pick", name="李伟", last_four="9999")
    assert "手机号后四位" in text
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0

    text = phone.post(action="pick", name="李伟", last_four="3333")
    assert "已签到 09:00" in text
    signed = db.session.scalars(select(Participation.person_id)).all()
    assert signed == [meeting["li_2"].id]


def test_a_walk_in_goes_to_review_not_into_the_directory(app, client, db, clock, meeting):
    people_before = db.session.scalar(select(func.count()).select_from(Person))
    phone = Phone(client, _code(app, meeting["event"], clock))
    text = phone.post(action="find", name="陈新")
    assert "邀请名单中没有找到" in text and 'name="organization"' in text
    text = phone.post(action="walk_in", name="陈新", organization="金峰学校", last_four="12345")
    assert "4 位数字" in text
    text = phone.post(action="walk_in", name="陈新", organization="金峰学校", last_four="5678")
    assert "工作人员确认" in text

    walk_in = db.session.scalar(select(WalkIn))
    assert (walk_in.name, walk_in.organization_text, walk_in.phone_last_four, walk_in.status) == (
        "陈新",
        "金峰学校",
        "5678",
        "pending",
    )
    assert db.session.scalar(select(func.count()).select_from(Person)) == people_before
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def test_a_name_not_invited_never_reveals_the_roster(app, client, clock, meeting):
    phone = Phone(client, _code(app, meeting["event"], clock))
    text = phone.post(action="find", name="赵六")  # in the directory, not invited
    assert "邀请名单中没有找到" in text
    for name in ("张", "李", "王"):
        assert f"{name}*" not in text


def test_picking_someone_by_id_who_does_not_match_the_typed_name_is_refused(
    app, client, db, clock, meeting
):
    phone = Phone(client, _code(app, meeting["event"], clock))
    phone.post(action="find", name="张三明")
    text = phone.post(action="pick", name="张三明", person_id=str(meeting["wang"].id))
    assert "请选择您本人" in text
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def test_a_sign_in_is_audited_moves_the_data_version_but_not_the_sequence(
    app, client, db, clock, meeting
):
    event = meeting["event"]
    sequence, version = event.sequence, data_version().key
    phone = Phone(client, _code(app, event, clock))
    phone.post(action="find", name="王芳")
    phone.post(action="pick", name="王芳", person_id=str(meeting["wang"].id))

    db.session.refresh(event)
    assert event.sequence == sequence  # feeds show the reported headcount, not who came
    assert event.attended_count == 1
    assert data_version().key != version
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "check_in"))
    assert entry.entity_type == "participation"
    assert "王芳" not in entry.summary and f"人员#{meeting['wang'].id}" in entry.summary


def test_the_phone_page_is_throttled_per_address(app, client, clock, meeting):
    app.config["CHECKIN_MAX_ATTEMPTS_PER_ADDRESS"] = 2
    try:
        phone = Phone(client, _code(app, meeting["event"], clock))
        assert phone.post(action="find", name="张三明") and phone.page.status_code == 200
        phone.post(action="find", name="张三明")
        assert phone.page.status_code == 200
        phone.post(action="find", name="张三明")
        assert phone.page.status_code == 429
        assert "操作过于频繁" in phone.text
        clock.now = NOW + timedelta(minutes=1)
        phone.post(action="find", name="张三明")
        assert phone.page.status_code == 200
    finally:
        app.config["CHECKIN_MAX_ATTEMPTS_PER_ADDRESS"] = 300


def test_the_phone_page_is_throttled_per_event(app, client, clock, meeting):
    app.config["CHECKIN_MAX_ATTEMPTS_PER_EVENT"] = 1
    try:
        phone = Phone(client, _code(app, meeting["event"], clock))
        phone.post(action="find", name="张三明")
        assert phone.page.status_code == 200
        other = app.test_client()
        second = Phone(other, _code(app, meeting["event"], clock))
        second.client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
        second.post(action="find", name="李伟")
        assert second.page.status_code == 429
    finally:
        app.config["CHECKIN_MAX_ATTEMPTS_PER_EVENT"] = 2000


# --- the coordinator ------------------------------------------------------------------------


def _form_token(client, path):
    return _hidden(client.get(path).get_data(as_text=True), "csrf_token")


def test_coordinator_adds_a_late_arrival_and_removes_a_mistake(
    app, client, db, clock, meeting, sign_in
):
    sign_in(meeting["coordinator"])
    event = meeting["event"]
    page = f"/events/{event.id}/attendance"
    token = _form_token(client, page)
    response = client.post(
        f"/events/{event.id}/attendance/sign-in",
        data={"csrf_token": token, "person_id": meeting["li_1"].id},
    )
    assert response.status_code == 302
    participation = db.session.scalar(select(Participation))
    assert (participation.person_id, participation.sign_in_source) == (meeting["li_1"].id, "manual")
    assert "已签到 09:00" in client.get(page).get_data(as_text=True)

    outsider = client.post(
        f"/events/{event.id}/attendance/sign-in",
        data={"csrf_token": token, "person_id": meeting["outsider"].id},
    )
    assert outsider.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1

    client.post(
        f"/events/{event.id}/attendance/{participation.id}/remove", data={"csrf_token": token}
    )
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "participation")
    ).all()
    assert sorted(actions) == ["check_in", "check_in_removed"]


def test_removing_a_sign_in_keeps_a_row_typed_in_the_form(
    app, client, db, clock, meeting, sign_in, make_event
):
    sign_in(meeting["coordinator"])
    event = meeting["event"]
    event.participations.append(Participation(person=meeting["zhang"], attended=False))
    db.session.commit()
    phone = Phone(app.test_client(), _code(app, event, clock))
    phone.post(action="find", name="张三明")
    phone.post(action="pick", name="张三明", person_id=str(meeting["zhang"].id))
    participation = db.session.scalar(select(Participation))
    db.session.refresh(participation)
    assert participation.attended is True and participation.signed_in_at is not None

    token = _form_token(client, f"/events/{event.id}/attendance")
    participation.hours = 2
    db.session.commit()
    client.post(
        f"/events/{event.id}/attendance/{participation.id}/remove", data={"csrf_token": token}
    )
    db.session.refresh(participation)
    assert participation.attended is False and participation.signed_in_at is None


def test_coordinator_accepts_one_walk_in_and_rejects_another(
    app, client, db, clock, meeting, sign_in
):
    event = meeting["event"]
    for name in ("陈新", "刘强"):
        phone = Phone(app.test_client(), _code(app, event, clock))
        phone.post(action="walk_in", name=name, organization="金峰学校")
    sign_in(meeting["coordinator"])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "待确认 2" in page
    token = _form_token(client, f"/events/{event.id}/attendance")
    chen, liu = db.session.scalars(select(WalkIn).order_by(WalkIn.id)).all()
    foreign = client.post(
        f"/events/{event.id}/walk-ins/{chen.id}",
        data={
            "csrf_token": token,
            "decision": "accept",
            "organization_id": meeting["wang"].organization_id,  # 教育局: not theirs
        },
    )
    assert foreign.status_code == 303
    db.session.refresh(chen)
    assert chen.status == "pending"
    client.post(
        f"/events/{event.id}/walk-ins/{chen.id}",
        data={"csrf_token": token, "decision": "accept", "organization_id": meeting["office"].id},
    )
    client.post(
        f"/events/{event.id}/walk-ins/{liu.id}", data={"csrf_token": token, "decision": "reject"}
    )
    db.session.refresh(chen)
    db.session.refresh(liu)
    assert (chen.status, liu.status) == ("accepted", "rejected")
    person = db.session.get(Person, chen.person_id)
    assert (person.name, person.organization_id) == ("陈新", meeting["office"].id)
    participation = db.session.scalar(select(Participation))
    assert (participation.person_id, participation.sign_in_source) == (person.id, "walk_in")
    assert (
        db.session.scalar(select(func.count()).select_from(Person).where(Person.name == "刘强"))
        == 0
    )
    again = client.post(
        f"/events/{event.id}/walk-ins/{liu.id}", data={"csrf_token": token, "decision": "accept"}
    )
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_invite_an_organization_and_a_person_then_remove_one(
    client, db, meeting, sign_in, make_event, make_organization, make_person
):
    sign_in(meeting["coordinator"])
    event = make_event(title="读书会", hosts=[meeting["office"]])
    school = make_organization(name="金峰学校", short_name="金峰")
    make_person(name="周老师", organization=school)
    path = f"/events/{event.id}/invitations"
    token = _form_token(client, path)
    client.post(path, data={"csrf_token": token, "kind": "organization", "name": "金峰"})
    client.post(path, data={"csrf_token": token, "kind": "person", "name": "王芳"})
    missing = client.post(path, data={"csrf_token": token, "kind": "organization", "name": "无"})
    assert missing.status_code == 422
    shared = client.post(path, data={"csrf_token": token, "kind": "person", "name": "李伟"})
    assert shared.get_data(as_text=True).count('name="person_id"') == 2
    page = client.get(path).get_data(as_text=True)
    assert "应到 2 人" in page and "金峰学校" in page

    invitation = db.session.scalar(
        select(EventInvitation).where(
            EventInvitation.event_id == event.id, EventInvitation.person_id.is_not(None)
        )
    )
    client.post(f"{path}/{invitation.id}/delete", data={"csrf_token": token})
    assert "应到 1 人" in client.get(path).get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_type == "invitation")
        )
        == 3
    )


def test_the_screen_shows_a_qr_the_count_and_masked_latest_names(
    app, client, db, clock, meeting, sign_in
):
    event = meeting["event"]
    phone = Phone(app.test_client(), _code(app, event, clock))
    phone.post(action="find", name="王芳")
    phone.post(action="pick", name="王芳", person_id=str(meeting["wang"].id))
    sign_in(meeting["coordinator"])

    page = client.get(f"/events/{event.id}/checkin").get_data(as_text=True)
    assert "<svg" in page and 'http-equiv="refresh"' in page and "checkin_screen.js" in page
    assert "王* 09:00" in page and "王芳" not in page
    live = client.get(f"/events/{event.id}/checkin/live.json").get_json()
    assert (live["count"], live["invited"], live["latest"]) == (1, 4, ["王* 09:00"])
    assert live["qr"].startswith("<svg")
    clock.now = NOW + timedelta(seconds=app.config["CHECKIN_TOKEN_PERIOD_SECONDS"])
    later = client.get(f"/events/{event.id}/checkin/live.json").get_json()
    assert later["period"] == live["period"] + 1 and later["qr"] != live["qr"]


def test_the_sign_in_sheet_lists_invitees_with_blank_rows_and_a_print_stylesheet(
    client, meeting, sign_in
):
    sign_in(meeting["coordinator"])
    page = client.get(f"/events/{meeting['event'].id}/sign-in-sheet").get_data(as_text=True)
    for name in ("张三明", "李伟", "王芳"):
        assert name in page
    assert "赵六" not in page
    assert page.count('class="sheet-blank"') == 10 and "<svg" in page and "签名" in page
    assert "checkin.css" in page
    with open("static/css/checkin.css", encoding="utf-8") as stylesheet:
        assert "@media print" in stylesheet.read()


def test_the_printed_code_works_inside_the_window_only(app, client, clock, meeting):
    code = tokens.make_token(app.secret_key, meeting["event"].id, tokens.SHEET_PERIOD)
    assert 'name="name"' in client.get(f"/checkin/{code}").get_data(as_text=True)
    clock.now = NOW + timedelta(days=1)
    assert "签到已结束" in client.get(f"/checkin/{code}").get_data(as_text=True)


# --- statistics ------------------------------------------------------------------------------


def test_statistics_give_attendance_rates_and_the_missed_list_to_coordinators(
    app, client, db, clock, meeting, make_user, sign_in
):
    event = meeting["event"]
    for name, person in (("张三明", "zhang"), ("王芳", "wang")):
        phone = Phone(app.test_client(), _code(app, event, clock))
        phone.post(action="find", name=name)
        phone.post(action="pick", name=name, person_id=str(meeting[person].id))
    query = {"from": "2026-01-01", "to": "2026-12-31"}

    anonymous = client.get("/stats/", query_string=query).get_data(as_text=True)
    assert "50.0%" in anonymous  # 2 of 4
    assert "缺席名单属于个人信息" in anonymous and "李伟" not in anonymous

    sign_in(make_user("reader", organization=meeting["office"]))
    page = client.get("/stats/", query_string=query).get_data(as_text=True)
    assert page.count("李伟") == 2 and "33.3%" in page  # 安监局: 1 of 3; 教育局: 1 of 1
    sections = client.get("/stats/export.csv", query_string=query).get_data(as_text=True)
    assert "出席率·按月" in sections and "2026-06,4,2,50.0" in sections
    assert "高新区安全生产监督管理局,3,1,33.3" in sections
    assert sections.count("安全生产月启动会,2026-06-15,李伟") == 2


def test_a_sign_in_raises_the_sequence_when_feeds_count_named_people(
    app, client, db, clock, meeting
):
    event = meeting["event"]
    event.reported_headcount = None
    db.session.commit()
    sequence = event.sequence
    for name, person in (("张三明", "zhang"), ("王芳", "wang")):
        phone = Phone(app.test_client(), _code(app, event, clock))
        phone.post(action="find", name=name)
        phone.post(action="pick", name=name, person_id=str(meeting[person].id))
    db.session.expire_all()
    assert event.sequence == sequence + 2
    kept = (event.participation_count, event.attended_count)
    event.recount_figures()
    assert kept == (event.participation_count, event.attended_count) == (2, 2)
    positions = db.session.scalars(select(Participation.position).order_by(Participation.id))
    assert positions.all() == [0, 1]


def test_the_attendance_page_can_show_only_who_is_missing(app, client, clock, meeting, sign_in):
    event = meeting["event"]
    phone = Phone(app.test_client(), _code(app, event, clock))
    phone.post(action="find", name="张三明")
    phone.post(action="pick", name="张三明", person_id=str(meeting["zhang"].id))
    sign_in(meeting["coordinator"])
    full = client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert "邀请 4 人，已出席 1 人（25%）" in full and "张三明" in full
    missing = client.get(f"/events/{event.id}/attendance?missing=1").get_data(as_text=True)
    assert "张三明" not in missing and missing.count("补签") == 3


def test_deleting_an_event_takes_its_invitations_and_walk_ins(db, app, clock, meeting):
    from tracker.attendance.services import record_walk_in
    from tracker.events.services import delete_event

    event = meeting["event"]
    record_walk_in(event, "陈新", "金峰学校", "")
    delete_event(event, meeting["coordinator"])
    assert db.session.scalar(select(func.count()).select_from(EventInvitation)) == 0
    assert db.session.scalar(select(func.count()).select_from(WalkIn)) == 0


def test_attendance_exports_neutralise_formulas(app, client, db, meeting, make_user, sign_in):
    meeting["event"].title = "=HYPERLINK(1)"
    meeting["li_1"].name = "@李伟"
    db.session.commit()
    sign_in(make_user("reader", organization=meeting["office"]))
    query = {"from": "2026-01-01", "to": "2026-12-31"}
    text = client.get("/stats/export.csv", query_string=query).get_data(as_text=True)
    assert "'=HYPERLINK(1),2026-06-15,4,0,0.0" in text
    assert "'=HYPERLINK(1),2026-06-15,'@李伟," in text
    assert ",=HYPERLINK" not in text and "\n=HYPERLINK" not in text
