"""Sign-in, accounts, permissions and account administration."""

from flask import Blueprint

blueprint = Blueprint("auth", __name__)

from tracker.auth import models, views  # noqa: E402,F401
