"""Parts of pages rendered once per data version and shared by every reader who sees the
same events (signed-in coordinators included): `cached_fragment(name, key, render)`.

The key names what the part shows (the month, whether internal events count); the language
and the time (PAGE_CACHE_SECONDS buckets, since "today" and "upcoming" move) are added here.
The part must hold nothing of one reader: no names of the signed-in user, no CSRF tokens.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app
from markupsafe import Markup

from tracker.cache import app_cache, request_data_version
from tracker.i18n import current_language

ENTRIES_IN_PROCESS = 256
BYTES_IN_PROCESS = 32 * 1024 * 1024


def cached_fragment(name: str, key: tuple, render: Callable[[], str]) -> Markup:
    """The HTML `render()` gives, from the cache while the data and the minute are the same;
    rendered every time when PAGE_CACHE_SECONDS is 0."""
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if not seconds:
        return Markup(render())  # noqa: S704  (a template's output, escaped when rendered)
    cache = app_cache(
        "fragments", max_entries=ENTRIES_IN_PROCESS, max_size=BYTES_IN_PROCESS, size_of=len
    )
    full_key = (name, key, current_language(), int(time.time() // seconds))
    version = request_data_version()
    html = cache.get(full_key, version)
    if html is None:
        html = str(render())
        cache.put(full_key, version, html)
    return Markup(html)  # noqa: S704  (the same, from the cache)
