"""Participant statistics: the report's figures, brute-force agreement, filters, privacy."""

import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.test_stats_export import readable_text
from tracker.demo import load_demo_data
from tracker.events.awards import guess_award_level
from tracker.models import (
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
)
from tracker.stats.queries import (
    by_month_statement,
    data_years,
    gather_statistics,
    parse_stats_filters,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROLES = ("host", "co_organizer", "organizer", "participant", "exhibitor", "team")
YEAR_2019 = {"from": "2019-01-01", "to": "2019-12-31"}


def _scope(app, include_internal=False, **args):
    with app.test_request_context():
        return parse_stats_filters(MultiDict(args), include_internal=include_internal)


def _statistics(app, include_internal=False, include_people=False, **args):
    scope = _scope(app, include_internal, **args)
    with app.test_request_context():
        return gather_statistics(scope, include_people=include_people)


def _organization_id(db, name):
    return db.session.scalar(select(Organization.id).where(Organization.name == name))


# --- The report's figures ------------------------------------------------------------------


@pytest.fixture
def demo(db):
    load_demo_data()
    return db


def test_demo_totals_count_every_activity_once_with_approximate_headcount(app, demo):
    totals = _statistics(app, **YEAR_2019).totals

    assert totals.activities == 10
    assert totals.participations == 0  # the contest's ten teams are not people
    assert totals.people == 0
    # 50 (鸡山) + 100+ (银企对接会) + 100 (金峰学校); seven without a figure (the contest too).
    assert str(totals.headcount) == "250+"
    assert totals.unknown_headcounts == 7
    # 11 villages + 9 institutions + 金峰学校 + 10 teams, named or not.
    assert totals.organizations == 31
    assert [str(count) for count in _statistics(app, **YEAR_2019).role_counts] == [
        "参加单位 1 家",
        "参展机构 9 家（具名 6 家）",
        "参赛队 10 支（具名 3 支）",
        "帮扶村 11 个（具名 1 个）",
    ]
    assert totals.cancelled == 0


def test_demo_organisations_carry_the_report_figures(app, demo):
    rows = {row.name: row for row in _statistics(app, **YEAR_2019).by_organization}

    assert str(rows["鸡山社区党组织"].headcount) == "50"
    assert rows["鸡山社区党组织"].hosted == 1
    assert str(rows["金峰学校"].headcount) == "100"
    assert (rows["金峰学校"].took_part, rows["金峰学校"].hosted) == (1, 0)
    assert str(rows["高新区发展改革和财政金融局"].headcount) == "100+"
    # 健帆 co-organised the contest and fielded a team: one activity, counted once.
    jianfan = rows["健帆生物科技集团股份有限公司"]
    assert (jianfan.co_organized, jianfan.took_part, jianfan.activities) == (1, 1, 1)
    assert jianfan.headcount is None  # its team is not a headcount
    assert (rows["高新区总工会"].hosted, str(rows["高新区总工会"].headcount)) == (2, "100")


def test_demo_contest_has_ten_teams_and_three_awards(app, demo):
    statistics = _statistics(app, **YEAR_2019)
    contest = next(row for row in statistics.by_category if row.label == "知识竞赛")

    assert contest.figures.participations == 0
    assert contest.figures.headcount is None
    assert contest.figures.organizations == 10
    awards = {(row.organization_name, row.award, row.best_rank) for row in statistics.awards}
    assert awards == {
        ("健帆", "一等奖/冠军", 1),
        ("艾默生电气", "二等奖", 2),
        ("藤佳能源", "二等奖", 2),
    }
    assert statistics.awards[0].award == "一等奖/冠军"
    assert statistics.award_levels == [("first", 1), ("second", 2)]


def test_demo_matchmaking_fair_stays_approximate_and_safety_month_counts_students(app, demo):
    statistics = _statistics(app, **YEAR_2019)
    categories = {row.label: row.figures for row in statistics.by_category}
    campaigns = {row.label: row.figures for row in statistics.by_campaign}

    assert str(categories["银企对接"].headcount) == "100+"
    assert categories["银企对接"].headcount.is_approximate
    assert str(categories["主题党日"].headcount) == "50"
    assert str(campaigns['第18个全国"安全生产月"'].headcount) == "100"
    locations = {row.name: row for row in statistics.by_location}
    assert str(locations["广州辛亥革命纪念馆"].headcount) == "50"
    assert str(locations["广州起义纪念馆"].headcount) == "50"


def test_demo_months_put_june_and_july_apart(app, demo):
    months = {row.label: row.figures for row in _statistics(app, **YEAR_2019).by_month}

    assert list(months) == [f"2019-{month:02d}" for month in range(1, 13)]
    assert months["2019-06"].activities == 8
    assert months["2019-07"].activities == 2  # 走访慰问 on 1 July, 后环社区 on 5 July
    assert str(months["2019-06"].headcount) == "250+"
    assert months["2019-05"].activities == 0


def test_recurring_series_count_once_in_a_later_year_in_its_first_month(app, demo):
    statistics = _statistics(app, **{"from": "2021-01-01", "to": "2021-12-31"})

    # Only the two open-ended series (三会一课, 网格走访) reach 2021; each counts once.
    assert statistics.totals.activities == 2
    months = {row.label: row.figures.activities for row in statistics.by_month}
    assert months["2021-01"] == 2
    assert sum(months.values()) == 2


def test_stats_page_shows_the_report_figures(client, demo):
    page = client.get("/stats/", query_string=YEAR_2019)
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "250+" in html
    assert "100+" in html
    assert "冠军" in html
    assert "一等奖/冠军 1；二等奖 2" in html
    assert "参赛队 10 支（具名 3 支）" in html
    assert "参赛队、参展机构、帮扶村等是组织，不计入人数" in html  # the rule, on the page
    assert html.count("<svg") >= 5
    assert "已取消的活动不计入统计" in html
    assert "重复活动" in html


def test_every_organisation_is_on_the_paginated_full_breakdown(client, demo):
    """The overview shows the top organisations; "查看全部" lists every one, page by page."""
    html = client.get("/stats/organizations", query_string=YEAR_2019).get_data(as_text=True)
    assert "鸡山社区党组织" in html


def test_default_period_is_the_current_year_with_links_to_the_data_years(client, demo):
    this_year = datetime.now(SHANGHAI).year

    html = client.get("/stats/").get_data(as_text=True)

    assert f'value="{this_year}-01-01"' in html
    assert f'value="{this_year}-12-31"' in html
    assert "from=2019-01-01&amp;to=2019-12-31" in html
    assert "默认为本年度" in html


# --- Month boundaries in local time --------------------------------------------------------


def test_month_is_the_shanghai_month_at_a_month_boundary(app, db, make_event):
    # 2019-06-30 20:00 UTC is 1 July 04:00 in Shanghai; 15:59 UTC is still 30 June.
    make_event(title="七月", starts_at=datetime(2019, 6, 30, 20, 0, tzinfo=UTC))
    make_event(title="六月", starts_at=datetime(2019, 6, 30, 15, 59, tzinfo=UTC))
    make_event(title="元旦", starts_at=datetime(2019, 12, 31, 16, 0, tzinfo=UTC))
    scope = _scope(app, **{"from": "2019-01-01", "to": "2020-12-31"})

    months = {row.month: row.activities for row in db.session.execute(by_month_statement(scope))}

    assert months == {"2019-06": 1, "2019-07": 1, "2020-01": 1}


# --- Generated data against a brute-force count ------------------------------------------


def _generate(db, seed: int, events: int = 70, prefix: str = "") -> None:
    """Random but seeded activities with every feature the statistics read."""
    rng = random.Random(seed)
    categories = [
        Category(slug=f"{prefix}gen-{n}", name_zh=f"{prefix}生成类别{n}", name_en=f"Gen {n}")
        for n in range(4)
    ]
    campaigns = [Campaign(name=f"{prefix}生成专项{n}") for n in range(3)]
    organizations = [Organization(name=f"{prefix}生成组织{n}", kind="community") for n in range(8)]
    locations = [Location(name=f"{prefix}生成地点{n}", city="珠海") for n in range(5)]
    people = [
        Person(name=f"生成人员{n}", organization=rng.choice([*organizations, None]))
        for n in range(25)
    ]
    db.session.add_all(categories + campaigns + organizations + locations + people)
    first = datetime(2018, 11, 1, tzinfo=UTC)
    for number in range(events):
        # Hours near 16:00 UTC land on either side of a Shanghai midnight.
        starts_at = first + timedelta(days=rng.randint(0, 480), hours=rng.choice([1, 15, 16, 20]))
        headcount = rng.choice([None, None, rng.randint(0, 300)])
        event = Event(
            title=f"生成活动{number}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=rng.choice([2, 30])),
            category=rng.choice([*categories, None]),
            campaign=rng.choice([*campaigns, None, None]),
            status=rng.choice(["confirmed", "confirmed", "tentative", "cancelled"]),
            visibility=rng.choice(["public", "public", "internal"]),
            reported_headcount=headcount,
            reported_headcount_is_approximate=headcount is not None and rng.random() < 0.4,
            recurrence_rule=rng.choice(
                [None] * 8 + ["FREQ=WEEKLY;COUNT=4", "FREQ=MONTHLY;BYMONTHDAY=1"]
            ),
        )
        roles = rng.sample(
            [(organization, role) for organization in organizations for role in ROLES],
            rng.randint(0, 4),
        )
        for position, (organization, role) in enumerate(roles):
            event.organization_links.append(
                EventOrganization(
                    organization=organization,
                    role=role,
                    position=position,
                    headcount=rng.choice([None, None, rng.randint(0, 60)]),
                )
            )
        for position in range(rng.randint(0, 3)):
            event.stops.append(Stop(location=rng.choice(locations), position=position))
        # A person once per activity (the database's rule); a team may come twice.
        attendees = rng.sample(people, 9)
        for position in range(rng.randint(0, 9)):
            is_team = rng.random() < 0.15
            award = rng.choice([None] * 6 + ["一等奖", "二等奖", "优秀奖", "冠军", "纪念奖"])
            event.participations.append(
                Participation(
                    person=None if is_team else attendees[position],
                    organization=rng.choice(organizations) if is_team else None,
                    role=rng.choice(["participant", "volunteer", "speaker", "judge", "guest"]),
                    attended=rng.random() < 0.8,
                    hours=rng.choice([None, Decimal(rng.randint(0, 900)) / 100]),
                    award=award,
                    award_level=guess_award_level(award),
                    rank={"一等奖": 1, "二等奖": 2}.get(award),
                    position=position,
                )
            )
        db.session.add(event)
    db.session.commit()


def _in_scope(event: Event, scope, cancelled: bool = False) -> bool:
    """The filters of the URL map, evaluated in Python (on cancelled events when asked)."""
    filters = scope.filters
    if (event.status == "cancelled") != cancelled:
        return False
    if not event.is_public and not scope.include_internal:
        return False
    if filters.date_from:
        start = datetime.combine(filters.date_from, datetime.min.time(), tzinfo=SHANGHAI)
        if event.series_ends_at is not None and event.series_ends_at < start:
            return False
    if filters.date_to:
        end = datetime.combine(
            filters.date_to + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI
        )
        if event.starts_at >= end:
            return False
    if filters.category_ids and event.category_id not in filters.category_ids:
        return False
    if filters.campaign_ids and event.campaign_id not in filters.campaign_ids:
        return False
    if filters.organization_ids:
        involved = {link.organization_id for link in event.organization_links} | {
            participation.organization_id for participation in event.participations
        }
        if not involved & set(filters.organization_ids):
            return False
    return True


def _organizations_taking_part(event: Event) -> int:
    """Named organisations in the counted roles (teams too), or the stated totals."""
    count = 0
    for role in ("participant", "exhibitor", "team", "village"):
        named = {link.organization_id for link in event.organization_links if link.role == role}
        if role == "team":
            named |= {p.organization_id for p in event.participations if p.organization_id}
        count += max(getattr(event, f"{role}_total") or 0, len(named))
    return count


def _figures(events: list[Event]) -> tuple:
    """(activities, people's participations, headcount text or None, hours, organisations
    taking part) by brute force: teams are organisations, never people."""
    attended = [p for event in events for p in event.participations if p.attended and p.person_id]
    headcounts = [event.shown_headcount for event in events if event.shown_headcount]
    headcount = None
    if headcounts:
        total = sum(count.value for count in headcounts)
        approximate = any(count.is_approximate for count in headcounts)
        headcount = f"{total}+" if approximate else str(total)
    hours = sum((p.hours for p in attended if p.hours is not None), Decimal("0"))
    organizations = sum(_organizations_taking_part(event) for event in events)
    return len(events), len(attended), headcount, hours, organizations


def _sql_figures(figures) -> tuple:
    headcount = str(figures.headcount) if figures.headcount else None
    return (
        figures.activities,
        figures.participations,
        headcount,
        figures.hours,
        figures.organizations,
    )


def _brute_force(db, scope) -> dict:
    all_events = db.session.scalars(select(Event)).all()
    events = [event for event in all_events if _in_scope(event, scope)]
    expected: dict = {"totals": _figures(events)}
    expected["people"] = len(
        {p.person_id for e in events for p in e.participations if p.attended and p.person_id}
    )
    expected["unknown"] = sum(1 for e in events if e.shown_headcount is None)
    expected["cancelled"] = sum(1 for event in all_events if _in_scope(event, scope, True))

    def grouped(key) -> dict:
        groups = defaultdict(list)
        for event in events:
            groups[key(event)].append(event)
        return {group: _figures(members) for group, members in groups.items()}

    expected["category"] = grouped(lambda e: e.category_id)
    expected["campaign"] = grouped(lambda e: e.campaign_id)
    first_month = scope.first_month

    def month(event):
        local = event.starts_at.astimezone(SHANGHAI).strftime("%Y-%m")
        return max(local, first_month) if first_month else local

    expected["month"] = grouped(month)

    organizations = defaultdict(lambda: defaultdict(set))
    for event in events:
        for link in event.organization_links:
            kind = {"host": "hosted", "co_organizer": "co", "organizer": "co"}.get(
                link.role, "took_part"
            )
            organizations[link.organization_id][kind].add(event.id)
            organizations[link.organization_id]["all"].add(event.id)
        for participation in event.participations:
            if participation.organization_id and participation.attended:
                organizations[participation.organization_id]["took_part"].add(event.id)
                organizations[participation.organization_id]["all"].add(event.id)
    by_id = {event.id: event for event in events}
    expected["organization"] = {
        organization_id: (
            len(sets["hosted"]),
            len(sets["co"]),
            len(sets["took_part"]),
            *_figures([by_id[i] for i in sets["all"]])[0:1],
            _figures([by_id[i] for i in sets["all"]])[2],
        )
        for organization_id, sets in organizations.items()
    }
    locations = defaultdict(set)
    for event in events:
        for stop in event.stops:
            locations[stop.location_id].add(event.id)
    expected["location"] = {
        location_id: (len(ids), _figures([by_id[i] for i in ids])[2])
        for location_id, ids in locations.items()
    }
    awards = defaultdict(list)
    for event in events:
        for p in event.participations:
            if p.award or p.award_level:
                organization_id = p.organization_id or (
                    p.person.organization_id if p.person else None
                )
                awards[(organization_id, p.award_level or "other")].append(p.rank)
    expected["awards"] = {
        key: (len(ranks), min((r for r in ranks if r is not None), default=None))
        for key, ranks in awards.items()
    }
    people = defaultdict(lambda: [set(), Decimal("0")])
    for event in events:
        for p in event.participations:
            if p.attended and p.person_id:
                people[p.person_id][0].add(event.id)
                people[p.person_id][1] += p.hours or Decimal("0")
    expected["participants"] = {
        person_id: (len(ids), hours) for person_id, (ids, hours) in people.items()
    }
    return expected


def _assert_agrees(app, db, include_internal=False, **args):
    scope = _scope(app, include_internal, **args)
    with app.test_request_context():
        statistics = gather_statistics(scope, include_people=True)
    expected = _brute_force(db, scope)
    totals = statistics.totals

    assert _sql_figures(totals) == expected["totals"]
    assert totals.people == expected["people"]
    assert totals.unknown_headcounts == expected["unknown"]
    assert totals.cancelled == expected["cancelled"]
    assert {row.id: _sql_figures(row.figures) for row in statistics.by_category} == expected[
        "category"
    ]
    assert {row.id: _sql_figures(row.figures) for row in statistics.by_campaign} == expected[
        "campaign"
    ]
    months = {
        row.label: _sql_figures(row.figures)
        for row in statistics.by_month
        if row.figures.activities
    }
    assert months == expected["month"]
    assert {
        row.id: (
            row.hosted,
            row.co_organized,
            row.took_part,
            row.activities,
            str(row.headcount) if row.headcount else None,
        )
        for row in statistics.by_organization
    } == expected["organization"]
    assert {
        row.id: (row.activities, str(row.headcount) if row.headcount else None)
        for row in statistics.by_location
    } == expected["location"]
    assert {
        (row.organization_id, row.level): (row.times, row.best_rank) for row in statistics.awards
    } == expected["awards"]
    participants = expected["participants"]
    for rows, key in (
        (statistics.top_by_activities, lambda figures: (figures[0], figures[1])),
        (statistics.top_by_hours, lambda figures: (figures[1], figures[0])),
    ):
        best = sorted((key(figures) for figures in participants.values()), reverse=True)[:10]
        assert [key((row.activities, row.hours)) for row in rows] == best
        for row in rows:
            assert (row.activities, row.hours) == participants[row.id]
    return statistics


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_figures_equal_a_brute_force_count(app, db, seed):
    _generate(db, seed)

    statistics = _assert_agrees(app, db, **{"from": "2019-03-01", "to": "2019-10-31"})
    _assert_agrees(app, db, include_internal=True, **{"from": "2019-03-01", "to": "2019-10-31"})
    _assert_agrees(app, db, include_internal=True, **{"from": "2018-01-01", "to": "2020-12-31"})

    assert statistics.totals.activities > 10
    assert statistics.totals.cancelled > 0
    assert statistics.awards


def test_generated_figures_agree_with_open_ended_periods(app, db):
    _generate(db, 3)

    _assert_agrees(app, db, include_internal=True, **{"from": "2019-06-15"})
    _assert_agrees(app, db, **{"to": "2019-02-10"})


def test_filters_combine(app, db):
    _generate(db, 4, events=90)
    category = db.session.scalar(select(Category.id).where(Category.slug == "gen-1"))
    campaign = db.session.scalar(select(Campaign.id).where(Campaign.name == "生成专项0"))
    organization = _organization_id(db, "生成组织2")
    period = {"from": "2018-12-01", "to": "2019-12-31"}

    everything = _assert_agrees(app, db, include_internal=True, **period)
    by_category = _assert_agrees(app, db, include_internal=True, category=str(category), **period)
    both = _assert_agrees(
        app,
        db,
        include_internal=True,
        category=str(category),
        organization=str(organization),
        **period,
    )
    _assert_agrees(
        app,
        db,
        include_internal=True,
        category="gen-1",
        organization=str(organization),
        campaign=str(campaign),
        **period,
    )

    assert everything.totals.activities > by_category.totals.activities > both.totals.activities
    assert {row.id for row in by_category.by_category} == {category}


def test_internal_events_count_for_coordinators_only(
    app, client, db, make_event, make_user, sign_in
):
    make_event(title="公开", reported_headcount=7, starts_at=datetime(2019, 5, 1, 2, tzinfo=UTC))
    make_event(
        title="内部",
        reported_headcount=30,
        visibility="internal",
        starts_at=datetime(2019, 5, 2, 2, tzinfo=UTC),
    )
    make_event(
        title="取消",
        reported_headcount=500,
        status="cancelled",
        starts_at=datetime(2019, 5, 3, 2, tzinfo=UTC),
    )

    anonymous = client.get("/stats/", query_string=YEAR_2019).get_data(as_text=True)
    sign_in(make_user())
    coordinator = client.get("/stats/", query_string=YEAR_2019).get_data(as_text=True)

    def total_headcount(html):
        return re.search(r"<dt>人数</dt><dd>(?:<span[^>]*>)?([^<]+)", html).group(1)

    assert total_headcount(anonymous) == "7"
    assert total_headcount(coordinator) == "37"
    assert "已取消的 1 项活动未计入" in coordinator
    assert "仅公开活动" in anonymous and "包括内部活动" in coordinator


# --- Filters from the URL ------------------------------------------------------------------


def test_bad_filters_are_reported_not_a_server_error(client, demo):
    page = client.get(
        "/stats/",
        query_string={
            "from": "2019-13-40",
            "to": "昨天",
            "category": "no-such-slug",
            "organization": ["abc", "999999"],
            "campaign": "x" * 500,
        },
    )
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "部分筛选条件无效" in html
    assert "不是有效日期" in html
    assert "找不到组织“999999”" in html
    for path in ("/stats/export.csv", "/stats/export.xlsx"):
        assert (
            client.get(path, query_string={"from": "bad", "organization": "-1"}).status_code == 200
        )


def test_filters_are_kept_in_the_form_and_export_links(client, demo, db):
    organization = _organization_id(db, "高新区总工会")

    html = client.get(
        "/stats/", query_string={**YEAR_2019, "organization": organization, "status": "cancelled"}
    ).get_data(as_text=True)

    assert f'name="organization" value="{organization}" checked' in html
    export = re.search(r'href="(/stats/export\.csv\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(export).query) == {
        "from": ["2019-01-01"],
        "to": ["2019-12-31"],
        "organization": [str(organization)],
    }
    # 总工会 hosted the school visit and the contest.
    assert re.search(r"<dt>活动</dt><dd>2<", html)


# --- Privacy -------------------------------------------------------------------------------


SECRET_NAME = "隐私测试王小明"


@pytest.fixture
def named_participant(db, make_person, make_event):
    person = make_person(name=SECRET_NAME)
    event = make_event(
        title="志愿服务", starts_at=datetime(2019, 3, 2, 1, tzinfo=UTC), people=[person]
    )
    event.participations[0].hours = Decimal("3.5")
    event.participations[0].award = "优秀志愿者"
    db.session.commit()
    return person


@pytest.mark.parametrize("path", ["/stats/", "/stats/export.csv", "/stats/export.xlsx"])
def test_anonymous_visitors_never_see_a_persons_name(client, named_participant, path):
    response = client.get(path, query_string=YEAR_2019)

    assert response.status_code == 200
    text = readable_text(response)
    assert SECRET_NAME not in text
    assert "王小明" not in text
    assert f"/people/{named_participant.id}" not in text


@pytest.mark.parametrize("path", ["/stats/", "/stats/export.csv", "/stats/export.xlsx"])
def test_coordinators_see_top_participants_by_name(
    client, named_participant, make_user, sign_in, path
):
    sign_in(make_user())

    text = readable_text(client.get(path, query_string=YEAR_2019))

    assert SECRET_NAME in text
    assert "3.5" in text


# --- Constant number of queries ------------------------------------------------------------


def _count_queries(db, client, path):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


@pytest.mark.parametrize("signed_in", [False, True])
def test_query_count_stays_constant_as_the_data_grows(
    app, db, client, make_user, sign_in, signed_in
):
    if signed_in:
        sign_in(make_user())
    path = "/stats/?from=2018-01-01&to=2020-12-31"
    _generate(db, 5, events=10)
    small = _count_queries(db, client, path)
    _generate(db, 6, events=120, prefix="more-")
    large = _count_queries(db, client, path)

    assert db.session.query(Event).count() == 130
    assert large == small
    assert small <= 20


def test_figures_computed_once_serve_both_languages(client, demo, db):
    path = "/stats/?from=2019-01-01&to=2019-12-31"
    chinese = _count_queries(db, client, path + "&lang=zh")
    english = _count_queries(db, client, path + "&lang=en")
    assert english < chinese  # read from the cache, not computed again
    assert ">Work safety</a>" in client.get(path).get_data(as_text=True)
    assert ">安全生产</a>" in client.get(path + "&lang=zh").get_data(as_text=True)


# --- Person and organisation pages ---------------------------------------------------------


def test_person_page_shows_hours_and_awards(
    client, db, named_participant, make_event, make_user, sign_in
):
    second = make_event(title="再次服务", people=[named_participant])
    second.participations[0].hours = Decimal("2.25")
    second.participations[0].award = "优秀志愿者"
    cancelled = make_event(title="取消的服务", status="cancelled", people=[named_participant])
    cancelled.participations[0].hours = Decimal("100")
    db.session.commit()
    sign_in(make_user())

    html = client.get(f"/people/{named_participant.id}").get_data(as_text=True)

    assert "参与合计" in html
    assert "2 项" in html
    assert "5.75 小时" in html
    assert "优秀志愿者 ×2" in html


def test_organization_page_shows_activities_over_time(client, demo, db):
    organization = _organization_id(db, "高新区总工会")

    html = client.get(f"/organizations/{organization}").get_data(as_text=True)

    section = html.split("历年活动与人数")[1].split("</section>")[0]
    assert "<svg" in section
    row = section.split("2019年6月</th>")[1].split("</tr>")[0]
    assert re.findall(r">(\d+\+?)<", row) == ["2", "100"]


def test_year_quick_links_cover_the_data(app, demo):
    with app.test_request_context():
        years = data_years(include_internal=False, today=date(2021, 5, 1))

    assert years == [2019, 2020, 2021]
