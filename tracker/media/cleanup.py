"""Files of deleted events: an event's photos and attachments go with it (ON DELETE CASCADE),
and their files are removed from the store after the deletion commits, when no other row
uses them."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tracker.extensions import db
from tracker.models import Attachment, Event, Photo

_KEYS_TO_CHECK = "media_keys_to_check"


@event.listens_for(Session, "before_flush")
def _remember_files_of_deleted_events(session: Session, flush_context, instances) -> None:
    event_ids = [obj.id for obj in session.deleted if isinstance(obj, Event) and obj.id]
    if not event_ids:
        return
    keys = session.info.setdefault(_KEYS_TO_CHECK, set())
    for row in session.execute(
        select(Photo.file_key, Photo.thumbnail_key).where(Photo.event_id.in_(event_ids))
    ):
        keys.update(row)
    keys.update(
        session.scalars(select(Attachment.file_key).where(Attachment.event_id.in_(event_ids)))
    )


@event.listens_for(Session, "after_commit")
def _remove_files_of_deleted_events(session: Session) -> None:
    keys = session.info.pop(_KEYS_TO_CHECK, None)
    if not keys:
        return
    from tracker.media.services import remove_unused_files  # noqa: PLC0415 (import cycle)

    try:
        # The committed session may not run SQL: a session of its own looks the keys up.
        with Session(db.engine) as lookup:
            remove_unused_files(list(keys), session=lookup)
    except Exception:  # noqa: BLE001 - a left-over file is harmless; the deletion stands
        current_app.logger.exception("could not remove the files of deleted events")


@event.listens_for(Session, "after_rollback")
def _forget_files_to_check(session: Session) -> None:
    session.info.pop(_KEYS_TO_CHECK, None)
