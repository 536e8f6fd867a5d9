"""The report's facts recorded the way coordinators write them: headcounts as typed, counted
and partly named organisations, the programme, award levels, new entries typed in the rows,
one save per form, and the small things users noticed."""

import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.helpers import get_feed
from tests.test_event_forms import edit_form_data, event_form
from tracker.events import services
from tracker.feeds.importer import ImportRefused, import_calendar
from tracker.models import (
    Event,
    EventOrganization,
    FormSubmission,
    Organization,
    Participation,
    Person,
    User,
)
from tracker.stats.charts import month_chart
from tracker.stats.queries import Figures, GroupRow


@pytest.fixture
def coordinator(make_user, make_organization, sign_in):
    union = make_organization(name="高新区总工会", kind="social")
    user = make_user("union", organization=union)
    sign_in(user)
    return user


@pytest.fixture
def new_form(client):
    """The new-event form's CSRF and one-time tokens, as a browser holds them."""

    def read(path="/events/new") -> dict:
        page = client.get(path).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
        return {"csrf_token": csrf, "submission_token": token.group(1) if token else ""}

    return read


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def contest_form(**overrides) -> dict:
    """The 安康杯 contest as the report gives it, typed without leaving the form."""
    data = event_form(
        title="“安康杯”安全生产知识竞赛",
        theme="防风险、除隐患、遏事故",
        team_total="10",
        **{
            "organizations-0-new_organization": "高新区安监局",
            "organizations-0-new_organization_kind": "government",
            "organizations-0-role": "host",
            "organizations-1-new_organization": "健帆生物科技集团股份有限公司",
            "organizations-1-new_organization_kind": "enterprise",
            "organizations-1-role": "co_organizer",
            "participants-0-new_organization": "健帆生物科技集团股份有限公司",
            "participants-0-new_organization_kind": "enterprise",
            "participants-0-award": "冠军",
            "participants-1-new_organization": "艾默生电气（珠海）有限公司",
            "participants-1-new_organization_kind": "enterprise",
            "participants-1-award_level": "second",
            "participants-2-new_organization": "珠海藤佳能源有限公司",
            "participants-2-new_organization_kind": "enterprise",
            "participants-2-award_level": "second",
            "programme-0-title": "安全知识必答题",
            "programme-1-title": "安全谜语竞猜",
            "programme-1-time": "15:10",
            "programme-1-note": "抢答",
        },
    )
    data.update(overrides)
    return data


# --- headcounts as typed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "saved"), [("100+", (100, True)), ("约 100 人", (100, True)), ("一百", (100, False))]
)
def test_typed_headcounts_are_saved_with_their_approximate_flag(
    client, coordinator, new_form, db, typed, saved
):
    response = client.post("/events/new", data=event_form(reported_headcount=typed, **new_form()))
    assert response.status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert (event.reported_headcount, event.reported_headcount_is_approximate) == saved


def test_an_unreadable_headcount_is_refused_beside_the_field(client, coordinator, new_form, db):
    response = client.post(
        "/events/new", data=event_form(reported_headcount="一百来号人", **new_form())
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "无法识别人数“一百来号人”" in page and 'value="一百来号人"' in page
    assert count(db, Event) == 0


# --- counted, partly named organisations, programme, award levels ---------------------------


def test_contest_with_ten_teams_three_named_shows_counts_on_page_feed_and_stats(
    client, coordinator, new_form, db
):
    response = client.post("/events/new", data=contest_form(**new_form()))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    event = db.session.scalars(select(Event)).one()
    assert event.team_total == 10
    assert [p.organization.name for p in event.teams_in_award_order] == [
        "健帆生物科技集团股份有限公司",
        "艾默生电气（珠海）有限公司",
        "珠海藤佳能源有限公司",
    ]
    assert [p.award_level for p in event.teams_in_award_order] == ["first", "second", "second"]
    # 健帆 typed twice (co-organiser and team) is one organisation, created once.
    assert count(db, Organization) == 5
    assert event.programme == [
        {"title": "安全知识必答题", "time": None, "note": None},
        {"title": "安全谜语竞猜", "time": "15:10", "note": "抢答"},
    ]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "参赛队 10 支（具名 3 支）" in page
    assert page.index("安全知识必答题") < page.index("安全谜语竞猜")
    assert "★ 一等奖/冠军" in page and "未知" in page  # no headcount: teams are not people

    _, calendar, _ = get_feed(client, "/calendar.ics")
    description = str(calendar.walk("VEVENT")[0]["DESCRIPTION"])
    assert "参与组织：参赛队 10 支（具名 3 支）" in description
    assert "活动环节：1. 安全知识必答题；2. 15:10 安全谜语竞猜（抢答）" in description
    assert "人数：" not in description
    assert "获奖：健帆生物科技集团股份有限公司 一等奖/冠军（冠军）" in description

    stats = client.get("/stats/", query_string={"from": "2019-01-01", "to": "2019-12-31"})
    html = stats.get_data(as_text=True)
    assert "参赛队 10 支（具名 3 支）" in html
    assert re.search(r"<dt>参与组织</dt><dd>10<", html)
    assert re.search(r"<dt>参与人次</dt><dd>0<", html)
    assert "一等奖/冠军 1；二等奖 2" in html


def test_a_total_below_the_named_organisations_is_refused(client, coordinator, new_form, db):
    response = client.post("/events/new", data=contest_form(team_total="2", **new_form()))
    assert response.status_code == 422
    assert "总数不能少于已列出的 3 个" in response.get_data(as_text=True)
    assert count(db, Event) == 0 and count(db, Organization) == 1


def test_programme_rows_without_javascript(client, coordinator, new_form, db):
    data = event_form(**{"programme-0-title": "金融机构路演"}, **new_form())
    added = client.post("/events/new", data={**data, "add_segment": "1"})
    page = added.get_data(as_text=True)
    assert added.status_code == 200 and 'name="programme-1-title"' in page
    assert 'value="金融机构路演"' in page and count(db, Event) == 0

    data["programme-1-title"] = "银企一对一对接"
    data["programme-2-title"] = "多余的一行"
    removed = client.post("/events/new", data={**data, "remove_segment-2": "1"})
    assert 'name="programme-2-title"' not in removed.get_data(as_text=True)
    del data["programme-2-title"]

    assert client.post("/events/new", data=data).status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert [item["title"] for item in event.programme] == ["金融机构路演", "银企一对一对接"]
    edit = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="银企一对一对接"' in edit


def test_a_segment_with_a_time_but_no_title_is_refused(client, coordinator, new_form, db):
    response = client.post(
        "/events/new", data=event_form(**{"programme-0-time": "14:00"}, **new_form())
    )
    assert response.status_code == 422
    assert "请填写环节名称" in response.get_data(as_text=True)


def test_changing_the_programme_raises_sequence_and_is_audited(client, coordinator, new_form, db):
    client.post("/events/new", data=event_form(**{"programme-0-title": "开场"}, **new_form()))
    event = db.session.scalars(select(Event)).one()
    sequence = event.sequence
    data = edit_form_data(client, event)
    data["programme-0-title"] = "闭幕"

    response = client.post(
        f"/events/{event.id}/edit", data={**data, "csrf_token": new_form()["csrf_token"]}
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == sequence + 1
    history = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "1. 闭幕" in history and "1. 开场" in history


# --- new organisations and people typed in the rows --------------------------------------


def test_new_people_and_organisations_are_created_when_the_event_saves(
    client, coordinator, new_form, db
):
    response = client.post(
        "/events/new",
        data=event_form(
            **{
                "organizations-0-new_organization": "金峰学校",
                "organizations-0-new_organization_kind": "school",
                "organizations-0-role": "participant",
                "participants-0-new_person": "王老师",
                "participants-0-role": "speaker",
            },
            **new_form(),
        ),
    )
    assert response.status_code == 302
    school = db.session.scalars(select(Organization).where(Organization.name == "金峰学校")).one()
    assert school.kind == "school"
    person = db.session.scalars(select(Person)).one()
    assert person.name == "王老师"
    assert db.session.scalars(select(Participation)).one().person == person


def test_a_row_with_both_a_chosen_and_a_new_organisation_is_refused(
    client, coordinator, new_form, db
):
    union = db.session.scalars(select(Organization)).one()
    response = client.post(
        "/events/new",
        data=event_form(
            **{
                "organizations-0-organization": str(union.id),
                "organizations-0-new_organization": "另一个组织",
                "participants-0-new_person": "x" * 101,
            },
            **new_form(),
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "已选择已有组织时，请不要再填写新组织" in page
    assert "不能超过 100 个字符" in page
    assert count(db, Organization) == 1 and count(db, Person) == 0


def test_the_form_has_no_new_window_links(client, coordinator):
    page = client.get("/events/new").get_data(as_text=True)
    assert 'target="_blank"' not in page and "新窗口" not in page


# --- exactly once ----------------------------------------------------------------------------


def test_submitting_the_same_form_twice_saves_one_event(client, coordinator, new_form, db):
    data = event_form(title="只保存一次", **new_form())

    first = client.post("/events/new", data=data)
    second = client.post("/events/new", data=data)  # Back, then 保存 again

    event = db.session.scalars(select(Event)).one()
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith(f"/events/{event.id}")
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "这份表单已经提交过" in page
    assert count(db, FormSubmission) == 1


def test_a_concurrent_second_submission_is_stopped_by_the_database(
    client, coordinator, new_form, db, monkeypatch
):
    """Both requests passed the look-up before either committed: the primary key on the
    token refuses the second insert, and the second request shows the first one's event."""
    data = event_form(title="并发提交", **new_form())
    assert client.post("/events/new", data=data).status_code == 302
    monkeypatch.setattr(services, "submitted_event_id", _unused_at_first_look(services))

    second = client.post("/events/new", data=data)

    event = db.session.scalars(select(Event)).one()
    assert second.headers["Location"].endswith(f"/events/{event.id}")
    assert count(db, Event) == 1


def _unused_at_first_look(module):
    """`submitted_event_id` that answers "unused" once (as a racing request would see it)."""
    real = module.submitted_event_id
    calls = []

    def look(token):
        calls.append(token)
        return None if len(calls) == 1 else real(token)

    return look


def test_resubmitting_an_edit_shows_the_event_instead_of_a_conflict(
    client, coordinator, new_form, db
):
    client.post("/events/new", data=event_form(title="原标题", **new_form()))
    event = db.session.scalars(select(Event)).one()
    path = f"/events/{event.id}/edit"
    tokens = new_form(path)
    data = event_form(title="新标题", version=str(event.version), **tokens)

    assert client.post(path, data=data).status_code == 302
    again = client.post(path, data=data)

    assert again.status_code == 302
    assert "这份表单已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "新标题"


def test_saved_message_does_not_double_the_title_quotes(client, coordinator, new_form):
    response = client.post(
        "/events/new",
        data=event_form(title="“安康杯”知识竞赛", **new_form()),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "活动已保存：“安康杯”知识竞赛" in page and "““" not in page


# --- small things ----------------------------------------------------------------------------


def test_switching_language_on_the_form_keeps_what_was_typed(client, coordinator, new_form, db):
    data = event_form(title="未保存的标题", **{"programme-0-title": "环节一"}, **new_form())
    page = client.get("/events/new").get_data(as_text=True)
    assert 'form="event-form"' in page and 'name="switch_language"' in page

    switched = client.post("/events/new?lang=en", data={**data, "switch_language": "1"})

    html = switched.get_data(as_text=True)
    assert switched.status_code == 200 and '<html lang="en">' in html
    assert 'value="未保存的标题"' in html and 'value="环节一"' in html
    assert count(db, Event) == 0


def test_english_form_names_categories_in_english(client, coordinator, make_category):
    make_category(name_zh="知识竞赛", name_en="Knowledge contest")
    page = client.get("/events/new?lang=en").get_data(as_text=True)
    assert ">Knowledge contest</option>" in page


def test_a_page_past_the_last_goes_to_the_last(client, make_event):
    make_event()
    response = client.get("/events/?page=999&category=")
    assert response.status_code == 302
    assert "page=1" in response.headers["Location"] and "999" not in response.headers["Location"]


def test_month_chart_leaves_a_gap_where_the_headcount_is_unknown(app):
    months = [
        GroupRow(None, "2019-05", Figures(activities=1, headcount=_count(40))),
        GroupRow(None, "2019-06", Figures(activities=2)),
        GroupRow(None, "2019-07", Figures(activities=1, headcount=_count(10))),
        GroupRow(None, "2019-08", Figures(activities=1, headcount=_count(20))),
    ]
    with app.test_request_context():
        svg = str(month_chart("chart", "每月", months))
    assert svg.count("<circle") == 3  # no point at June
    assert svg.count("<polyline") == 1  # July–August only: nothing drawn through June
    assert "2019年6月 人数：—" not in svg and "2019-06：—" in svg


def _count(value):
    from tracker.models import Headcount

    return Headcount(value)


def test_organisation_top_rows_are_cut_by_activities_then_headcount(client, db):
    # 25 organisations with one activity each: the 20 shown are those with most people,
    # not the first 20 names.
    for number in range(25):
        starts_at = datetime(2019, 6, 1 + number, 1, tzinfo=UTC)
        event = Event(
            title=f"活动{number}", starts_at=starts_at, ends_at=starts_at, reported_headcount=number
        )
        organization = Organization(name=f"组织{number:02d}", kind="social")
        event.organization_links.append(EventOrganization(organization=organization, role="host"))
        db.session.add(event)
    db.session.commit()

    html = client.get("/stats/", query_string={"from": "2019-01-01", "to": "2019-12-31"})
    section = html.get_data(as_text=True).split('id="organizations-heading"')[1]
    section = section.split("</section>")[0]
    shown = re.findall(r"title=\"(组织\d\d)\"", section)
    assert shown == [f"组织{number:02d}" for number in range(24, 4, -1)]


def _calendar_with(lines: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Activity Tracker//活动日历//ZH\r\n"
        "BEGIN:VEVENT\r\nUID:programme@test\r\nDTSTAMP:20190601T000000Z\r\n"
        "DTSTART:20190620T060000Z\r\nDTEND:20190620T090000Z\r\nSUMMARY:竞赛\r\n"
        f"{lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_an_imported_programme_and_team_count_are_read_and_a_broken_one_refused(db):
    text = (
        '[{"title":"必答题","time":"14:00","note":null},{"title":"抢答","time":null,"note":null}]'
    )
    import_calendar(_calendar_with(f"X-TRACKER-PROGRAMME:{text}\r\nX-TRACKER-TEAM-TOTAL:10\r\n"))
    event = db.session.scalars(select(Event)).one()
    assert [item["title"] for item in event.programme] == ["必答题", "抢答"]
    assert event.team_total == 10

    with pytest.raises(ImportRefused) as refused:
        import_calendar(_calendar_with('X-TRACKER-PROGRAMME:[{"title":"","time":"25:00"}]\r\n'))
    assert "X-TRACKER-PROGRAMME" in str(refused.value)


def test_two_simultaneous_submissions_of_one_form_save_one_event(app, db, make_user, monkeypatch):
    """Two requests with the same token, both past the look-up before either saves (a
    double click): the database keeps one event, the other request is shown it."""
    user_id = make_user().id
    token = "double-click-token-0123456789"
    both_looked = threading.Barrier(2)
    first_look = threading.local()
    real_look = services.submitted_event_id

    def look(submitted):
        found = real_look(submitted)
        if not getattr(first_look, "done", False):
            first_look.done = True
            both_looked.wait(timeout=20)
        return found

    monkeypatch.setattr(services, "submitted_event_id", look)
    results = []

    def submit():
        with app.app_context():
            starts_at = datetime(2019, 6, 20, 6, tzinfo=UTC)
            values = services.EventInput(title="双击", starts_at=starts_at, ends_at=starts_at)
            try:
                event = services.create_event(values, db.session.get(User, user_id), token)
                results.append(("saved", event.id))
            except services.AlreadySubmitted as submitted:
                results.append(("shown", submitted.event_id))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(kind for kind, _ in results) == ["saved", "shown"]
    assert len({event_id for _, event_id in results}) == 1
    assert count(db, Event) == 1 and count(db, FormSubmission) == 1
