"""Public pages: home calendar, event list with filters, event page, directories, errors."""

from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from tracker.demo import load_demo_data
from tracker.events.queries import ID_FILTERS
from tracker.models import Campaign, Category, Event, Location, Organization, Participation


@pytest.fixture
def demo(db):
    load_demo_data()
    return db


def event_titled(db, fragment):
    return db.session.scalar(select(Event).where(Event.title.contains(fragment)))


def page_text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def results(response):
    """The list part of /events/ (the filter form's options name everything)."""
    return page_text(response).split('class="result-count"', 1)[1]


def test_home_shows_the_month_calendar_with_events_on_their_days(client, demo):
    html = page_text(client.get("/?month=2019-06"))
    assert "2019年6月" in html
    assert "主题教育党日" in html
    assert 'rel="prev"' in html and "month=2019-05" in html
    assert "month=2019-07" in html


@pytest.mark.parametrize("path", ["/?month=2019-06", "/", "/events/"])
def test_calendar_and_list_pages_do_not_load_who_takes_part(client, demo, path):
    statements = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    demo.session.expunge_all()
    sqlalchemy_event.listen(demo.engine, "before_cursor_execute", record)
    try:
        page_text(client.get(path))
    finally:
        sqlalchemy_event.remove(demo.engine, "before_cursor_execute", record)
    assert statements and not [text for text in statements if "FROM participations" in text]


def test_multi_day_event_appears_on_every_day_it_covers(client, make_event):
    start = datetime(2019, 6, 10, 1, 0, tzinfo=UTC)
    make_event(title="三天培训班", starts_at=start, ends_at=start + timedelta(days=2, hours=8))
    html = page_text(client.get("/?month=2019-06"))
    assert html.count('title="三天培训班"') == 3


def test_weekly_recurring_event_shows_on_each_week_of_the_month(client, make_event):
    make_event(
        title="网格走访测试",
        starts_at=datetime(2019, 6, 5, 1, 0, tzinfo=UTC),
        recurrence_rule="FREQ=WEEKLY;BYDAY=WE",
    )
    html = page_text(client.get("/?month=2019-07"))
    assert html.count('title="网格走访测试"') == 5  # five Wednesdays in July 2019


def test_home_lists_upcoming_occurrences_of_open_ended_recurring_events(client, demo):
    html = page_text(client.get("/"))
    assert "即将开展" in html
    assert "网格员每周走访" in html


def test_bad_month_shows_a_message_not_an_error(client):
    html = page_text(client.get("/?month=2019-13"))
    assert "月份“2019-13”无效" in html


def test_event_list_paginates_and_keeps_filters_in_links(client, make_event, make_category):
    category = make_category()
    for number in range(25):
        make_event(title=f"批量活动{number:02d}", category=category)
    html = page_text(client.get(f"/events/?category={category.id}"))
    assert "共 25 项活动" in html
    assert f"category={category.id}" in html and "page=2" in html
    second = page_text(client.get(f"/events/?category={category.id}&page=2"))
    assert second.count('class="event-title"') == 5


def test_filters_combine(client, demo, db):
    safety = db.session.scalar(select(Category).where(Category.slug == "safety"))
    campaign = db.session.scalar(select(Campaign))
    html = results(client.get(f"/events/?category={safety.id}&campaign={campaign.id}"))
    assert "金峰学校" in html
    assert "主题教育党日" not in html
    html = results(client.get(f"/events/?category={safety.id}&q=不存在的词"))
    assert "没有符合条件的活动" in html


def test_each_filter_narrows_the_list(client, demo, db):
    jishan = event_titled(db, "主题教育党日")
    museum = db.session.scalar(select(Location).where(Location.name == "广州起义纪念馆"))
    host = db.session.scalar(select(Organization).where(Organization.name.contains("横琴新区金融")))
    cases = {
        f"location={museum.id}": ("主题教育党日", "银企对接会"),
        f"organization={host.id}": ("银企对接会", "主题教育党日"),
        "q=安康杯": ("安康杯", "银企对接会"),
        "from=2019-06-01&to=2019-06-30": ("金峰学校", "走访慰问"),
        "status=cancelled": (None, "主题教育党日"),
    }
    for query, (expected, absent) in cases.items():
        html = results(client.get(f"/events/?{query}"))
        if expected:
            assert expected in html, query
        assert absent not in html, query
    assert jishan is not None


def test_repeated_filter_values_are_alternatives(client, demo, db):
    contest = db.session.scalar(select(Category).where(Category.slug == "contest"))
    finance = db.session.scalar(select(Category).where(Category.slug == "finance"))
    html = results(client.get(f"/events/?category={contest.id}&category={finance.id}"))
    assert "安康杯" in html and "银企对接会" in html
    assert "共 2 项活动" in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=notadate", "不是有效日期"),
        ("category=9999", "找不到类别“9999”"),
        ("organization=abc", "找不到组织“abc”"),
        ("status=maybe", "未知的状态"),
        ("from=2019-07-01&to=2019-06-01", "结束日期不能早于开始日期"),
    ],
)
def test_bad_filter_values_show_a_message(client, query, message):
    html = page_text(client.get(f"/events/?{query}"))
    assert message in html


def test_internal_events_are_hidden_from_anonymous_visitors(client, make_event):
    event = make_event(title="内部会议", visibility="internal")
    assert "内部会议" not in results(client.get("/events/"))
    assert client.get(f"/events/{event.id}").status_code == 404


def test_jishan_event_page_shows_itinerary_in_order_and_headcount(client, demo, db):
    event = event_titled(db, "主题教育党日")
    html = page_text(client.get(f"/events/{event.id}"))
    first, second = html.index("广州辛亥革命纪念馆"), html.index("广州起义纪念馆")
    assert first < second
    assert "不忘初心、牢记使命" in html
    assert ">50<" in html
    assert "Asia/Shanghai" in html


def test_fair_page_keeps_the_headcount_approximate(client, demo, db):
    html = page_text(client.get(f"/events/{event_titled(db, '银企对接会').id}"))
    assert "100+" in html
    assert "参展" in html and "建设银行" in html
    assert "初步合作意向" in html


def test_contest_page_shows_roles_teams_and_awards(client, demo, db):
    html = page_text(client.get(f"/events/{event_titled(db, '安康杯').id}"))
    for text in (
        "主办",
        "协办",
        "北京理工大学珠海学院",
        "一等奖/冠军",
        "二等奖",
        "艾默生电气",
        "参赛队 10 支（具名 3 支）",
        "安全谜语竞猜",
    ):
        assert text in html, text
    # Best level first: 健帆 (冠军) before both second prizes.
    assert html.index("健帆生物科技集团股份有限公司</a>") < html.index(
        "艾默生电气（珠海）有限公司</a>"
    )


def test_safety_drill_page_shows_campaign_and_theme(client, demo, db):
    html = page_text(client.get(f"/events/{event_titled(db, '金峰学校').id}"))
    assert "安全生产月" in html and "防风险、除隐患、遏事故" in html


def test_recurring_event_page_says_the_recurrence_in_words(client, demo, db):
    html = page_text(client.get(f"/events/{event_titled(db, '网格员每周走访').id}"))
    assert "每周（周三）" in html


def test_public_pages_show_no_person_name(client, make_event, make_person):
    person = make_person(name="李秘密", phone="13800000000")
    event = make_event(title="有人参加的活动", people=[person])
    html = page_text(client.get(f"/events/{event.id}"))
    assert "李秘密" not in html and "13800000000" not in html
    assert "共 1 人" in html


def test_people_directory_requires_sign_in(client):
    response = client.get("/people/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path, text",
    [
        ("/organizations/", "金融机构"),
        ("/locations/", "广州起义纪念馆"),
        ("/categories/", "主题党日"),
        ("/campaigns/", "防风险、除隐患、遏事故"),
    ],
)
def test_directory_lists(client, demo, path, text):
    assert text in page_text(client.get(path))


def test_directory_entries_list_their_events(client, demo, db):
    museum = db.session.scalar(select(Location).where(Location.name == "广州起义纪念馆"))
    assert "主题教育党日" in page_text(client.get(f"/locations/{museum.id}"))
    union = db.session.scalar(select(Organization).where(Organization.name.contains("总工会")))
    html = page_text(client.get(f"/organizations/{union.id}"))
    assert "安康杯" in html and "金峰学校" in html
    campaign = db.session.scalar(select(Campaign))
    assert "金峰学校" in page_text(client.get(f"/campaigns/{campaign.id}"))
    contest = db.session.scalar(select(Category).where(Category.slug == "contest"))
    assert "安康杯" in page_text(client.get(f"/categories/{contest.id}"))


def test_team_organization_page_lists_the_contest(client, demo, db):
    team = db.session.scalar(
        select(Organization).join(Participation).where(Participation.award == "冠军")
    )
    assert "安康杯" in page_text(client.get(f"/organizations/{team.id}"))


@pytest.mark.parametrize(
    "path",
    [
        "/events/99999",
        "/organizations/99999",
        "/locations/99999",
        "/categories/99999",
        "/campaigns/99999",
        "/no-such-page",
    ],
)
def test_unknown_ids_answer_a_chinese_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "找不到该页面" in response.get_data(as_text=True)


def test_english_is_served_on_request(client, demo):
    html = client.get("/events/?lang=en").get_data(as_text=True)
    assert "Events" in html and 'lang="en"' in html
    assert ">Work safety</option>" in html  # the category filter in English
    # the choice is remembered for the next page
    assert "Organizations" in client.get("/organizations/").get_data(as_text=True)
    assert ">安全生产</option>" in client.get("/events/?lang=zh").get_data(as_text=True)


def test_browser_preference_chooses_the_language(client):
    html = client.get("/events/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html
    html = client.get("/events/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="zh-CN">' in html and "<h1>活动</h1>" in html


@pytest.mark.parametrize("id_filter", ID_FILTERS, ids=lambda id_filter: id_filter.name)
def test_each_declared_filter_has_its_select_its_feed_and_its_feed_name(client, demo, id_filter):
    """One declaration drives the list's select, the subscribe page's links and feed names."""
    entry_id, name = demo.session.execute(id_filter.options()).first()
    name = escape(name)
    listing = page_text(client.get(f"/events/?{id_filter.name}={entry_id}"))
    if id_filter.name == "category":
        assert f'<select id="filter-{id_filter.name}" name="{id_filter.name}">' in listing
        assert f'<option value="{entry_id}" selected>{name}</option>' in listing
    else:  # thousands of entries: a type-to-search picker, the chosen entry ticked
        checkbox = f'<input type="checkbox" name="{id_filter.name}" value="{entry_id}" checked>'
        assert f"{checkbox} {name}" in listing
    subscribe = page_text(client.get(f"/feeds/?{id_filter.name}={entry_id}"))
    assert f"/calendar.ics?{id_filter.name}={entry_id}" in subscribe
    assert f"{id_filter.label}：{name}" in subscribe
