"""iCalendar feeds: what subscribers' calendar clients receive, and how the server answers."""

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from flask import render_template_string
from flask_login import login_user
from helpers import events_by_uid, get_feed, parse_feed
from icalendar import Calendar
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, update

from tracker.demo import load_demo_data
from tracker.events import fields
from tracker.events.fields import FIELDS_BY_NAME, PRIVATE
from tracker.events.queries import EventFilters
from tracker.feeds import builder
from tracker.feeds.builder import FeedContext, build_calendar
from tracker.feeds.queries import load_feed_events, public_feed_events
from tracker.feeds.services import create_feed_token, feed_cache, feed_tokens_of
from tracker.feeds.writer import fold, render_calendar
from tracker.models import (
    Campaign,
    DataVersionCounter,
    Event,
    EventOrganization,
    FeedToken,
    Participation,
    Stop,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year, month, day, hour=0, minute=0, zone=SHANGHAI):
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


@pytest.fixture
def contest(make_event, make_organization, make_location, make_category, db):
    """The 安康杯 contest: two hosts, a co-organiser, two stops, approximate headcount."""
    union = make_organization(name="珠海市总工会", short_name="总工会", kind="social")
    safety = make_organization(name="珠海市安全生产监督管理局", short_name="安监局")
    jianfan = make_organization(name="健帆生物科技集团", kind="enterprise")
    category = make_category(slug="contest", name_zh="知识竞赛", name_en="Contest")
    campaign = Campaign(name="第18个全国“安全生产月”", theme="防风险、除隐患、遏事故")
    db.session.add(campaign)
    first = make_location(name="健帆生物科技集团", city="珠海", latitude=22.37, longitude=113.53)
    second = make_location(name="北京理工大学珠海学院", city="珠海")
    event = make_event(
        title="“安康杯”安全生产知识竞赛",
        description="五轮比赛。",
        theme="安全发展",
        outcome="健帆获冠军",
        reported_headcount=100,
        reported_headcount_is_approximate=True,
        category=category,
        campaign=campaign,
        hosts=[union, safety],
        stops=[first, second],
        starts_at=local(2019, 6, 20, 9),
        ends_at=local(2019, 6, 20, 12),
    )
    event.organization_links.append(
        EventOrganization(organization=jianfan, role="co_organizer", position=5)
    )
    db.session.commit()
    return event


def test_feed_is_a_published_calendar_with_names_and_refresh_hints(client, contest):
    response, calendar, parsed = get_feed(client, "/calendar.ics")
    assert str(calendar["METHOD"]) == "PUBLISH" == parsed["method"]
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"]) == "活动日历" == parsed["name"]
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.data
    assert response.headers["ETag"]


def test_event_carries_every_property_subscribers_need(app, client, contest):
    app.config["PUBLIC_BASE_URL"] = "https://huodong.example.cn"
    _, calendar, parsed = get_feed(client, "/calendar.ics")
    event = events_by_uid(calendar)[contest.uid]
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert int(event["SEQUENCE"]) == contest.sequence
    assert event["LAST-MODIFIED"].dt == contest.updated_at.replace(microsecond=0)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTART"].dt == datetime(2019, 6, 20, 9, tzinfo=SHANGHAI)
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event["CATEGORIES"].cats == ["知识竞赛"]
    assert str(event["LOCATION"]) == "健帆生物科技集团（珠海） → 北京理工大学珠海学院"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (22.37, 113.53)
    assert str(event["URL"]) == f"https://huodong.example.cn/events/{contest.id}"
    assert event["ORGANIZER"].params["CN"] == "总工会、安监局"
    assert str(event["ORGANIZER"]) == "mailto:noreply@huodong.example.cn"
    description = str(event["DESCRIPTION"])
    for fact in (
        "五轮比赛。",
        "主办：珠海市总工会、珠海市安全生产监督管理局",
        "协办：健帆生物科技集团",
        "人数：100+",
        "主题：安全发展",
        "活动成果：健帆获冠军",
        "专项活动：第18个全国“安全生产月”",
    ):
        assert fact in description
    [seen] = parsed["events"]
    assert seen["organizer_cn"] == "总工会、安监局"
    assert seen["location"] == str(event["LOCATION"])
    assert seen["geo"] == [22.37, 113.53]
    assert seen["dtstart_tzid"] == "Asia/Shanghai"
    assert seen["dtstart_utc"] == int(contest.starts_at.timestamp())


def test_tricky_text_comes_back_exactly_in_both_parsers(client, make_event):
    title = 'Commas, semicolons; back\\slash "quotes" 🎉 党建'
    description = (
        "第一行\n第二行, 有逗号; 有分号\\反斜杠\r\n第三行 😀\n" + "不忘初心、牢记使命。" * 40
    )
    event = make_event(title=title, description=description)
    _, calendar, parsed = get_feed(client, "/calendar.ics")
    vevent = events_by_uid(calendar)[event.uid]
    assert str(vevent["SUMMARY"]) == title
    expected_description = description.replace("\r\n", "\n").strip()
    assert str(vevent["DESCRIPTION"]) == expected_description
    [seen] = parsed["events"]
    assert seen["summary"] == title
    assert seen["description"] == expected_description


def test_long_lines_fold_at_75_octets_without_splitting_characters(client, make_event):
    make_event(title="长" * 200, description="🎉汉a" * 200)
    response, _, parsed = get_feed(client, "/calendar.ics")
    physical = response.data.split(b"\r\n")
    assert any(line.startswith(b" ") for line in physical), "nothing was folded"
    assert max(len(line) for line in physical) <= 75
    assert parsed["events"][0]["summary"] == "长" * 200


def test_every_tzid_has_its_vtimezone(client, make_event):
    for zone in ("Asia/Shanghai", "Europe/Berlin", "America/New_York"):
        make_event(title=zone, timezone=zone, starts_at=local(2019, 6, 3, 9, zone=ZoneInfo(zone)))
    make_event(title="UTC", timezone="UTC")
    _, calendar, parsed = get_feed(client, "/calendar.ics")
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    assert zones == {"Asia/Shanghai", "Europe/Berlin", "America/New_York"}
    assert set(parsed["timezones"]) == zones
    for vevent in calendar.walk("VEVENT"):
        if str(vevent["SUMMARY"]) != "UTC":
            assert vevent["DTSTART"].dt.hour == 9
    berlin = next(e for e in parsed["events"] if e["summary"] == "Europe/Berlin")
    assert berlin["dtstart_utc"] == int(datetime(2019, 6, 3, 7, tzinfo=UTC).timestamp())


def test_all_day_event_uses_dates_with_exclusive_end(client, make_event):
    event = make_event(
        title="安全生产月",
        is_all_day=True,
        starts_at=local(2019, 6, 1),
        ends_at=local(2019, 7, 1),
    )
    response, calendar, parsed = get_feed(client, "/calendar.ics")
    vevent = events_by_uid(calendar)[event.uid]
    assert vevent["DTSTART"].dt == date(2019, 6, 1)
    assert vevent["DTEND"].dt == date(2019, 7, 1)
    assert b"DTSTART;VALUE=DATE:20190601\r\n" in response.data
    assert b"DTEND;VALUE=DATE:20190701\r\n" in response.data
    [seen] = parsed["events"]
    assert seen["is_date"] is True
    assert (seen["dtstart"], seen["dtend"]) == ("2019-06-01", "2019-07-01")


def test_recurrences_expand_to_the_expected_occurrences(client, make_event):
    weekly = make_event(
        title="网格员每周走访",
        starts_at=local(2019, 6, 5, 9),
        ends_at=local(2019, 6, 5, 11),
        recurrence_rule="FREQ=WEEKLY;BYDAY=WE;UNTIL=20190626T235959",
    )
    monthly = make_event(
        title="支部党员大会",
        timezone="Europe/Berlin",
        starts_at=datetime(2019, 1, 4, 15, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC),
        ends_at=datetime(2019, 1, 4, 16, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC),
        recurrence_rule="FREQ=MONTHLY;BYDAY=1FR;COUNT=4",
    )
    _, calendar, parsed = get_feed(client, "/calendar.ics")
    occurrences = recurring_ical_events.of(calendar).between(date(2019, 1, 1), date(2020, 1, 1))
    starts: dict[str, list] = {}
    for occurrence in occurrences:
        starts.setdefault(str(occurrence["UID"]), []).append(occurrence["DTSTART"].dt)
    assert starts[weekly.uid] == [
        datetime(2019, 6, day, 9, tzinfo=SHANGHAI) for day in (5, 12, 19, 26)
    ]
    berlin = ZoneInfo("Europe/Berlin")
    assert [start.astimezone(berlin) for start in starts[monthly.uid]] == [
        datetime(2019, 1, 4, 15, tzinfo=berlin),
        datetime(2019, 2, 1, 15, tzinfo=berlin),
        datetime(2019, 3, 1, 15, tzinfo=berlin),
        datetime(2019, 4, 5, 15, tzinfo=berlin),  # after the switch to summer time
    ]
    rules = {event["uid"]: set(event["rrule"].split(";")) for event in parsed["events"]}
    assert rules[weekly.uid] == {"FREQ=WEEKLY", "BYDAY=WE", "UNTIL=20190626T155959Z"}
    assert rules[monthly.uid] == {"FREQ=MONTHLY", "BYDAY=1FR", "COUNT=4"}


def test_edit_raises_sequence_and_keeps_uid(client, db, make_event):
    event = make_event(title="读书分享会")
    _, before, _ = get_feed(client, "/calendar.ics")
    old = events_by_uid(before)[event.uid]
    event.starts_at += timedelta(days=1)
    event.ends_at += timedelta(days=1)
    db.session.commit()
    _, after, parsed = get_feed(client, "/calendar.ics")
    new = events_by_uid(after)[event.uid]
    assert int(new["SEQUENCE"]) == int(old["SEQUENCE"]) + 1
    assert new["LAST-MODIFIED"].dt >= old["LAST-MODIFIED"].dt
    assert new["DTSTART"].dt == old["DTSTART"].dt + timedelta(days=1)
    assert parsed["events"][0]["sequence"] == int(new["SEQUENCE"])


def test_cancelled_event_stays_in_feed_as_cancelled(client, db, make_event):
    event = make_event(title="主题党日")
    event.status = "cancelled"
    db.session.commit()
    _, calendar, parsed = get_feed(client, "/calendar.ics")
    vevent = events_by_uid(calendar)[event.uid]
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) == 1
    assert parsed["events"][0]["status"] == "CANCELLED"


def test_internal_event_never_appears_in_a_public_feed(
    client, make_event, make_user, sign_in, make_organization
):
    make_event(title="公开活动")
    internal = make_event(title="内部会议", visibility="internal")
    _, calendar, _ = get_feed(client, "/calendar.ics")
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["公开活动"]
    assert client.get(f"/events/{internal.id}.ics").status_code == 404
    sign_in(make_user())
    response, calendar, _ = get_feed(client, "/calendar.ics?status=confirmed")
    assert "内部会议".encode() not in response.data
    response, calendar, _ = get_feed(client, f"/events/{internal.id}.ics")
    assert str(calendar.walk("VEVENT")[0]["CLASS"]) == "PRIVATE"


def test_no_personal_data_in_public_feeds(client, db, make_event, make_person):
    person = make_person(name="王小明", phone="13800138000", email="wang@example.cn")
    event = make_event(title="走访慰问", people=[person, make_person(name="李四")])
    for url in ("/calendar.ics", f"/events/{event.id}.ics"):
        response, calendar, parsed = get_feed(client, url)
        for secret in ("王小明", "李四", "13800138000", "wang@example.cn"):
            assert secret.encode() not in response.data
        assert b"ATTENDEE" not in response.data
        assert parsed["events"][0]["attendees"] == 0
        assert "人数：2" in str(calendar.walk("VEVENT")[0]["DESCRIPTION"])


def test_filters_are_those_of_the_event_list_and_combine(
    client, make_event, make_category, make_organization, make_location
):
    party, safety = make_category(name_zh="主题党日"), make_category(name_zh="安全生产")
    host = make_organization(name="鸡山社区党组织")
    place = make_location(name="广州起义纪念馆")
    make_event(title="A", category=party, hosts=[host], starts_at=local(2019, 6, 1, 9))
    make_event(title="B", category=safety, stops=[place], starts_at=local(2019, 6, 15, 9))
    make_event(title="C", category=safety, starts_at=local(2019, 7, 15, 9), status="cancelled")

    def titles(query):
        _, calendar, _ = get_feed(client, "/calendar.ics" + query)
        return sorted(str(event["SUMMARY"]) for event in calendar.walk("VEVENT"))

    assert titles("") == ["A", "B", "C"]
    assert titles(f"?category={party.id}&category={safety.id}") == ["A", "B", "C"]
    assert titles(f"?category={safety.id}&status=confirmed") == ["B"]
    assert titles(f"?organization={host.id}") == ["A"]
    assert titles(f"?location={place.id}") == ["B"]
    assert titles("?from=2019-06-10&to=2019-06-30") == ["B"]
    assert titles("?status=cancelled") == ["C"]
    _, calendar, _ = get_feed(client, f"/calendar.ics?category={party.id}")
    assert str(calendar["X-WR-CALNAME"]) == "活动日历 · 类别：主题党日"


@pytest.mark.parametrize(
    "query",
    ["category=999999", "organization=abc", "from=2019-13-45", "status=maybe", "location=%00"],
)
def test_bad_filter_values_answer_400_in_plain_chinese(client, query):
    response = client.get(f"/calendar.ics?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "筛选条件无效" in response.get_data(as_text=True)


def test_unchanged_feed_answers_304_to_its_etag(client, db, make_event):
    event = make_event()
    first = client.get("/calendar.ics")
    again = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    event.title = "改名"
    db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert "改名".encode() in changed.data


def test_unchanged_feed_answers_304_to_if_modified_since(client, db, make_event):
    event = make_event()
    date_last_change(db, datetime(2020, 1, 1, tzinfo=UTC))
    first = client.get("/calendar.ics")
    assert first.headers["Last-Modified"] == "Wed, 01 Jan 2020 00:00:00 GMT"
    again = client.get(
        "/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert again.status_code == 304
    event.title = "改名"
    db.session.commit()
    changed = client.get(
        "/calendar.ics", headers={"If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"}
    )
    assert changed.status_code == 200


def test_leaving_a_filtered_feed_is_a_modification(client, db, make_event, make_category):
    category = make_category()
    event = make_event(category=category)
    date_last_change(db, datetime(2020, 1, 1, tzinfo=UTC))
    url = f"/calendar.ics?category={category.id}"
    first = client.get(url)
    event.category_id = None  # as the edit form does
    db.session.commit()
    for headers in (
        {"If-None-Match": first.headers["ETag"]},
        {"If-Modified-Since": first.headers["Last-Modified"]},
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert event.uid.encode() not in response.data


def test_head_answers_like_get_without_body(client, db, make_event):
    make_event()
    date_last_change(db, datetime(2020, 1, 1, tzinfo=UTC))
    get = client.get("/calendar.ics")
    head = client.head("/calendar.ics")
    assert head.status_code == 200
    assert head.data == b""
    for name in ("Content-Type", "ETag", "Last-Modified", "Content-Length"):
        assert head.headers[name] == get.headers[name]


def test_event_ics_is_an_attachment_of_that_event_only(client, make_event):
    wanted = make_event(title="读书分享会")
    make_event(title="别的活动")
    response, calendar, parsed = get_feed(client, f"/events/{wanted.id}.ics")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert [event["summary"] for event in parsed["events"]] == ["读书分享会"]
    assert client.get("/events/999999.ics").status_code == 404


def test_event_page_button_links_to_event_ics(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/events/{event.id}.ics"' in page
    assert "添加到日历" in page


def test_subscribe_page_offers_webcal_and_https_links_per_filter(
    app, client, make_category, make_organization, make_location, db
):
    app.config["PUBLIC_BASE_URL"] = "https://huodong.example.cn"
    category = make_category(name_zh="主题党日")
    organization = make_organization(name="金鼎社区卫生服务中心党支部")
    location = make_location(name="会同书店")
    db.session.add(Campaign(name="安全生产月"))
    db.session.commit()
    campaign = db.session.scalar(select(Campaign))
    page = client.get(f"/feeds/?category={category.id}&status=confirmed")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for argument, item in (
        ("category", category),
        ("organization", organization),
        ("location", location),
        ("campaign", campaign),
    ):
        assert f"webcal://huodong.example.cn/calendar.ics?{argument}={item.id}" in text
        assert f'value="https://huodong.example.cn/calendar.ics?{argument}={item.id}"' in text
    assert (
        f"webcal://huodong.example.cn/calendar.ics?category={category.id}&amp;status=confirmed"
        in text
    )
    for client_name in ("Outlook", "Apple", "Google", "Thunderbird"):
        assert client_name in text
    assert "复制地址" in text
    assert "js/feeds.js" in text


def test_event_list_links_to_subscribe_page_with_its_filters(client, make_category):
    category = make_category()
    text = client.get(f"/events/?category={category.id}").get_data(as_text=True)
    assert f'href="/feeds/?category={category.id}"' in text


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_private_feed_includes_own_organisations_internal_events_until_revoked(
    client, db, make_user, sign_in, make_event, make_organization
):
    own, other = make_organization(name="党政办"), make_organization(name="扶贫办")
    user = make_user(organization=own)
    make_event(title="公开活动")
    make_event(title="本单位内部", visibility="internal", hosts=[own])
    make_event(title="他单位内部", visibility="internal", hosts=[other])
    sign_in(user)
    page = client.get("/feeds/tokens").get_data(as_text=True)
    created = client.post(
        "/feeds/tokens", data={"name": "办公室 Outlook", "csrf_token": _csrf(page)}
    )
    assert created.status_code == 200
    url = re.search(
        r'value="(http://localhost/feeds/private/[^"]+\.ics)"', created.get_data(as_text=True)
    ).group(1)
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    token = db.session.scalar(select(FeedToken))
    assert token.name == "办公室 Outlook"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.token_hash
    assert secret not in client.get("/feeds/tokens").get_data(as_text=True), "shown only once"

    client.post("/logout", data={"csrf_token": _csrf(page)})
    anonymous = client.application.test_client()
    response, calendar, _ = get_feed(anonymous, url.removeprefix("http://localhost"))
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["公开活动", "本单位内部"]
    assert response.headers["Cache-Control"].startswith("private")

    sign_in(user)
    page = client.get("/feeds/tokens").get_data(as_text=True)
    revoked = client.post(f"/feeds/tokens/{token.id}/revoke", data={"csrf_token": _csrf(page)})
    assert revoked.status_code == 302
    gone = anonymous.get(url.removeprefix("http://localhost"))
    assert gone.status_code == 404
    assert "本单位内部".encode() not in gone.data
    assert anonymous.get("/feeds/private/not-a-token.ics").status_code == 404


def test_tokens_belong_to_their_owner(client, db, make_user, sign_in):

    owner, intruder = make_user(), make_user()
    token, _ = create_feed_token(owner, "手机")
    sign_in(intruder)
    page = client.get("/feeds/tokens").get_data(as_text=True)
    assert "手机" not in page
    response = client.post(f"/feeds/tokens/{token.id}/revoke", data={"csrf_token": _csrf(page)})
    assert response.status_code == 404
    assert db.session.get(FeedToken, token.id).revoked_at is None


def test_token_pages_need_sign_in_and_csrf(client, db, make_user, sign_in):
    assert client.get("/feeds/tokens").status_code == 302
    sign_in(make_user())
    response = client.post("/feeds/tokens", data={"name": "x"})
    assert response.status_code == 400
    assert db.session.scalar(select(FeedToken)) is None


def test_tokens_partial_works_with_the_tokens_the_view_passes(app, make_user):
    user = make_user()
    with app.test_request_context("/account"):
        login_user(user)
        html = render_template_string(
            '{% include "feeds/_tokens.html" %}', feed_tokens=feed_tokens_of(user)
        )
    assert "私人订阅链接" in html
    assert 'action="/feeds/tokens"' in html
    assert 'name="csrf_token"' in html


def _count_queries(db):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", record)
    return statements, lambda: sqlalchemy_event.remove(db.engine, "before_cursor_execute", record)


def _add_events(db, count, organization, location, category):
    for number in range(count):
        event = Event(
            title=f"活动{number}",
            starts_at=local(2019, 6, 1, 9) + timedelta(days=number),
            ends_at=local(2019, 6, 1, 11) + timedelta(days=number),
            category=category,
            recurrence_rule="FREQ=WEEKLY;COUNT=3" if number % 2 else None,
        )
        event.organization_links.append(EventOrganization(organization=organization, role="host"))
        event.stops.append(Stop(location=location, position=0))
        event.participations.append(Participation(organization=organization, position=0))
        db.session.add(event)
    db.session.commit()


def test_number_of_queries_does_not_grow_with_the_number_of_events(
    client, db, make_organization, make_location, make_category
):
    organization, location, category = make_organization(), make_location(), make_category()
    counts = []
    for size in (3, 30):
        _add_events(db, size, organization, location, category)
        statements, stop = _count_queries(db)
        response = client.get("/calendar.ics")
        stop()
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    # The data version, the events, then one query each for stops, organisations, teams,
    # series' changed occurrences and photos.
    assert counts[0] <= 7


def test_unchanged_feed_is_served_from_cache_and_304_needs_one_query(client, db, make_event):
    make_event()
    first = client.get("/calendar.ics")
    statements, stop = _count_queries(db)
    warm = client.get("/calendar.ics")
    not_modified = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    stop()
    assert warm.data == first.data  # same DTSTAMP: the same rendered bytes
    assert not_modified.status_code == 304
    assert len(statements) == 2, statements


def test_feeds_parse_with_both_parsers_for_the_demo_data(app, client):

    load_demo_data()
    response, calendar, parsed = get_feed(client, "/calendar.ics")
    assert len(parsed["events"]) == len(calendar.walk("VEVENT")) >= 9
    summaries = " ".join(event["summary"] for event in parsed["events"])
    assert "安康杯" in summaries
    for event in parsed["events"]:
        assert event["organizer"].startswith("mailto:noreply@")
    parse_feed(response.data)


def test_fast_writer_gives_the_same_calendar_as_icalendar_serialisation(
    app, client, contest, make_event
):
    """The served bytes (tracker.feeds.writer) equal icalendar's own Calendar.to_ical()."""

    make_event(title="逗号, 分号; 反斜杠\\ 换行\n🎉" + "长" * 80, is_all_day=True)
    make_event(title="每周", recurrence_rule="FREQ=WEEKLY;BYDAY=WE;UNTIL=20190731T235959")
    make_event(title="Berlin", timezone="Europe/Berlin", status="tentative")
    with app.test_request_context("/calendar.ics"):
        events = load_feed_events(public_feed_events(EventFilters()))
        context = FeedContext("https://huodong.example.cn")
        served = render_calendar(events, "活动日历", context)
        reference = build_calendar(events, "活动日历", context).to_ical()
    parse_feed(served)
    assert Calendar.from_ical(served) == Calendar.from_ical(reference)
    served_lines = sorted(served.replace(b"\r\n ", b"").split(b"\r\n"))
    assert served_lines == sorted(reference.replace(b"\r\n ", b"").split(b"\r\n"))


@pytest.mark.parametrize(
    "line",
    [
        "SUMMARY:" + "a" * 200,
        "SUMMARY:" + "汉" * 100,
        "SUMMARY:" + "🎉" * 60,
        "SUMMARY:" + "x\\," * 60,
        "SUMMARY:" + "ab\\\\" * 40 + "\\n" * 30,
        "SUMMARY:短",
    ],
)
def test_fold_keeps_lines_short_and_characters_and_escapes_whole(line):

    folded = fold(line.encode())
    physical = folded.split(b"\r\n")
    for index, part in enumerate(physical):
        assert len(part) <= 75
        part.decode("utf-8")
        if index:
            assert part.startswith(b" ")
        assert not re.search(rb"(?<!\\)(\\\\)*\\$", part), "a line ends inside an escape"
    assert folded.replace(b"\r\n ", b"") == line.encode()


ZONES_WITH_SUMMER_TIME = ("Europe/Berlin", "America/New_York", "Australia/Sydney")


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """The UTC instants in `year` at which the zone's offset changes (found hour by hour: these
    zones change on the hour)."""
    found, moment = [], datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        following = moment + timedelta(hours=1)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            found.append(following)
        moment = following
    return found


def test_vtimezone_onsets_are_the_real_changes_of_offset(client, make_event):
    """Each observance's onsets (DTSTART, RDATEs and RRULE occurrences) are local times in the
    offset being left (RFC 5545 3.6.5: summer time in Berlin starts at 02:00), so onset minus
    TZOFFSETFROM is exactly the instant zoneinfo changes the offset, in both directions and
    hemispheres."""
    for zone in ZONES_WITH_SUMMER_TIME:
        make_event(title=zone, timezone=zone, starts_at=local(2026, 6, 3, 9, zone=ZoneInfo(zone)))
    _, calendar, _ = get_feed(client, "/calendar.ics")
    for vtimezone in calendar.walk("VTIMEZONE"):
        zone = ZoneInfo(str(vtimezone["TZID"]))
        onsets = set()
        for observance in vtimezone.subcomponents:
            offset_from = observance["TZOFFSETFROM"].td
            if offset_from == observance["TZOFFSETTO"].td:
                continue  # the zone's first offset, not a change
            rdates = observance.get("RDATE", [])
            starts = [observance["DTSTART"].dt] + [
                moment.dt
                for value in (rdates if isinstance(rdates, list) else [rdates])
                for moment in value.dts
            ]
            if "RRULE" in observance:
                rule = rrulestr(
                    observance["RRULE"].to_ical().decode(), dtstart=observance["DTSTART"].dt
                )
                starts += rule.between(datetime(2025, 1, 1), datetime(2028, 1, 1))
            onsets |= {
                (start - offset_from).replace(tzinfo=UTC)
                for start in starts
                if start.year in (2025, 2026, 2027)
            }
        real = set(_transitions(zone, 2025) + _transitions(zone, 2026) + _transitions(zone, 2027))
        assert onsets == real, vtimezone["TZID"]


def test_a_field_declared_for_private_feeds_is_carried_by_them_alone(
    client, db, make_event, make_user, monkeypatch
):
    notes = replace(FIELDS_BY_NAME["notes"], feeds=PRIVATE)
    declared = tuple(notes if field.name == "notes" else field for field in fields.EVENT_FIELDS)
    monkeypatch.setattr(fields, "EVENT_FIELDS", declared)
    monkeypatch.setattr(
        builder, "PLAIN_FIELDS", (*builder.PLAIN_FIELDS, (notes, "X-TRACKER-NOTES"))
    )
    make_event(title="有备注", notes="只给内部看")
    _, secret = create_feed_token(make_user(), "手机")

    public = Calendar.from_ical(client.get("/calendar.ics").data).walk("VEVENT")[0]
    private = client.get(f"/feeds/private/{secret}.ics")
    assert private.status_code == 200
    assert "X-TRACKER-NOTES" not in public
    assert (
        str(Calendar.from_ical(private.data).walk("VEVENT")[0]["X-TRACKER-NOTES"]) == "只给内部看"
    )


def test_event_without_description_writes_no_empty_description(client, make_event):
    make_event(title="无描述")
    response = client.get("/calendar.ics")
    assert b"\r\nDESCRIPTION:\r\n" not in response.data
    assert b"\nDESCRIPTION" not in response.data
    calendar, _parsed = parse_feed(response.data)
    (event,) = calendar.walk("VEVENT")
    assert "DESCRIPTION" not in event


def test_empty_result_is_still_a_valid_calendar(client, make_organization):
    organization = make_organization(name="没有活动的支部")
    response, calendar, parsed = get_feed(client, f"/calendar.ics?organization={organization.id}")
    calendar.validate()  # at least one component (RFC 5545 §3.6)
    assert parsed["events"] == []
    assert parsed["timezones"] == ["Asia/Shanghai"]


def test_imported_future_last_modified_does_not_pin_the_header(client, db, make_event):
    make_event(title="来自外部", updated_at=datetime(2099, 1, 1, tzinfo=UTC))
    make_event(title="本地", updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    date_last_change(db, datetime(2020, 1, 1, tzinfo=UTC))  # the data version's own time
    response = client.get("/calendar.ics")
    assert response.last_modified == datetime(2020, 1, 1, tzinfo=UTC)
    assert b"DTSTAMP:2099" not in response.data


def test_last_modified_is_never_later_than_now(client, db, make_event):
    make_event(updated_at=datetime(2099, 1, 1, tzinfo=UTC))
    response = client.get("/calendar.ics")
    assert response.last_modified is None or response.last_modified <= datetime.now(UTC)


def test_change_within_the_same_second_is_not_answered_304(client, db, make_event, monkeypatch):
    second = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    clock = {"now": second + timedelta(milliseconds=500)}
    monkeypatch.setattr("tracker.feeds.services.now_utc", lambda: clock["now"])
    monkeypatch.setattr("tracker.models.versions.now_utc", lambda: clock["now"])
    event = make_event(updated_at=second + timedelta(milliseconds=300))
    first = client.get("/calendar.ics")
    clock["now"] = second + timedelta(milliseconds=800)
    db.session.execute(update(Event).where(Event.id == event.id).values(title="同一秒内改名"))
    db.session.commit()
    clock["now"] = second + timedelta(seconds=1, milliseconds=200)

    def revalidate(response):
        """What a client that keeps only Last-Modified sends."""
        since = response.headers.get("Last-Modified")
        return client.get("/calendar.ics", headers={"If-Modified-Since": since} if since else {})

    changed = revalidate(first)
    assert changed.status_code == 200
    assert "同一秒内改名".encode() in changed.data
    # Once the second of the last change is over, the date is given and answers 304.
    assert changed.last_modified == second
    assert revalidate(changed).status_code == 304


def date_last_change(db, moment):
    """Date the data version's last change (as if it were made then), without raising it."""
    db.session.execute(update(DataVersionCounter).values(changed_at=moment))
    db.session.commit()


def feed_cache_of(app):
    with app.app_context():
        return feed_cache()


def test_same_data_gives_the_same_bytes_after_a_restart(app, client, db, make_event):
    make_event()
    date_last_change(db, datetime(2020, 1, 1, tzinfo=UTC))
    first = client.get("/calendar.ics")
    feed_cache_of(app).clear()  # what a restart or another worker starts with
    again = client.get("/calendar.ics")
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.data == first.data
    assert b"DTSTAMP:20200101T000000Z" in again.data


def test_feed_is_sent_gzipped_when_asked_and_plain_otherwise(client, make_event):
    for number in range(30):
        make_event(title=f"压缩测试 {number}", updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    plain = client.get("/calendar.ics")
    packed = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) * 6 <= len(plain.data)
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    # Two representations, two strong validators; either one revalidates.
    assert packed.headers["ETag"] != plain.headers["ETag"]
    for etag in (plain.headers["ETag"], packed.headers["ETag"]):
        again = client.get(
            "/calendar.ics", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
        )
        assert again.status_code == 304
        assert again.headers["ETag"] == packed.headers["ETag"]
        assert "Accept-Encoding" in again.headers["Vary"]
    refused = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_gzip_is_compressed_once_and_kept_beside_the_plain_bytes(app, client, make_event):
    make_event(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    first = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
    with app.app_context():
        cache = feed_cache()
        ((key, (_version, entry, size)),) = cache._entries.items()
    assert entry.gzipped == first.data
    assert size == len(entry.body) + len(entry.gzipped)
    assert client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"}).data == first.data


def test_public_feed_does_not_vary_by_cookie_but_pages_do(
    client, db, make_event, make_user, sign_in
):
    make_event()
    # Made before the first poll: a new account is an audit entry, which moves the data's
    # time of change (the feed's DTSTAMP) when it lands in a later second.
    user = make_user()
    public = client.get("/calendar.ics")
    assert "Cookie" not in public.headers.get("Vary", "")
    assert public.headers["Cache-Control"] == "public, no-cache"
    assert "Cookie" in client.get("/").headers["Vary"]
    sign_in(user)
    signed_in = client.get("/calendar.ics")
    assert signed_in.data == public.data
    assert "Cookie" not in signed_in.headers.get("Vary", "")


ZONES_CHECKED_TO_2100 = (
    "Asia/Shanghai",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
)
ZONE_OFFSETS_SCRIPT = Path(__file__).parent / "js" / "zone_offsets.mjs"


def _instants_to_check(zone: ZoneInfo) -> list[datetime]:
    """Noon UTC on the 1st of every month of 1970–2100, and around every change of the zone's
    offset (found day by day, then to the half hour: these zones change on the hour or half
    hour): a second before and at the change, an hour and a second before and an hour after."""
    instants = [
        datetime(year, month, 1, 12, tzinfo=UTC)
        for year in range(1970, 2101)
        for month in range(1, 13)
    ]
    day = datetime(1970, 1, 1, tzinfo=UTC)
    while day.year <= 2100:
        following = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            moment = day
            while moment.astimezone(zone).utcoffset() == day.astimezone(zone).utcoffset():
                moment += timedelta(minutes=30)
            second, hour = timedelta(seconds=1), timedelta(hours=1)
            instants += [moment - second, moment, moment - hour - second, moment + hour]
        day = following
    return instants


def _icaljs_offsets(body: bytes, tzid: str, wall_times: list[datetime]) -> list[int]:
    """The UTC offsets (seconds) ical.js gives these wall times, from the feed's VTIMEZONE."""
    node = shutil.which("node")
    if node is None or not (Path(__file__).parent.parent / "node_modules" / "ical.js").is_dir():
        message = "ical.js is not installed: run `npm install` (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    request = {
        "calendar": body.decode(),
        "tzid": tzid,
        "times": [list(wall.timetuple()[:6]) for wall in wall_times],
    }
    completed = subprocess.run(  # noqa: S603
        [node, str(ZONE_OFFSETS_SCRIPT)],
        input=json.dumps(request).encode(),
        capture_output=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return json.loads(completed.stdout)


@pytest.mark.parametrize("tzid", ZONES_CHECKED_TO_2100)
def test_vtimezone_gives_zoneinfo_offsets_from_1970_to_2100(client, make_event, tzid):
    """Both icalendar (dateutil) and ical.js, reading only the VTIMEZONE, agree with zoneinfo
    at every change of offset and once a month, up to 2100: the zone's present rules are
    written as RRULEs, not as a list of dates that stops in 2037."""
    zone = ZoneInfo(tzid)
    make_event(timezone=tzid, starts_at=datetime(2040, 7, 1, 9, tzinfo=zone).astimezone(UTC))
    response, calendar, _parsed = get_feed(client, "/calendar.ics")
    (component,) = [z for z in calendar.walk("VTIMEZONE") if str(z["TZID"]) == tzid]
    instants = _instants_to_check(zone)
    expected = [moment.astimezone(zone).utcoffset() for moment in instants]
    from_component = component.to_tz(lookup_tzid=False)  # the definition, not the name
    assert [moment.astimezone(from_component).utcoffset() for moment in instants] == expected
    # ical.js answers for wall times; one that occurs twice (the hour repeated in autumn)
    # names no single instant, so those are asked of icalendar alone.
    walls = [moment.astimezone(zone) for moment in instants]
    single = [
        index
        for index, wall in enumerate(walls)
        if wall.replace(fold=1 - wall.fold).utcoffset() == wall.utcoffset()
    ]
    from_icaljs = _icaljs_offsets(response.data, tzid, [walls[index] for index in single])
    assert from_icaljs == [int(expected[index].total_seconds()) for index in single]
    if tzid != "Asia/Shanghai":
        assert component.walk("DAYLIGHT")[-1].get("RRULE")  # the rule, not dates to 2037
