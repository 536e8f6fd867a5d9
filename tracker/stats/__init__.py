"""Participant statistics and their export."""

from flask import Blueprint

blueprint = Blueprint("stats", __name__, url_prefix="/stats")

from tracker.stats import all_rows, views  # noqa: E402,F401
