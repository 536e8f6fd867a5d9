"""A small in-process cache of rendered feeds, so a poll with nothing changed skips rendering.

Entries are keyed by what identifies a feed (kind, filters, audience, base URL) and carry the
validator they were rendered for; a request whose validator differs renders afresh. Bounded by
entry count and by total bytes, least recently used out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask import Flask, current_app


@dataclass(frozen=True)
class RenderedFeed:
    """A feed's bytes with the validators they were rendered for."""

    etag: str
    last_modified: Optional[datetime]
    body: bytes


class FeedCache:
    """Least-recently-used mapping of feed keys to rendered feeds, safe across threads."""

    def __init__(self, max_entries: int = 32, max_bytes: int = 128 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, RenderedFeed] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, etag: str) -> Optional[RenderedFeed]:
        """The cached feed for `key` if it was rendered for this `etag`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.etag != etag:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: RenderedFeed) -> None:
        if len(entry.body) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app: Flask) -> None:
    app.extensions["feed_cache"] = FeedCache(
        max_entries=app.config.get("FEEDS_CACHE_ENTRIES", 32),
        max_bytes=app.config.get("FEEDS_CACHE_MAX_BYTES", 128 * 1024 * 1024),
    )


def feed_cache() -> FeedCache:
    """The current application's cache (created on first use)."""
    cache = current_app.extensions.get("feed_cache")
    if cache is None:
        init_app(current_app)
        cache = current_app.extensions["feed_cache"]
    return cache
