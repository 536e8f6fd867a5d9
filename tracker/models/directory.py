"""Who and where: organisations, people, locations, categories and campaigns."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker import labels
from tracker.db import Base, UTCDateTime, now_utc

if TYPE_CHECKING:
    from tracker.models.accounts import User
    from tracker.models.events import Event, EventOrganization, Participation

ORGANIZATION_KINDS = tuple(labels.ORGANIZATION_KIND_LABELS)


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL text of `column IN (...)` for a check constraint."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Organization(Base):
    """A party committee, branch, community, department, enterprise, school…"""

    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(_in("kind", ORGANIZATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[Optional[str]] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    parent: Mapped[Optional[Organization]] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list[Organization]] = relationship(
        back_populates="parent", order_by="Organization.name"
    )
    people: Mapped[list[Person]] = relationship(back_populates="organization")
    event_links: Mapped[list[EventOrganization]] = relationship(back_populates="organization")
    participations: Mapped[list[Participation]] = relationship(back_populates="organization")
    users: Mapped[list[User]] = relationship(back_populates="organization")

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class Person(Base):
    """Somebody who takes part. Personal data: shown to signed-in coordinators only."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[Optional[str]] = mapped_column(String(100))
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    email: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    organization: Mapped[Optional[Organization]] = relationship(back_populates="people")
    participations: Mapped[list[Participation]] = relationship(back_populates="person")

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


class Location(Base):
    """A place where an activity happens or an itinerary stops."""

    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_together"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[Optional[str]] = mapped_column(String(300))
    city: Mapped[Optional[str]] = mapped_column(String(60))
    latitude: Mapped[Optional[float]] = mapped_column(Float)
    longitude: Mapped[Optional[float]] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def full_name(self) -> str:
        """Name with city, as a calendar LOCATION or a page line shows it."""
        if self.city and self.city not in self.name:
            return f"{self.name}（{self.city}）"
        return self.name

    def __repr__(self) -> str:
        return f"<Location {self.name}>"


class Category(Base):
    """Kind of activity: 主题党日, 安全生产, 知识竞赛…"""

    __tablename__ = "categories"
    __table_args__ = (CheckConstraint("color LIKE '#______'", name="color_hex"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))
    color: Mapped[str] = mapped_column(String(7), default="#3b6ea5")

    events: Mapped[list[Event]] = relationship(back_populates="category")

    def name_for(self, locale: str) -> str:
        """The name in the given UI language."""
        return self.name_en if locale.startswith("en") else self.name_zh

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Campaign(Base):
    """A named series of activities with a theme and a period (安全生产月 2019)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR ends_on >= starts_on", name="period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    theme: Mapped[Optional[str]] = mapped_column(String(200))
    starts_on: Mapped[Optional[date]] = mapped_column(Date)
    ends_on: Mapped[Optional[date]] = mapped_column(Date)
    description: Mapped[Optional[str]] = mapped_column(Text)

    events: Mapped[list[Event]] = relationship(back_populates="campaign")

    def __repr__(self) -> str:
        return f"<Campaign {self.name}>"
