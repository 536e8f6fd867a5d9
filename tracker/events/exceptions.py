"""Writing the exceptions of a recurring series: skip one date, bring it back, change only
one occurrence (move, retitle, another place, a note, cancel), add an extra date, and replace
them all at once (an import). The one writer of `OccurrenceChange` rows.

Every change is one transaction with an audit entry on the event; the flush listener
(tracker.events.tracking) raises the event's SEQUENCE and `updated_at`, which moves the data
version the caches read, and recomputes the series' end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from tracker.audit import record_audit
from tracker.events.fields import OCCURRENCE_CHANGES
from tracker.events.services import _commit_or_conflict
from tracker.extensions import db
from tracker.i18n import default_locale
from tracker.models import Event, OccurrenceChange, User
from tracker.models.occurrences import ADDED, CHANGED, SKIPPED

# Most skipped, added and changed occurrences one series keeps.
MAX_OCCURRENCE_CHANGES = 500
LIMITS = {"title": 200, "location": 300, "note": 300}
KEY_FORMAT = "%Y%m%dT%H%M%SZ"  # as ListedOccurrence.key writes it
# The years the forms accept (tracker.forms); beyond them local times overflow.
FIRST_KEY_YEAR, LAST_KEY_YEAR = 1900, 9998


class OccurrenceProblem(ValueError):
    """Why an exception cannot be saved, as a Chinese sentence; nothing was saved."""


@dataclass
class OccurrenceRow:
    """One exception as plain values: what the form, the importer and the tests give."""

    original_starts_at: datetime
    kind: str
    starts_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None
    title: Optional[str] = None
    location: Optional[str] = None
    note: Optional[str] = None
    is_cancelled: bool = False

    @property
    def key(self) -> datetime:
        return self.original_starts_at.astimezone(UTC)

    def same_as(self, change: OccurrenceChange) -> bool:
        return _row_values(self) == _row_values(change)


def _row_values(row) -> tuple:
    def moment(value):
        return value.astimezone(UTC) if value is not None else None

    held = row.kind != SKIPPED
    return (
        moment(row.original_starts_at),
        row.kind,
        moment(row.starts_at) if held else None,
        moment(row.ends_at) if held else None,
        row.title or None,
        row.location or None,
        row.note or None,
        bool(row.is_cancelled),
    )


def occurrence_key(moment: datetime) -> str:
    """An occurrence's original start as the forms carry it: `20261002T110000Z`."""
    return moment.astimezone(UTC).strftime(KEY_FORMAT)


def parse_occurrence_key(text: Optional[str]) -> Optional[datetime]:
    """The original start a form names, or None for a missing or malformed value."""
    try:
        moment = datetime.strptime((text or "")[:40].strip(), KEY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment if FIRST_KEY_YEAR <= moment.year <= LAST_KEY_YEAR else None


def is_rule_occurrence(event: Event, moment: datetime) -> bool:
    """Whether the series' rule (exceptions aside) gives an occurrence starting at `moment`."""
    if not event.is_recurring:
        return False
    found = event._rule_occurrences(moment, moment + timedelta(seconds=1), limit=1)
    return bool(found) and found[0][0] == moment


def change_of(event: Event, original: datetime) -> Optional[OccurrenceChange]:
    for change in event.occurrence_changes:
        if change.original_starts_at == original:
            return change
    return None


# --- one occurrence from the event page ---------------------------------------------------


def skip_occurrence(event: Event, original: datetime, user: User) -> None:
    """Leave the occurrence starting at `original` out of the series (EXDATE); an added date
    is simply removed."""
    _require_series(event)
    change = change_of(event, original)
    if change is not None and change.kind == ADDED:
        _save(event, user, "skip_occurrence", lambda: event.occurrence_changes.remove(change))
        return
    if change is None and not is_rule_occurrence(event, original):
        raise OccurrenceProblem(_("该日期不是此重复活动的一次。"))
    if change is not None and change.kind == SKIPPED:
        return

    def apply() -> None:
        # A changed occurrence becomes a skipped one in place (a delete and an insert of the
        # same key in one flush would trip the unique key: inserts run first).
        if change is not None:
            _copy(OccurrenceRow(original, SKIPPED), change)
        else:
            _add_row(event, OccurrenceRow(original, SKIPPED))

    _save(event, user, "skip_occurrence", apply)


def restore_occurrence(event: Event, original: datetime, user: User) -> bool:
    """Undo a skip or a change: the occurrence is again as the series gives it. Whether
    anything was undone."""
    change = change_of(event, original)
    if change is None:
        return False
    _save(event, user, "restore_occurrence", lambda: event.occurrence_changes.remove(change))
    return True


def change_occurrence(event: Event, row: OccurrenceRow, user: User) -> None:
    """Save a change of one occurrence (an added date keeps being an added date, at its new
    time; cancelling an added date removes it)."""
    _require_series(event)
    original = row.key
    existing = change_of(event, original)
    if existing is None and not is_rule_occurrence(event, original):
        raise OccurrenceProblem(_("该日期不是此重复活动的一次。"))
    _check_row(event, row)
    if existing is not None and existing.kind == ADDED:
        if row.is_cancelled:
            _save(
                event, user, "change_occurrence", lambda: event.occurrence_changes.remove(existing)
            )
            return
        row.kind = ADDED
    else:
        row.kind = CHANGED
    if existing is not None and row.same_as(existing):
        return

    def apply() -> None:
        if existing is not None:
            _copy(row, existing)
        else:
            _add_row(event, row)

    _save(event, user, "change_occurrence", apply)


def add_occurrence(
    event: Event, starts_at: datetime, ends_at: datetime, user: User
) -> OccurrenceChange:
    """Add an extra occurrence to the series (RDATE)."""
    _require_series(event)
    row = OccurrenceRow(starts_at, ADDED, starts_at, ends_at)
    _check_row(event, row)
    if change_of(event, row.key) is not None or is_rule_occurrence(event, row.key):
        raise OccurrenceProblem(_("这个时间已经有一次活动了。"))
    if len(event.occurrence_changes) >= MAX_OCCURRENCE_CHANGES:
        raise OccurrenceProblem(_too_many())
    added: list[OccurrenceChange] = []
    _save(event, user, "add_occurrence", lambda: added.append(_add_row(event, row)))
    return added[0]


# --- all of them at once (imports) ----------------------------------------------------------


def replace_occurrence_changes(event: Event, rows: list[OccurrenceRow]) -> Optional[list]:
    """Make the event's exceptions exactly `rows` (in the caller's transaction, no commit);
    a row without a note keeps the note of the change it replaces.

    Returns [old text, new text] for the audit trail when anything changed, else None.
    """
    if len(rows) > MAX_OCCURRENCE_CHANGES:
        raise OccurrenceProblem(_too_many())
    wanted = {row.key: row for row in rows}
    current = {change.original_starts_at: change for change in event.occurrence_changes}
    for key, row in wanted.items():
        if key in current and row.note is None:
            row.note = current[key].note  # files never carry the internal notes
    if wanted.keys() == current.keys() and all(wanted[key].same_as(current[key]) for key in wanted):
        return None
    before = describe_occurrence_changes(event)
    for key, change in current.items():
        if key not in wanted:
            event.occurrence_changes.remove(change)
    for key, row in wanted.items():
        if key in current:
            _copy(row, current[key])
        else:
            _add_row(event, row)
    return [before, describe_occurrence_changes(event)]


# --- helpers ---------------------------------------------------------------------------------


def _too_many() -> str:
    return _("一个重复活动最多保存 %(n)s 处单次变更。", n=MAX_OCCURRENCE_CHANGES)


def _require_series(event: Event) -> None:
    if not event.is_recurring:
        raise OccurrenceProblem(_("只有重复活动才能跳过、添加或单独修改某一次。"))


def _check_row(event: Event, row: OccurrenceRow) -> None:
    if row.starts_at is None or row.ends_at is None:
        raise OccurrenceProblem(_("请填写这一次的时间。"))
    if row.ends_at < row.starts_at:
        raise OccurrenceProblem(_("结束时间不能早于开始时间。"))
    if row.starts_at < event.starts_at:
        raise OccurrenceProblem(_("单次活动不能早于该重复活动的第一次。"))
    for name, limit in LIMITS.items():
        value = getattr(row, name)
        if value and len(value) > limit:
            raise OccurrenceProblem(_("内容太长（最多 %(n)s 个字符）。", n=limit))


def _copy(row: OccurrenceRow, change: OccurrenceChange) -> None:
    held = row.kind != SKIPPED
    values = {
        "kind": row.kind,
        "starts_at": row.starts_at if held else None,
        "ends_at": row.ends_at if held else None,
        "title": row.title or None,
        "location": row.location or None,
        "note": row.note or None,
        "is_cancelled": bool(row.is_cancelled),
    }
    for name, value in values.items():
        if getattr(change, name) != value:
            setattr(change, name, value)


def _add_row(event: Event, row: OccurrenceRow) -> OccurrenceChange:
    change = OccurrenceChange(original_starts_at=row.key)
    _copy(row, change)
    event.occurrence_changes.append(change)
    return change


def _save(event: Event, user: Optional[User], action: str, apply) -> None:
    """Apply a change of the exceptions and commit it with its audit entry."""
    before = describe_occurrence_changes(event)
    apply()
    after = describe_occurrence_changes(event)
    record_audit(action, event, user=user, changes={OCCURRENCE_CHANGES: [before, after]})
    try:
        _commit_or_conflict(event)
    except IntegrityError as error:  # the same occurrence changed in another request meanwhile
        db.session.rollback()
        raise OccurrenceProblem(_("这一次刚被他人修改，请刷新页面后再操作。")) from error


def describe_occurrence_changes(event: Event) -> Optional[str]:
    """The exceptions as the history shows them, in the site's language: '10月2日 19:00 改到
    10月9日 19:00；11月6日 19:00 跳过'."""
    with default_locale():
        lines = [_describe(event, change) for change in event.occurrence_changes]
    return "；".join(lines) or None


def _describe(event: Event, change: OccurrenceChange) -> str:
    zone = event.zone
    time_format = "%Y-%m-%d" if event.is_all_day else "%Y-%m-%d %H:%M"

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime(time_format)

    original = local(change.original_starts_at)
    if change.kind == SKIPPED:
        return _("%(when)s 跳过", when=original)
    if change.kind == ADDED:
        text = _("增加 %(when)s", when=local(change.starts_at))
    elif change.is_cancelled:
        text = _("%(when)s 取消", when=original)
    elif change.starts_at != change.original_starts_at:
        text = _("%(when)s 改到 %(new)s", when=original, new=local(change.starts_at))
    else:
        text = _("%(when)s 单独修改", when=original)
    details = [value for value in (change.title, change.location, change.note) if value]
    if details:
        text += "（" + "，".join(details) + "）"
    return text


# --- keeping exceptions on their occurrences when the series' time changes ------------------


def follow_series_time(event: Event, old_start: datetime) -> None:
    """After the series' start time of day changed (19:00 → 18:30), move the skipped and
    changed occurrences' keys by the same wall-clock difference, so they stay on the
    occurrences they were made for; a changed one that kept its time moves along. Added dates
    keep the times they were given. Called by the flush listener (tracker.events.tracking)."""
    zone = event.zone
    old_local = old_start.astimezone(zone)
    new_local = event.starts_at.astimezone(zone)
    difference = datetime.combine(old_local.date(), new_local.time()) - datetime.combine(
        old_local.date(), old_local.time()
    )
    if not difference:
        return
    duration = event.ends_at - event.starts_at
    taken = {change.original_starts_at for change in event.occurrence_changes}
    for change in event.occurrence_changes:
        if change.kind == ADDED:
            continue
        local = change.original_starts_at.astimezone(zone).replace(tzinfo=None) + difference
        moved_key = local.replace(tzinfo=zone).astimezone(UTC)
        if moved_key in taken:
            continue
        taken.discard(change.original_starts_at)
        taken.add(moved_key)
        if change.kind == CHANGED and change.starts_at == change.original_starts_at:
            change.starts_at, change.ends_at = moved_key, moved_key + duration
        change.original_starts_at = moved_key
