"""What the import's fast paths write is what the one-at-a-time paths wrote: audit entries
by the importer (or nobody), and Python's cycle collector as it was before."""

import gc

import pytest
from sqlalchemy import func, select

from tests.test_feeds_import import FOREIGN
from tracker.feeds.importer import ImportRefused, import_calendar
from tracker.models import AuditEntry, Event, Location


def _entries(db, after: int = 0):
    statement = select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id)
    return db.session.scalars(statement).all()


def _last_id(db) -> int:
    return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def test_import_audit_entries_name_the_importer_the_events_and_the_new_places(db, make_user):
    user = make_user(role="admin")
    before = _last_id(db)
    result = import_calendar(FOREIGN.encode(), user)
    assert result.created == 2
    entries = _entries(db, before)
    place = db.session.scalar(select(Location))
    events = {event.id: event for event in db.session.scalars(select(Event))}
    assert [(entry.action, entry.entity_type) for entry in entries] == [
        ("create", "location"),
        ("create", "category"),
        ("import", "event"),
        ("import", "event"),
    ]
    assert {entry.user_id for entry in entries} == {user.id}
    assert entries[0].entity_id == place.id
    assert entries[0].changes == {"name": [None, place.name]}
    assert entries[0].summary == place.name
    assert entries[1].changes == {"name": [None, "安全生产"]}
    assert {entry.entity_id for entry in entries[2:]} == set(events)
    for entry in entries[2:]:
        assert entry.changes["title"] == [None, events[entry.entity_id].title]
        assert entry.summary == entries[2].summary != events[entry.entity_id].title
        assert entry.created_at is not None


def test_import_without_a_user_audits_nobody(db):
    before = _last_id(db)
    import_calendar(FOREIGN.encode(), None)
    entries = _entries(db, before)
    assert len(entries) == 4
    assert {entry.user_id for entry in entries} == {None}


def test_cycle_collector_is_as_it_was_after_an_import(db):
    assert gc.isenabled()
    import_calendar(FOREIGN.encode(), None)
    assert gc.isenabled()
    with pytest.raises(ImportRefused):
        import_calendar(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", None)
    assert gc.isenabled()
    gc.disable()
    try:
        import_calendar(FOREIGN.replace("weekly-1", "weekly-2").encode(), None)
        assert not gc.isenabled()
    finally:
        gc.enable()
