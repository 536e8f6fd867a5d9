"""Feed views: public and per-event iCalendar, private feeds, the subscribe page, tokens, import."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Optional

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.events.fields import PRIVATE, PUBLIC
from tracker.events.queries import ID_FILTERS, EventFilters, parse_event_filters
from tracker.extensions import db
from tracker.feeds import blueprint
from tracker.feeds.forms import FeedTokenForm, ImportForm
from tracker.feeds.importer import ImportRefused, import_calendar
from tracker.feeds.queries import private_feed_events, public_feed_events
from tracker.feeds.services import (
    FeedTokenError,
    calendar_name,
    create_feed_token,
    external_url,
    feed_tokens_of,
    rendered_feed,
    revoke_feed_token,
    user_for_token,
    webcal_url,
)
from tracker.i18n import current_language
from tracker.models import Event
from tracker.web import content_disposition, safe_next_url

CALENDAR_MIMETYPE = "text/calendar; charset=utf-8"
GZIP_ETAG_SUFFIX = "-gzip"


class SharedCacheSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without `Vary: Cookie` on responses marked public.

    Flask adds `Vary: Cookie` whenever the session was read, and Flask-Login reads it after
    every request, so every response would carry it and no shared cache could keep one copy
    of a public feed for all its subscribers. A response marked `Cache-Control: public` is
    the same whoever asks; it keeps the header only when it also sets a cookie.
    """

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if response.cache_control.public and "Set-Cookie" not in response.headers:
            response.vary = [name for name in response.vary if name.lower() != "cookie"]


@blueprint.record_once
def _share_public_feeds(state) -> None:
    """Install the session interface above on the app the feeds are registered on."""
    state.app.session_interface = SharedCacheSessionInterface()


def _feed_filters() -> EventFilters:
    """The filters of the query string; the common unfiltered poll skips parsing."""
    if not request.args:
        return EventFilters()
    return parse_event_filters(request.args)


def _bad_filters(filters: EventFilters) -> Response:
    """400 with the reasons as plain Chinese text: a calendar client shows no HTML."""
    text = _("订阅地址中的筛选条件无效：") + "\n" + "\n".join(filters.errors) + "\n"
    return Response(text, status=400, content_type="text/plain; charset=utf-8")


def _feed_response(
    key: tuple,
    statement,
    name: Callable[[], str],
    cache_control: str,
    filename: Optional[str] = None,
    cacheable: bool = True,
    audience: str = PUBLIC,
) -> Response:
    """200 with the feed, or 304 when the client's copy is current (RFC 9110 §13.2.2).

    The body is gzip-compressed when the client accepts it; the two encodings are two
    representations, so each has its own ETag (RFC 9110 §8.8.3.3).
    """
    etag, last_modified, body = rendered_feed(
        key, statement, name, cacheable=cacheable, audience=audience
    )
    compressed = request.accept_encodings["gzip"] > 0
    representation_etag = f"{etag}{GZIP_ETAG_SUFFIX}" if compressed else etag
    if _not_modified((etag, f"{etag}{GZIP_ETAG_SUFFIX}"), last_modified):
        response = Response(status=304)
    else:
        entry = body()
        response = Response(
            entry.gzipped if compressed else entry.body, content_type=CALENDAR_MIMETYPE
        )
        if compressed:
            response.content_encoding = "gzip"
        if filename:
            response.headers["Content-Disposition"] = content_disposition(filename, "event.ics")
    response.set_etag(representation_etag)
    response.vary.add("Accept-Encoding")
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response


def _not_modified(etags: tuple[str, ...], last_modified: Optional[datetime]) -> bool:
    """If-None-Match decides when present; only without it does If-Modified-Since count.

    Either encoding's ETag names the same data, so either makes the client's copy current.
    """
    if request.headers.get("If-None-Match"):
        return any(request.if_none_match.contains_weak(etag) for etag in etags)
    since = request.if_modified_since
    return since is not None and last_modified is not None and last_modified <= since


@blueprint.route("/calendar.ics")
def calendar():
    """All public events matching the same filters as /events/."""
    filters = _feed_filters()
    if filters.errors:
        return _bad_filters(filters)
    return _feed_response(
        ("public", filters.key()),
        lambda: public_feed_events(filters),
        lambda: calendar_name(filters),
        cache_control="public, no-cache",
    )


@blueprint.route("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    """One event as a downloadable .ics file (the event page's "添加到日历" button)."""
    statement = select(Event).where(Event.id == event_id)
    if not current_user.is_authenticated:
        statement = statement.where(Event.visibility == "public")
    title = db.session.scalar(statement.with_only_columns(Event.title))
    if title is None:
        abort(404)
    return _feed_response(
        ("event", event_id),
        lambda: statement,
        lambda: title,
        cache_control="private, no-cache",
        filename=f"{_safe_filename(title)}.ics",
        cacheable=False,
    )


def _safe_filename(title: str) -> str:
    cleaned = "".join(" " if char in '\\/:*?"<>|\r\n\t' else char for char in title).strip()
    return cleaned[:80] or "event"


@blueprint.route("/feeds/private/<token>.ics")
def private_calendar(token: str):
    """A token owner's feed: public events plus their organisation's internal ones."""
    user = user_for_token(token)
    if user is None:
        abort(404)
    filters = _feed_filters()
    if filters.errors:
        return _bad_filters(filters)
    return _feed_response(
        ("private", user.organization_id, filters.key()),
        lambda: private_feed_events(filters, user),
        lambda: calendar_name(filters, suffix=_("含内部活动")),
        cache_control="private, no-cache",
        audience=PRIVATE,
    )


@blueprint.route("/feeds/")
def subscribe():
    """Ready-made subscription links per category, organisation, location and campaign."""
    filters = parse_event_filters(request.args)
    current = None
    if not filters.is_empty and not filters.errors:
        https = external_url("feeds.calendar", **filters.to_args())
        current = {"name": calendar_name(filters), "https": https, "webcal": webcal_url(https)}
    everything = external_url("feeds.calendar")
    sections = []
    for id_filter in ID_FILTERS:
        rows = []
        # Entries named in the page's language (categories have English names).
        english = current_language() == "en"
        for item_id, label in db.session.execute(id_filter.options(english)):
            https = external_url("feeds.calendar", **{id_filter.name: item_id})
            rows.append({"name": label, "https": https, "webcal": webcal_url(https)})
        sections.append({"title": id_filter.list_heading, "rows": rows})
    return render_template(
        "feeds/subscribe.html",
        filters=filters,
        current=current,
        everything={"https": everything, "webcal": webcal_url(everything)},
        sections=sections,
    )


@blueprint.route("/feeds/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """The signed-in user's private feed links: list, create (shown once), revoke."""
    form = FeedTokenForm()
    new_token_url = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _token, secret = create_feed_token(current_user, form.name.data)
            except FeedTokenError as error:
                form.name.errors.append(str(error))
                status = 400
            else:
                new_token_url = external_url("feeds.private_calendar", token=secret)
        else:
            status = 400
    return (
        render_template(
            "feeds/tokens.html",
            token_form=form,
            feed_tokens=feed_tokens_of(current_user),
            new_token_url=new_token_url,
            new_token_webcal=webcal_url(new_token_url) if new_token_url else None,
        ),
        status,
    )


@blueprint.route("/feeds/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's tokens; its feed answers 404 from now on."""
    token = revoke_feed_token(current_user, token_id)
    if token is None:
        abort(404)
    flash(_("已停用订阅链接“%(name)s”。", name=token.name), "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("feeds.tokens"))


@blueprint.route("/feeds/import", methods=["GET", "POST"])
@login_required
def import_file():
    """Upload an .ics file: events are created or updated by UID, all or nothing."""
    form = ImportForm()
    result = None
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            result = import_calendar(data, user=current_user)
        except ImportRefused as refusal:
            form.file.errors.extend(refusal.messages)
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("feeds/import.html", form=form, result=result), status
