"""The database itself refuses rows that break the domain's rules."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from tracker.models import Event, EventOrganization, Participation, Stop


def test_end_before_start_is_rejected_by_the_database(db):
    start = datetime(2019, 6, 1, 2, tzinfo=UTC)
    db.session.add(Event(title="倒序", starts_at=start, ends_at=start - timedelta(hours=1)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_negative_headcount_is_rejected(db, make_event):
    event = make_event()
    event.reported_headcount = -5
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_same_organization_twice_in_same_role_is_rejected(db, make_event, make_organization):
    organization = make_organization()
    event = make_event(hosts=[organization])
    event.organization_links.append(
        EventOrganization(organization=organization, role="host", position=1)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_participation_needs_exactly_one_of_person_or_organization(
    db, make_event, make_person, make_organization
):
    event, person, organization = make_event(), make_person(), make_organization()
    event.participations.append(Participation(person=person, organization=organization, position=0))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_foreign_keys_are_enforced(db, make_event):
    event = make_event()
    event.category_id = 987654
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_naive_datetimes_are_refused(db):
    db.session.add(
        Event(title="无时区", starts_at=datetime(2019, 6, 1, 9), ends_at=datetime(2019, 6, 1, 10))
    )
    with pytest.raises(Exception, match="naive"):
        db.session.commit()
    db.session.rollback()


def test_times_come_back_aware_in_utc(db, make_event):
    event = make_event(starts_at=datetime(2019, 6, 15, 1, 30, tzinfo=UTC))
    db.session.expire_all()
    reloaded = db.session.get(Event, event.id)
    assert reloaded.starts_at == datetime(2019, 6, 15, 1, 30, tzinfo=UTC)
    assert reloaded.local_starts_at.hour == 9  # Asia/Shanghai


def test_visible_edit_raises_sequence_and_keeps_uid(db, make_event, make_location):
    event, location = make_event(), make_location()
    uid, sequence = event.uid, event.sequence
    event.title = "改名后的活动"
    db.session.commit()
    assert event.sequence == sequence + 1
    assert event.uid == uid

    event.stops.append(Stop(location=location, position=5))
    db.session.commit()
    assert event.sequence == sequence + 2


def test_weekly_recurrence_keeps_local_wall_time_and_open_series_has_no_end(db, make_event):
    event = make_event(
        starts_at=datetime(2019, 6, 3, 1, 0, tzinfo=UTC),  # Monday 09:00 in Shanghai
        recurrence_rule="FREQ=WEEKLY;BYDAY=MO",
    )
    assert event.series_ends_at is None
    found = event.occurrences_between(
        datetime(2019, 6, 1, tzinfo=UTC), datetime(2019, 7, 1, tzinfo=UTC)
    )
    assert [start.astimezone(event.zone).day for start, _ in found] == [3, 10, 17, 24]
    assert all(start.astimezone(event.zone).hour == 9 for start, _ in found)


def test_counted_recurrence_has_a_series_end(db, make_event):
    event = make_event(
        starts_at=datetime(2019, 6, 3, 1, 0, tzinfo=UTC),
        recurrence_rule="FREQ=MONTHLY;COUNT=3",
    )
    assert event.series_ends_at == datetime(2019, 8, 3, 3, 0, tzinfo=UTC)


def test_assigning_a_category_object_raises_sequence(db, make_event, make_category):
    event, category = make_event(), make_category()
    sequence = event.sequence
    event.category = category
    db.session.commit()
    assert event.sequence == sequence + 1


def test_recurrence_accepts_a_utc_until(db, make_event):
    event = make_event(
        starts_at=datetime(2019, 6, 3, 1, 0, tzinfo=UTC),  # Monday 09:00 in Shanghai
        recurrence_rule="FREQ=WEEKLY;UNTIL=20190617T010000Z",
    )
    assert event.series_ends_at == datetime(2019, 6, 17, 3, 0, tzinfo=UTC)
