"""Writing directory entries (organisations, people, locations, categories, campaigns).

One service saves any of them, owns the transaction and writes the audit entry; another
erases a person's personal data.
"""

import json
import re
from datetime import date
from typing import Any, Optional, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Text, cast, or_, select
from sqlalchemy.exc import IntegrityError

from tracker.audit import diff_values, record_audit
from tracker.extensions import db
from tracker.models import AuditEntry, Person, User

Entry = TypeVar("Entry")


def find_or_add(
    model: type[Entry],
    match: dict[str, Any],
    *,
    fallback: Optional[dict[str, Any]] = None,
    defaults: Optional[dict[str, Any]] = None,
    memo: Optional[dict[tuple, Any]] = None,
    insert_now: bool = False,
    created: Optional[list[Any]] = None,
) -> Entry:
    """The entry whose columns equal `match`, else the one equal to `fallback` (when given),
    else a new one with `defaults`, `fallback` and `match` (added to the session, unsaved;
    appended to `created` when given).

    Used where directory entries arrive by name (event forms, demo data, calendar imports);
    an existing entry keeps its own details. `memo` remembers the answers of one batch by
    (model, match), so an entry added earlier in it is found again without a flush.
    `insert_now` inserts a new entry at once in a savepoint: when another request inserted
    the same name meanwhile (two coordinators typing the same new place), the unique
    constraint refuses ours and theirs is reused, instead of the whole save failing. The
    session is flushed first, so pending objects must be complete."""
    key = (model.__name__, *sorted(match.items()))
    if memo is not None and key in memo:
        return memo[key]
    if insert_now:
        entry = _find(model, match, fallback)
    else:
        # Entries added earlier in the batch are in `memo`: no need to flush for the lookup.
        with db.session.no_autoflush:
            entry = _find(model, match, fallback)
    if entry is None:
        new_entry = model(**{**(defaults or {}), **(fallback or {}), **match})
        entry = _insert_or_reuse(new_entry, match, fallback) if insert_now else new_entry
        if entry is new_entry:
            db.session.add(entry)
            if created is not None:
                created.append(entry)
    if memo is not None:
        memo[key] = entry
    return entry


def _find(model: type[Entry], match: dict[str, Any], fallback: Optional[dict[str, Any]]):
    """The entry equal to `match`, else to `fallback`, else None."""
    entry = db.session.scalar(select(model).filter_by(**match))
    if entry is None and fallback:
        entry = db.session.scalar(select(model).filter_by(**fallback))
    return entry


def _insert_or_reuse(entry: Entry, match: dict[str, Any], fallback: Optional[dict[str, Any]]):
    """Insert `entry` in a savepoint; when a unique constraint refuses it, the entry another
    transaction committed under the same name (rolled back to the savepoint, ours is gone)."""
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        existing = _find(type(entry), match, fallback)
        if existing is None:
            raise
        return existing
    return entry


class DirectoryError(ValueError):
    """A user-facing reason why an entry could not be saved."""


def save_entry(entry: Any, values: dict[str, Any], user: User) -> Any:
    """Create (when the entry has no id yet) or update an entry from typed values.

    The database's unique constraints are the last word: a duplicate that slipped past the
    form (two people saving at once) becomes a DirectoryError, with nothing saved.
    """
    is_new = entry.id is None
    before = {} if is_new else _display_values(entry, values)
    for name, value in values.items():
        if getattr(entry, name) != value:
            setattr(entry, name, value)
    if is_new:
        db.session.add(entry)
    try:
        db.session.flush()
        changes = diff_values(before, _display_values(entry, values))
        if is_new:
            changes = {name: change for name, change in changes.items() if change[1] is not None}
        if is_new or changes:
            record_audit("create" if is_new else "edit", entry, user=user, changes=changes)
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DirectoryError(_("保存失败：名称或代码与已有条目重复，请修改后再试。")) from error
    return entry


def _display_values(entry: Any, names) -> dict[str, Any]:
    """JSON-friendly values for the audit trail: related entries by name, dates as text."""
    result = {}
    for name in names:
        value = getattr(entry, name)
        if hasattr(value, "name"):
            value = value.name
        elif isinstance(value, date):
            value = value.isoformat()
        result[name] = value
    return result


# --- people in audit texts, and erasure ------------------------------------------------------

PERSON_REFERENCE = re.compile(r"人员#(\d+)")
PERSONAL_FIELDS = ("name", "title", "is_party_member", "phone", "email")


def person_reference(person_id: int) -> str:
    """How audit texts refer to a person: by id, never by name, so erasing the person leaves
    nothing to scrub; the history shows the current name."""
    return f"人员#{person_id}"


def erased_name(person_id: int) -> str:
    """The placeholder an erased person keeps instead of a name (stored data, not UI text)."""
    return f"已删除人员 #{person_id}"


def erase_person(person: Person, user: Optional[User]) -> None:
    """Replace a person's name and contact details by a placeholder and scrub their name from
    the audit trail; participations stay, so statistics keep their totals.

    The erasure is audited without the name. Cannot be undone."""
    name = person.name
    person.name = erased_name(person.id)
    person.title = None
    person.is_party_member = False
    person.phone = None
    person.email = None
    _scrub_audit_texts(person.id, name)
    entry = record_audit("erase", person, user=user, summary=person.name)
    if user is None:
        entry.user = None  # record_audit would name a signed-in user; none was given
    db.session.commit()


def _scrub_audit_texts(person_id: int, name: str) -> None:
    """Remove the person's details from their own audit entries and their name from the
    participant lists of the others (entries written before people were kept by id)."""
    escaped = json.dumps(name)[1:-1]  # how the JSON column may hold it
    statement = select(AuditEntry).where(
        or_(
            (AuditEntry.entity_type == "person") & (AuditEntry.entity_id == person_id),
            AuditEntry.summary.contains(name, autoescape=True),
            cast(AuditEntry.changes, Text).contains(name, autoescape=True),
            cast(AuditEntry.changes, Text).contains(escaped, autoescape=True),
        )
    )
    for entry in db.session.scalars(statement):
        if entry.entity_type == "person" and entry.entity_id == person_id:
            entry.summary = erased_name(person_id)
            entry.changes = {
                field: _scrubbed_change(field, change, erased_name(person_id))
                for field, change in (entry.changes or {}).items()
            }
        elif "participants" in (entry.changes or {}):
            changes = dict(entry.changes)
            changes["participants"] = [
                _without_participant(value, name, person_reference(person_id))
                for value in changes["participants"]
            ]
            entry.changes = changes


def _scrubbed_change(field: str, change: list, placeholder: str) -> list:
    """A person's own recorded change: the name becomes the placeholder, other personal
    details are forgotten, the rest (their organisation) stays."""
    if field == "name":
        return [placeholder if value is not None else None for value in change]
    if field in PERSONAL_FIELDS:
        return [None] * len(change)
    return change


def _without_participant(text: Any, name: str, reference: str) -> Any:
    """A participant list ("张三；李四（志愿者） 2小时") with the person's entries by reference."""
    if not isinstance(text, str):
        return text
    items = []
    for item in text.split("；"):
        if item == name or item.startswith((name + "（", name + " ")):
            item = reference + item[len(name) :]
        items.append(item)
    return "；".join(items)
