"""Erasing a person: the placeholder replaces name and contact details, participations stay for
the statistics, the audit trail forgets the name and from now on keeps people by id."""

import json

import pytest
from sqlalchemy import select

from tests.test_event_forms import event_form
from tracker.events.services import change_lines
from tracker.models import AuditEntry, Participation, Person


@pytest.fixture
def admin(make_user, sign_in):
    user = make_user("admin", role="admin")
    sign_in(user)
    return user


@pytest.fixture
def erasable(db, make_organization, make_person, make_event):
    """A person named in an event and in audit entries written the old way (names in text)."""
    organization = make_organization(name="金鼎社区")
    person = make_person(
        name="陈小明", organization=organization, phone="13800000002", email="chen@example.cn"
    )
    event = make_event(title="读书分享会", hosts=[organization], people=[person])
    old_texts = [
        AuditEntry(
            entity_type="event",
            entity_id=event.id,
            action="delete",
            summary="旧活动",
            changes={"title": ["旧活动", None], "participants": ["陈小明；李四（志愿者）", None]},
        ),
        AuditEntry(
            entity_type="person",
            entity_id=person.id,
            action="create",
            summary="陈小明",
            changes={"name": [None, "陈小明"], "phone": [None, "13800000002"]},
        ),
    ]
    db.session.add_all(old_texts)
    db.session.commit()
    return person, event


def _audit_text(db) -> str:
    entries = db.session.scalars(select(AuditEntry)).all()
    return json.dumps([(entry.summary, entry.changes) for entry in entries], ensure_ascii=False)


def test_admin_erases_a_person_from_the_person_page(client, db, admin, erasable, csrf_token):
    person, event = erasable
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert f"/people/{person.id}/erase" in page
    token = csrf_token(f"/people/{person.id}")
    confirm = client.post(f"/people/{person.id}/erase", data={"csrf_token": token})
    assert confirm.status_code == 200 and "陈小明" in confirm.text
    assert db.session.get(Person, person.id).name == "陈小明"  # not before confirming

    response = client.post(
        f"/people/{person.id}/erase", data={"csrf_token": token, "confirmed": "yes"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    erased = db.session.get(Person, person.id)
    assert erased.name == f"已删除人员 #{person.id}"
    assert (erased.phone, erased.email, erased.title, erased.is_party_member) == (
        None,
        None,
        None,
        False,
    )
    assert db.session.scalar(select(Participation).where(Participation.event_id == event.id))
    text = _audit_text(db)
    assert "陈小明" not in text and "13800000002" not in text
    assert f"人员#{person.id}；李四（志愿者）" in text
    erase_entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "erase"))
    assert erase_entry.entity_id == person.id and erase_entry.user.username == "admin"
    event_page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"已删除人员 #{person.id}" in event_page and "陈小明" not in event_page


def test_statistics_keep_their_totals_after_an_erasure(client, db, admin, erasable, runner):
    before = client.get("/stats/export.csv").get_data(as_text=True)
    person, _event = erasable
    result = runner.invoke(args=["person", "erase", str(person.id), "--yes"])
    assert result.exit_code == 0, result.output
    after = client.get("/stats/export.csv").get_data(as_text=True)
    assert after.replace(f"已删除人员 #{person.id}", "陈小明") == before


def test_person_erase_command_erases_and_refuses_unknown_ids(db, runner, erasable):
    person, _event = erasable
    assert runner.invoke(args=["person", "erase", "999", "--yes"]).exit_code != 0
    result = runner.invoke(args=["person", "erase", str(person.id), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Person, person.id).name == f"已删除人员 #{person.id}"
    assert "陈小明" not in _audit_text(db)


def test_only_admins_erase(client, db, make_user, sign_in, erasable, csrf_token):
    person, _event = erasable
    sign_in(make_user(organization=person.organization))
    assert f"/people/{person.id}/erase" not in client.get(f"/people/{person.id}").text
    token = csrf_token(f"/people/{person.id}")
    response = client.post(
        f"/people/{person.id}/erase", data={"csrf_token": token, "confirmed": "yes"}
    )
    assert response.status_code == 403
    assert client.get(f"/people/{person.id}/erase").status_code == 405


def test_event_history_keeps_people_by_id_and_shows_their_current_names(
    client, db, make_user, sign_in, make_person, make_organization, csrf_token
):
    organization = make_organization(name="金鼎社区")
    person = make_person(name="陈小明", organization=organization)
    sign_in(make_user("admin", role="admin"))
    token = csrf_token("/events/new")
    response = client.post(
        "/events/new",
        data=event_form(
            csrf_token=token,
            **{
                "participants-0-person": str(person.id),
                "participants-0-role": "speaker",
                "participants-0-attended": "y",
            },
        ),
    )
    assert response.status_code == 302, response.text[:2000]
    assert "陈小明" not in _audit_text(db)
    assert f"人员#{person.id}" in _audit_text(db)
    # The history shows the person's name of today (and an erased person's placeholder).
    line = change_lines({"participants": [None, f"人员#{person.id} 2小时"]})[0]
    assert line.new == "陈小明 2小时"
    event_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    token = csrf_token(f"/events/{event_id}/delete")
    client.post(f"/events/{event_id}/delete", data={"csrf_token": token, "confirmed": "yes"})
    assert "陈小明" not in _audit_text(db)
