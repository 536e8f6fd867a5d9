"""Sign-in and accounts."""

from flask import Blueprint

blueprint = Blueprint("auth", __name__)

from tracker.auth import views  # noqa: E402,F401
