"""Sign-in and sign-out, the account page, and account administration for admins."""

from typing import Optional

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth import blueprint
from tracker.auth.forms import LoginForm, PasswordChangeForm, UserCreateForm, UserEditForm
from tracker.auth.permissions import admin_required
from tracker.auth.services import (
    AccountError,
    account_for_session,
    authenticate,
    change_own_password,
    claim_sign_in_attempt,
    create_user,
    end_all_sessions,
    forgive_sign_in,
    update_user,
)
from tracker.db import now_utc
from tracker.extensions import db, login_manager
from tracker.feeds.services import feed_tokens_of
from tracker.models import User
from tracker.web import safe_next_url

login_manager.login_view = "auth.login"
login_manager.login_message = _l("请先登录。")
login_manager.login_message_category = "info"


# Session keys: when the session signed in and when it last saw a request (Unix seconds).
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# Flask-Login's own keys and Flask-WTF's CSRF secret: all of them end with the session.
_SESSION_KEYS = ("_user_id", "_fresh", "_id", "csrf_token", SIGNED_IN_AT, SEEN_AT)


@login_manager.user_loader
def load_user(session_user_id: str) -> Optional[User]:
    """The session's account, unless the session has ended (see account_for_session)."""
    user = account_for_session(session_user_id, session.get(SIGNED_IN_AT), session.get(SEEN_AT))
    if user is None:
        _forget_session()
        return None
    now = now_utc().timestamp()
    if now - session[SEEN_AT] >= 60:  # a minute's precision spares a new cookie per request
        session[SEEN_AT] = now
    return user


def _start_session(user: User) -> None:
    """Sign the user in on this browser under the account's current session generation."""
    _forget_session()
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = now_utc().timestamp()


def _forget_session() -> None:
    for key in _SESSION_KEYS:
        session.pop(key, None)


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _wait_message(seconds: int) -> str:
    if seconds < 120:
        return _(
            "登录失败次数过多，请 %(seconds)d 秒后再试。如忘记密码，请联系管理员。",
            seconds=seconds,
        )
    return _(
        "登录失败次数过多，请 %(minutes)d 分钟后再试。如忘记密码，请联系管理员。",
        minutes=-(-seconds // 60),
    )


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; sign in on a valid POST. Repeated failures of one account from
    one address make its next attempts wait (429), never anybody else's."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")) or url_for("events.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data, _client_address()
        wait = claim_sign_in_attempt(username, address)
        if wait:
            form.password.errors.append(_wait_message(wait))
            response = render_template("auth/login.html", form=form)
            return response, 429, {"Retry-After": str(wait)}
        user = authenticate(username, form.password.data)
        if user is not None:
            forgive_sign_in(username, address)
            _start_session(user)
            flash(_("欢迎，%(name)s。", name=user.username), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("events.home"))
        form.password.errors.append(_("用户名或密码错误。"))
    return render_template("auth/login.html", form=form)


@blueprint.route("/logout", methods=["GET"])
def confirm_logout():
    """A page with a button, so that following a link never signs anybody out."""
    if not current_user.is_authenticated:
        return redirect(url_for("events.home"))
    return render_template("auth/logout.html")


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, so a link cannot sign anybody out). Every session of the account
    ends, on this browser and on every other device, so a copied cookie is worth nothing."""
    end_all_sessions(current_user._get_current_object())
    logout_user()
    _forget_session()
    if request.form.get("everywhere"):
        flash(_("您已在所有设备上退出登录。"), "info")
    else:
        flash(_("您已退出登录。"), "info")
    return redirect(url_for("events.home"))


@blueprint.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The signed-in user's name, role and organisation; change the password here."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_own_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
            )
        except AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            _start_session(current_user._get_current_object())
            flash(_("密码已修改，其他设备上的登录已结束。"), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        form=form,
        user=current_user,
        feed_tokens=feed_tokens_of(current_user),
    )


# --- account administration (admins only) -------------------------------------------------


@blueprint.route("/admin/users/")
@admin_required
def list_users():
    """All accounts with role, organisation and state."""
    users = db.session.scalars(
        select(User).options(selectinload(User.organization)).order_by(User.username)
    ).all()
    return render_template("admin/users.html", users=users)


@blueprint.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    """Create an account with a first password the admin hands over."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                form.username.data,
                form.password.data,
                role=form.role.data,
                organization=form.organization.entry,
                created_by=current_user._get_current_object(),
            )
        except AccountError as error:
            form.username.errors.append(str(error))
        else:
            flash(_("已创建账号 %(name)s。", name=user.username), "success")
            return redirect(url_for("auth.list_users"))
    return render_template("admin/user_form.html", form=form, account=None)


@blueprint.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    """Change an account's role, organisation or state, or set a new password."""
    account = db.get_or_404(User, user_id)
    form = UserEditForm(obj=account)
    if form.validate_on_submit():
        try:
            update_user(
                account,
                role=form.role.data,
                organization=form.organization.entry,
                is_enabled=form.is_enabled.data,
                new_password=form.new_password.data or "",
                changed_by=current_user._get_current_object(),
            )
        except AccountError as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            if account.id == current_user.id:
                _start_session(account)  # the admin's own sessions ended; keep this one
            flash(_("账号 %(name)s 已更新。", name=account.username), "success")
            return redirect(url_for("auth.list_users"))
    return render_template("admin/user_form.html", form=form, account=account)
