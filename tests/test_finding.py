"""Finding one's way among thousands: pickers and their lookups, names typed without
JavaScript, paginated directories, the month calendar's navigation, the feed builder and the
statistics' full breakdowns."""

import json
import re
from datetime import UTC, datetime, timedelta

from tracker.models import Campaign, Location, Participation


def _json(response):
    assert response.status_code == 200, response.status_code
    return json.loads(response.get_data(as_text=True))


def test_lookup_folds_like_search_and_returns_at_most_twenty(client, make_organization):
    make_organization(name="艾默生电气（珠海）有限公司", kind="enterprise")
    for number in range(25):
        make_organization(name=f"珠海测试企业{number:02d}", kind="enterprise")
    found = _json(client.get("/lookup/organizations.json", query_string={"q": "艾默生电气(珠海)"}))
    assert [row["name"] for row in found["results"]] == ["艾默生电气（珠海）有限公司"]
    many = _json(client.get("/lookup/organizations.json", query_string={"q": "珠海"}))
    assert len(many["results"]) == 20 and many["more"] is True


def test_lookup_offers_the_most_used_entries_first(client, make_event, make_location):
    quiet = make_location(name="会同书店")
    busy = make_location(name="会同村文化室")
    make_event(stops=[busy])
    make_event(stops=[busy])
    make_event(stops=[quiet])
    rows = _json(client.get("/lookup/locations.json", query_string={"q": "会同"}))["results"]
    assert [(row["id"], row["activities"]) for row in rows] == [(busy.id, 2), (quiet.id, 1)]


def test_people_lookup_is_for_signed_in_users_and_carries_no_personal_fields(
    client, make_person, make_user, sign_in
):
    make_person(name="李明华", phone="13800000000", email="li@example.cn")
    assert client.get("/lookup/people.json?q=李").status_code == 302  # to the sign-in page
    sign_in(make_user())
    rows = _json(client.get("/lookup/people.json", query_string={"q": "李明"}))["results"]
    assert [row["name"] for row in rows] == ["李明华"]
    assert set(rows[0]) == {"id", "name", "detail", "activities"}
    assert "13800000000" not in json.dumps(rows) and "example.cn" not in json.dumps(rows)


def test_a_name_typed_without_javascript_is_matched_on_submit(
    client, make_event, make_organization
):
    host = make_organization(name="高新区总工会")
    make_event(title="安康杯竞赛", hosts=[host])
    make_event(title="别的活动")
    html = client.get("/events/", query_string={"organization": "总工会"}).get_data(as_text=True)
    assert "安康杯竞赛" in html and "别的活动" not in html
    assert f'name="organization" value="{host.id}" checked' in html


def test_a_name_matching_several_entries_asks_to_choose(client, make_organization):
    first = make_organization(name="高新区总工会")
    second = make_organization(name="金湾区总工会")
    html = client.get("/events/", query_string={"organization": "总工会"}).get_data(as_text=True)
    assert "有多个组织与“总工会”相符" in html
    for entry in (first, second):
        assert f'name="organization" value="{entry.id}">' in html  # unticked: the user picks
    exact = client.get("/events/", query_string={"organization": "金湾区总工会"})
    assert f'value="{second.id}" checked' in exact.get_data(as_text=True)


def test_directories_are_paginated_and_searched(app, client, make_location, make_event):
    app.config["DIRECTORY_ENTRIES_PER_PAGE"] = 5
    for number in range(12):
        make_location(name=f"地点{number:02d}")
    busy = make_location(name="广州起义纪念馆")
    make_event(stops=[busy])
    first = client.get("/locations/").get_data(as_text=True)
    assert len(re.findall(r'href="/locations/\d+"', first)) == 5
    assert first.index("广州起义纪念馆") < first.index("地点00")  # most used first
    assert 'href="/locations/?page=3"' in first
    assert "共 13 项" in first
    third = client.get("/locations/?page=3").get_data(as_text=True)
    assert len(re.findall(r'href="/locations/\d+"', third)) == 3
    found = client.get("/locations/", query_string={"q": "起义"}).get_data(as_text=True)
    assert "广州起义纪念馆" in found and "地点00" not in found and "共 1 项" in found


def _june_events(make_event, count, day=12):
    start = datetime(2019, 6, day, 1, tzinfo=UTC)
    return [
        make_event(title=f"六月活动{number}", starts_at=start + timedelta(minutes=number))
        for number in range(count)
    ]


def test_month_grid_shows_three_a_day_then_a_link_to_the_day(client, make_event):
    _june_events(make_event, 5)
    html = client.get("/?month=2019-06").get_data(as_text=True)
    grid = html[html.index('class="month-calendar"') : html.index('id="day-list"')]
    assert grid.count('class="day-event"') == 3
    assert "还有 2 项" in grid
    assert 'href="/?month=2019-06&amp;day=2019-06-12#day-list"' in grid


def test_a_tapped_day_lists_its_activities(client, make_event):
    _june_events(make_event, 2, day=12)
    make_event(title="另一天", starts_at=datetime(2019, 6, 20, 1, tzinfo=UTC))
    html = client.get("/?month=2019-06&day=2019-06-12").get_data(as_text=True)
    listed = html[html.index('id="day-list"') : html.index('class="upcoming"')]
    assert "6月12日的活动" in listed
    assert "六月活动0" in listed and "六月活动1" in listed and "另一天" not in listed


def test_the_list_under_the_grid_belongs_to_the_month_shown(client, make_event):
    make_event(title="六月的活动", starts_at=datetime(2019, 6, 3, 1, tzinfo=UTC))
    make_event(title="七月的活动", starts_at=datetime(2019, 7, 1, 1, tzinfo=UTC))
    html = client.get("/?month=2019-06").get_data(as_text=True)
    listed = html[html.index('id="day-list"') : html.index('class="upcoming"')]
    assert "2019年6月的活动" in listed
    assert "六月的活动" in listed and "七月的活动" not in listed


def test_an_empty_month_offers_the_nearest_months_with_activities(client, make_event):
    make_event(title="早", starts_at=datetime(2019, 6, 3, 1, tzinfo=UTC))
    make_event(title="晚", starts_at=datetime(2020, 2, 3, 1, tzinfo=UTC))
    html = client.get("/?month=2019-10").get_data(as_text=True)
    assert "本月没有活动" in html
    assert 'href="/?month=2019-06"' in html and 'href="/?month=2020-02"' in html


def test_the_month_year_picker_shows_the_chosen_month(client, make_event):
    make_event(title="早", starts_at=datetime(2019, 6, 3, 1, tzinfo=UTC))
    html = client.get("/?year=2019&m=6").get_data(as_text=True)
    assert "2019年6月" in html and "早" in html
    assert '<option value="2019" selected>' in html


def test_feed_builder_gives_one_link_and_at_most_ten_ready_made_feeds(
    client, db, make_category, make_event
):
    categories = [make_category() for _ in range(12)]
    make_event(category=categories[5])
    page = client.get("/feeds/").get_data(as_text=True)
    ready = page[page.index('id="ready-heading"') :]
    assert ready.count('class="feed-link"') == 10
    assert f"calendar.ics?category={categories[5].id}" in ready.split('class="feed-link"')[1]
    built = client.get(
        "/feeds/", query_string={"category": categories[0].id, "q": "安康杯"}
    ).get_data(as_text=True)
    link = re.search(r'href="(webcal://[^"]+)"', built).group(1).replace("&amp;", "&")
    assert "category=" in link and "q=" in link


def test_statistics_full_breakdown_is_paginated(client, monkeypatch, db, make_event, make_location):
    monkeypatch.setattr("tracker.stats.all_rows.ROWS_PER_PAGE", 10)
    locations = []
    for number in range(21):  # one more than the overview shows
        locations.append(Location(name=f"统计地点{number:02d}"))
    db.session.add_all(locations)
    db.session.commit()
    make_event(stops=locations)
    query = {"from": "2019-01-01", "to": "2019-12-31"}
    overview = client.get("/stats/", query_string=query).get_data(as_text=True)
    assert "/stats/locations?" in overview  # 查看全部
    first = client.get("/stats/locations", query_string=query).get_data(as_text=True)
    assert len(re.findall(r'href="/locations/\d+"', first)) == 10 and "共 21 项" in first
    third = client.get("/stats/locations", query_string={**query, "page": 3})
    assert len(re.findall(r'href="/locations/\d+"', third.get_data(as_text=True))) == 1


def test_teams_count_for_their_organisation_in_the_directory(
    client, db, make_event, make_organization
):
    team = make_organization(name="参赛队")
    event = make_event(title="竞赛")
    event.participations.append(Participation(organization=team))
    db.session.add(Campaign(name="安全生产月"))
    db.session.commit()
    html = client.get("/organizations/", query_string={"q": "参赛"}).get_data(as_text=True)
    row = re.search(r'href="/organizations/\d+".*?</tr>', html, re.S).group(0)
    assert row.endswith('<td class="number">1</td>\n          </tr>')


def test_hostile_lookup_and_page_arguments_get_ordinary_answers(client, make_location):
    make_location(name="100%地点_一")
    assert (
        _json(client.get("/lookup/locations.json", query_string={"q": "x" * 10_000}))["results"]
        == []
    )
    found = _json(client.get("/lookup/locations.json", query_string={"q": "%"}))["results"]
    assert [row["name"] for row in found] == ["100%地点_一"]
    for path in ("/locations/?page=999999", "/locations/?page=-3", "/locations/?page=x"):
        page = client.get(path)
        assert page.status_code == 200 and "100%地点_一" in page.get_data(as_text=True)
    bad_day = client.get("/?day=2019-13-45&year=abcd&m=99").get_data(as_text=True)
    assert "日期“2019-13-45”无效" in bad_day


def test_upcoming_list_has_a_fixed_length_and_a_link_to_every_event(app, client, make_event):
    app.config["UPCOMING_EVENTS_SHOWN"] = 2
    soon = datetime.now(UTC) + timedelta(days=3)
    for number in range(3):
        make_event(title=f"即将开展的活动{number}", starts_at=soon + timedelta(days=number))
    html = client.get("/").get_data(as_text=True)
    upcoming = html[html.index('id="upcoming-title"') :]
    assert upcoming.count("即将开展的活动") == 2
    assert 'href="/events/"' in upcoming
