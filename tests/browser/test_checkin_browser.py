"""Signing in on a 390 px phone: scan → type name → pick self → signed in; a second scan; an
expired code; a walk-in going to review. Plain HTML: no script on the phone's page."""

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.attendance import tokens
from tracker.db import now_utc
from tracker.models import EventInvitation, WalkIn

SECRET = "browser-test-secret-key"  # the live server's (tests/browser/conftest.py)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def invited_meeting(db, make_organization, make_person, make_event):
    office = make_organization(name="高新区安全生产监督管理局", short_name="安监局")
    make_person(name="张三明", organization=office, phone="13800001111")
    event = make_event(title="安全生产月启动会", starts_at=now_utc() - timedelta(minutes=10))
    db.session.add(EventInvitation(event_id=event.id, organization_id=office.id))
    db.session.commit()
    return event


def _code(event, periods_ago=0):
    period = tokens.period_at(time.time(), 30) - periods_ago
    return tokens.make_token(SECRET, event.id, period)


def _fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_phone_signs_in_then_scans_again_and_an_old_code_has_expired(page, invited_meeting):
    page.set_viewport_size(PHONE)
    code = _code(invited_meeting)
    page.goto(f"/checkin/{code}")
    assert page.locator("h1").inner_text() == "安全生产月启动会"
    assert page.locator("script").count() == 0
    page.fill("#name", "张三明")
    page.click("button:has-text('下一步')")
    page.check("label:has-text('张*明 · 安监局') input")
    assert _fits_the_phone(page)
    page.click("button:has-text('签到')")
    answer = page.locator(".phone-answer").inner_text()
    assert answer.startswith("已签到 ")
    signed_at = answer.removeprefix("已签到 ")

    page.goto(f"/checkin/{code}")
    page.fill("#name", "张三明")
    page.click("button:has-text('下一步')")
    page.click("button:has-text('签到')")
    assert page.locator(".phone-answer").inner_text() == f"您已于 {signed_at} 签到"

    page.goto(f"/checkin/{_code(invited_meeting, periods_ago=2)}")
    assert page.locator(".phone-answer").inner_text() == "二维码已过期，请扫描屏幕上的新二维码"
    assert page.locator("#name").count() == 0


def test_a_walk_in_goes_to_the_review_list(page, db, invited_meeting):
    page.set_viewport_size(PHONE)
    page.goto(f"/checkin/{_code(invited_meeting)}")
    page.fill("#name", "陈新")
    page.click("button:has-text('下一步')")
    assert page.locator("#name").input_value() == "陈新"
    page.fill("#organization", "金峰学校")
    assert _fits_the_phone(page)
    page.click("button:has-text('提交登记')")
    assert "工作人员确认" in page.locator(".phone-answer").inner_text()
    db.session.expire_all()
    walk_in = db.session.scalar(select(WalkIn))
    assert (walk_in.name, walk_in.organization_text, walk_in.status) == (
        "陈新",
        "金峰学校",
        "pending",
    )


def test_the_screen_updates_its_count_without_a_reload(signed_in_page, db, make_event, make_person):
    from tracker.models import Organization

    page = signed_in_page
    union = db.session.scalar(select(Organization).where(Organization.name == "总工会"))
    event = make_event(
        title="职工安全知识讲座", hosts=[union], starts_at=now_utc() - timedelta(minutes=5)
    )
    member = make_person(name="刘强", organization=union)
    db.session.add(EventInvitation(event_id=event.id, organization_id=union.id))
    db.session.commit()
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"/events/{event.id}/checkin")
    assert page.locator("#checkin-qr svg").is_visible()
    assert page.locator("#checkin-count").inner_text() == "0"

    from tracker.attendance.services import sign_in

    sign_in(event, member, "qr", now_utc())
    expect(page.locator("#checkin-count")).to_have_text("1", timeout=8000)  # polled every 2 s
    assert page.locator("#checkin-latest li").inner_text().startswith("刘*")
    assert not errors
