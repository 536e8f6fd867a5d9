"""The sign-in screen, the phones' sign-in page, the coordinator's attendance page, the
invite list and the printable sign-in sheet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import segno
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tracker.attendance import blueprint, services, tokens
from tracker.attendance.services import AttendanceError
from tracker.attendance.throttle import claim_check_in_attempt
from tracker.auth.permissions import can_edit_event, coordinates
from tracker.extensions import db
from tracker.feeds.services import external_url
from tracker.models import Event, EventInvitation, Organization, Participation, Person, WalkIn

PHONE_DIGITS = 4


def _editable_event(event_id: int) -> Event:
    """The event for its editors: 404 when missing, 403 for everyone else."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not can_edit_event(current_user, event):
        abort(403)
    return event


def _signed_in_user():
    return current_user._get_current_object()


def _local_time(event: Event, moment: datetime) -> str:
    return moment.astimezone(event.zone).strftime("%H:%M")


def _qr_svg(data: str) -> Markup:
    """The QR code as inline SVG, sized by the page's CSS (viewBox only)."""
    code = segno.make(data, error="m")
    # segno writes the SVG from the code's modules alone; `data` never reaches it as markup.
    svg = code.svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704


def _current_token(event: Event) -> tuple[int, str]:
    period = tokens.period_at(services.clock(), current_app.config["CHECKIN_TOKEN_PERIOD_SECONDS"])
    return period, tokens.make_token(current_app.secret_key, event.id, period)


def _screen_figures(event: Event) -> dict:
    """What the sign-in screen shows and its poll returns: the QR, the count, the latest."""
    period, token = _current_token(event)
    latest = services.latest_sign_ins(event.id, current_app.config["CHECKIN_LATEST_NAMES"])
    return {
        "period": period,
        "qr": _qr_svg(external_url("attendance.phone_check_in", code=token)),
        "count": services.signed_in_count(event.id),
        "invited": services.invitee_count(event.id),
        "latest": [
            f"{services.mask_name(item.person.name)} {_local_time(event, item.signed_in_at)}"
            for item in latest
            if item.person is not None
        ],
        "window": services.window_state(event, services.now_from_clock()),
    }


# --- the coordinator's screen ----------------------------------------------------------------


@blueprint.route("/events/<int:event_id>/checkin")
@login_required
def checkin_screen(event_id: int):
    """Full-screen page for a projector: title, rotating QR, count and latest sign-ins."""
    event = _editable_event(event_id)
    return render_template(
        "attendance/screen.html",
        event=event,
        figures=_screen_figures(event),
        refresh_seconds=max(5, current_app.config["CHECKIN_TOKEN_PERIOD_SECONDS"] // 3),
    )


@blueprint.route("/events/<int:event_id>/checkin/live.json")
@login_required
def checkin_live(event_id: int):
    """The screen's figures for its poll (static/js/checkin_screen.js)."""
    event = _editable_event(event_id)
    figures = _screen_figures(event)
    figures["qr"] = str(figures["qr"])
    response = jsonify(figures)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the phones' page ------------------------------------------------------------------------


def _phone_page(title: Optional[str], status: int = 200, **context):
    return render_template("attendance/phone.html", title=title, **context), status


def _client_address() -> str:
    return request.remote_addr or "unknown"


INVALID_CODE = _l("二维码无效，请扫描活动现场的签到二维码。")
EXPIRED_CODE = _l("二维码已过期，请扫描屏幕上的新二维码")


@blueprint.route("/checkin/<code>", methods=["GET", "POST"])
def phone_check_in(code: str):
    """Scan → type your name → pick yourself (or register as a walk-in) → signed in.

    The code in the URL must be current when the page opens; the form then carries a pass
    (tokens.make_pass), so the name may take its time. A post is counted against the
    address's and the event's limits before anything else is read."""
    secret = current_app.secret_key
    config = current_app.config
    now = services.now_from_clock()
    if request.method == "GET":
        period = tokens.period_at(services.clock(), config["CHECKIN_TOKEN_PERIOD_SECONDS"])
        try:
            event_id, _sheet = tokens.read_token(secret, code, period)
        except tokens.TokenExpired:
            return _phone_page(None, message=EXPIRED_CODE)
        except tokens.TokenInvalid:
            return _phone_page(None, 404, message=INVALID_CODE)
        allowed = True
    else:
        event_id = tokens.read_pass(
            secret, request.form.get("pass", ""), config["CHECKIN_FORM_MINUTES"] * 60
        )
        if event_id is None:
            return _phone_page(None, message=EXPIRED_CODE)
        allowed = claim_check_in_attempt(_client_address(), event_id, now)
    event = db.session.get(Event, event_id)
    if event is None:
        return _phone_page(None, 404, message=INVALID_CODE)
    title = event.title
    state = services.window_state(event, now)
    if state != "open":
        return _phone_page(title, message=_window_message(event, state), closed=True)
    context = {"pass_value": tokens.make_pass(secret, event.id), "code": code}
    if request.method == "GET":
        return _phone_page(title, step="name", **context)
    if not allowed:
        return _phone_page(
            title, 429, step="name", error=_("操作过于频繁，请稍后再试。"), **context
        )
    action = request.form.get("action", "find")
    name = "".join(request.form.get("name", "").split())[: services.NAME_MAX]
    if action == "walk_in":
        return _walk_in(event, name, context)
    if action == "not_me":
        return _phone_page(title, step="walk_in", name=name, **context)
    if not name:
        return _phone_page(title, step="name", error=_("请输入姓名。"), **context)
    candidates = services.matching_invitees(event.id, name)
    if not candidates:
        return _phone_page(
            title,
            step="walk_in",
            name=name,
            notice=_(
                "邀请名单中没有找到“%(name)s”。请填写单位，由工作人员确认后计入签到。", name=name
            ),
            **context,
        )
    choices = [
        (person.id, services.mask_name(person.name), _organization_label(person))
        for person in candidates
    ]
    pick_context = {**context, "name": name, "choices": choices, "ask_phone": len(candidates) > 1}
    if action != "pick":
        return _phone_page(title, step="pick", **pick_context)
    person, error = _picked(candidates, request.form)
    if person is None:
        return _phone_page(title, step="pick", error=error, **pick_context)
    zone = event.zone
    result = services.sign_in(event, person, "qr", now)
    at = result.signed_in_at.astimezone(zone).strftime("%H:%M")
    if result.already:
        return _phone_page(title, done=True, message=_("您已于 %(time)s 签到", time=at))
    return _phone_page(title, done=True, message=_("已签到 %(time)s", time=at))


def _organization_label(person: Person) -> str:
    return person.organization.display_name if person.organization is not None else ""


def _picked(candidates: list[Person], form) -> tuple[Optional[Person], Optional[str]]:
    """The invitee the phone chose: by the radio button, and when the name is shared, by the
    last four digits of the phone as well."""
    chosen_id = form.get("person_id", "")
    chosen = [person for person in candidates if str(person.id) == chosen_id]
    if len(candidates) == 1:
        return (chosen[0], None) if chosen else (None, _("请选择您本人。"))
    digits = form.get("last_four", "").strip()
    if len(digits) != PHONE_DIGITS or not digits.isdigit():
        return None, _("名单中有同名人员，请输入您手机号的后四位。")
    pool = chosen or candidates
    matching = [person for person in pool if services.phone_last_four(person.phone) == digits]
    if len(matching) != 1:
        return None, _("手机号后四位与所选人员不符，请核对后再试，或联系工作人员。")
    return matching[0], None


def _walk_in(event: Event, name: str, context: dict):
    organization_text = " ".join(request.form.get("organization", "").split())
    digits = request.form.get("last_four", "").strip()
    errors = []
    if not name:
        errors.append(_("请输入姓名。"))
    if not organization_text:
        errors.append(_("请输入单位。"))
    elif len(organization_text) > services.ORGANIZATION_TEXT_MAX:
        errors.append(
            _("单位名称太长（最多 %(count)s 个字）。", count=services.ORGANIZATION_TEXT_MAX)
        )
    if digits and (len(digits) != PHONE_DIGITS or not digits.isdigit()):
        errors.append(_("手机号后四位应为 4 位数字，也可以不填。"))
    if errors:
        return _phone_page(
            event.title,
            step="walk_in",
            name=name,
            organization=organization_text,
            error=" ".join(errors),
            **context,
        )
    title = event.title
    services.record_walk_in(event, name, organization_text, digits)
    return _phone_page(title, done=True, message=_("已提交，工作人员确认后计入签到。谢谢！"))


def _window_message(event: Event, state: str) -> str:
    config = current_app.config
    opens = event.starts_at - timedelta(minutes=config["CHECKIN_OPENS_MINUTES_BEFORE"])
    closes = event.ends_at + timedelta(minutes=config["CHECKIN_CLOSES_MINUTES_AFTER"])
    zone = event.zone
    span = f"{opens.astimezone(zone):%Y-%m-%d %H:%M} – {closes.astimezone(zone):%Y-%m-%d %H:%M}"
    if event.is_cancelled:
        return _("活动已取消，无需签到。")
    if state == "early":
        return _("签到尚未开始。签到时间：%(span)s", span=span)
    return _("签到已结束。签到时间：%(span)s", span=span)


# --- the coordinator's attendance page -------------------------------------------------------


ATTENDANCE_PER_PAGE = 100


@blueprint.route("/events/<int:event_id>/attendance")
@login_required
def attendance_page(event_id: int):
    """Invitees with their sign-ins (a page at a time; `missing=1`: those not yet there),
    other sign-ins, and walk-ins waiting for review."""
    event = _editable_event(event_id)
    only_missing = request.args.get("missing") == "1"
    page = db.paginate(
        services.invitees_select(event.id, only_missing),
        per_page=ATTENDANCE_PER_PAGE,
        max_per_page=ATTENDANCE_PER_PAGE,
        error_out=False,
    )
    shown_ids = [person.id for person in page.items]
    signed = {
        participation.person_id: participation
        for participation in db.session.scalars(
            select(Participation).where(
                Participation.event_id == event.id, Participation.person_id.in_(shown_ids)
            )
        )
    }
    invited_ids = services.invited_person_ids(event.id).subquery()
    others = list(
        db.session.scalars(
            select(Participation)
            .where(
                Participation.event_id == event.id,
                Participation.signed_in_at.is_not(None),
                Participation.person_id.not_in(select(invited_ids.c.person_id)),
            )
            .options(joinedload(Participation.person))
            .order_by(Participation.signed_in_at)
        )
    )
    walk_ins = list(
        db.session.scalars(
            select(WalkIn).where(WalkIn.event_id == event.id).order_by(WalkIn.created_at)
        )
    )
    return render_template(
        "attendance/attendance.html",
        event=event,
        page=page,
        only_missing=only_missing,
        invited=services.invitee_count(event.id),
        attended=services.attended_invitee_count(event.id),
        signed=signed,
        others=others,
        walk_ins=walk_ins,
        walk_in_organizations=_walk_in_organizations(event),
        local_time=lambda moment: _local_time(event, moment),
    )


def _walk_in_organizations(event: Event) -> list[Organization]:
    """Where an accepted walk-in may go: the invited organisations, and the user's own, that
    the user answers for (adding people is theirs alone)."""
    candidates = [
        invitation.organization
        for invitation in services.invitations_of(event.id)
        if invitation.organization is not None
    ]
    if current_user.organization is not None:
        candidates.append(current_user.organization)
    chosen: dict[int, Organization] = {}
    for organization in candidates:
        if coordinates(current_user, organization.id):
            chosen.setdefault(organization.id, organization)
    return list(chosen.values())


@blueprint.route("/events/<int:event_id>/attendance/sign-in", methods=["POST"])
@login_required
def manual_sign_in(event_id: int):
    """A late arrival added by hand (an invitee, by id)."""
    event = _editable_event(event_id)
    person_id = request.form.get("person_id", "")
    person = db.session.get(Person, int(person_id)) if person_id.isdigit() else None
    if person is None or not services.is_invited(event.id, person.id):
        flash(_("请选择邀请名单中的人员。"), "error")
        return redirect(url_for("attendance.attendance_page", event_id=event.id)), 303
    result = services.sign_in(
        event, person, "manual", services.now_from_clock(), user=_signed_in_user()
    )
    if result.already:
        flash(_("%(name)s 已经签到过了。", name=person.name), "info")
    else:
        flash(_("已为 %(name)s 补签。", name=person.name), "success")
    return redirect(url_for("attendance.attendance_page", event_id=event.id))


@blueprint.route(
    "/events/<int:event_id>/attendance/<int:participation_id>/remove", methods=["POST"]
)
@login_required
def remove_sign_in(event_id: int, participation_id: int):
    """Remove a sign-in made by mistake."""
    event = _editable_event(event_id)
    participation = db.session.get(Participation, participation_id)
    if participation is None or participation.event_id != event.id:
        abort(404)
    if participation.signed_in_at is None and participation.attended is False:
        flash(_("此人没有签到记录。"), "info")
    else:
        services.remove_sign_in(participation, _signed_in_user())
        flash(_("已撤销签到。"), "success")
    return redirect(url_for("attendance.attendance_page", event_id=event.id))


@blueprint.route("/events/<int:event_id>/walk-ins/<int:walk_in_id>", methods=["POST"])
@login_required
def decide_walk_in(event_id: int, walk_in_id: int):
    """Accept a walk-in (into the directory, signed in) or reject it."""
    event = _editable_event(event_id)
    walk_in = db.session.get(WalkIn, walk_in_id)
    if walk_in is None or walk_in.event_id != event.id:
        abort(404)
    decision = request.form.get("decision")
    if decision not in ("accept", "reject"):
        flash(_("请选择接受或拒绝。"), "error")
        return redirect(url_for("attendance.attendance_page", event_id=event.id)), 303
    organization = None
    organization_id = request.form.get("organization_id", "")
    if decision == "accept" and organization_id.isdigit():
        organization = db.session.get(Organization, int(organization_id))
        if organization is None or not coordinates(current_user, organization.id):
            flash(_("只能把人员加入您负责的组织。"), "error")
            return redirect(url_for("attendance.attendance_page", event_id=event.id)), 303
    try:
        services.decide_walk_in(walk_in, decision == "accept", _signed_in_user(), organization)
    except AttendanceError as error:
        flash(str(error), "error")
    else:
        flash(_("已接受，已计入签到。") if decision == "accept" else _("已拒绝。"), "success")
    return redirect(url_for("attendance.attendance_page", event_id=event.id))


# --- the invite list -------------------------------------------------------------------------


@blueprint.route("/events/<int:event_id>/invitations", methods=["GET", "POST"])
@login_required
def invitations(event_id: int):
    """Invite whole organisations and single people; the invitees form the expected list."""
    event = _editable_event(event_id)
    choices: list[Person] = []
    status = 200
    if request.method == "POST":
        kind = request.form.get("kind")
        text = " ".join(request.form.get("name", "").split())[:200]
        if kind == "organization":
            organization = db.session.scalar(
                select(Organization)
                .where(or_(Organization.name == text, Organization.short_name == text))
                .order_by(Organization.id)
                .limit(1)
            )
            if organization is None:
                flash(_("没有找到名为“%(name)s”的组织。", name=text), "error")
                status = 422
            elif services.invite(event, _signed_in_user(), organization=organization):
                flash(_("已邀请 %(name)s。", name=organization.name), "success")
                return redirect(url_for("attendance.invitations", event_id=event.id))
            else:
                flash(_("%(name)s 已在邀请名单中。", name=organization.name), "info")
        elif kind == "person":
            person_id = request.form.get("person_id", "")
            if person_id.isdigit():
                choices = [db.session.get(Person, int(person_id))] if person_id else []
                choices = [person for person in choices if person is not None]
            else:
                choices = list(
                    db.session.scalars(
                        select(Person).where(Person.name == text).order_by(Person.id).limit(20)
                    )
                )
            if not choices:
                flash(_("没有找到名为“%(name)s”的人员。", name=text), "error")
                status = 422
            elif len(choices) == 1:
                person = choices[0]
                if services.invite(event, _signed_in_user(), person=person):
                    flash(_("已邀请 %(name)s。", name=person.name), "success")
                else:
                    flash(_("%(name)s 已在邀请名单中。", name=person.name), "info")
                return redirect(url_for("attendance.invitations", event_id=event.id))
        else:
            flash(_("请选择邀请组织或人员。"), "error")
            status = 422
    return (
        render_template(
            "attendance/invitations.html",
            event=event,
            invitations=services.invitations_of(event.id),
            invitee_count=services.invitee_count(event.id),
            choices=choices if len(choices) > 1 else [],
        ),
        status,
    )


@blueprint.route("/events/<int:event_id>/invitations/<int:invitation_id>/delete", methods=["POST"])
@login_required
def remove_invitation(event_id: int, invitation_id: int):
    event = _editable_event(event_id)
    invitation = db.session.get(EventInvitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        abort(404)
    services.remove_invitation(invitation, _signed_in_user())
    flash(_("已移出邀请名单。"), "success")
    return redirect(url_for("attendance.invitations", event_id=event.id))


# --- the printable sign-in sheet -------------------------------------------------------------


@blueprint.route("/events/<int:event_id>/sign-in-sheet")
@login_required
def sign_in_sheet(event_id: int):
    """签到表 to print: the event's facts, a QR for the sign-in window, invitees with an empty
    signature column, and blank rows."""
    event = _editable_event(event_id)
    token = tokens.make_token(current_app.secret_key, event.id, tokens.SHEET_PERIOD)
    return render_template(
        "attendance/sheet.html",
        event=event,
        qr=_qr_svg(external_url("attendance.phone_check_in", code=token)),
        expected=services.invitees(event.id),
        blank_rows=10,
    )
