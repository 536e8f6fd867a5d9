"""Reads for other features' pages."""

from __future__ import annotations

from typing import Optional

from flask_login import current_user

from tracker.attendance.services import pending_walk_in_count
from tracker.auth.permissions import can_edit_event
from tracker.models import Event


def event_attendance_links(event: Event) -> Optional[dict]:
    """What the event page's attendance links need, for its editors only (None for others)."""
    if not can_edit_event(current_user, event):
        return None
    return {"pending_walk_ins": pending_walk_in_count(event.id)}
