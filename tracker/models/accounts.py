"""Coordinator accounts, private feed tokens and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker import labels
from tracker.db import Base, UTCDateTime, now_utc
from tracker.models.directory import Organization, _in

USER_ROLES = tuple(labels.USER_ROLE_LABELS)


class User(UserMixin, Base):
    """A coordinator or admin who signs in to record activities."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", USER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="coordinator")
    organization_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised whenever every session of the account must end (sign-out, password, role,
    # organisation or state change); a session signed in under an older value is refused.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    organization: Mapped[Optional[Organization]] = relationship(back_populates="users")
    feed_tokens: Mapped[list[FeedToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="FeedToken.created_at"
    )

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: account id and session generation."""
        return f"{self.id}:{self.session_generation}"

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class FeedToken(Base):
    """A revocable secret for a private feed; only its SHA-256 hash is stored."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="feed_tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class AuditEntry(Base):
    """Who changed what, when; survives the deletion of what it describes."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(20))
    summary: Mapped[Optional[str]] = mapped_column(String(300))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    user: Mapped[Optional[User]] = relationship()
