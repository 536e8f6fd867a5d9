"""Whole pages for anonymous readers, cached per data version.

Most readers of the home page, the event list, event pages, statistics and the directories
are not signed in, and what they are shown depends only on the data, the address (path and
query), the host and the language. Such a page is rendered once per data version and served
from the cache (Redis when configured, else this process) until the data changes, and for at
most PAGE_CACHE_SECONDS, since the home page's "upcoming" list and "today" move with time.
A signed-in reader, a reader with a message waiting (flash) and every other method than GET
always get a freshly rendered page.
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, request, session

from tracker.cache import app_cache, request_data_version
from tracker.i18n import select_locale

CACHED_ENDPOINTS = frozenset(
    {
        "events.home",
        "events.list_events",
        "events.show_event",
        "stats.overview",
        "directory.list_organizations",
        "directory.show_organization",
        "directory.list_locations",
        "directory.show_location",
        "directory.list_categories",
        "directory.show_category",
        "directory.list_campaigns",
        "directory.show_campaign",
    }
)
# Where a request that may be cached keeps its key and version until its answer is made.
ENVIRON_KEY = "tracker.page_cache_entry"
# Pages kept in each process when there is no Redis: by number and by total bytes.
ENTRIES_IN_PROCESS = 512
BYTES_IN_PROCESS = 64 * 1024 * 1024


def init_app(app: Flask) -> None:
    """Serve cached pages before the view runs, keep rendered ones after."""
    app.before_request(_serve_cached_page)
    app.after_request(_keep_rendered_page)


def page_cache():
    """The cache of anonymous readers' pages (Redis, or this process)."""
    return app_cache(
        "pages", max_entries=ENTRIES_IN_PROCESS, max_size=BYTES_IN_PROCESS, size_of=len
    )


def _page_key():
    """The cache key of this request's page, or None when it must be rendered afresh."""
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if not seconds or request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS:
        return None
    # Reading the session cookie costs no query; the user loader runs only when signed in.
    if "_user_id" in session or "_flashes" in session:
        return None
    period = int(time.time() // seconds)
    return (request.endpoint, select_locale(), request.host, request.full_path, period)


def _serve_cached_page():
    key = _page_key()
    if key is None:
        return None
    version = request_data_version()
    request.environ[ENVIRON_KEY] = (key, version)
    body = page_cache().get(key, version)
    if body is None:
        return None
    request.environ[ENVIRON_KEY] = None
    return Response(body, mimetype="text/html")


def _keep_rendered_page(response: Response) -> Response:
    entry = request.environ.pop(ENVIRON_KEY, None)
    if (
        entry is not None
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
    ):
        key, version = entry
        page_cache().put(key, version, response.get_data())
    return response
