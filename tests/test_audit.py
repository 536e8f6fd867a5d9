"""The audit trail: every create, edit, cancel and delete of an event is recorded with the
changed fields, and coordinators see the history on the event page."""

import pytest
from sqlalchemy import select

from tracker.models import AuditEntry


@pytest.fixture
def coordinator(make_user, make_organization, sign_in):
    user = make_user("wang", organization=make_organization(name="总工会"))
    sign_in(user)
    return user


def event_entries(db):
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "event").order_by(AuditEntry.id)
    ).all()


def post(client, csrf_token, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token("/events/new")})


BASE = {
    "title": "安康杯知识竞赛",
    "start_date": "2019-06-20",
    "start_time": "14:00",
    "end_time": "17:30",
    "timezone": "Asia/Shanghai",
    "status": "confirmed",
    "visibility": "public",
    "repeat_interval": "1",
    "repeat_monthly_by": "monthday",
}


def test_create_records_who_and_what(client, coordinator, csrf_token, db):
    organization_id = str(coordinator.organization_id)
    response = post(
        client,
        csrf_token,
        "/events/new",
        {
            **BASE,
            "organizations-0-organization": organization_id,
            "organizations-0-role": "host",
        },
    )
    assert response.status_code == 302
    (entry,) = event_entries(db)
    assert (entry.action, entry.user_id, entry.summary) == (
        "create",
        coordinator.id,
        "安康杯知识竞赛",
    )
    assert entry.changes["title"] == [None, "安康杯知识竞赛"]
    assert entry.changes["starts_at"] == [None, "2019-06-20 14:00"]
    assert entry.changes["organizations"] == [None, "主办：总工会"]


def test_edit_records_each_changed_field_from_old_to_new(
    client, coordinator, csrf_token, db, make_event, make_organization
):
    event = make_event(hosts=[coordinator.organization], title="旧标题")
    other = make_organization(name="安监局")
    response = post(
        client,
        csrf_token,
        f"/events/{event.id}/edit",
        {
            **BASE,
            "version": "1",
            "title": "新标题",
            "start_date": "2019-06-15",
            "start_time": "09:00",
            "end_time": "11:00",
            "reported_headcount": "120",
            "organizations-0-organization": str(coordinator.organization_id),
            "organizations-0-role": "host",
            "organizations-1-organization": str(other.id),
            "organizations-1-role": "host",
        },
    )
    assert response.status_code == 302
    (entry,) = event_entries(db)
    assert entry.action == "edit"
    assert entry.changes == {
        "title": ["旧标题", "新标题"],
        "reported_headcount": [None, 120],
        "organizations": ["主办：总工会", "主办：总工会；主办：安监局"],
    }


def test_event_page_shows_history_to_coordinators_only(
    client, coordinator, csrf_token, db, make_event
):
    event = make_event(hosts=[coordinator.organization], title="旧标题")
    post(
        client,
        csrf_token,
        f"/events/{event.id}/edit",
        {
            **BASE,
            "version": "1",
            "title": "新标题",
            "start_date": "2019-06-15",
            "start_time": "09:00",
            "end_time": "11:00",
            "organizations-0-organization": str(coordinator.organization_id),
            "organizations-0-role": "host",
        },
    )
    post(client, csrf_token, f"/events/{event.id}/cancel", {"confirmed": "yes"})
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "修改记录" in page
    history = page[page.index("修改记录") :]
    assert history.index("<strong>取消</strong>") < history.index("<strong>修改</strong>")
    assert "旧标题" in history and "新标题" in history and "wang" in history
    assert "已确认" in history and "已取消" in history
    client.post("/logout", data={"csrf_token": csrf_token("/logout")})
    anonymous_page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "新标题" in anonymous_page
    assert "修改记录" not in anonymous_page and "旧标题" not in anonymous_page


def test_cancel_and_delete_are_recorded(client, coordinator, csrf_token, db, make_event):
    event = make_event(hosts=[coordinator.organization], title="要删除的活动")
    post(client, csrf_token, f"/events/{event.id}/cancel", {"confirmed": "yes"})
    post(client, csrf_token, f"/events/{event.id}/delete", {"confirmed": "yes"})
    cancel, delete = event_entries(db)
    assert cancel.changes == {"status": ["confirmed", "cancelled"]}
    assert (delete.action, delete.entity_id, delete.summary) == ("delete", event.id, "要删除的活动")
    assert delete.changes["title"] == ["要删除的活动", None]


def test_refused_or_unchanged_saves_write_no_entry(client, coordinator, csrf_token, db, make_event):
    event = make_event(hosts=[coordinator.organization], title="测试活动")
    unchanged = {
        **BASE,
        "version": "1",
        "title": "测试活动",
        "start_date": "2019-06-15",
        "start_time": "09:00",
        "end_time": "11:00",
        "organizations-0-organization": str(coordinator.organization_id),
        "organizations-0-role": "host",
    }
    assert post(client, csrf_token, f"/events/{event.id}/edit", unchanged).status_code == 302
    invalid = {**unchanged, "end_time": "08:00", "title": "改了但无效"}
    assert post(client, csrf_token, f"/events/{event.id}/edit", invalid).status_code == 422
    assert event_entries(db) == []
