"""A coordinator records activities in a real browser: signing in, the whole 安康杯 contest
through the form, rows added and removed in place, a Chinese message for an end before the
start, and a form posted without its CSRF token."""

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tracker.models import Event, Location

TEAMS = [
    ("健帆生物科技集团（健帆）", "冠军", "1"),
    ("艾默生电气(珠海)有限公司（艾默生电气）", "二等奖", "2"),
    ("珠海藤佳能源", "二等奖", "2"),
    *((f"参赛队{number}", "", "") for number in range(4, 11)),
]


@pytest.fixture
def contest_directory(make_organization, make_category):
    """The organisations and category the contest needs, as the directory would hold them."""
    make_category(slug="contest", name_zh="知识竞赛", name_en="Contest")
    make_organization(name="安监局", kind="government")
    make_organization(name="健帆生物科技集团", short_name="健帆", kind="enterprise")
    make_organization(name="北京理工大学珠海学院", kind="school")
    make_organization(name="艾默生电气(珠海)有限公司", short_name="艾默生电气", kind="enterprise")
    make_organization(name="珠海藤佳能源", kind="enterprise")
    for number in range(4, 11):
        make_organization(name=f"参赛队{number}", kind="enterprise")


def pick(page, field_id: str, typed: str, name: str) -> None:
    """Type into a picker and choose the entry `name` among the matches it lists."""
    page.fill(f"#{field_id}", typed)
    option = page.locator(f"#{field_id}-results li", has_text=name).first
    option.wait_for()
    option.dispatch_event("mousedown")
    assert page.input_value(f"#{field_id}") == name


def event_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Event.id)))


def test_sign_in(page, make_user):
    make_user("wang")
    page.goto("/login")
    page.fill("#username", "wang")
    page.fill("#password", "correct horse battery")
    page.click("button:has-text('登录')")
    page.wait_for_url("**/")
    assert "欢迎，wang" in page.inner_text(".flash")
    assert page.locator("header a[href='/account']").inner_text() == "wang"


def test_record_the_ankang_cup_contest_through_the_form(signed_in_page, contest_directory, db):
    page = signed_in_page
    started = time.perf_counter()
    page.goto("/events/new")
    page.fill("#title", '"安康杯"安全生产知识竞赛')
    page.select_option("#category", label="知识竞赛")
    page.fill("#start_date", "2019-06-20")
    page.fill("#start_time", "14:00")
    page.fill("#end_time", "17:30")

    page.fill("[name='stops-0-new_location']", "健帆生物科技集团")
    page.fill("[name='stops-0-new_location_city']", "珠海")

    # Row 0 already holds the coordinator's organisation (总工会) as host.
    for index, (organization, role) in enumerate(
        [
            ("安监局", "主办"),
            ("健帆生物科技集团（健帆）", "协办"),
            ("北京理工大学珠海学院", "协办"),
        ],
        start=1,
    ):
        page.click("[data-add-row='organizations']")
        name = organization.split("（")[0]
        pick(page, f"organizations-{index}-organization", name, name)
        page.select_option(f"[name='organizations-{index}-role']", label=role)

    for index, (team, award, rank) in enumerate(TEAMS):
        if index:
            page.click("[data-add-row='participants']")
        name = team.split("（")[0]
        pick(page, f"participants-{index}-organization", name, name)
        if award:
            page.fill(f"[name='participants-{index}-award']", award)
            page.fill(f"[name='participants-{index}-rank']", rank)

    page.fill("#description", "来自企业和高校的10支参赛队经过五轮比拼决出名次。")
    page.fill("#outcome", "健帆获冠军；艾默生电气、珠海藤佳能源获二等奖。")
    page.click("button.primary:has-text('保存')")
    page.wait_for_url("**/events/*")
    elapsed = time.perf_counter() - started
    print(f"\n安康杯 form filled and saved by the browser in {elapsed:.1f} s")

    assert page.inner_text("h1").startswith('"安康杯"安全生产知识竞赛')
    facts = page.inner_text(".facts")
    assert "2019年6月20日" in facts and "14:00 – 17:30" in facts and "知识竞赛" in facts
    assert "健帆生物科技集团" in page.inner_text(".itinerary")
    organizations = page.inner_text("section:has(h2:has-text('组织单位')) tbody")
    assert organizations.count("主办") == 2 and organizations.count("协办") == 2
    for name in ("总工会", "安监局", "健帆生物科技集团", "北京理工大学珠海学院"):
        assert name in organizations
    teams_section = page.locator("section:has(h2:has-text('参赛队伍与结果'))")
    assert "（10）" in teams_section.locator("h2").inner_text()
    award_rows = teams_section.locator("tr.award-row").all_inner_texts()
    assert len(award_rows) == 3
    assert "健帆生物科技集团" in award_rows[0] and "冠军" in award_rows[0]
    assert all("二等奖" in row for row in award_rows[1:])
    assert {"艾默生电气(珠海)有限公司", "珠海藤佳能源"} == {
        row.split("\t")[0].strip() for row in award_rows[1:]
    }
    assert teams_section.locator("tbody tr").count() == 10
    assert "五轮比拼" in page.inner_text("article")

    db.session.expire_all()
    event = db.session.scalars(select(Event)).one()
    assert len(event.organization_links) == 4 and len(event.participations) == 10
    assert [p.award for p in event.participations if p.award] == ["冠军", "二等奖", "二等奖"]


def test_itinerary_rows_are_added_and_removed_in_place(signed_in_page, make_location, db):
    page = signed_in_page
    first = make_location(name="广州辛亥革命纪念馆", city="广州")
    second = make_location(name="广州起义纪念馆", city="广州")
    page.goto("/events/new")
    page.evaluate("window.notReloaded = true")
    rows = page.locator("#rows-stops [data-row]")
    assert rows.count() == 1
    pick(page, "stops-0-location", "辛亥", first.name)
    page.click("[data-add-row='stops']")
    assert rows.count() == 2
    # The new row's picker works: chosen from the matches, its id is what the row posts.
    pick(page, "stops-1-location", "起义", second.name)
    assert page.input_value("[name='stops-1-location']") == str(second.id)
    assert rows.nth(1).locator("[data-row-number]").inner_text() == "2"
    rows.nth(0).locator("[data-remove-row]").click()
    assert rows.count() == 1
    assert rows.nth(0).locator("[data-row-number]").inner_text() == "1"
    assert page.evaluate("window.notReloaded") is True
    assert event_count(db) == 0

    page.fill("#title", "参观学习")
    page.fill("#start_date", "2019-06-28")
    page.fill("#start_time", "08:30")
    page.fill("#end_time", "17:00")
    page.click("button.primary:has-text('保存')")
    page.wait_for_url("**/events/*")
    assert page.locator(".itinerary li").all_inner_texts()[0].startswith("广州起义纪念馆")
    db.session.expire_all()
    assert [stop.location_id for stop in db.session.scalars(select(Event)).one().stops] == [
        second.id
    ]


def test_rows_work_without_javascript(browser, live_server, app, make_user, make_location, db):
    make_user("wang")
    place = make_location(name="会同书店")
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("#username", "wang")
        page.fill("#password", "correct horse battery")
        page.click("button:has-text('登录')")
        page.goto("/events/new")
        page.fill("#title", "读书分享会")
        page.fill("#stops-0-location", "会同书店")  # matched by name when the form is posted
        page.click("[data-add-row='stops']")  # submits; the server adds the row
        page.wait_for_load_state()
        assert page.locator("#rows-stops [data-row]").count() == 2
        assert page.input_value("#title") == "读书分享会"
        page.locator("#rows-stops [data-row]").nth(1).locator("[data-remove-row]").click()
        page.wait_for_load_state()
        assert page.locator("#rows-stops [data-row]").count() == 1
        assert page.input_value("[name='stops-0-location']") == str(place.id)
        assert event_count(db) == 0
    finally:
        context.close()


def test_end_before_start_shows_the_message_and_keeps_the_typed_values(signed_in_page, db):
    page = signed_in_page
    page.goto("/events/new")
    page.fill("#title", "安全生产宣传教育走进金峰学校")
    page.fill("#theme", "防风险、除隐患、遏事故")
    page.fill("#start_date", "2019-06-12")
    page.fill("#start_time", "15:00")
    page.fill("#end_time", "09:30")
    page.fill("[name='stops-0-new_location']", "金峰学校")
    page.click("button.primary:has-text('保存')")
    page.wait_for_selector(".field-errors")
    assert "结束时间不能早于开始时间" in page.inner_text("#end_date-errors")
    assert "表单有错误" in page.inner_text("[role='alert']")
    assert page.input_value("#title") == "安全生产宣传教育走进金峰学校"
    assert page.input_value("#theme") == "防风险、除隐患、遏事故"
    assert page.input_value("#start_date") == "2019-06-12"
    assert page.input_value("#start_time") == "15:00"
    assert page.input_value("#end_time") == "09:30"
    assert page.input_value("[name='stops-0-new_location']") == "金峰学校"
    assert event_count(db) == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Location.id))) == 0


def test_form_without_csrf_token_is_refused(signed_in_page, db):
    page = signed_in_page
    page.goto("/events/new")
    page.fill("#title", "没有令牌的活动")
    page.fill("#start_date", "2019-06-20")
    page.fill("#start_time", "14:00")
    page.fill("#end_time", "15:00")
    page.evaluate("document.querySelector('#event-form [name=csrf_token]').remove()")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.click("button.primary:has-text('保存')")
    assert posted.value.status == 400
    assert "请求无效" in page.inner_text("h1")
    assert "安全令牌" in page.inner_text("main")
    assert event_count(db) == 0


def test_a_location_picked_in_a_new_stop_row_is_saved(signed_in_page, make_location, db):
    page = signed_in_page
    make_location(name="珠海市博物馆", city="珠海")
    museum = make_location(name="苏兆征故居陈列馆", city="珠海")
    page.goto("/events/new")
    page.fill("#title", "参观学习")
    page.fill("#start_date", "2019-06-28")
    page.fill("#start_time", "08:30")
    page.fill("#end_time", "17:00")
    page.click("[data-add-row='stops']")  # row 1, cloned by the script from the template
    page.fill("#stops-1-location", "苏兆征")
    # Focusing the new row offered both places (most used first); typing narrows to one.
    expect(page.locator("#stops-1-location-results li")).to_have_count(1)
    assert "苏兆征故居陈列馆" in page.inner_text("#stops-1-location-results")
    page.press("#stops-1-location", "ArrowDown")
    page.press("#stops-1-location", "Enter")  # chooses; does not submit the form
    assert page.input_value("[name='stops-1-location']") == str(museum.id)
    assert page.input_value("#stops-1-location") == "苏兆征故居陈列馆"
    assert event_count(db) == 0
    page.click("button.primary:has-text('保存')")
    page.wait_for_url("**/events/*")
    db.session.expire_all()
    assert [stop.location_id for stop in db.session.scalars(select(Event)).one().stops] == [
        museum.id
    ]
