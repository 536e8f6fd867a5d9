"""Loading events for their ledger pages: the record's facts and the photos, in a fixed
number of queries whatever the number of events."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from tracker.auth.permissions import can_see_event_records, can_see_internal_notes
from tracker.events.queries import with_page_details
from tracker.extensions import db
from tracker.ledger.facts import LedgerPage, ledger_page
from tracker.models import Event, Organization, Participation, Person, Photo


def with_ledger_details(statement: Select) -> Select:
    """The event page's details and the organisation of every person (the sign-in list)."""
    return with_page_details(statement).options(
        selectinload(Event.participations)
        .selectinload(Participation.person)
        .selectinload(Person.organization)
    )


def photos_by_event(event_ids: list[int]) -> dict[int, list[Photo]]:
    """Each event's photos in order, in one query per thousand events."""
    found: dict[int, list[Photo]] = defaultdict(list)
    for start in range(0, len(event_ids), 1000):
        chunk = event_ids[start : start + 1000]
        for photo in db.session.scalars(
            select(Photo)
            .where(Photo.event_id.in_(chunk))
            .order_by(Photo.event_id, Photo.position, Photo.id)
        ):
            found[photo.event_id].append(photo)
    return found


def page_for(event: Event, photos: list[Photo], user) -> LedgerPage:
    """The event's page as this reader may see it: names of people and internal notes only
    for those allowed."""
    include_sign_in = can_see_event_records(user, event)
    if include_sign_in:
        _load_people_organizations(event)
    return ledger_page(
        event,
        photos,
        include_sign_in=include_sign_in,
        include_notes=can_see_internal_notes(user),
    )


def _load_people_organizations(event: Event) -> None:
    """The organisations of the event's people in one query, so that the sign-in list finds
    them in the session rather than loading each one."""
    wanted = {
        participation.person.organization_id
        for participation in event.participations
        if participation.person is not None and participation.person.organization_id is not None
    }
    if wanted:
        db.session.scalars(select(Organization).where(Organization.id.in_(wanted))).all()
