"""Caching of derived results (rendered feeds, statistics, anonymous pages) until the data
changes.

`data_version()` reads the database's one-row counter (tracker.models.versions), raised in
the same transaction as every visible write; a cached result is valid while it stays the same.
Results live in Redis when REDIS_URL is set, shared by every worker and machine
(`RedisCache`), otherwise in each process (`BoundedCache`, least recently used, bounded by
entries and by size). Both answer `get(key, version)` and `put(key, version, value)`.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

import redis
from flask import Flask, current_app, has_request_context, request
from prometheus_client import Counter
from redis.exceptions import RedisError
from sqlalchemy import select

from tracker.extensions import db
from tracker.models.versions import SINGLE_ROW_ID, DataVersionCounter

logger = logging.getLogger(__name__)

CACHE_LOOKUPS = Counter(
    "tracker_cache_lookups", "Cache look-ups by cache and outcome", ["cache", "outcome"]
)


@dataclass(frozen=True)
class DataVersion:
    """The data version's epoch and number, and when the number last moved."""

    epoch: str
    number: int
    changed_at: Optional[datetime]

    @property
    def key(self) -> str:
        return f"{self.epoch}.{self.number}"


_DATA_VERSION_QUERY = select(
    DataVersionCounter.epoch, DataVersionCounter.number, DataVersionCounter.changed_at
).where(DataVersionCounter.id == SINGLE_ROW_ID)


def data_version() -> DataVersion:
    """The current data version: one primary-key read.

    Asked on every feed poll and cached page, so on a connection of its own (no ORM
    session). A database that has never been written to has no row: version "0".
    """
    with db.engine.connect() as connection:
        row = connection.execute(_DATA_VERSION_QUERY).first()
    return DataVersion(*row) if row else DataVersion("", 0, None)


def request_data_version() -> str:
    """The data version's key, read once per request however many caches ask for it."""
    if not has_request_context():
        return data_version().key
    environ = request.environ
    if _REQUEST_VERSION not in environ:
        environ[_REQUEST_VERSION] = data_version().key
    return environ[_REQUEST_VERSION]


_REQUEST_VERSION = "tracker.data_version"


def cached_result(name: str, key, compute: Callable[[], Any]):
    """`compute()`'s value for `key`, computed once per data version (in Redis or this
    process); for results that depend on the data alone, not on the reader or the time."""
    cache = app_cache(name, max_entries=256)
    version = request_data_version()
    value = cache.get(key, version)
    if value is None:
        value = compute()
        cache.put(key, version, value)
    return value


class BoundedCache:
    """Least-recently-used mapping of keys to (version, value, size), safe across threads."""

    def __init__(
        self,
        max_entries: int = 32,
        max_size: int = 128 * 1024 * 1024,
        size_of: Callable[[Any], int] = lambda value: 1,
        name: str = "",
    ):
        self.max_entries = max_entries
        self.max_size = max_size
        self.size_of = size_of
        self.name = name
        self._entries: OrderedDict[Any, tuple[str, Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key, version: str):
        """The value stored for `key` if it was made for this `version`, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                CACHE_LOOKUPS.labels(self.name, "miss").inc()
                return None
            self._entries.move_to_end(key)
            CACHE_LOOKUPS.labels(self.name, "hit").inc()
            return entry[1]

    def put(self, key, version: str, value) -> None:
        """Store the value, evicting the least recently used entries beyond the bounds."""
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


class RedisCache:
    """The same interface over Redis, shared by every worker and machine.

    Each value is stored under its key and the data version, with a lifetime
    (CACHE_REDIS_SECONDS), so results of older versions expire on their own; Redis's own
    memory limit and eviction policy bound the total. When Redis cannot be reached the
    cache answers "not cached" and the caller computes the result itself.
    """

    def __init__(self, client, name: str, seconds: int, max_size: int):
        self.client, self.name, self.seconds, self.max_size = client, name, seconds, max_size

    def _redis_key(self, key, version: str) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        return f"tracker:cache:{self.name}:{version}:{digest}"

    def get(self, key, version: str):
        """The value stored for `key` and this `version`, else None (also when Redis fails)."""
        try:
            data = self.client.get(self._redis_key(key, version))
        except RedisError as error:
            logger.warning("cache %s: Redis unreachable (%s)", self.name, error)
            return None
        CACHE_LOOKUPS.labels(self.name, "miss" if data is None else "hit").inc()
        if data is None:
            return None
        # Only this application writes under tracker:cache:, on a Redis it alone is given.
        stored_key, value = pickle.loads(data)  # noqa: S301
        return value if stored_key == repr(key) else None

    def put(self, key, version: str, value) -> None:
        """Store the value for `key` and `version`; values over max_size are not kept."""
        data = pickle.dumps((repr(key), value), protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > self.max_size:
            return
        try:
            self.client.set(self._redis_key(key, version), data, ex=self.seconds)
        except RedisError as error:
            logger.warning("cache %s: Redis unreachable (%s)", self.name, error)

    def clear(self) -> None:
        for redis_key in self.client.scan_iter(f"tracker:cache:{self.name}:*"):
            self.client.delete(redis_key)

    def __len__(self) -> int:
        return sum(1 for _ in self.client.scan_iter(f"tracker:cache:{self.name}:*"))


def redis_client(app: Optional[Flask] = None):
    """The application's Redis client (a connection pool), or None without REDIS_URL."""
    app = app or current_app._get_current_object()
    url = app.config["REDIS_URL"]
    if not url:
        return None
    client = app.extensions.get("tracker_redis")
    if client is None:
        client = redis.Redis.from_url(
            url, socket_timeout=app.config["REDIS_TIMEOUT_SECONDS"], health_check_interval=30
        )
        app.extensions["tracker_redis"] = client
    return client


def app_cache(name: str, **options) -> BoundedCache | RedisCache:
    """The current application's cache called `name`, created on first use: in Redis when
    REDIS_URL is set, else in this process (bounded by `options`)."""
    caches = current_app.extensions.setdefault("tracker_caches", {})
    if name not in caches:
        client = redis_client()
        if client is not None:
            caches[name] = RedisCache(
                client,
                name,
                seconds=current_app.config["CACHE_REDIS_SECONDS"],
                max_size=options.get("max_size", 128 * 1024 * 1024),
            )
        else:
            caches[name] = BoundedCache(name=name, **options)
    return caches[name]
