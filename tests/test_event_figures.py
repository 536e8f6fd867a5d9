"""The figures kept for the statistics stay equal to a recount of the children: per-event
figures on the events table, and one organisation involvement per (event, organisation)."""

from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from tests.test_event_forms import edit_form_data, event_form
from tracker.demo import load_demo_data
from tracker.models import Event, EventOrganization, OrganizationInvolvement, Participation
from tracker.models.events import (
    CO_ORGANIZED_ROLES,
    HOSTED_ROLES,
    TOOK_PART_ROLES,
    recount_all_event_figures,
)


def recount(event: Event) -> tuple:
    """(named people, attended people, their hours, organisations' headcount, organisations
    taking part) counted in Python: teams are organisations, never people."""
    people = [p for p in event.participations if p.person_id is not None]
    attended = [p for p in people if p.attended]
    hours = [p.hours for p in attended if p.hours is not None]
    headcounts = [link.headcount for link in event.organization_links if link.headcount is not None]
    taking_part = 0
    for role in ("participant", "exhibitor", "team", "village"):
        named = {link.organization_id for link in event.organization_links if link.role == role}
        if role == "team":
            named |= {p.organization_id for p in event.participations if p.organization_id}
        taking_part += max(getattr(event, f"{role}_total") or 0, len(named))
    return (
        len(people),
        len(attended),
        sum(hours, Decimal("0")) if hours else None,
        sum(headcounts) if headcounts else None,
        taking_part,
    )


def kept(event: Event) -> tuple:
    hours = event.attended_hours
    return (
        event.participation_count,
        event.attended_count,
        None if hours is None else Decimal(hours).quantize(Decimal("0.01")),
        event.organization_headcount,
        event.organization_count,
    )


def recount_involvements(events) -> dict:
    """{(event, organisation): (hosted, co-organised, took part)} from roles and teams."""
    flags: dict = {}

    def mark(event, organization_id, hosted=False, co_organized=False, took_part=False):
        old = flags.get((event.id, organization_id), (False, False, False))
        flags[(event.id, organization_id)] = (
            old[0] or hosted,
            old[1] or co_organized,
            old[2] or took_part,
        )

    for event in events:
        for link in event.organization_links:
            mark(
                event,
                link.organization_id,
                hosted=link.role in HOSTED_ROLES,
                co_organized=link.role in CO_ORGANIZED_ROLES,
                took_part=link.role in TOOK_PART_ROLES,
            )
        for participation in event.participations:
            if participation.organization_id is not None and participation.attended:
                mark(event, participation.organization_id, took_part=True)
    return flags


def kept_involvements(db) -> dict:
    return {
        (row.event_id, row.organization_id): (row.hosted, row.co_organized, row.took_part)
        for row in db.session.scalars(select(OrganizationInvolvement))
    }


def assert_every_event_agrees(db) -> None:
    db.session.expire_all()
    events = db.session.scalars(select(Event)).all()
    assert events
    for event in events:
        assert kept(event) == recount(event), event.title
    assert kept_involvements(db) == recount_involvements(events)


def test_new_event_counts_its_children(db, make_event, make_person, make_organization):
    people = [make_person() for _ in range(3)]
    event = make_event(hosts=[make_organization()], people=people)
    event.participations[0].attended = False
    event.participations[1].hours = Decimal("2.5")
    event.organization_links[0].headcount = 40
    db.session.commit()

    assert_every_event_agrees(db)
    assert kept(db.session.get(Event, event.id)) == (3, 2, Decimal("2.50"), 40, 0)


def test_event_without_children_has_zero_counts_and_unknown_sums(db, make_event):
    event = make_event()

    db.session.expire_all()
    assert kept(db.session.get(Event, event.id)) == (0, 0, None, None, 0)


def test_adding_editing_and_removing_children(db, make_event, make_person, make_organization):
    first, second = make_organization(), make_organization()
    event = make_event(hosts=[first], people=[make_person(), make_person()])
    # Added through the child's own relationship, not the event's collection.
    team = Participation(event=event, organization=second, attended=True, hours=Decimal("1.25"))
    db.session.add(team)
    db.session.add(
        EventOrganization(event=event, organization=second, role="team", headcount=7, position=1)
    )
    db.session.commit()
    assert_every_event_agrees(db)
    assert kept(event) == (2, 2, None, 7, 1)  # the team is an organisation

    people = [p for p in event.participations if p is not team]
    people[0].hours = Decimal("3")
    event.organization_links[0].headcount = 5
    db.session.commit()
    assert_every_event_agrees(db)
    assert kept(event) == (2, 2, Decimal("3.00"), 12, 1)

    event.participations.remove(team)  # an orphan, deleted by the cascade
    db.session.delete(event.organization_links[1])  # deleted directly, still in the list
    db.session.commit()
    assert_every_event_agrees(db)
    assert kept(event) == (2, 2, Decimal("3.00"), 5, 0)

    people[0].attended = False
    event.organization_links[0].headcount = None
    db.session.commit()
    assert_every_event_agrees(db)
    assert kept(event) == (2, 1, None, None, 0)


def test_moving_a_participation_to_another_event(db, make_event, make_person):
    person = make_person()
    first = make_event(title="甲", people=[person])
    second = make_event(title="乙")
    first.participations[0].event = second
    db.session.commit()

    assert_every_event_agrees(db)
    assert (kept(first)[0], kept(second)[0]) == (0, 1)


def test_deleting_an_event_leaves_the_others_right(db, make_event, make_person):
    person = make_person()
    doomed = make_event(title="删除", people=[person])
    make_event(title="保留", people=[person])
    db.session.delete(doomed)
    db.session.commit()

    assert_every_event_agrees(db)


def test_demo_data_figures_agree(db):
    load_demo_data()

    assert_every_event_agrees(db)


def test_edit_form_keeps_the_figures(
    client, make_user, make_organization, sign_in, csrf_token, db, make_person
):
    union = make_organization(name="总工会", kind="social")
    sign_in(make_user("union", organization=union))
    person = make_person()

    def post(data, path):
        return client.post(path, data={**data, "csrf_token": csrf_token(path)})

    response = post(
        event_form(
            **{
                "organizations-0-organization": str(union.id),
                "organizations-0-role": "host",
                "organizations-0-headcount": "12",
                "participants-0-person": str(person.id),
                "participants-0-attended": "y",
                "participants-0-hours": "2.5",
            }
        ),
        "/events/new",
    )
    assert response.status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert_every_event_agrees(db)
    assert kept(event) == (1, 1, Decimal("2.50"), 12, 0)

    data = edit_form_data(client, event)
    data.pop("participants-0-attended")
    data["organizations-0-headcount"] = ""
    assert post(data, f"/events/{event.id}/edit").status_code == 302
    assert_every_event_agrees(db)
    assert kept(db.session.get(Event, event.id)) == (1, 0, None, None, 0)


def test_import_keeps_the_figures(client, db, runner, tmp_path, make_event, make_organization):
    make_event(title="导出", hosts=[make_organization()])
    path = tmp_path / "export.ics"
    path.write_bytes(client.get("/calendar.ics").data)
    for event in db.session.scalars(select(Event)):
        db.session.delete(event)
    db.session.commit()

    result = runner.invoke(args=["ics", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert_every_event_agrees(db)


def test_recount_of_all_events_matches_the_kept_figures(
    db, make_event, make_person, make_organization
):
    event = make_event(people=[make_person(), make_person()], hosts=[make_organization()])
    other = make_event(people=[make_person()])  # each event counts its own rows only
    db.session.execute(update(Event).values(participation_count=0, attended_count=0))
    db.session.execute(delete(OrganizationInvolvement))
    db.session.commit()
    recount_all_event_figures(db.session.connection())
    db.session.commit()
    db.session.refresh(event)
    db.session.refresh(other)
    assert (event.participation_count, event.attended_count) == (2, 2)
    assert (other.participation_count, other.attended_count) == (1, 1)
    assert_every_event_agrees(db)
    assert len(kept_involvements(db)) == 1


def test_involvements_follow_roles_and_attended_teams(db, make_event, make_organization):
    both, team_only, guest = (make_organization() for _ in range(3))
    event = make_event(hosts=[both])
    event.organization_links.append(EventOrganization(organization=both, role="organizer"))
    event.participations.append(Participation(organization=team_only, attended=True))
    event.organization_links.append(EventOrganization(organization=guest, role="participant"))
    db.session.commit()
    assert_every_event_agrees(db)
    assert kept_involvements(db) == {
        (event.id, both.id): (True, True, False),
        (event.id, team_only.id): (False, False, True),
        (event.id, guest.id): (False, False, True),
    }

    event.participations[0].attended = False  # a team that did not come is not involved
    event.organization_links[-1].role = "co_organizer"
    db.session.commit()
    assert_every_event_agrees(db)
    assert kept_involvements(db) == {
        (event.id, both.id): (True, True, False),
        (event.id, guest.id): (False, True, False),
    }

    db.session.delete(event)
    db.session.commit()
    assert kept_involvements(db) == {}


def test_a_person_takes_part_once_per_activity(db, make_event, make_person):
    person = make_person()
    event = make_event(people=[person])
    event.participations.append(Participation(person=person, role="volunteer"))

    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_failed_flush_leaves_nothing_for_the_next_one(
    db, make_event, make_person, make_organization
):
    """The events a flush would refresh belong to that flush: after it fails and is rolled
    back, a later flush does not reach for them (one may be gone by then)."""
    person = make_person()
    kept_event = make_event(title="保留", people=[person])
    doomed = make_event(title="删除", hosts=[make_organization()])
    kept_event.participations.append(Participation(person=person, role="volunteer"))
    doomed.title = "改名"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    with db.engine.begin() as connection:  # another worker deletes it meanwhile
        connection.execute(delete(Event).where(Event.id == doomed.id))
    db.session.expire_all()

    db.session.get(Event, kept_event.id).title = "再改"
    db.session.commit()

    assert_every_event_agrees(db)
