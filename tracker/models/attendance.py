"""Attendance: who an event invites, walk-ins waiting for review, and the counters that
throttle the phones' sign-in page. Sign-ins themselves are participations (`signed_in_at`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, now_utc
from tracker.models.directory import _in

if TYPE_CHECKING:
    from tracker.models.accounts import User
    from tracker.models.directory import Organization, Person
    from tracker.models.events import Event

WALK_IN_STATUSES = ("pending", "accepted", "rejected")
# How a participation was signed in: the phone page, by a coordinator's hand, an accepted
# walk-in.
SIGN_IN_SOURCES = ("qr", "manual", "walk_in")


class EventInvitation(Base):
    """An organisation (all its people) or a single person invited to an event."""

    __tablename__ = "event_invitations"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (organization_id IS NULL)", name="person_or_organization"
        ),
        UniqueConstraint("event_id", "organization_id", name="uq_event_invitations_organization"),
        Index("uq_event_invitations_person", "event_id", "person_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    organization_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    event: Mapped[Event] = relationship()
    organization: Mapped[Optional[Organization]] = relationship()
    person: Mapped[Optional[Person]] = relationship()


class WalkIn(Base):
    """Somebody not on the invite list who signed in on their phone: waits for a
    coordinator, never enters the directory by itself."""

    __tablename__ = "walk_ins"
    __table_args__ = (
        CheckConstraint(_in("status", WALK_IN_STATUSES), name="status"),
        Index("ix_walk_ins_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    organization_text: Mapped[str] = mapped_column(String(200))
    phone_last_four: Mapped[Optional[str]] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The directory entry an accepted walk-in became.
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    decided_by: Mapped[Optional[User]] = relationship()
    person: Mapped[Optional[Person]] = relationship()


class CheckInThrottle(Base):
    """Attempts on the phones' sign-in page per key (an address, an event) and minute.

    Counted by single INSERT … ON CONFLICT DO UPDATE statements, so every worker process
    sees the same figures and parallel attempts are counted one after the other."""

    __tablename__ = "check_in_throttles"
    __table_args__ = (UniqueConstraint("key", "window_start", name="uq_check_in_throttles_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
