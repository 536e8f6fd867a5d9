"""Throttling of the phones' sign-in page, per address and per event, across workers.

Attempts are counted per key and minute in the database (`CheckInThrottle`), each by one
INSERT … ON CONFLICT DO UPDATE … RETURNING, so every worker sees the same count and no two
parallel attempts read the same one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tracker.extensions import db
from tracker.models import CheckInThrottle

WINDOW = timedelta(minutes=1)


def _window_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _count(keys: list[str], window_start: datetime) -> dict[str, int]:
    """Add one attempt to each key's counter of this minute, in one statement; the counts."""
    table = CheckInThrottle.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .values([{"key": key, "window_start": window_start, "attempts": 1} for key in keys])
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start],
            set_={"attempts": table.c.attempts + 1},
        )
        .returning(table.c.key, table.c.attempts)
    )
    return dict(db.session.execute(statement).all())


def claim_check_in_attempt(address: str, event_id: int, now: datetime) -> bool:
    """Count one attempt of `address` on `event_id`'s sign-in page; False when either the
    address or the event has used up this minute's attempts (CHECKIN_MAX_ATTEMPTS_PER_*)."""
    config = current_app.config
    window_start = _window_start(now)
    address_key, event_key = f"address:{address[:64]}", f"event:{event_id}"
    counts = _count([address_key, event_key], window_start)
    by_address, by_event = counts[address_key], counts[event_key]
    if by_event == 1:
        # An event's first attempt of a minute forgets the counters of minutes gone by.
        db.session.execute(
            delete(CheckInThrottle).where(CheckInThrottle.window_start < window_start - WINDOW)
        )
    db.session.commit()
    return (
        by_address <= config["CHECKIN_MAX_ATTEMPTS_PER_ADDRESS"]
        and by_event <= config["CHECKIN_MAX_ATTEMPTS_PER_EVENT"]
    )
