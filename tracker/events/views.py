"""Home page, event list, event page, and the coordinators' event forms."""

import secrets

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.attendance.queries import event_attendance_links
from tracker.audit import history_of
from tracker.auth.permissions import can_edit_event, can_see_internal, can_see_internal_notes
from tracker.directory.lookup import filter_pickers
from tracker.events import blueprint, services
from tracker.events.calendar import (
    month_grid,
    recent_events,
    series_occurrences,
    upcoming_occurrences,
)
from tracker.events.fields import CLOSING_SECTIONS
from tracker.events.forms import (
    COMMON_TIMEZONES,
    EventForm,
    blank_row,
    event_form_data,
    keep_stored_rule,
)
from tracker.events.home import (
    choose_month,
    listed_occurrences,
    listed_period,
    nearest_months,
    picker_years,
)
from tracker.events.queries import (
    filter_selects,
    filtered_events,
    parse_event_filters,
    with_list_details,
    with_page_details,
)
from tracker.extensions import db
from tracker.ledger.views import printed_ledger_page
from tracker.media.views import media_context
from tracker.models import Event
from tracker.stats.queries import data_years
from tracker.web import url_with

# Row lists of the event form: the button names use the singular ("add_stop", "remove_stop-2").
ROW_LISTS = {
    "segment": "programme",
    "stop": "stops",
    "organization": "organizations",
    "participant": "participants",
}


MAX_PAGE = 100_000


@blueprint.route("/")
def home():
    """A month calendar (a tapped day's list under it), and the upcoming events."""
    chosen = choose_month(request.args)
    include_internal = can_see_internal()
    grid = month_grid(chosen.year, chosen.month, include_internal=include_internal)
    listed, listed_total = listed_occurrences(grid, chosen.day)
    upcoming = upcoming_occurrences(
        limit=current_app.config["UPCOMING_EVENTS_SHOWN"], include_internal=include_internal
    )
    return render_template(
        "events/home.html",
        grid=grid,
        chosen=chosen,
        listed=listed,
        listed_total=listed_total,
        listed_period=listed_period(grid, chosen.day),
        nearest=[] if listed_total else nearest_months(chosen.year, chosen.month, include_internal),
        years=picker_years(data_years(include_internal), chosen.year),
        per_day=current_app.config["CALENDAR_EVENTS_PER_DAY"],
        upcoming=upcoming,
        recent=[] if upcoming else recent_events(include_internal=include_internal),
        message=" ".join(chosen.messages) or None,
    )


@blueprint.route("/events/")
def list_events():
    """Events matching the filters in the URL, newest first, paginated."""
    filters = parse_event_filters(request.args)
    statement = with_list_details(
        filtered_events(
            filters,
            include_internal=can_see_internal(),
            search_people=current_user.is_authenticated,
        ).order_by(Event.starts_at.desc(), Event.id.desc())
    )
    page = db.paginate(
        statement,
        page=min(request.args.get("page", 1, type=int) or 1, MAX_PAGE),
        per_page=current_app.config["EVENTS_PER_PAGE"],
        max_per_page=100,
        error_out=False,
    )
    if page.pages and page.page > page.pages:
        # Past the last page (an old link, a typed number): its pager would point nowhere.
        return redirect(url_with(page=page.pages))
    return render_template(
        "events/list.html",
        page=page,
        filters=filters,
        selects=filter_selects(filters, ("category",)),
        pickers=filter_pickers(filters, ("organization", "location", "campaign")),
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
    media = media_context(event)
    history = []
    if current_user.is_authenticated:
        history = services.history_lines(db.session.scalars(history_of("event", event.id)).all())
    return render_template(
        "events/show.html",
        event=event,
        occurrences=series_occurrences(event),
        show_people=current_user.is_authenticated,
        can_edit=can_edit_event(current_user, event),
        history=history,
        action_labels=services.ACTION_LABELS,
        closing_sections=CLOSING_SECTIONS,
        show_internal_notes=can_see_internal_notes(current_user),
        ledger_page=printed_ledger_page(event, media["photos"]),
        **media,
        attendance_links=event_attendance_links(event),
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

    Returns True when such a button was pressed; the form is then shown again, unsaved. So
    does switching the language from the form's page (the switch submits what was typed).
    """
    if "switch_language" in request.form:
        return True
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
        form = EventForm(data=_new_event_defaults() | {"submission_token": _new_token()})
        return _render_form(form)
    form = EventForm()
    if _pressed_row_button(form):
        return _render_form(form)
    if not form.validate():
        return _render_form(form, status=422)
    values = form.to_input()
    try:
        event = services.create_event(values, _signed_in_user(), _submitted_token(form))
    except services.AlreadySubmitted as submitted:
        return _show_already_saved(submitted.event_id)
    flash(_("活动已保存：%(title)s", title=values.title), "success")
    return redirect(url_for("events.show_event", event_id=event.id))


def _new_token() -> str:
    """A one-time token for one rendering of the event form."""
    return secrets.token_urlsafe(24)


def _submitted_token(form: EventForm):
    """The form's one-time token as posted (None when absent or not one of ours)."""
    token = (form.submission_token.data or "").strip()
    return token if 16 <= len(token) <= 64 else None


def _show_already_saved(event_id: int):
    """A second submission of the same form: show the event the first one saved."""
    flash(_("这份表单已经提交过，活动已保存，没有再次保存。以下是已保存的活动。"), "info")
    return redirect(url_for("events.show_event", event_id=event_id))


def _new_event_defaults() -> dict:
    """A new event starts with one blank row of each kind, the user's organisation as host."""
    organization_id = current_user.organization_id
    return {
        "programme": [{}],
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
        data = event_form_data(event) | {"submission_token": _new_token()}
        return _render_form(EventForm(data=data), event)
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
        services.update_event(
            event, values, _signed_in_user(), form.submitted_version(), _submitted_token(form)
        )
    except services.AlreadySubmitted as submitted:
        return _show_already_saved(submitted.event_id)
    except services.EditConflict as conflict:
        return _render_conflict(conflict.current, values)
    except services.EventGone:
        flash(_("该活动已被删除，您的修改未保存。"), "error")
        return redirect(url_for("events.list_events"))
    # The commit expired the event: reloading it with its page options only for these two
    # values would take several queries.
    flash(_("活动已保存：%(title)s", title=values.title), "success")
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
    flash(_("活动已删除：%(title)s", title=title), "success")
    return redirect(url_for("events.list_events"))
