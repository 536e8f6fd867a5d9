"""Home page, event list and event page."""

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.events import blueprint
from tracker.events.calendar import month_grid, parse_month, recent_events, upcoming_occurrences
from tracker.events.queries import (
    filtered_events,
    parse_event_filters,
    with_list_details,
    with_page_details,
)
from tracker.extensions import db
from tracker.models import Campaign, Category, Event, Location, Organization


def can_see_internal() -> bool:
    """Signed-in coordinators see internal events; anonymous visitors only public ones."""
    return current_user.is_authenticated


@blueprint.route("/")
def home():
    """Upcoming events and a month calendar."""
    message = None
    try:
        year, month = parse_month(request.args.get("month"))
    except ValueError:
        message = _(
            "月份“%(value)s”无效，请使用 YYYY-MM 格式。", value=request.args.get("month", "")[:20]
        )
        year, month = parse_month(None)
    include_internal = can_see_internal()
    upcoming = upcoming_occurrences(include_internal=include_internal)
    return render_template(
        "events/home.html",
        grid=month_grid(year, month, include_internal=include_internal),
        upcoming=upcoming,
        recent=[] if upcoming else recent_events(include_internal=include_internal),
        message=message,
    )


@blueprint.route("/events/")
def list_events():
    """Events matching the filters in the URL, newest first, paginated."""
    filters = parse_event_filters(request.args)
    statement = with_list_details(
        filtered_events(filters, include_internal=can_see_internal()).order_by(
            Event.starts_at.desc(), Event.id.desc()
        )
    )
    page = db.paginate(
        statement,
        per_page=current_app.config["EVENTS_PER_PAGE"],
        max_per_page=100,
        error_out=False,
    )
    return render_template(
        "events/list.html",
        page=page,
        filters=filters,
        choices=_filter_choices(),
    )


def _filter_choices() -> dict:
    """Options for the filter form's selects."""
    return {
        "categories": db.session.scalars(select(Category).order_by(Category.id)).all(),
        "organizations": db.session.scalars(select(Organization).order_by(Organization.name)).all(),
        "locations": db.session.scalars(select(Location).order_by(Location.name)).all(),
        "campaigns": db.session.scalars(select(Campaign).order_by(Campaign.name)).all(),
    }


def get_visible_event_or_404(event_id: int) -> Event:
    """The event with its details, or 404 when it does not exist or is hidden from the reader."""
    event = db.session.scalar(with_page_details(select(Event).where(Event.id == event_id)))
    if event is None or (not event.is_public and not can_see_internal()):
        abort(404)
    return event


@blueprint.route("/events/<int:event_id>")
def show_event(event_id: int):
    """Everything recorded about one event."""
    event = get_visible_event_or_404(event_id)
    return render_template(
        "events/show.html", event=event, show_people=current_user.is_authenticated
    )
