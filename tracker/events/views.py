"""Home page, event list, event page, and the coordinators' event forms."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.audit import history_of
from tracker.auth.permissions import can_edit_event, can_see_internal, can_see_internal_notes
from tracker.events import blueprint, services
from tracker.events.calendar import month_grid, parse_month, recent_events, upcoming_occurrences
from tracker.events.fields import CLOSING_SECTIONS
from tracker.events.forms import (
    COMMON_TIMEZONES,
    EventForm,
    blank_row,
    event_form_data,
    keep_stored_rule,
)
from tracker.events.queries import (
    filter_selects,
    filtered_events,
    parse_event_filters,
    with_list_details,
    with_page_details,
)
from tracker.extensions import db
from tracker.fragments import cached_fragment
from tracker.models import Event

# Row lists of the event form: the button names use the singular ("add_stop", "remove_stop-2").
ROW_LISTS = {"stop": "stops", "organization": "organizations", "participant": "participants"}


MAX_PAGE = 100_000


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

    def render_sections() -> str:
        upcoming = upcoming_occurrences(include_internal=include_internal)
        return render_template(
            "events/_home_sections.html",
            grid=month_grid(year, month, include_internal=include_internal),
            upcoming=upcoming,
            recent=[] if upcoming else recent_events(include_internal=include_internal),
        )

    # The same for every reader who sees the same events: expanded and rendered once.
    sections = cached_fragment("home", (year, month, include_internal), render_sections)
    return render_template("events/home.html", sections=sections, message=message)


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
        page=min(request.args.get("page", 1, type=int) or 1, MAX_PAGE),
        per_page=current_app.config["EVENTS_PER_PAGE"],
        max_per_page=100,
        error_out=False,
    )
    return render_template(
        "events/list.html",
        page=page,
        filters=filters,
        selects=filter_selects(filters, ("category", "organization", "location", "campaign")),
    )


def get_visible_event_or_404(event_id: int) -> Event:
    """The event with its details, or 404 when it does not exist or is hidden from the reader."""
    event = db.session.scalar(with_page_details(select(Event).where(Event.id == event_id)))
    if event is None or (not event.is_public and not can_see_internal()):
        abort(404)
    return event


@blueprint.route("/events/<int:event_id>")
def show_event(event_id: int):
    """Everything recorded about one event; coordinators also see its history."""
    event = get_visible_event_or_404(event_id)
    history = []
    if current_user.is_authenticated:
        history = services.history_lines(db.session.scalars(history_of("event", event.id)).all())
    return render_template(
        "events/show.html",
        event=event,
        show_people=current_user.is_authenticated,
        can_edit=can_edit_event(current_user, event),
        history=history,
        action_labels=services.ACTION_LABELS,
        closing_sections=CLOSING_SECTIONS,
        show_internal_notes=can_see_internal_notes(current_user),
    )


# --- coordinators' forms -----------------------------------------------------------------


def _editable_event(event_id: int) -> Event:
    """The event for editing: 404 when missing, 403 when the user may not edit it."""
    event = db.session.scalar(with_page_details(select(Event).where(Event.id == event_id)))
    if event is None:
        abort(404)
    if not can_edit_event(current_user, event):
        abort(403)
    return event


def _signed_in_user():
    return current_user._get_current_object()


def _pressed_row_button(form: EventForm) -> bool:
    """The no-JavaScript fallback: `add_stop` adds a row, `remove_stop-2` removes row 2.

    Returns True when such a button was pressed; the form is then shown again, unsaved.
    """
    for key in request.form:
        for singular, plural in ROW_LISTS.items():
            rows = getattr(form, plural)
            if key == f"add_{singular}":
                rows.append_entry()
                return True
            if key.startswith(f"remove_{singular}-"):
                index = key.rsplit("-", 1)[1]
                for position, entry in enumerate(rows.entries):
                    if str(entry.index) == index:
                        rows.pop_entry(position)
                        break
                return True
    return False


def _render_form(form: EventForm, event: Event | None = None, status: int = 200):
    templates = {name: blank_row(getattr(form, name), name) for name in ROW_LISTS.values()}
    return (
        render_template(
            "events/form.html",
            form=form,
            event=event,
            row_templates=templates,
            timezones=COMMON_TIMEZONES,
        ),
        status,
    )


@blueprint.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    """The empty event form; a valid POST saves the event."""
    if request.method == "GET":
        form = EventForm(data=_new_event_defaults())
        return _render_form(form)
    form = EventForm()
    if _pressed_row_button(form):
        return _render_form(form)
    if not form.validate():
        return _render_form(form, status=422)
    values = form.to_input()
    event = services.create_event(values, _signed_in_user())
    flash(_("活动“%(title)s”已保存。", title=values.title), "success")
    return redirect(url_for("events.show_event", event_id=event.id))


def _new_event_defaults() -> dict:
    """A new event starts with one blank row of each kind, the user's organisation as host."""
    organization_id = current_user.organization_id
    return {
        "stops": [{}],
        "organizations": [{"organization": organization_id, "role": "host"}],
        "participants": [{}],
    }


@blueprint.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id: int):
    """The event form filled in; a valid POST saves unless someone else saved meanwhile."""
    event = _editable_event(event_id)
    if request.method == "GET":
        return _render_form(EventForm(data=event_form_data(event)), event)
    form = EventForm()
    if _pressed_row_button(form):
        return _render_form(form, event)
    if not form.validate():
        return _render_form(form, event, status=422)
    values = form.to_input()
    values.recurrence_rule = keep_stored_rule(event, values.recurrence_rule)
    if not form.accepts_rule(values.recurrence_rule):
        return _render_form(form, event, status=422)
    try:
        services.update_event(event, values, _signed_in_user(), form.submitted_version())
    except services.EditConflict as conflict:
        return _render_conflict(conflict.current, values)
    except services.EventGone:
        flash(_("该活动已被删除，您的修改未保存。"), "error")
        return redirect(url_for("events.list_events"))
    # The commit expired the event: reloading it with its page options only for these two
    # values would take several queries.
    flash(_("活动“%(title)s”已保存。", title=values.title), "success")
    return redirect(url_for("events.show_event", event_id=event_id))


def _render_conflict(current: Event, values: services.EventInput):
    """Someone saved first: show their saved values beside the user's, save nothing."""
    theirs = services.event_snapshot(current)
    mine = services.input_snapshot(values)
    differences = services.change_lines(
        {
            name: [mine.get(name), theirs.get(name)]
            for name in theirs
            if mine.get(name) != theirs[name]
        }
    )
    last_change = db.session.scalars(history_of("event", current.id).limit(1)).first()
    return (
        render_template(
            "events/conflict.html",
            event=current,
            differences=differences,
            last_change=last_change,
        ),
        409,
    )


@blueprint.route("/events/<int:event_id>/cancel", methods=["POST"])
@login_required
def cancel_event(event_id: int):
    """Cancel after a confirmation step; the event stays, marked cancelled."""
    event = _editable_event(event_id)
    if request.form.get("confirmed") != "yes":
        return render_template("events/confirm.html", event=event, action="cancel")
    try:
        changed = services.cancel_event(event, _signed_in_user())
    except (services.EditConflict, services.EventGone):
        flash(_("活动刚被他人修改或删除，请查看后再操作。"), "error")
        return redirect(url_for("events.list_events"))
    if changed:
        flash(_("活动已取消，订阅者会在日历中看到取消。"), "success")
    else:
        flash(_("该活动此前已取消。"), "info")
    return redirect(url_for("events.show_event", event_id=event_id))


@blueprint.route("/events/<int:event_id>/delete", methods=["POST"])
@login_required
def delete_event(event_id: int):
    """Delete after a confirmation step."""
    event = _editable_event(event_id)
    if request.form.get("confirmed") != "yes":
        return render_template("events/confirm.html", event=event, action="delete")
    title = event.title
    try:
        services.delete_event(event, _signed_in_user())
    except (services.EditConflict, services.EventGone):
        flash(_("活动刚被他人修改或删除，请查看后再操作。"), "error")
        return redirect(url_for("events.list_events"))
    flash(_("活动“%(title)s”已删除。", title=title), "success")
    return redirect(url_for("events.list_events"))
