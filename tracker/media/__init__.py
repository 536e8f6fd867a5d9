"""Event photos and attachments: upload, gallery, file delivery that follows the event."""

from flask import Blueprint

blueprint = Blueprint("media", __name__)

from tracker.media import cleanup, views  # noqa: E402,F401  (listeners and routes register)
