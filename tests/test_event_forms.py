"""The event form: create and edit with repeatable rows, validation in Chinese, permissions,
the no-JavaScript row buttons, recurrence, optimistic locking, cancel and delete."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select, update

from tracker.events import services
from tracker.events.forms import rule_fields
from tracker.models import (
    AuditEntry,
    Campaign,
    Event,
    EventOrganization,
    Location,
    Participation,
    Stop,
)
from tracker.recurrence import same_rule


def event_form(**overrides):
    """The fields a browser posts for a simple one-afternoon event, with overrides."""
    data = {
        "title": "主题党日",
        "start_date": "2019-06-20",
        "start_time": "14:00",
        "end_date": "",
        "end_time": "17:30",
        "timezone": "Asia/Shanghai",
        "repeat": "",
        "repeat_interval": "1",
        "repeat_monthly_by": "monthday",
        "status": "confirmed",
        "visibility": "public",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def post_form(client, csrf_token):
    """Post the event form to a path with a fresh CSRF token read from that page."""

    def post(data, path="/events/new"):
        token = csrf_token(path if path.endswith(("/new", "/edit")) else "/events/new")
        return client.post(path, data={**data, "csrf_token": token})

    return post


@pytest.fixture
def coordinator(make_user, make_organization, sign_in):
    """A signed-in coordinator of 总工会."""
    union = make_organization(name="总工会", kind="social")
    user = make_user("union", organization=union)
    sign_in(user)
    return user


def picked(page: str, name: str, entry_id: int, label: str) -> bool:
    """Whether the page's picker `name` holds the entry: its id, and its name in the text."""
    return (
        f'name="{name}" value="{entry_id}" data-picker-id' in page
        and f'name="{name}__name" value="{label}"' in page
    )


def choose(data: dict, name: str, entry) -> None:
    """Pick an entry in a posted form's picker as the script does: the id and the name."""
    data[name], data[f"{name}__name"] = str(entry.id), entry.name


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def saved_event(db) -> Event:
    db.session.expire_all()
    return db.session.scalars(select(Event)).one()


# --- creating -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_saved(client, csrf_token, db):
    assert "/login" in client.get("/events/new").headers["Location"]
    response = client.post("/events/new", data={**event_form(), "csrf_token": csrf_token()})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(db, Event) == 0


def test_new_form_offers_the_coordinators_organization_as_host(client, coordinator):
    text = client.get("/events/new").get_data(as_text=True)
    assert picked(text, "organizations-0-organization", coordinator.organization_id, "总工会")
    assert '<select id="organizations-0-organization"' not in text  # a picker, not a select


def test_jishan_party_day_with_an_ordered_itinerary(
    client, coordinator, post_form, db, make_location, make_organization, make_category
):
    xinhai = make_location(name="广州辛亥革命纪念馆", city="广州")
    qiyi = make_location(name="广州起义纪念馆", city="广州")
    jishan = make_organization(name="鸡山社区党组织", kind="party_committee")
    category = make_category(name_zh="主题党日")
    response = post_form(
        event_form(
            title="鸡山社区党组织主题教育党日",
            category=str(category.id),
            theme="不忘初心、牢记使命",
            start_date="2019-06-28",
            start_time="08:30",
            end_time="17:00",
            reported_headcount="50",
            **{
                "stops-0-location": str(xinhai.id),
                "stops-1-location": str(qiyi.id),
                "organizations-0-organization": str(jishan.id),
                "organizations-0-role": "host",
            },
        )
    )
    assert response.status_code == 302
    event = saved_event(db)
    assert [stop.location.name for stop in event.stops] == ["广州辛亥革命纪念馆", "广州起义纪念馆"]
    assert event.starts_at == datetime(2019, 6, 28, 0, 30, tzinfo=UTC)
    assert event.ends_at == datetime(2019, 6, 28, 9, 0, tzinfo=UTC)
    assert event.theme == "不忘初心、牢记使命" and event.reported_headcount == 50
    assert event.created_by_id == coordinator.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.index("广州辛亥革命纪念馆") < page.index("广州起义纪念馆")
    assert "已保存" in page


def test_a_new_place_can_be_typed_on_the_spot(client, coordinator, post_form, db):
    response = post_form(
        event_form(
            **{
                "stops-0-new_location": "会同书店",
                "stops-0-new_location_city": "珠海",
                "stops-0-note": "读书分享",
            }
        )
    )
    assert response.status_code == 302
    location = db.session.scalars(select(Location)).one()
    assert (location.name, location.city) == ("会同书店", "珠海")
    assert saved_event(db).stops[0].note == "读书分享"


def test_typing_an_existing_place_name_reuses_the_entry(
    client, coordinator, post_form, db, make_location
):
    make_location(name="会同书店")
    post_form(event_form(**{"stops-0-new_location": "会同书店"}))
    assert count(db, Location) == 1


def test_fair_with_approximate_headcount_and_exhibitors(
    client, coordinator, post_form, db, make_organization
):
    banks = [make_organization(name=name, kind="financial") for name in ("建设银行", "广发银行")]
    response = post_form(
        event_form(
            title="双自联动银企对接会",
            reported_headcount="100",
            reported_headcount_is_approximate="y",
            outcome="初步达成合作意向",
            **{
                f"organizations-{index}-organization": str(bank.id)
                for index, bank in enumerate(banks)
            },
            **{f"organizations-{index}-role": "exhibitor" for index in range(2)},
        )
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "100+" in page and "建设银行" in page and "初步达成合作意向" in page


def test_people_and_teams_take_part_with_role_hours_and_award(
    client, coordinator, post_form, db, make_person, make_organization
):
    person = make_person(name="李四")
    team = make_organization(name="珠海藤佳能源", kind="enterprise")
    response = post_form(
        event_form(
            **{
                "participants-0-person": str(person.id),
                "participants-0-role": "speaker",
                "participants-0-attended": "y",
                "participants-0-hours": "2.5",
                "participants-1-organization": str(team.id),
                "participants-1-role": "participant",
                "participants-1-award": "二等奖",
                "participants-1-rank": "2",
            }
        )
    )
    assert response.status_code == 302
    speaker, contestant = saved_event(db).participations
    assert (speaker.person_id, speaker.role, speaker.hours) == (person.id, "speaker", 2.5)
    assert speaker.attended is True
    assert (contestant.organization_id, contestant.award, contestant.rank) == (team.id, "二等奖", 2)
    assert contestant.attended is False  # its box was not ticked


def test_blank_rows_are_dropped(client, coordinator, post_form, db):
    response = post_form(
        event_form(
            **{
                "stops-0-location": "",
                "organizations-0-organization": "",
                "organizations-0-role": "host",
                "participants-0-person": "",
                "participants-0-attended": "y",
            }
        )
    )
    assert response.status_code == 302
    event = saved_event(db)
    assert (event.stops, event.organization_links, event.participations) == ([], [], [])


def test_all_day_event_over_two_days_ends_at_the_midnight_after(client, coordinator, post_form, db):
    post_form(
        event_form(
            all_day="y",
            start_date="2019-07-01",
            start_time="",
            end_date="2019-07-02",
            end_time="",
        )
    )
    event = saved_event(db)
    assert event.is_all_day
    assert event.starts_at == datetime(2019, 6, 30, 16, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2019, 7, 2, 16, 0, tzinfo=UTC)


def test_times_are_entered_in_the_events_own_zone(client, coordinator, post_form, db):
    post_form(event_form(timezone="Asia/Tokyo", start_time="09:00", end_time="10:00"))
    event = saved_event(db)
    assert event.timezone == "Asia/Tokyo"
    assert event.starts_at == datetime(2019, 6, 20, 0, 0, tzinfo=UTC)


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "请填写此项"),
        ({"title": "长" * 201}, "不能超过 200 个字符"),
        ({"start_date": ""}, "请填写开始日期"),
        ({"start_date": "2019-13-45"}, "日期格式不正确"),
        ({"start_time": ""}, "请填写开始时间"),
        ({"end_time": "12:00"}, "结束时间不能早于开始时间"),
        ({"end_date": "2019-06-19"}, "结束时间不能早于开始时间"),
        ({"reported_headcount": "-5"}, "无法识别人数“-5”"),
        ({"reported_headcount": "99999999"}, "人数应在 0 到 1000000 之间"),
        ({"reported_headcount": "很多"}, "无法识别人数“很多”"),
        ({"timezone": "Mars/Olympus"}, "未知的时区"),
        ({"status": "deleted"}, "所选项无效"),
        ({"category": "99999"}, "所选项目不存在"),
        ({"category": "abc"}, "所选项目不存在"),
        ({"repeat": "WEEKLY", "repeat_until": "2019-06-01"}, "重复截止日期不能早于开始日期"),
        (
            {"repeat": "WEEKLY", "repeat_until": "2019-07-31", "repeat_count": "5"},
            "重复截止日期和重复次数只能填写一项",
        ),
        ({"repeat": "DAILY", "repeat_interval": "0"}, "间隔应在 1 到 99 之间"),
        ({"stops-0-note": "没有地点"}, "请选择已有地点，或填写新地点的名称"),
        ({"stops-0-location": "424242"}, "所选项目不存在"),
        ({"organizations-0-organization": "424242"}, "所选项目不存在"),
        ({"organizations-0-headcount": "5"}, "请选择组织"),
        ({"participants-0-person": "424242"}, "所选项目不存在"),
        ({"participants-0-award": "冠军"}, "请选择人员或参赛组织"),
        ({"participants-0-hours": "5000", "participants-0-award": "x"}, "时长应在 0 到 1000"),
        ({"participants-0-rank": "0", "participants-0-award": "x"}, "名次应在 1 到 1000"),
    ],
)
def test_invalid_values_get_a_chinese_message_and_nothing_is_saved(
    client, coordinator, post_form, db, overrides, message
):
    response = post_form(event_form(**overrides))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in text
    assert "表单有错误" in text
    assert count(db, Event) == 0


def test_a_rejected_form_keeps_everything_typed(
    client, coordinator, post_form, db, make_organization
):
    host = make_organization(name="安监局", kind="government")
    response = post_form(
        event_form(
            title="安全生产宣传教育走进金峰学校",
            theme="防风险、除隐患、遏事故",
            end_time="13:00",
            description="地震逃生演练",
            **{
                "organizations-0-organization": str(host.id),
                "organizations-0-role": "host",
                "organizations-0-headcount": "12",
                "stops-0-new_location": "金峰学校",
            },
        )
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="安全生产宣传教育走进金峰学校"' in text
    assert 'value="防风险、除隐患、遏事故"' in text
    assert 'value="13:00"' in text and 'value="14:00"' in text
    assert "地震逃生演练</textarea>" in text
    assert picked(text, "organizations-0-organization", host.id, "安监局")
    assert 'name="organizations-0-headcount" type="number" value="12"' in text
    assert 'value="金峰学校"' in text
    assert count(db, Location) == 0


def test_same_organization_twice_in_one_role_is_refused(
    client, coordinator, post_form, db, make_organization
):
    host = make_organization(name="安监局", kind="government")
    rows = {
        "organizations-0-organization": str(host.id),
        "organizations-0-role": "host",
        "organizations-1-organization": str(host.id),
        "organizations-1-role": "host",
    }
    response = post_form(event_form(**rows))
    assert response.status_code == 422
    assert "同一组织不能以同一角色重复出现" in response.get_data(as_text=True)
    assert count(db, Event) == 0
    rows["organizations-1-role"] = "team"
    assert post_form(event_form(**rows)).status_code == 302
    assert count(db, EventOrganization) == 2


def test_same_person_twice_in_one_activity_is_refused_whatever_the_role(
    client, coordinator, post_form, db, make_person
):
    person = make_person(name="李明")
    rows = {
        "participants-0-person": str(person.id),
        "participants-0-role": "participant",
        "participants-1-person": str(person.id),
        "participants-1-role": "volunteer",
    }
    response = post_form(event_form(**rows))
    assert response.status_code == 422
    assert "同一参与者不能重复添加" in response.get_data(as_text=True)
    assert count(db, Event) == 0


def test_person_and_team_in_one_row_is_refused(
    client, coordinator, post_form, db, make_person, make_organization
):
    response = post_form(
        event_form(
            **{
                "participants-0-person": str(make_person().id),
                "participants-0-organization": str(make_organization().id),
            }
        )
    )
    assert "人员和参赛组织只能选择其中一项" in response.get_data(as_text=True)
    assert count(db, Participation) == 0


def test_post_without_csrf_token_is_refused_and_saves_nothing(client, coordinator, db):
    response = client.post("/events/new", data=event_form())
    assert response.status_code == 400
    assert count(db, Event) == 0


# --- rows without JavaScript -----------------------------------------------------------


def test_add_row_button_shows_the_form_again_with_one_more_row(
    client, coordinator, post_form, db, make_location
):
    place = make_location(name="苏兆征故居陈列馆")
    response = post_form(
        event_form(title="主题党日", add_stop="1", **{"stops-0-location": str(place.id)})
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="stops-1-location"' in text
    assert picked(text, "stops-0-location", place.id, "苏兆征故居陈列馆")
    assert 'value="主题党日"' in text
    assert "表单有错误" not in text
    assert count(db, Event) == 0


def test_remove_row_button_drops_that_row_and_keeps_the_others(
    client, coordinator, post_form, db, make_location
):
    first, second, third = (make_location(name=name) for name in ("甲地", "乙地", "丙地"))
    response = post_form(
        event_form(
            **{
                "stops-0-location": str(first.id),
                "stops-1-location": str(second.id),
                "stops-2-location": str(third.id),
                "remove_stop-1": "1",
            }
        )
    )
    text = response.get_data(as_text=True)
    assert picked(text, "stops-0-location", first.id, "甲地")
    assert picked(text, "stops-1-location", third.id, "丙地")  # renumbered
    assert "乙地" not in text
    assert 'name="stops-2-location"' not in text
    assert count(db, Event) == 0


def test_form_carries_a_row_template_for_the_script(client, coordinator):
    text = client.get("/events/new").get_data(as_text=True)
    assert '<template id="row-template-stops">' in text
    assert 'name="stops-__index__-location"' in text
    assert "js/event_form.js" in text


# --- recurrence ------------------------------------------------------------------------


def test_weekly_grid_visit_until_a_date(client, coordinator, post_form, db):
    post_form(
        event_form(
            repeat="WEEKLY",
            repeat_weekdays=["MO", "WE"],
            repeat_interval="2",
            repeat_until="2019-12-31",
        )
    )
    event = saved_event(db)
    assert event.recurrence_rule == "FREQ=WEEKLY;UNTIL=20191231T155959Z;INTERVAL=2;BYDAY=MO,WE"
    assert event.series_ends_at is not None
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "每2周（周一、周三），至2019-12-31" in page


def test_monthly_by_weekday_follows_the_start_date(client, coordinator, post_form, db):
    post_form(
        event_form(
            start_date="2019-06-07", repeat="MONTHLY", repeat_monthly_by="weekday", repeat_count="6"
        )
    )
    assert saved_event(db).recurrence_rule == "FREQ=MONTHLY;COUNT=6;BYDAY=1FR"


def test_editing_keeps_a_rule_the_form_cannot_show(client, coordinator, post_form, db, make_event):
    event = make_event(
        created_by=coordinator, recurrence_rule="FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=10"
    )
    data = edit_form_data(client, event)
    data["title"] = "新标题"
    assert post_form(data, f"/events/{event.id}/edit").status_code == 302
    event = saved_event(db)
    assert event.title == "新标题"
    assert same_rule(event.recurrence_rule, "FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=10")


def test_editing_refuses_a_stored_rule_that_never_occurs(
    client, coordinator, post_form, db, make_event
):
    event = make_event(created_by=coordinator, title="二月三十一日")
    # Old data: written before the rule was checked, past the form and the import.
    db.session.execute(
        update(Event)
        .where(Event.id == event.id)
        .values(recurrence_rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31")
    )
    db.session.commit()
    data = edit_form_data(client, event)
    response = post_form(data, f"/events/{event.id}/edit")
    assert response.status_code == 422
    page = unescape(response.get_data(as_text=True))
    assert "“二月三十一日”的重复规则无法保存" in page
    assert "没有任何一次活动" in page


def test_stored_utc_until_is_shown_as_the_local_last_day():
    fields = rule_fields("FREQ=WEEKLY;UNTIL=20191231T155959Z", ZoneInfo("Asia/Shanghai"))
    assert fields["repeat_until"].isoformat() == "2019-12-31"


# --- editing ---------------------------------------------------------------------------


def edit_form_data(client, event) -> dict:
    """The values the edit page shows, as its form would post them back."""
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    start = page.index('id="event-form"')
    form = page[start : page.index("</form>", start)]
    data: dict = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) in ("save", "csrf_token"):
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        key = name.group(1)
        text = unescape(value.group(1)) if value else ""
        if key in data:
            data[key] = [*([data[key]] if isinstance(data[key], str) else data[key]), text]
        else:
            data[key] = text
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        data[name] = unescape(body.lstrip("\n"))
    return data


def test_host_coordinator_edits_and_sequence_rises(client, coordinator, post_form, db, make_event):
    event = make_event(hosts=[coordinator.organization], title="旧标题")
    data = edit_form_data(client, event)
    assert data["title"] == "旧标题" and data["version"] == "1"
    data["title"] = "新标题"
    response = post_form(data, f"/events/{event.id}/edit")
    assert response.status_code == 302
    event = saved_event(db)
    assert (event.title, event.sequence, event.version) == ("新标题", 1, 2)
    assert [host.id for host in event.host_organizations] == [coordinator.organization_id]


def test_saving_an_unchanged_form_changes_nothing(client, coordinator, post_form, db, make_event):
    event = make_event(hosts=[coordinator.organization])
    assert post_form(edit_form_data(client, event), f"/events/{event.id}/edit").status_code == 302
    event = saved_event(db)
    assert (event.sequence, event.version) == (0, 1)


def test_edit_round_trip_keeps_every_row(
    client,
    coordinator,
    post_form,
    db,
    make_location,
    make_person,
    make_organization,
):
    team = make_organization(name="健帆生物科技集团", kind="enterprise")
    person = make_person(name="王五")
    place = make_location(name="健帆生物科技集团")
    post_form(
        event_form(
            all_day="y",
            start_time="",
            end_time="",
            repeat="WEEKLY",
            repeat_weekdays=["FR"],
            repeat_count="4",
            **{
                "stops-0-location": str(place.id),
                "stops-0-starts_at": "2019-06-20T14:00",
                "organizations-0-organization": str(coordinator.organization_id),
                "organizations-0-role": "host",
                "organizations-0-headcount": "10",
                "participants-0-organization": str(team.id),
                "participants-0-award": "冠军",
                "participants-0-rank": "1",
                "participants-1-person": str(person.id),
                "participants-1-hours": "1.5",
                "participants-1-attended": "y",
            },
        )
    )
    event = saved_event(db)
    before = services.event_snapshot(event)
    assert post_form(edit_form_data(client, event), f"/events/{event.id}/edit").status_code == 302
    event = saved_event(db)
    assert services.event_snapshot(event) == before
    assert event.version == 1


def test_rows_can_be_reordered_and_removed_on_edit(
    client, coordinator, post_form, db, make_event, make_location, make_organization
):
    first, second = make_location(name="甲地"), make_location(name="乙地")
    other = make_organization(name="安监局")
    event = make_event(hosts=[coordinator.organization, other], stops=[first, second])
    data = edit_form_data(client, event)
    choose(data, "stops-0-location", second)
    choose(data, "stops-1-location", first)
    choose(data, "organizations-0-organization", other)
    choose(data, "organizations-1-organization", coordinator.organization)
    assert post_form(data, f"/events/{event.id}/edit").status_code == 302
    event = saved_event(db)
    assert [stop.location.name for stop in event.stops] == ["乙地", "甲地"]
    assert [org.name for org in event.host_organizations] == ["安监局", "总工会"]
    data = edit_form_data(client, event)
    for key in [key for key in data if key.startswith("stops-1-")]:
        del data[key]
    assert post_form(data, f"/events/{event.id}/edit").status_code == 302
    assert [stop.location.name for stop in saved_event(db).stops] == ["乙地"]
    assert count(db, Stop) == 1


def test_people_can_be_swapped_removed_and_added_back_on_edit(
    client, coordinator, post_form, db, make_event, make_person, make_organization
):
    """Rows follow the person, not the position: one person never holds two rows, even for
    a moment (the database refuses it), and their hours stay with them."""
    a, b, c = (make_person(name=name) for name in ("甲", "乙", "丙"))
    event = make_event(hosts=[coordinator.organization], people=[a, b, c])
    event.participations[0].hours = Decimal("1.5")
    db.session.commit()

    def names():
        return [(p.person.name, p.hours) for p in saved_event(db).participations]

    data = edit_form_data(client, event)
    choose(data, "participants-0-person", b)
    choose(data, "participants-1-person", a)
    data["participants-0-hours"], data["participants-1-hours"] = "", "1.5"
    assert post_form(data, f"/events/{event.id}/edit").status_code == 302
    assert names() == [("乙", None), ("甲", Decimal("1.50")), ("丙", None)]

    data = edit_form_data(client, event)
    for key in [key for key in data if key.startswith("participants-1-")]:
        del data[key]  # the middle row removed
    assert post_form(data, f"/events/{event.id}/edit").status_code == 302
    assert names() == [("乙", None), ("丙", None)]

    data = edit_form_data(client, event)
    choose(data, "participants-0-person", a)  # 乙's row now names 甲
    assert post_form(data, f"/events/{event.id}/edit").status_code == 302
    assert names() == [("甲", None), ("丙", None)]
    assert count(db, Participation) == 2


def test_coordinator_of_another_organization_cannot_edit(
    client, coordinator, post_form, csrf_token, db, make_event, make_organization
):
    other = make_organization(name="教育局")
    event = make_event(hosts=[other], title="别人的活动")
    assert client.get(f"/events/{event.id}/edit").status_code == 403
    response = client.post(
        f"/events/{event.id}/edit",
        data={**event_form(title="改掉", version="1"), "csrf_token": csrf_token("/events/new")},
    )
    assert response.status_code == 403
    for action in ("cancel", "delete"):
        response = client.post(
            f"/events/{event.id}/{action}",
            data={"confirmed": "yes", "csrf_token": csrf_token("/events/new")},
        )
        assert response.status_code == 403
    event = saved_event(db)
    assert (event.title, event.status) == ("别人的活动", "confirmed")
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/events/{event.id}/edit" not in page


def test_co_organizer_and_creator_may_edit(client, coordinator, db, make_event, make_organization):
    other = make_organization(name="教育局")
    co_organized = make_event(hosts=[other])
    co_organized.organization_links.append(
        EventOrganization(organization=coordinator.organization, role="co_organizer", position=1)
    )
    created = make_event(created_by=coordinator)
    participant_only = make_event()
    participant_only.organization_links.append(
        EventOrganization(organization=coordinator.organization, role="participant")
    )
    db.session.commit()
    assert client.get(f"/events/{co_organized.id}/edit").status_code == 200
    assert client.get(f"/events/{created.id}/edit").status_code == 200
    assert client.get(f"/events/{participant_only.id}/edit").status_code == 403


def test_admin_edits_every_event(client, make_user, sign_in, make_event, make_organization):
    event = make_event(hosts=[make_organization()])
    sign_in(make_user("admin", role="admin"))
    assert client.get(f"/events/{event.id}/edit").status_code == 200


def test_unknown_event_answers_404(client, coordinator):
    assert client.get("/events/999999/edit").status_code == 404


# --- two coordinators at once ----------------------------------------------------------


def test_later_save_gets_a_conflict_page_and_the_earlier_save_is_kept(
    client, coordinator, post_form, db, make_event
):
    event = make_event(hosts=[coordinator.organization], title="安康杯知识竞赛")
    mine = edit_form_data(client, event)
    theirs = edit_form_data(client, event)
    theirs["title"] = "安康杯安全生产知识竞赛"
    assert post_form(theirs, f"/events/{event.id}/edit").status_code == 302
    mine["title"] = "安康杯竞赛（我的标题）"
    response = post_form(mine, f"/events/{event.id}/edit")
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "未保存：活动已被他人修改" in text
    assert "安康杯竞赛（我的标题）" in text and "安康杯安全生产知识竞赛" in text
    assert f'href="/events/{event.id}/edit"' in text
    assert saved_event(db).title == "安康杯安全生产知识竞赛"


def test_tampered_version_is_treated_as_a_conflict(client, coordinator, post_form, db, make_event):
    event = make_event(hosts=[coordinator.organization], title="原标题")
    data = edit_form_data(client, event)
    data.update(title="改过", version="abc")
    assert post_form(data, f"/events/{event.id}/edit").status_code == 409
    assert saved_event(db).title == "原标题"


def test_save_racing_past_the_version_check_is_caught_by_the_database(db, make_event, make_user):
    """Between the check and the UPDATE another worker commits: StaleDataError → conflict."""
    user = make_user()
    event = make_event(title="原标题")
    assert event.version == 1
    with db.engine.begin() as other_worker:
        other_worker.execute(
            update(Event.__table__)
            .where(Event.__table__.c.id == event.id)
            .values(title="别人的标题", version=2)
        )
    values = services.EventInput(title="我的标题", starts_at=event.starts_at, ends_at=event.ends_at)
    with pytest.raises(services.EditConflict) as raised:
        services.update_event(event, values, user, loaded_version=1)
    assert raised.value.current.title == "别人的标题"
    db.session.expire_all()
    assert db.session.scalar(select(Event.title)) == "别人的标题"


# --- cancel and delete -----------------------------------------------------------------


def test_cancel_asks_first_then_marks_the_event_cancelled(
    client, coordinator, csrf_token, db, make_event
):
    event = make_event(hosts=[coordinator.organization])
    token = csrf_token(f"/events/{event.id}")
    response = client.post(f"/events/{event.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 200
    assert "取消这项活动？" in response.get_data(as_text=True)
    assert saved_event(db).status == "confirmed"
    response = client.post(
        f"/events/{event.id}/cancel", data={"csrf_token": token, "confirmed": "yes"}
    )
    assert response.status_code == 302
    event = saved_event(db)
    assert (event.status, event.sequence) == ("cancelled", 1)
    assert "已取消" in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_cancel_and_delete_are_post_only(client, coordinator, make_event):
    event = make_event(hosts=[coordinator.organization])
    assert client.get(f"/events/{event.id}/cancel").status_code == 405
    assert client.get(f"/events/{event.id}/delete").status_code == 405


def test_delete_asks_first_then_removes_the_event_and_its_rows(
    client, coordinator, csrf_token, db, make_event, make_location
):
    event = make_event(hosts=[coordinator.organization], stops=[make_location()])
    token = csrf_token(f"/events/{event.id}")
    response = client.post(f"/events/{event.id}/delete", data={"csrf_token": token})
    assert "删除这项活动？" in response.get_data(as_text=True)
    assert count(db, Event) == 1
    response = client.post(
        f"/events/{event.id}/delete", data={"csrf_token": token, "confirmed": "yes"}
    )
    assert response.status_code == 302
    assert (count(db, Event), count(db, Stop), count(db, Location)) == (0, 0, 1)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).one()
    assert (entry.action, entry.entity_id) == ("delete", event.id)


def test_delete_without_csrf_token_is_refused(client, coordinator, db, make_event):
    event = make_event(hosts=[coordinator.organization])
    assert client.post(f"/events/{event.id}/delete", data={"confirmed": "yes"}).status_code == 400
    assert count(db, Event) == 1


# --- number of queries -----------------------------------------------------------------


def statements_during(db, action) -> list[str]:
    """The SQL statements `action` runs, starting from an empty session as a request does."""
    statements: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    db.session.expunge_all()
    sqlalchemy_event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", record)
    return statements


def test_form_pages_query_a_fixed_number_of_times_whatever_the_number_of_people(
    client, coordinator, db, make_event, make_person, make_organization
):
    paths = ("/events/new", f"/events/{make_event(hosts=[coordinator.organization]).id}/edit")

    def page_queries() -> list[int]:
        return [len(statements_during(db, partial(client.get, path))) for path in paths]

    make_person(organization=make_organization())
    few = page_queries()
    for _ in range(10):
        make_person(organization=make_organization())
    assert page_queries() == few


def test_submitted_rows_look_their_entries_up_in_one_query_per_kind(
    client, coordinator, csrf_token, db, make_person, make_organization
):
    token = csrf_token("/events/new")

    def selects_saving(rows: int) -> int:
        data = event_form(csrf_token=token)
        for index in range(rows):
            data[f"participants-{index}-person"] = str(make_person().id)
            data[f"organizations-{index}-organization"] = str(make_organization().id)
            data[f"organizations-{index}-role"] = "host"
        statements = statements_during(db, lambda: client.post("/events/new", data=data))
        newest = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert (len(newest.participations), len(newest.organization_links)) == (rows, rows)
        return sum(statement.lstrip().upper().startswith("SELECT") for statement in statements)

    assert selects_saving(2) == selects_saving(12)


def reads_after_last_write(statements: list[str]) -> list[str]:
    verbs = [statement.lstrip().split(None, 1)[0].upper() for statement in statements]
    last_write = max(index for index, verb in enumerate(verbs) if verb != "SELECT")
    return statements[last_write + 1 :]


def test_edit_and_cancel_do_not_reload_the_saved_event_for_their_message(
    client, coordinator, csrf_token, db, make_event, make_location
):
    event = make_event(hosts=[coordinator.organization], stops=[make_location()])
    event_id = event.id
    data = edit_form_data(client, event)
    token = csrf_token(f"/events/{event_id}/edit")
    data.update(title="改过的标题", csrf_token=token)
    responses = []

    def post(path, form):
        statements = statements_during(db, lambda: responses.append(client.post(path, data=form)))
        return reads_after_last_write(statements)

    assert post(f"/events/{event_id}/edit", data) == []
    assert post(f"/events/{event_id}/cancel", {"csrf_token": token, "confirmed": "yes"}) == []
    assert [response.status_code for response in responses] == [302, 302]
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "活动已保存：改过的标题" in page and "活动已取消" in page


# --- pickers without JavaScript: names typed, matched on submit ------------------------------


def test_names_typed_into_the_pickers_are_matched_on_submit(
    client, coordinator, post_form, db, make_location, make_organization, make_person
):
    place = make_location(name="广州起义纪念馆", city="广州")
    make_location(name="会同书店")
    host = make_organization(name="鸡山社区党组织", kind="party_committee")
    person = make_person(name="李四")
    make_person(name="王五")
    db.session.add(Campaign(name="安全生产月"))
    db.session.commit()
    response = post_form(
        event_form(
            campaign="",
            campaign__name="安全生产月",
            **{
                "stops-0-location": "",
                "stops-0-location__name": "起义 纪念馆",
                "organizations-0-organization": "",
                "organizations-0-organization__name": "鸡山",
                "organizations-0-role": "host",
                "organizations-1-organization__name": "",
                "organizations-1-new_organization": "金峰学校",
                "organizations-1-new_organization_kind": "school",
                "organizations-1-role": "co_organizer",
                "participants-0-person__name": "李四",
                "participants-1-person__name": "",
                "participants-1-new_person": "赵六",
            },
        )
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    event = saved_event(db)
    assert [stop.location_id for stop in event.stops] == [place.id]
    assert event.campaign.name == "安全生产月"
    assert [org.name for org in event.host_organizations] == [host.name]
    assert {link.organization.name for link in event.organization_links} == {
        "鸡山社区党组织",
        "金峰学校",
    }
    assert [p.person.name for p in event.participations] == [person.name, "赵六"]


def test_a_name_matching_several_entries_asks_which_one(
    client, coordinator, post_form, db, make_location
):
    first = make_location(name="广州辛亥革命纪念馆")
    second = make_location(name="广州起义纪念馆")
    typed = {"stops-0-location": "", "stops-0-location__name": "纪念馆"}
    response = post_form(event_form(**typed))
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and count(db, Event) == 0
    assert "有多项与“纪念馆”相符" in text
    for place in (first, second):
        assert f'type="radio" name="stops-0-location" value="{place.id}"' in text
    chosen = {"stops-0-location": str(second.id), "stops-0-location__name": "纪念馆"}
    assert post_form(event_form(**chosen)).status_code == 302
    assert [stop.location_id for stop in saved_event(db).stops] == [second.id]


def test_a_name_matching_nothing_is_refused_not_dropped(
    client, coordinator, post_form, db, make_organization
):
    make_organization(name="安监局")
    response = post_form(event_form(**{"participants-0-organization__name": "不存在的队伍"}))
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and count(db, Event) == 0
    assert "找不到“不存在的队伍”" in text
    assert 'name="participants-0-organization__name" value="不存在的队伍"' in text
    # Only the picker's own message: not also "choose a person or a team".
    assert text.count('class="field-errors"') == 1


def test_names_matched_in_one_post_are_bounded(client, coordinator, post_form, db, make_person):
    make_person(name="李四")
    rows = {f"participants-{n}-person__name": "李四" for n in range(201)}
    response = post_form(event_form(**rows))
    assert response.status_code == 422 and count(db, Event) == 0
    text = response.get_data(as_text=True)
    assert text.count("一次最多按名称查找 200 项") == 1  # only the 201st row
