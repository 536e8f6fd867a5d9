"""A series' single occurrences on its event page: skip a date and bring it back, change only
one occurrence, add an extra date. For those who may edit the event; no JavaScript needed."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.events import blueprint
from tracker.events.exceptions import (
    OccurrenceProblem,
    OccurrenceRow,
    add_occurrence,
    change_occurrence,
    change_of,
    is_rule_occurrence,
    occurrence_key,
    parse_occurrence_key,
    restore_occurrence,
    skip_occurrence,
)
from tracker.events.occurrence_forms import OccurrenceAddForm, OccurrenceChangeForm
from tracker.events.services import EditConflict, EventGone
from tracker.events.views import _editable_event
from tracker.models import Event
from tracker.models.occurrences import SKIPPED


def _back(event_id: int):
    return redirect(url_for("events.show_event", event_id=event_id) + "#occurrences")


def _signed_in_user():
    return current_user._get_current_object()


def _save(event_id: int, action, success: str):
    """Run a save; a problem or a conflict becomes a message. Always back to the event page."""
    try:
        action()
    except OccurrenceProblem as problem:
        flash(str(problem), "error")
    except (EditConflict, EventGone):
        flash(_("活动刚被他人修改或删除，请查看后再操作。"), "error")
    else:
        flash(success, "success")
    return _back(event_id)


def _chosen_occurrence(event: Event, source) -> Optional[datetime]:
    """The occurrence the request names, or None (with a message) when there is none."""
    if not event.is_recurring:
        flash(_("只有重复活动才能跳过、添加或单独修改某一次。"), "error")
        return None
    original = parse_occurrence_key(source.get("occurrence"))
    if original is None:
        flash(_("未指定要修改的那一次活动。"), "error")
    return original


def _skip_or_restore(event_id: int, act, success: str):
    """Skip or restore the occurrence the form names, then back to the event page."""
    event = _editable_event(event_id)
    original = _chosen_occurrence(event, request.form)
    if original is None:
        return _back(event_id)
    return _save(event_id, lambda: act(event, original, _signed_in_user()), success)


@blueprint.route("/events/<int:event_id>/occurrences/skip", methods=["POST"])
@login_required
def skip_occurrence_view(event_id: int):
    """Skip one date of the series (EXDATE)."""
    return _skip_or_restore(event_id, skip_occurrence, _("已跳过这一次；可以随时恢复。"))


@blueprint.route("/events/<int:event_id>/occurrences/restore", methods=["POST"])
@login_required
def restore_occurrence_view(event_id: int):
    """Undo a skip or a change of one occurrence."""
    return _skip_or_restore(event_id, restore_occurrence, _("这一次已恢复为按重复规则安排。"))


@blueprint.route("/events/<int:event_id>/occurrences/change", methods=["GET", "POST"])
@login_required
def change_occurrence_view(event_id: int):
    """Change only one occurrence: its time, title, place or note, or cancel it."""
    event = _editable_event(event_id)
    source = request.args if request.method == "GET" else request.form
    original = _chosen_occurrence(event, source)
    if original is None:
        return _back(event_id)
    change = change_of(event, original)
    if change is None and not is_rule_occurrence(event, original):
        flash(_("该日期不是此重复活动的一次。"), "error")
        return _back(event_id)
    if request.method == "GET":
        form = OccurrenceChangeForm(formdata=None)
        form.occurrence.data = occurrence_key(original)
        held = change is not None and change.kind != SKIPPED
        duration = event.ends_at - event.starts_at
        form.fill_from(
            event,
            change.starts_at if held else original,
            change.ends_at if held else original + duration,
        )
        if held:
            form.title.data, form.location.data = change.title, change.location
            form.note.data, form.cancelled.data = change.note, change.is_cancelled
        return _render(event, form, original)
    form = OccurrenceChangeForm()
    if not form.validate():
        return _render(event, form, original, status=422)
    starts_at, ends_at = form.times(event)
    row = OccurrenceRow(
        original,
        "changed",
        starts_at,
        ends_at,
        title=form.title.data if form.title.data != event.title else None,
        location=form.location.data,
        note=form.note.data,
        is_cancelled=form.cancelled.data,
    )
    try:
        change_occurrence(event, row, _signed_in_user())
    except OccurrenceProblem as problem:
        form.date.errors = [*form.date.errors, str(problem)]
        return _render(event, form, original, status=422)
    except (EditConflict, EventGone):
        flash(_("活动刚被他人修改或删除，请查看后再操作。"), "error")
        return _back(event_id)
    flash(_("这一次的修改已保存，订阅者会在日历中看到。"), "success")
    return _back(event_id)


@blueprint.route("/events/<int:event_id>/occurrences/add", methods=["GET", "POST"])
@login_required
def add_occurrence_view(event_id: int):
    """Add an extra date to the series (RDATE)."""
    event = _editable_event(event_id)
    if not event.is_recurring:
        flash(_("只有重复活动才能跳过、添加或单独修改某一次。"), "error")
        return _back(event_id)
    if request.method == "GET":
        form = OccurrenceAddForm(formdata=None)
        form.fill_from(event, event.starts_at, event.ends_at)
        form.date.data = None
        return _render(event, form, None)
    form = OccurrenceAddForm()
    if not form.validate():
        return _render(event, form, None, status=422)
    starts_at, ends_at = form.times(event)
    try:
        add_occurrence(event, starts_at, ends_at, _signed_in_user())
    except OccurrenceProblem as problem:
        form.date.errors = [*form.date.errors, str(problem)]
        return _render(event, form, None, status=422)
    except (EditConflict, EventGone):
        flash(_("活动刚被他人修改或删除，请查看后再操作。"), "error")
        return _back(event_id)
    flash(_("已添加这一次，订阅者会在日历中看到。"), "success")
    return _back(event_id)


def _render(event: Event, form, original: Optional[datetime], status: int = 200):
    return (
        render_template("events/occurrence_form.html", event=event, form=form, original=original),
        status,
    )
