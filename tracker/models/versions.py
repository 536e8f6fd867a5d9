"""The data version: one row whose number the database raises in the same transaction as
every write a page, feed or statistic could show.

Caches (in each process or in Redis), ETags and Last-Modified derive from it, so every worker
on every machine agrees on whether its copy is current without comparing clocks. `epoch` is
new whenever the row is made anew (a new database, a restored backup, emptied tables), so a
number reached again after that can never match a result cached before it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String, case, literal
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, now_utc

SINGLE_ROW_ID = 1
# Writes nobody sees on a page or in a feed: sign-in counters, feed-token use, sessions
# ending (users.session_generation). Every other table counts, including ones added later.
UNSEEN_TABLES = frozenset({"data_version", "sign_in_throttles", "feed_tokens", "users"})


class DataVersionCounter(Base):
    """The one row of the data version."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    epoch: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(BigInteger)
    # When the number last moved (for Last-Modified and DTSTAMP); never moves backwards.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def new_epoch() -> str:
    """A fresh random epoch for a data version row made anew."""
    return secrets.token_hex(8)


def bump_data_version(connection) -> None:
    """Raise the data version inside the connection's transaction (it becomes visible when
    the writes it stands for are committed), making the row when it is missing."""
    table = DataVersionCounter.__table__
    now = literal(now_utc(), UTCDateTime)
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(
        id=SINGLE_ROW_ID, epoch=new_epoch(), number=1, changed_at=now_utc()
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={
            "number": table.c.number + 1,
            # A transaction that waited for another's lock may have read the clock earlier.
            "changed_at": case((table.c.changed_at > now, table.c.changed_at), else_=now),
        },
    )
    connection.execute(statement)


def renew_data_version_epoch(connection) -> None:
    """Give the data version a new epoch (after a restore replaced the data wholesale)."""
    table = DataVersionCounter.__table__
    connection.execute(table.delete())
    bump_data_version(connection)
