"""The event's 活动台账 as Word, and the form that starts an annual ledger."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tracker.auth.permissions import can_see_event_files, can_see_internal
from tracker.events.queries import filter_selects
from tracker.extensions import db
from tracker.jobs import start_job
from tracker.ledger import blueprint, document
from tracker.ledger.annual import ANNUAL_LEDGER_JOB, ledger_title
from tracker.ledger.pages import page_for, photos_by_event, with_ledger_details
from tracker.media.storage import file_store
from tracker.models import Event
from tracker.stats.queries import STATS_FILTER_NAMES, parse_stats_filters
from tracker.web import content_disposition

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def visible_ledger_event(event_id: int) -> Event:
    """The event with what its ledger shows; 404 to those who may not see its files."""
    event = db.session.scalar(with_ledger_details(select(Event).where(Event.id == event_id)))
    if event is None or not can_see_event_files(current_user, event):
        abort(404)
    return event


def printed_ledger_page(event: Event, photos: list):
    """The ledger page the event page prints (its print stylesheet shows only this); None
    for readers who may not see the event's files."""
    if not can_see_event_files(current_user, event):
        return None
    return page_for(event, photos, current_user)


@blueprint.get("/events/<int:event_id>/ledger.docx")
def event_ledger(event_id: int):
    """The event's 活动记录表 as a Word document."""
    event = visible_ledger_event(event_id)
    page = printed_ledger_page(event, photos_by_event([event.id]).get(event.id, []))
    body = document.event_ledger(page, file_store().read)
    response = Response(body, content_type=DOCX_MIME)
    response.headers["Content-Disposition"] = content_disposition(
        f"{_('活动台账')}-{event.title}.docx", f"ledger-{event.id}.docx"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _default_args() -> MultiDict:
    """Last year unless the URL gives a period: ledgers are bound after the year ends."""
    args = MultiDict(request.values)
    if not args.get("from") and not args.get("to"):
        year = date.today().year - 1
        args["from"], args["to"] = f"{year}-01-01", f"{year}-12-31"
    return args


@blueprint.route("/ledger/", methods=["GET", "POST"])
@login_required
def annual_ledger():
    """Choose the organisation (or other filters) and period; a valid POST starts the job."""
    scope = parse_stats_filters(_default_args(), include_internal=can_see_internal())
    if request.method == "POST" and not scope.errors:
        job_id = start_job(
            ANNUAL_LEDGER_JOB,
            title=ledger_title(scope.filters),
            owner_id=current_user.id,
            params={"args": scope.to_args(), "user_id": current_user.id},
        )
        return redirect(url_for("jobs.show_job", job_id=job_id))
    return (
        render_template(
            "ledger/annual.html",
            scope=scope,
            selects=filter_selects(scope.filters, STATS_FILTER_NAMES),
        ),
        422 if request.method == "POST" else 200,
    )
