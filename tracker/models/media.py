"""An event's photos and attachments. Their files live in the file store under content
addresses (`tracker.media.storage`); the rows say which event uses which file.

Neither has a visibility of its own: they follow their event's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, now_utc
from tracker.models.directory import _in

if TYPE_CHECKING:
    from tracker.models.events import Event

# What a stored photo is written as (every upload is decoded and written again).
PHOTO_MEDIA_TYPES = ("image/jpeg", "image/png")
# Attachment kinds, told by content: PDF, Office Open XML, OpenDocument, old Office files.
ATTACHMENT_KINDS = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "ole")
# A file's content address: the SHA-256 of its bytes in hex.
FILE_KEY_LENGTH = 64


class Photo(Base):
    """A captioned photo of an event, in the order the coordinator gave."""

    __tablename__ = "event_photos"
    __table_args__ = (
        UniqueConstraint("event_id", "position", name="uq_event_photos_event_position"),
        UniqueConstraint("event_id", "file_key", name="uq_event_photos_event_file"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
        CheckConstraint(_in("media_type", PHOTO_MEDIA_TYPES), name="media_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the table's unique keys.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    caption: Mapped[Optional[str]] = mapped_column(String(300))
    file_key: Mapped[str] = mapped_column(String(FILE_KEY_LENGTH), index=True)
    thumbnail_key: Mapped[str] = mapped_column(String(FILE_KEY_LENGTH), index=True)
    media_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship()

    @property
    def extension(self) -> str:
        return "png" if self.media_type == "image/png" else "jpg"


class Attachment(Base):
    """A document of an event (minutes, a scanned sign-in sheet), typed by its content."""

    __tablename__ = "event_attachments"
    __table_args__ = (
        UniqueConstraint("event_id", "position", name="uq_event_attachments_event_position"),
        UniqueConstraint("event_id", "file_key", name="uq_event_attachments_event_file"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("byte_size >= 0", name="size_not_negative"),
        CheckConstraint(_in("kind", ATTACHMENT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    file_key: Mapped[str] = mapped_column(String(FILE_KEY_LENGTH), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    byte_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship()
