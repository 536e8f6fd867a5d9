"""The audit trail: who changed what, when, with each changed field's old and new value."""

from typing import Any, Optional

from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from tracker.db import now_utc
from tracker.extensions import db
from tracker.models import AuditEntry, User

ENTITY_TYPES = {
    "Event": "event",
    "Organization": "organization",
    "Location": "location",
    "Person": "person",
    "Category": "category",
    "Campaign": "campaign",
    "User": "user",
    "Participation": "participation",
    "EventInvitation": "invitation",
    "WalkIn": "walk_in",
}


def record_audit(
    action: str,
    entity: Any,
    *,
    changes: Optional[dict[str, list]] = None,
    summary: Optional[str] = None,
    user: Optional[User] = None,
) -> AuditEntry:
    """Add an audit entry to the session; the calling service commits it with its change.

    `changes` maps a field name to [old, new] display values. The entity must have an id.
    """
    if user is None and current_user and current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
    entry = AuditEntry(
        user=user,
        entity_type=ENTITY_TYPES[type(entity).__name__],
        entity_id=entity.id,
        action=action,
        summary=(summary or _entity_name(entity))[:300],
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def insert_audit_entries(
    entries: list[tuple[str, Any, Optional[dict[str, list]], Optional[str], Optional[User]]],
) -> None:
    """Write many audit entries (action, entity, changes, summary, user) in the session's
    transaction as `record_audit` would add them, without an ORM object for each: for an
    import's thousands of entries, which nothing reads before the commit. A user of None
    is nobody (`record_audit` would name a signed-in user; look that up with
    `signed_in_user` when wanted)."""
    if not entries:
        return
    now = now_utc()
    rows = [
        {
            "user_id": user.id if user is not None else None,
            "entity_type": ENTITY_TYPES[type(entity).__name__],
            "entity_id": entity.id,
            "action": action,
            "summary": (summary or _entity_name(entity))[:300],
            "changes": changes or {},
            "created_at": now,
        }
        for action, entity, changes, summary, user in entries
    ]
    db.session.connection().execute(AuditEntry.__table__.insert(), rows)


def signed_in_user() -> Optional[User]:
    """The user signed in to this request, as `record_audit` names them, or None."""
    if current_user and current_user.is_authenticated:
        return db.session.get(User, current_user.id)
    return None


def diff_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for the fields whose display value differs."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def history_of(entity_type: str, entity_id: int) -> Select:
    """Audit entries of one entity, newest first."""
    return (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .options(selectinload(AuditEntry.user))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )


def _entity_name(entity: Any) -> str:
    for attribute in ("title", "name", "username", "name_zh"):
        value = getattr(entity, attribute, None)
        if value:
            return str(value)
    return f"{type(entity).__name__} {entity.id}"
