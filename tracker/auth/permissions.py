"""Who may do what: admins everything, coordinators their organisation's and their own events."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from tracker.models import Event, User

EDITING_ROLES = ("host", "co_organizer")


def can_see_internal() -> bool:
    """Signed-in coordinators see internal events; anonymous visitors only public ones."""
    return current_user.is_authenticated


def can_edit_event(user: User, event: Event) -> bool:
    """Admins edit every event; a coordinator edits the events they created and those their
    organisation hosts or co-organises."""
    if not user or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if event.created_by_id is not None and event.created_by_id == user.id:
        return True
    return user.organization_id is not None and any(
        link.organization_id == user.organization_id and link.role in EDITING_ROLES
        for link in event.organization_links
    )


def require_event_editor(event: Event) -> None:
    """Answer 403 unless the signed-in user may edit the event."""
    if not can_edit_event(current_user, event):
        abort(403)


def admin_required(view):
    """Only admins pass; anonymous visitors are sent to sign in, coordinators get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
