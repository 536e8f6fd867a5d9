"""The 活动台账: each event's record as Word, and the annual bound ledger as a background job."""

from flask import Blueprint

blueprint = Blueprint("ledger", __name__)

from tracker.ledger import annual, views  # noqa: E402,F401  (job kind and routes register)
