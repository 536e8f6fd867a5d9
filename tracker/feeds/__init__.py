"""iCalendar feeds: public, per-event and private."""

from flask import Blueprint

blueprint = Blueprint("feeds", __name__)

from tracker.feeds import views  # noqa: E402,F401
