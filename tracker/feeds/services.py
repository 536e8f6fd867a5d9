"""Feed operations: naming feeds, absolute links, private feed tokens, rendering with a cache."""

from __future__ import annotations

import gzip
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, select

from tracker.cache import BoundedCache, RedisCache, app_cache, data_version
from tracker.db import now_utc
from tracker.events.fields import PUBLIC
from tracker.events.queries import EventFilters, chosen_entries
from tracker.extensions import db
from tracker.feeds.builder import FeedContext
from tracker.feeds.queries import load_feed_events
from tracker.feeds.writer import render_calendar
from tracker.i18n import default_locale
from tracker.labels import EVENT_STATUS_LABELS
from tracker.models import FeedToken, User


@dataclass(frozen=True)
class RenderedFeed:
    """A feed's bytes, plain and gzip-compressed, with the ETag they were rendered for.

    Compressed once when rendered, so a poll that accepts gzip costs no more than one that
    does not.
    """

    etag: str
    body: bytes
    gzipped: bytes


def feed_cache() -> BoundedCache | RedisCache:
    """Rendered feeds of this application, bounded by count and total bytes."""
    config = current_app.config
    return app_cache(
        "feeds",
        max_entries=config["FEEDS_CACHE_ENTRIES"],
        max_size=config["FEEDS_CACHE_MAX_BYTES"],
        size_of=lambda entry: len(entry.body) + len(entry.gzipped),
    )


# Raise when the feed's shape changes, so caches and clients' ETags from before are dropped.
FEED_FORMAT_VERSION = "4"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TOKEN_NAME_LENGTH = 100
TOKEN_USE_RECORDED_EVERY = timedelta(hours=1)


class FeedTokenError(ValueError):
    """A user-facing reason why a token operation was refused."""


def public_base_url() -> str:
    """The site's root URL for links that leave the site: PUBLIC_BASE_URL, else the request's."""
    configured = current_app.config["PUBLIC_BASE_URL"]
    if configured:
        return configured.rstrip("/")
    # What request.url_root gives, without its IRI round trip (this runs on every feed poll).
    return f"{request.scheme}://{request.host}{request.script_root}".rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the public base, e.g. for a feed link or an event page."""
    path = url_for(endpoint, **values)
    script_root = request.script_root if request else ""
    if script_root and path.startswith(script_root):
        path = path[len(script_root) :]
    return public_base_url() + path


def webcal_url(https_url: str) -> str:
    """The same feed with the webcal:// scheme, which makes Apple and Outlook subscribe."""
    return "webcal://" + https_url.split("://", 1)[1]


def calendar_name(filters: EventFilters, suffix: Optional[str] = None) -> str:
    """A Chinese calendar name saying what the feed holds: '活动日历 · 类别：主题党日'."""
    parts = [_("活动日历")]
    parts.extend(f"{label}：{'、'.join(names)}" for label, names in chosen_entries(filters))
    if filters.statuses:
        statuses = "、".join(str(EVENT_STATUS_LABELS[code]) for code in filters.statuses)
        parts.append(f"{_('状态')}：{statuses}")
    if filters.query:
        parts.append(f"{_('关键词')}：{filters.query}")
    if filters.date_from or filters.date_to:
        start = filters.date_from.isoformat() if filters.date_from else "…"
        end = filters.date_to.isoformat() if filters.date_to else "…"
        parts.append(f"{start} – {end}")
    if suffix:
        parts.append(suffix)
    return " · ".join(parts)


def rendered_feed(
    key: tuple,
    statement: Callable[[], Select],
    name: Callable[[], str],
    cacheable: bool = True,
    audience: str = PUBLIC,
) -> tuple[str, Optional[datetime], Callable[[], RenderedFeed]]:
    """The feed's ETag and Last-Modified (one aggregate query) and a function giving its bytes.

    The bytes come from the cache when nothing changed since they were rendered; otherwise
    the events of `statement()` are loaded in a fixed number of queries and rendered, with
    the fields a feed for `audience` carries (tracker.events.fields).
    """
    base_url = public_base_url()
    now = now_utc()
    validator = data_version()
    fingerprint = "|".join((FEED_FORMAT_VERSION, repr(key), base_url, validator.key))
    etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    last_modified = http_last_modified(validator.changed_at, now)
    # DTSTAMP is the data's time of change, not the time of rendering: the same data then
    # gives the same bytes in every worker and after a restart, so the ETag can stay strong.
    stamp = validator.changed_at or EPOCH
    cache_key = (key, base_url)

    def body() -> RenderedFeed:
        cache = feed_cache()
        cached = cache.get(cache_key, etag) if cacheable else None
        if cached is not None:
            return cached
        with default_locale():
            context = FeedContext(
                base_url, event_url=external_url("events.show_event", event_id=0), now=stamp
            )
            feed = render_calendar(load_feed_events(statement(), audience), name(), context)
        level = current_app.config["FEEDS_GZIP_LEVEL"]
        # mtime=0: the same bytes give the same compressed bytes, in every worker.
        entry = RenderedFeed(etag, feed, gzip.compress(feed, compresslevel=level, mtime=0))
        if cacheable:
            cache.put(cache_key, etag, entry)
        return entry

    return etag, last_modified, body


def http_last_modified(changed_at: Optional[datetime], now: datetime) -> Optional[datetime]:
    """Last-Modified for data changed at `changed_at`, or None when no honest one exists.

    The header counts whole seconds, so it is only given once the second of the last change
    is over: a later change then falls in a later second, and If-Modified-Since can never
    answer 304 to a body changed within the second the client's copy names (RFC 9110
    §8.8.2.2). It is never later than the response's Date.
    """
    if changed_at is None:
        return None
    changed_at = changed_at.astimezone(UTC).replace(microsecond=0)
    if changed_at >= now.astimezone(UTC).replace(microsecond=0):
        return None
    return changed_at


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed_token(user: User, name: str) -> tuple[FeedToken, str]:
    """A new private-feed token for the user; the secret is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise FeedTokenError(_("请为订阅链接起一个名称，例如“办公室电脑 Outlook”。"))
    if len(name) > MAX_TOKEN_NAME_LENGTH:
        raise FeedTokenError(_("名称最多 %(n)s 个字符。", n=MAX_TOKEN_NAME_LENGTH))
    secret = secrets.token_urlsafe(32)
    token = FeedToken(user=user, name=name, token_hash=hash_token(secret))
    db.session.add(token)
    db.session.commit()
    return token, secret


def feed_tokens_of(user: User) -> list[FeedToken]:
    """The user's private-feed tokens, live and revoked, newest first."""
    return db.session.scalars(
        select(FeedToken)
        .where(FeedToken.user_id == user.id)
        .order_by(FeedToken.created_at.desc(), FeedToken.id.desc())
    ).all()


def revoke_feed_token(user: User, token_id: int) -> Optional[FeedToken]:
    """Revoke one of the user's own tokens; None when it is not theirs or does not exist."""
    token = db.session.get(FeedToken, token_id)
    if token is None or token.user_id != user.id:
        return None
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        db.session.commit()
    return token


def user_for_token(secret: str) -> Optional[User]:
    """The enabled owner of a live token, recording its use at most once an hour."""
    if not secret or len(secret) > 200:
        return None
    row = db.session.execute(
        select(FeedToken, User)
        .join(User, FeedToken.user_id == User.id)
        .where(FeedToken.token_hash == hash_token(secret))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_enabled:
        return None
    now = now_utc()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RECORDED_EVERY:
        token.last_used_at = now
        db.session.commit()
    return user
