"""One-time form tokens: each rendering of a form that creates or saves an event carries
one, and the saved event is recorded against it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, now_utc

if TYPE_CHECKING:
    from tracker.models.accounts import User
    from tracker.models.events import Event


class FormSubmission(Base):
    """A form token that was used, and the event its submission saved.

    The token is the primary key: a second submission of the same rendering (Back, a double
    click, two tabs) cannot insert it again, whatever the timing, and finds the event instead.
    """

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    event: Mapped[Event] = relationship()
    user: Mapped[Optional[User]] = relationship()
