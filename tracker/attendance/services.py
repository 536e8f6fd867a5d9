"""Attendance writes: invitations, sign-ins (phone, by hand, accepted walk-ins), their
removal and the walk-in review. Each service owns its transaction and audits its change.

Audit texts name people by reference (人员#id), never by name, so erasing a person leaves
nothing to scrub; walk-ins are named by their own number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tracker.audit import record_audit
from tracker.db import now_utc
from tracker.directory.services import person_reference
from tracker.extensions import db
from tracker.models import (
    Event,
    EventInvitation,
    Organization,
    Participation,
    Person,
    User,
    WalkIn,
)

NAME_MAX = 100
ORGANIZATION_TEXT_MAX = 200


class AttendanceError(ValueError):
    """A user-facing reason why an attendance change was refused."""


def clock() -> float:
    """Seconds since the epoch; tests put their own clock in `app.extensions["checkin_clock"]`."""
    return current_app.extensions.get("checkin_clock", time.time)()


def now_from_clock() -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


# --- who is expected ----------------------------------------------------------------------


def invited_person_ids(event_id: int):
    """Select of the ids of everyone an event invites: people invited one by one and the
    people of invited organisations (UNION, so each once)."""
    invitations = EventInvitation.__table__
    people = Person.__table__
    single = select(invitations.c.person_id.label("person_id")).where(
        invitations.c.event_id == event_id, invitations.c.person_id.is_not(None)
    )
    by_organization = (
        select(people.c.id.label("person_id"))
        .join(invitations, invitations.c.organization_id == people.c.organization_id)
        .where(invitations.c.event_id == event_id)
    )
    return single.union(by_organization)


def invitees_select(event_id: int, only_missing: bool = False):
    """Select of the expected list, by name; `only_missing`: those not (yet) attended."""
    ids = invited_person_ids(event_id).subquery()
    statement = (
        select(Person)
        .where(Person.id.in_(select(ids.c.person_id)))
        .options(joinedload(Person.organization))
        .order_by(Person.name, Person.id)
    )
    if only_missing:
        statement = statement.where(~_attended(event_id, Person.id))
    return statement


def _attended(event_id: int, person_id):
    return (
        select(Participation.id)
        .where(
            Participation.event_id == event_id,
            Participation.person_id == person_id,
            Participation.attended.is_(True),
        )
        .exists()
    )


def invitees(event_id: int) -> list[Person]:
    """The expected list, by name."""
    return list(db.session.scalars(invitees_select(event_id)))


def attended_invitee_count(event_id: int) -> int:
    ids = invited_person_ids(event_id).subquery()
    return db.session.scalar(
        select(func.count()).select_from(ids).where(_attended(event_id, ids.c.person_id))
    )


def invitee_count(event_id: int) -> int:
    ids = invited_person_ids(event_id).subquery()
    return db.session.scalar(select(func.count()).select_from(ids))


def invitations_of(event_id: int) -> list[EventInvitation]:
    return list(
        db.session.scalars(
            select(EventInvitation)
            .where(EventInvitation.event_id == event_id)
            .order_by(EventInvitation.id)
        )
    )


def matching_invitees(event_id: int, typed_name: str, limit: int = 20) -> list[Person]:
    """Invitees whose name is exactly what the phone typed (spaces ignored)."""
    name = "".join(typed_name.split())
    if not name:
        return []
    ids = invited_person_ids(event_id).subquery()
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.id.in_(select(ids.c.person_id)), Person.name == name)
            .options(joinedload(Person.organization))
            .order_by(Person.id)
            .limit(limit)
        )
    )


def is_invited(event_id: int, person_id: int) -> bool:
    ids = invited_person_ids(event_id).subquery()
    return (
        db.session.scalar(select(func.count()).select_from(ids).where(ids.c.person_id == person_id))
        > 0
    )


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, 欧阳小明 → 欧**明: enough to recognise oneself, not to
    read the roster."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def phone_last_four(phone: Optional[str]) -> str:
    digits = "".join(char for char in phone or "" if char.isdigit())
    return digits[-4:]


# --- the sign-in window -------------------------------------------------------------------


def window_state(event: Event, now: datetime) -> str:
    """ "open" while an occurrence, widened by the configured margins, is on; else "early"
    (the next one is still to come) or "closed"."""
    config = current_app.config
    before = timedelta(minutes=config["CHECKIN_OPENS_MINUTES_BEFORE"])
    after = timedelta(minutes=config["CHECKIN_CLOSES_MINUTES_AFTER"])
    if event.is_cancelled:
        return "closed"
    if event.occurrences_between(now - after, now + before, limit=1):
        return "open"
    if event.occurrences_between(now, now + timedelta(days=3660), limit=1):
        return "early"
    return "closed"


# --- sign-ins -------------------------------------------------------------------------------


@dataclass
class SignInResult:
    signed_in_at: datetime
    already: bool


def _locked_event(event_id: int) -> Event:
    """The event, read again under a row lock on PostgreSQL: sign-ins to one event write its
    kept figures one after the other, each on the version the one before left."""
    return db.session.scalars(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def sign_in(
    event: Event,
    person: Person,
    source: str,
    now: datetime,
    user: Optional[User] = None,
) -> SignInResult:
    """Mark the person as signed in at `now`; a second sign-in changes nothing and says when
    the first one was."""
    event_id, title = event.id, event.title
    participation_id = _insert_participation(event_id, person.id, source, now)
    is_new = participation_id is not None
    if not is_new:
        participation = _participation(event_id, person.id)
        if participation.signed_in_at is not None:
            signed_in_at = participation.signed_in_at
            db.session.rollback()
            return SignInResult(signed_in_at, already=True)
        # A row typed in the event form: through the ORM, which keeps every figure.
        _locked_event(event_id)
        participation.attended = True
        participation.signed_in_at = now
        participation.sign_in_source = source
        db.session.flush()
        participation_id = participation.id
    record_audit(
        "check_in",
        # A stand-in never added to the session: the audit entry needs the type and id only.
        Participation(id=participation_id),
        summary=f"{person_reference(person.id)} · {title}",
        changes={"signed_in_at": [None, now.isoformat()], "source": [None, source]},
        user=user,
    )
    if is_new:
        db.session.flush()
        _count_new_sign_in(event_id)
    db.session.commit()
    return SignInResult(now, already=False)


def _participation(event_id: int, person_id: int) -> Participation:
    return db.session.scalars(
        select(Participation).where(
            Participation.event_id == event_id, Participation.person_id == person_id
        )
    ).one()


# A phone at the door is the common case, and hundreds come within minutes: a new sign-in is
# written in two statements instead of the ORM's flush, keeping the event's figures as the
# flush listener (tracker.events.tracking) would.


def _insert_participation(
    event_id: int, person_id: int, source: str, now: datetime
) -> Optional[int]:
    """Insert the attended participation of a sign-in; its id, or None when the person has a
    row already. Rows are numbered after the event's last one (two phones in the same instant
    may share a number, which only orders rows)."""
    participations = Participation.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    next_position = (
        select(func.coalesce(func.max(participations.c.position), -1) + 1)
        .where(participations.c.event_id == event_id)
        .scalar_subquery()
    )
    return db.session.execute(
        insert(participations)
        .values(
            event_id=event_id,
            person_id=person_id,
            role="participant",
            attended=True,
            position=next_position,
            signed_in_at=now,
            sign_in_source=source,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "person_id"])
        .returning(participations.c.id)
    ).scalar()


def _count_new_sign_in(event_id: int) -> None:
    """Count a new attended participation in the event's kept figures, as the transaction's
    last statement: the event's row lock is held only until the commit.

    A person's row shows in feeds only as the count of named participants, when neither a
    reported nor an organisation headcount is known: only then are SEQUENCE and LAST-MODIFIED
    raised. Involvements are unchanged: they come from roles and teams.
    """
    events = Event.__table__
    seen = events.c.headcount.is_(None) & events.c.organization_headcount.is_(None)
    db.session.execute(
        events.update()
        .where(events.c.id == event_id)
        .values(
            participation_count=events.c.participation_count + 1,
            attended_count=events.c.attended_count + 1,
            sequence=events.c.sequence + case((seen, 1), else_=0),
            updated_at=case((seen, now_utc()), else_=events.c.updated_at),
        )
    )


def remove_sign_in(participation: Participation, user: User) -> None:
    """Undo a sign-in made by mistake: a row made by signing in goes, one typed in the
    event form keeps its row and loses only the sign-in."""
    event = _locked_event(participation.event_id)
    participation = db.session.get(Participation, participation.id)
    before = participation.signed_in_at.isoformat() if participation.signed_in_at else None
    record_audit(
        "check_in_removed",
        participation,
        summary=f"{person_reference(participation.person_id)} · {event.title}",
        changes={"signed_in_at": [before, None]},
        user=user,
    )
    if participation.sign_in_source is not None and participation.hours is None:
        event.participations.remove(participation)
    else:
        participation.signed_in_at = None
        participation.sign_in_source = None
        participation.attended = False
    db.session.commit()


def signed_in_count(event_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Participation)
        .where(Participation.event_id == event_id, Participation.signed_in_at.is_not(None))
    )


def latest_sign_ins(event_id: int, limit: int) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(Participation.event_id == event_id, Participation.signed_in_at.is_not(None))
            .options(joinedload(Participation.person))
            .order_by(Participation.signed_in_at.desc(), Participation.id.desc())
            .limit(limit)
        )
    )


# --- walk-ins -------------------------------------------------------------------------------


def record_walk_in(event: Event, name: str, organization_text: str, last_four: str) -> WalkIn:
    """Somebody not on the list: kept for the coordinator's review."""
    walk_in = WalkIn(
        event_id=event.id,
        name=name,
        organization_text=organization_text,
        phone_last_four=last_four or None,
        status="pending",
    )
    db.session.add(walk_in)
    db.session.flush()
    record_audit("walk_in", walk_in, summary=f"现场登记#{walk_in.id} · {event.title}")
    db.session.commit()
    return walk_in


def pending_walk_in_count(event_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(WalkIn)
        .where(WalkIn.event_id == event_id, WalkIn.status == "pending")
    )


def decide_walk_in(
    walk_in: WalkIn, accept: bool, user: User, organization: Optional[Organization] = None
) -> None:
    """Accept (the walk-in becomes a person of `organization`, signed in at the time they
    came) or reject a walk-in; decided ones stay decided."""
    if walk_in.status != "pending":
        raise AttendanceError("这条现场登记已经处理过了。")
    walk_in.status = "accepted" if accept else "rejected"
    walk_in.decided_at = now_from_clock()
    walk_in.decided_by_id = user.id
    record_audit(
        "walk_in_accepted" if accept else "walk_in_rejected",
        walk_in,
        summary=f"现场登记#{walk_in.id}",
        user=user,
    )
    if not accept:
        db.session.commit()
        return
    person = Person(name=walk_in.name, organization=organization)
    db.session.add(person)
    db.session.flush()
    walk_in.person_id = person.id
    record_audit("create", person, changes={"name": [None, person.name]}, user=user)
    sign_in(walk_in.event, person, "walk_in", walk_in.created_at, user=user)


# --- invitations ----------------------------------------------------------------------------


def invite(event: Event, user: User, *, organization=None, person=None) -> bool:
    """Invite an organisation (all its people) or one person; False when already invited."""
    invitation = EventInvitation(event_id=event.id, organization=organization, person=person)
    db.session.add(invitation)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    invited = organization.name if organization is not None else person_reference(person.id)
    record_audit("invite", invitation, summary=f"{invited} · {event.title}", user=user)
    db.session.commit()
    return True


def remove_invitation(invitation: EventInvitation, user: User) -> None:
    invited = (
        invitation.organization.name
        if invitation.organization is not None
        else person_reference(invitation.person_id)
    )
    record_audit("uninvite", invitation, summary=f"{invited} · {invitation.event.title}", user=user)
    db.session.delete(invitation)
    db.session.commit()
