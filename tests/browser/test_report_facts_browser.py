"""On a 390 px phone, a coordinator records the 安康杯 contest exactly as the report gives it,
typing the organisations she needs into the form's rows; then reads the page, the feed and
the statistics."""

import pytest

ROUNDS = ["安全知识必答题", "安全谜语竞猜", "看图片识别隐患", "看视频识隐患", "穿戴安全带比赛"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server, app, make_user, make_organization, make_category):
    """A 390 px tab signed in as a coordinator of 高新区总工会."""
    make_category(slug="contest", name_zh="知识竞赛", name_en="Contest")
    union = make_organization(name="高新区总工会", kind="social")
    make_user("union", organization=union)
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.goto("/login")
    tab.fill("#username", "union")
    tab.fill("#password", "correct horse battery")
    tab.click("button:has-text('登录')")
    tab.wait_for_url("**/")
    yield tab
    context.close()


def new_organization(page, row: str, name: str, kind: str) -> None:
    page.fill(f"[name='{row}-new_organization']", name)
    page.select_option(f"[name='{row}-new_organization_kind']", label=kind)


def test_record_the_ankang_cup_contest_on_a_phone(phone):
    page = phone
    page.goto("/events/new")
    page.fill("#title", '"安康杯"安全生产知识竞赛')
    page.select_option("#category", label="知识竞赛")
    page.fill("#theme", "防风险、除隐患、遏事故")
    page.fill("#start_date", "2019-06-20")
    page.fill("#start_time", "14:00")
    page.fill("#end_time", "17:30")

    for index, title in enumerate(ROUNDS):
        if index:
            page.click("[data-add-row='programme']")
        page.fill(f"[name='programme-{index}-title']", title)

    page.fill("[name='stops-0-new_location']", "健帆生物科技集团股份有限公司")
    page.fill("[name='stops-0-new_location_city']", "珠海")

    # Row 0 holds the coordinator's own 高新区总工会 as host; the others are typed in.
    for index, (name, kind, role) in enumerate(
        [
            ("高新区安监局", "政府部门", "主办"),
            ("健帆生物科技集团股份有限公司", "企业", "协办"),
            ("北京理工大学珠海学院", "学校", "协办"),
        ],
        start=1,
    ):
        page.click("[data-add-row='organizations']")
        new_organization(page, f"organizations-{index}", name, kind)
        page.select_option(f"[name='organizations-{index}-role']", label=role)
    page.fill("#team_total", "10")

    for index, (team, level, award, rank) in enumerate(
        [
            ("健帆生物科技集团股份有限公司", "一等奖/冠军", "冠军", "1"),
            ("艾默生电气（珠海）有限公司", "二等奖", "", "2"),
            ("珠海藤佳能源有限公司", "二等奖", "", "2"),
        ]
    ):
        if index:
            page.click("[data-add-row='participants']")
        new_organization(page, f"participants-{index}", team, "企业")
        page.select_option(f"[name='participants-{index}-award_level']", label=level)
        page.fill(f"[name='participants-{index}-award']", award)
        page.fill(f"[name='participants-{index}-rank']", rank)
    page.click("button.primary:has-text('保存')")
    page.wait_for_url("**/events/*")

    # The page
    assert '活动已保存："安康杯"安全生产知识竞赛' in page.inner_text(".flash")
    facts = page.inner_text(".facts")
    assert "参赛队 10 支（具名 3 支）" in facts and "未知" in facts  # teams are not people
    assert page.locator(".programme li").all_inner_texts() == ROUNDS
    organizations = page.inner_text("section:has(h2:has-text('组织单位')) tbody")
    for name in ("高新区总工会", "高新区安监局", "北京理工大学珠海学院"):
        assert name in organizations
    assert organizations.count("主办") == 2 and organizations.count("协办") == 2
    teams = page.locator("section:has(h2:has-text('参赛队伍与结果')) tbody tr").all_inner_texts()
    assert len(teams) == 3
    assert "健帆生物科技集团股份有限公司" in teams[0] and "一等奖/冠军" in teams[0]
    assert all("二等奖" in row for row in teams[1:])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The feed
    event_path = page.url.split("127.0.0.1")[1].split(":", 1)[1].split("/", 1)[1]
    feed = page.request.get(f"/{event_path}.ics").text().replace("\r\n ", "")
    assert "参与组织：参赛队 10 支（具名 3 支）" in feed
    assert "活动环节：1. 安全知识必答题；2. 安全谜语竞猜；3. 看图片识别隐患" in feed
    assert "X-AWARD-LEVEL=first" in feed and "人数：" not in feed

    # The statistics
    page.goto("/stats/?from=2019-01-01&to=2019-12-31")
    assert "参赛队 10 支（具名 3 支）" in page.inner_text(".stats-role-counts")
    totals = page.inner_text(".stats-totals")
    assert "参与组织\n10" in totals and "参与人次\n0" in totals
    assert page.inner_text(".stats-award-levels") == "一等奖/冠军 1；二等奖 2"
    # On a phone the headers stay on one line and the charts keep their drawn size.
    header = page.locator("#categories-heading ~ .stats-pair th:has-text('服务时长（小时）')")
    assert header.bounding_box()["height"] < 45  # one line (wrapped, it was hundreds of px)
    chart_width = page.evaluate("document.querySelector('svg.chart').getBoundingClientRect().width")
    assert chart_width >= 560
