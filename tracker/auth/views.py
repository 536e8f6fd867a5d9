"""Sign-in and sign-out."""

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth import blueprint
from tracker.auth.forms import LoginForm
from tracker.auth.services import authenticate
from tracker.extensions import db, login_manager
from tracker.models import User

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("events.home")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; sign in on a valid POST."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            flash(_("欢迎，%(name)s。", name=user.username), "success")
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("用户名或密码错误。"))
    return render_template("auth/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, so a link cannot sign anybody out)."""
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("events.home"))
