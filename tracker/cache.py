"""Caching of derived results (rendered feeds, statistics) until the data changes.

`data_version()` reads, in one cheap query, the figures that move whenever anything a feed
or a statistic shows could have changed; a cached result is valid while they stay the same.
`BoundedCache` is a thread-safe least-recently-used store, bounded by entries and by size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from flask import current_app
from sqlalchemy import bindparam, func, select

from tracker.db import now_utc
from tracker.extensions import db
from tracker.models import AuditEntry, Event


@dataclass(frozen=True)
class DataVersion:
    """The number of events, the newest event changes and the newest audit entry.

    `latest_past_event_update` leaves out change times later than the moment of reading:
    an import can store a foreign LAST-MODIFIED such as 2099, which must move the version
    (it is in `latest_event_update`) but must not become the data's time of change.
    """

    event_count: int
    latest_event_update: Optional[datetime]
    latest_past_event_update: Optional[datetime]
    latest_audit_entry: Optional[datetime]

    @property
    def key(self) -> str:
        parts = (
            self.event_count,
            self.latest_event_update,
            self.latest_past_event_update,
            self.latest_audit_entry,
        )
        return "|".join(
            "" if part is None else part.isoformat() if isinstance(part, datetime) else str(part)
            for part in parts
        )

    @property
    def changed_at(self) -> Optional[datetime]:
        """When the data last changed, from the figures of the key alone (so the same key
        always gives the same time); None for a database that never held anything."""
        changes = [
            value for value in (self.latest_past_event_update, self.latest_audit_entry) if value
        ]
        return max(changes) if changes else None


_DATA_VERSION_QUERY = select(
    select(func.count()).select_from(Event).scalar_subquery(),
    select(func.max(Event.updated_at)).scalar_subquery(),
    select(func.max(Event.updated_at))
    .where(Event.updated_at <= bindparam("now"))
    .scalar_subquery(),
    select(func.max(AuditEntry.created_at)).scalar_subquery(),
)


def data_version(now: Optional[datetime] = None) -> DataVersion:
    """The figures that move whenever any feed or statistic could have changed.

    Global on purpose: every subscriber-visible change raises an event's `updated_at`
    (the model's flush listener, children included), a deletion changes the count, and
    edits of events and directory entries, imports and deletions leave audit entries. Each
    figure is answered from an index or the table's row count, so the check stays well under
    a millisecond of database time at 10,000 events.
    """
    # Asked on every feed poll, so on a connection of its own (no ORM session); SQLAlchemy's
    # compiled cache keeps the statement's SQL.
    with db.engine.connect() as connection:
        row = connection.execute(_DATA_VERSION_QUERY, {"now": now or now_utc()}).one()
    return DataVersion(*row)


class BoundedCache:
    """Least-recently-used mapping of keys to (version, value, size), safe across threads."""

    def __init__(
        self,
        max_entries: int = 32,
        max_size: int = 128 * 1024 * 1024,
        size_of: Callable[[Any], int] = lambda value: 1,
    ):
        self.max_entries = max_entries
        self.max_size = max_size
        self.size_of = size_of
        self._entries: OrderedDict[Any, tuple[str, Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key, version: str):
        """The value stored for `key` if it was made for this `version`, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key, version: str, value) -> None:
        size = self.size_of(value)
        if size > self.max_size:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[2]
            self._entries[key] = (version, value, size)
            self._size += size
            while len(self._entries) > self.max_entries or self._size > self.max_size:
                _, (_, _, evicted_size) = self._entries.popitem(last=False)
                self._size -= evicted_size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._entries)


def app_cache(name: str, **options) -> BoundedCache:
    """The current application's cache called `name`, created on first use."""
    caches = current_app.extensions.setdefault("tracker_caches", {})
    if name not in caches:
        caches[name] = BoundedCache(**options)
    return caches[name]
