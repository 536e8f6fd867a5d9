"""Attendance: invite lists, the sign-in QR and the phones' sign-in page, the coordinator's
corrections and walk-in review, printable sign-in sheets and roster imports from Excel."""

from flask import Blueprint

blueprint = Blueprint("attendance", __name__)

from tracker.attendance import roster_views, views  # noqa: E402,F401
