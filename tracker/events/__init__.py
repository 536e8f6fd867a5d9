"""Events: the home page, the list with filters and the event page."""

from flask import Blueprint

blueprint = Blueprint("events", __name__)

from tracker.events import occurrence_views, search, tracking, views  # noqa: E402,F401
