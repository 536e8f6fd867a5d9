"""Exceptions of a recurring series (RFC 5545 §3.8.4.4, §3.8.5.1–2): a skipped date (EXDATE),
an added date (RDATE), and a change of one occurrence (an override with RECURRENCE-ID):
moved, retitled, somewhere else, with a note, or cancelled.

One row per occurrence, keyed by the event and the occurrence's original start in UTC (the
RECURRENCE-ID; an added occurrence's own start). Expansion (`Event.occurrence_slots`), feeds,
pages and statistics read these rows; writes go through tracker.events.exceptions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime
from tracker.models.directory import _in

if TYPE_CHECKING:
    from tracker.models.events import Event

SKIPPED, ADDED, CHANGED = "skipped", "added", "changed"
OCCURRENCE_CHANGE_KINDS = (SKIPPED, ADDED, CHANGED)


class OccurrenceChange(Base):
    """One occurrence of a series skipped, added or changed."""

    __tablename__ = "event_occurrence_changes"
    __table_args__ = (
        UniqueConstraint("event_id", "original_starts_at", name="uq_event_occurrence_changes_key"),
        CheckConstraint(_in("kind", OCCURRENCE_CHANGE_KINDS), name="kind"),
        CheckConstraint(
            "kind = 'skipped' OR (starts_at IS NOT NULL AND ends_at IS NOT NULL"
            " AND ends_at >= starts_at)",
            name="times_of_held_occurrence",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the table's unique key.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The occurrence's start as the rule gives it (RECURRENCE-ID, EXDATE); an added one's start.
    original_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(10))
    # Where a changed or added occurrence now lies; NULL for a skipped one.
    starts_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    ends_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # A changed occurrence's own title and place (free text), when they differ from the series.
    title: Mapped[Optional[str]] = mapped_column(String(200))
    location: Mapped[Optional[str]] = mapped_column(String(300))
    # Internal, like the event's notes: on the page for coordinators, never in a feed.
    note: Mapped[Optional[str]] = mapped_column(String(300))
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    event: Mapped[Event] = relationship(back_populates="occurrence_changes")

    @property
    def is_held(self) -> bool:
        """Whether the occurrence takes place (not skipped, not cancelled)."""
        return self.kind != SKIPPED and not self.is_cancelled

    def __repr__(self) -> str:
        return f"<OccurrenceChange {self.event_id} {self.original_starts_at} {self.kind}>"


class OccurrenceSlot:
    """One occurrence of an event as pages, feeds and statistics see it: where it lies, its
    original start (the key of its change), and the change that applies, if any."""

    __slots__ = ("starts_at", "ends_at", "original_starts_at", "change")

    def __init__(
        self,
        starts_at: datetime,
        ends_at: datetime,
        original_starts_at: datetime,
        change: Optional[OccurrenceChange] = None,
    ):
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.original_starts_at = original_starts_at
        self.change = change

    @property
    def is_cancelled(self) -> bool:
        return self.change is not None and self.change.is_cancelled

    @property
    def is_added(self) -> bool:
        return self.change is not None and self.change.kind == ADDED

    @property
    def is_changed(self) -> bool:
        return self.change is not None and self.change.kind == CHANGED

    @property
    def title(self) -> Optional[str]:
        """The occurrence's own title, when it has one."""
        return self.change.title if self.change is not None else None

    def overlaps(self, window_start: datetime, window_end: datetime) -> bool:
        """Within [window_start, window_end), a zero-length occurrence at its start included."""
        return self.starts_at < window_end and (
            self.ends_at > window_start or self.starts_at >= window_start
        )
