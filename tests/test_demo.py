"""The demo data set: every activity of the report with its facts, loadable twice."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tracker import demo
from tracker.demo import load_demo_data
from tracker.extensions import db as database
from tracker.models import Campaign, Event, Location, Organization


def _row_counts() -> dict[str, int]:
    return {
        table.name: database.session.scalar(select(func.count()).select_from(table))
        for table in database.metadata.sorted_tables
    }


def _event(title: str) -> Event:
    return database.session.scalars(select(Event).where(Event.title == title)).one()


@pytest.fixture
def loaded(db):
    load_demo_data()
    return db


def test_first_load_creates_every_activity_of_the_report(db):
    assert load_demo_data() == len(demo.EVENTS) == 10
    assert db.session.scalar(select(func.count(Event.id))) == 10


def test_second_load_creates_nothing_and_changes_nothing(loaded):
    before = _row_counts()
    events_before = {
        event.uid: (event.sequence, event.version, event.updated_at)
        for event in loaded.session.scalars(select(Event))
    }

    assert load_demo_data() == 0

    loaded.session.expire_all()
    assert _row_counts() == before
    events_after = {
        event.uid: (event.sequence, event.version, event.updated_at)
        for event in loaded.session.scalars(select(Event))
    }
    assert events_after == events_before


def test_demo_load_command_is_idempotent(db, runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "10" in first.output
    before = _row_counts()

    second = runner.invoke(args=["demo", "load"])

    assert second.exit_code == 0, second.output
    assert "未做更改" in second.output
    db.session.expire_all()
    assert _row_counts() == before


def test_failed_load_saves_nothing(db, monkeypatch):
    ends_before_it_starts = demo._demo_event(
        "broken",
        title="坏数据",
        starts_at=datetime(2019, 6, 1, 10, tzinfo=UTC),
        ends_at=datetime(2019, 6, 1, 9, tzinfo=UTC),
    )
    monkeypatch.setattr(demo, "EVENTS", [*demo.EVENTS, ends_before_it_starts])

    with pytest.raises(IntegrityError):
        load_demo_data()

    assert set(_row_counts().values()) == {0}


def test_demo_uids_are_stable_and_unique(loaded):
    uids = loaded.session.scalars(select(Event.uid)).all()
    assert sorted(uids) == sorted(values.uid for values in demo.EVENTS)
    assert all(uid.endswith("@activity-tracker") for uid in uids)
    assert demo.demo_uid("contest-ankang-cup") == demo.demo_uid("contest-ankang-cup")


def test_every_demo_event_has_a_category_and_is_public_and_confirmed(loaded):
    for event in loaded.session.scalars(select(Event)):
        assert event.category is not None, event.title
        assert event.is_public
        assert event.status == "confirmed"


def test_dates_not_in_the_report_are_marked_approximate(loaded):
    for event in loaded.session.scalars(select(Event)):
        assert event.date_is_approximate, event.title
        assert "估计" in event.notes


def test_times_are_stored_in_utc_and_shown_in_shanghai_time(loaded):
    event = _event("鸡山社区党组织主题教育党日")
    assert event.starts_at.tzinfo == UTC
    assert event.starts_at.hour == 0
    assert event.local_starts_at.hour == 8
    assert event.timezone == "Asia/Shanghai"


def test_jishan_party_day_visits_two_memorials_in_order_with_fifty_members(loaded):
    event = _event("鸡山社区党组织主题教育党日")

    assert [stop.location.name for stop in event.stops] == ["广州辛亥革命纪念馆", "广州起义纪念馆"]
    assert [stop.position for stop in event.stops] == [0, 1]
    assert {stop.location.city for stop in event.stops} == {"广州"}
    assert str(event.shown_headcount) == "50"
    assert not event.shown_headcount.is_approximate
    assert event.theme == "不忘初心、牢记使命"
    assert event.category.slug == "party-day"
    assert [host.name for host in event.host_organizations] == ["鸡山社区党组织"]


def test_houhuan_study_tour_has_all_members_and_no_headcount(loaded):
    event = _event("后环社区党委参观学习")

    assert event.shown_headcount is None
    assert "全体党员" in event.description
    assert [(stop.location.name, stop.location.city) for stop in event.stops] == [
        ("周文雍、陈铁军烈士纪念馆", "开平")
    ]
    assert event.category.slug == "study-tour"


def test_ankang_cup_contest_has_ten_teams_three_named_with_awards_hosts_and_co_organisers(loaded):
    event = _event('"安康杯"安全生产知识竞赛')

    teams = [p for p in event.participations if p.organization is not None]
    assert all(team.person is None and team.role == "participant" for team in teams)
    awards = {team.organization.name: (team.award_level, team.award, team.rank) for team in teams}
    assert awards == {
        "健帆生物科技集团股份有限公司": ("first", "冠军", 1),
        "艾默生电气（珠海）有限公司": ("second", "二等奖", 2),
        "珠海藤佳能源有限公司": ("second", "二等奖", 2),
    }
    assert event.team_total == 10
    assert [str(count) for count in event.role_counts()] == ["参赛队 10 支（具名 3 支）"]
    assert event.shown_headcount is None  # teams are not people
    assert [o.name for o in event.host_organizations] == ["高新区总工会", "高新区安监局"]
    assert [o.name for o in event.organizations_in_role("co_organizer")] == [
        "健帆生物科技集团股份有限公司",
        "北京理工大学珠海学院",
    ]
    assert event.theme == "防风险、除隐患、遏事故"
    assert [item["title"] for item in event.programme] == [
        "安全知识必答题",
        "安全谜语竞猜",
        "看图片识别隐患",
        "看视频识隐患",
        "穿戴安全带比赛",
    ]
    assert "桂冠" in event.outcome
    assert [stop.location.name for stop in event.stops] == ["健帆生物科技集团股份有限公司"]


def test_no_placeholder_organisations_or_places(loaded):
    names = loaded.session.scalars(select(Organization.name)).all()
    places = loaded.session.scalars(select(Location.name)).all()
    assert not [name for name in names + places if "未具名" in name]
    assert not loaded.session.scalars(
        select(Location.address).where(Location.address.is_not(None))
    ).all()


def test_bank_enterprise_fair_has_approximate_headcount_and_nine_exhibitors_six_named(loaded):
    event = _event('"双自联动"银企对接会')

    assert event.reported_headcount == 100
    assert event.reported_headcount_is_approximate
    assert str(event.shown_headcount) == "100+"
    exhibitors = event.organizations_in_role("exhibitor")
    assert {o.name for o in exhibitors} == {
        "横琴金投租赁",
        "华通金融租赁",
        "华金担保",
        "粤财担保",
        "建设银行",
        "广发银行",
    }
    assert all(o.kind == "financial" for o in exhibitors)
    assert [str(count) for count in event.role_counts()] == ["参展机构 9 家（具名 6 家）"]
    assert [o.name for o in event.host_organizations] == [
        "高新区发展改革和财政金融局",
        "横琴新区金融管理局",
    ]
    assert [item["title"] for item in event.programme] == ["金融机构路演", "银企一对一对接"]
    assert [stop.location.name for stop in event.stops] == ['"港湾1号"科创园']
    assert event.outcome == "部分企业与金融机构达成初步合作意向，后续将作进一步的信贷申请。"
    assert "展位" in event.description and "路演" in event.description


def test_safety_drill_belongs_to_the_safety_month_campaign(loaded):
    event = _event("安全生产宣传教育走进金峰学校")

    campaign = event.campaign
    assert campaign.name == '第18个全国"安全生产月"'
    assert campaign.theme == "防风险、除隐患、遏事故"
    assert (campaign.starts_on, campaign.ends_on) == (date(2019, 6, 1), date(2019, 6, 30))
    assert campaign.starts_on <= event.local_starts_at.date() <= campaign.ends_on
    assert [o.name for o in event.host_organizations] == [
        "高新区安监局",
        "高新区教育局",
        "高新区总工会",
    ]
    assert [o.name for o in event.organizations_in_role("participant")] == ["金峰学校"]
    assert str(event.shown_headcount) == "100"
    assert len(event.programme) == 4 and "四个一" in event.description
    for fact in ("七步曲", "五步曲", "称人结", "防毒面具", "灭火器", "包扎"):
        assert fact in event.description
    assert "消防疏散" not in event.description
    assert [stop.location.name for stop in event.stops] == ["金峰学校"]


def test_visits_have_two_hosts_and_eleven_villages_of_which_gaopo_is_named(loaded):
    event = _event("走访慰问困难党员和老党员")

    assert [o.name for o in event.host_organizations] == ["扶贫办", "派驻化州市扶贫工作组"]
    assert [str(count) for count in event.role_counts()] == ["帮扶村 11 个（具名 1 个）"]
    assert [o.name for o in event.organizations_in_role("village")] == ["高坡村"]
    assert [(s.location.name, s.location.city) for s in event.stops] == [("高坡村", "化州市")]
    assert "省定" in event.description and "困难党员和老党员" in event.description
    assert event.date_is_approximate
    assert event.local_starts_at.date() == date(2019, 7, 1)


def test_branch_party_day_and_reading_session_have_host_and_place(loaded):
    party_day = _event("党政办第二党支部主题党日")
    reading = _event('"红色经典"读书分享会')

    assert [o.name for o in party_day.host_organizations] == ["党政办第二党支部"]
    assert [s.location.name for s in party_day.stops] == ["苏兆征故居陈列馆"]
    assert party_day.category.name_zh == "主题党日"
    assert [o.name for o in reading.host_organizations] == ["金鼎社区卫生服务中心党支部"]
    assert [s.location.name for s in reading.stops] == ["会同书店"]
    assert reading.category.slug == "reading"


def test_recurring_work_repeats_without_end(loaded):
    meeting = _event('"三会一课"支部党员大会')
    grid_visits = _event("网格员每周走访")

    assert meeting.recurrence_rule.startswith("FREQ=MONTHLY")
    assert grid_visits.recurrence_rule == "FREQ=WEEKLY;BYDAY=WE"
    assert meeting.series_ends_at is None and grid_visits.series_ends_at is None
    assert meeting.category.slug == "meetings"
    assert grid_visits.category.slug == "grid"


def test_themes_only_where_the_report_gives_one(loaded):
    themes = {event.title: event.theme for event in loaded.session.scalars(select(Event))}
    assert {title: theme for title, theme in themes.items() if theme} == {
        '"安康杯"安全生产知识竞赛': "防风险、除隐患、遏事故",
        "安全生产宣传教育走进金峰学校": "防风险、除隐患、遏事故",
        "鸡山社区党组织主题教育党日": "不忘初心、牢记使命",
    }


def test_organizations_have_kinds_from_the_report(loaded):
    kinds = dict(loaded.session.execute(select(Organization.name, Organization.kind)).all())

    assert kinds["党政办第二党支部"] == "party_branch"
    assert kinds["后环社区党委"] == "party_committee"
    assert kinds["金峰学校"] == "school"
    assert kinds["健帆生物科技集团股份有限公司"] == "enterprise"
    assert kinds["横琴新区金融管理局"] == "government"
    assert loaded.session.scalar(select(func.count(Campaign.id))) == 1
