"""Adding, describing, reordering and removing an event's photos and attachments.

All or nothing: every file of an upload is checked and processed before anything is saved;
the rows are added and flushed, the files written, and the transaction committed. When
anything fails, the transaction is rolled back and the files this upload wrote are removed
again. A file is removed from the store once no row uses it any more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, union

from tracker.audit import record_audit
from tracker.db import now_utc
from tracker.extensions import db
from tracker.media.documents import MacroDocument, attachment_kind
from tracker.media.images import (
    PhotoLimits,
    PhotoRefused,
    ProcessedPhoto,
    process_photo,
    size_text,
)
from tracker.media.storage import content_key, file_store
from tracker.models import Attachment, Event, Photo, User

CAPTION_MAX = 300
TITLE_MAX = 200
# A file name may not name a folder, go up one, or carry control characters.
UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|^\.\.?$|\.\.")


class UploadRefused(Exception):
    """Nothing was saved; `messages` say why, one line per refused file."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class PhotoUpload:
    """One file of an upload as the form gives it."""

    file_name: str
    data: bytes
    caption: str = ""


def photo_limits() -> PhotoLimits:
    config = current_app.config
    return PhotoLimits(
        max_file_bytes=config["PHOTOS_MAX_FILE_BYTES"],
        max_pixels=config["PHOTOS_MAX_PIXELS"],
        max_side=config["PHOTOS_MAX_SIDE"],
        thumbnail_side=config["PHOTOS_THUMBNAIL_SIDE"],
    )


def name_problem(file_name: str) -> Optional[str]:
    """Why a file's name is refused, or None."""
    if UNSAFE_NAME.search(file_name or ""):
        return _("文件名“%(name)s”含有路径字符或控制字符，请改名后再上传。", name=_shown(file_name))
    return None


def _shown(file_name: str) -> str:
    """A file name safe to show in a message: printable, at most 60 characters."""
    printable = "".join(char if char.isprintable() else "?" for char in file_name or "")
    return printable[:60]


def event_photos(event_id: int) -> list[Photo]:
    """The event's photos in order (one query)."""
    return list(
        db.session.scalars(
            select(Photo).where(Photo.event_id == event_id).order_by(Photo.position, Photo.id)
        )
    )


def event_attachments(event_id: int) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.event_id == event_id)
            .order_by(Attachment.position, Attachment.id)
        )
    )


def add_photos(event: Event, uploads: list[PhotoUpload], user: Optional[User]) -> list[Photo]:
    """Check and process every upload, then save them all after the event's photos; raise
    `UploadRefused` (saving nothing) when any one of them is refused."""
    config = current_app.config
    existing = event_photos(event.id)
    if not uploads:
        raise UploadRefused([_("请选择要上传的照片。")])
    if len(uploads) > config["PHOTOS_MAX_FILES_PER_UPLOAD"]:
        raise UploadRefused(
            [_("一次最多上传 %(n)s 张照片。", n=config["PHOTOS_MAX_FILES_PER_UPLOAD"])]
        )
    if len(existing) + len(uploads) > config["PHOTOS_MAX_PER_EVENT"]:
        raise UploadRefused([_("每个活动最多 %(n)s 张照片。", n=config["PHOTOS_MAX_PER_EVENT"])])
    limits = photo_limits()
    processed: list[tuple[PhotoUpload, ProcessedPhoto]] = []
    messages = []
    for upload in uploads:
        problem = name_problem(upload.file_name)
        if problem is None and len(upload.caption) > CAPTION_MAX:
            problem = _("说明最多 %(n)s 个字。", n=CAPTION_MAX)
        if problem is None:
            try:
                processed.append((upload, process_photo(upload.data, limits)))
                continue
            except PhotoRefused as refused:
                problem = str(refused)
        messages.append(f"{_shown(upload.file_name) or _('（无名文件）')}：{problem}")
    if messages:
        raise UploadRefused(messages)
    known_keys = {photo.file_key for photo in existing}
    for upload, photo in processed:
        key = content_key(photo.data)
        if key in known_keys:
            messages.append(
                f"{_shown(upload.file_name)}：" + _("这张照片已经在本活动中，未重复保存。")
            )
        known_keys.add(key)
    if messages:
        raise UploadRefused(messages)
    next_position = max((photo.position for photo in existing), default=-1) + 1
    rows = []
    files = {}
    for offset, (upload, photo) in enumerate(processed):
        key, thumbnail_key = content_key(photo.data), content_key(photo.thumbnail)
        files[key], files[thumbnail_key] = photo.data, photo.thumbnail
        rows.append(
            Photo(
                event_id=event.id,
                position=next_position + offset,
                caption=upload.caption.strip() or None,
                file_key=key,
                thumbnail_key=thumbnail_key,
                media_type=photo.media_type,
                width=photo.width,
                height=photo.height,
                byte_size=len(photo.data),
                created_by_id=user.id if user else None,
            )
        )
    summary = [row.caption or _("（无说明）") for row in rows]
    _save(event, rows, files, _("新增照片"), summary, user)
    return rows


def add_attachment(
    event: Event, file_name: str, data: bytes, title: str, user: Optional[User]
) -> Attachment:
    """Check one document by its content and save it after the event's attachments."""
    config = current_app.config
    problem = name_problem(file_name)
    existing = event_attachments(event.id)
    if problem is None and not data:
        problem = _("文件是空的。")
    if problem is None and len(data) > config["ATTACHMENTS_MAX_FILE_BYTES"]:
        problem = _(
            "文件太大（最大 %(size)s）。", size=size_text(config["ATTACHMENTS_MAX_FILE_BYTES"])
        )
    if problem is None and len(existing) >= config["ATTACHMENTS_MAX_PER_EVENT"]:
        problem = _("每个活动最多 %(n)s 个附件。", n=config["ATTACHMENTS_MAX_PER_EVENT"])
    kind = None
    if problem is None:
        try:
            kind = attachment_kind(data)
        except MacroDocument:
            problem = _("含有宏的文档不能上传，请另存为不含宏的格式。")
        else:
            if kind is None:
                problem = _(
                    "只能上传 PDF 或办公文档（Word、Excel、PowerPoint、WPS 可打开的格式），"
                    "该文件的内容不是这些格式。"
                )
    key = content_key(data) if data else ""
    if problem is None and any(attachment.file_key == key for attachment in existing):
        problem = _("这个文件已经是本活动的附件。")
    if problem is not None:
        raise UploadRefused([f"{_shown(file_name) or _('（无名文件）')}：{problem}"])
    title = (title or "").strip() or file_name.rsplit(".", 1)[0].strip() or _("附件")
    attachment = Attachment(
        event_id=event.id,
        position=max((row.position for row in existing), default=-1) + 1,
        title=title[:TITLE_MAX],
        file_key=key,
        kind=kind,
        byte_size=len(data),
        created_by_id=user.id if user else None,
    )
    _save(event, [attachment], {key: data}, _("新增附件"), [attachment.title], user)
    return attachment


def _save(event, rows, files: dict[str, bytes], label: str, summary, user) -> None:
    """Add the rows, write their files, commit; on any failure undo both."""
    store = file_store()
    written = []
    try:
        db.session.add_all(rows)
        _touch(event, label, summary, user)
        db.session.flush()
        for key, data in files.items():
            if store.put(key, data):
                written.append(key)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        remove_unused_files(written)
        raise


def update_photos(
    event: Event, captions: dict[int, str], order: list[int], user: Optional[User]
) -> bool:
    """New captions and a new order (photo ids first to last); True when anything changed."""
    photos = event_photos(event.id)
    by_id = {photo.id: photo for photo in photos}
    wanted = [by_id[photo_id] for photo_id in order if photo_id in by_id]
    wanted += [photo for photo in photos if photo not in wanted]
    changed = False
    for photo in photos:
        caption = (captions.get(photo.id, photo.caption or "") or "").strip()[:CAPTION_MAX] or None
        if caption != photo.caption:
            photo.caption = caption
            changed = True
    if wanted != photos:
        changed = True
        # Two steps, so the unique (event, position) key never sees two photos in one place.
        for offset, photo in enumerate(wanted):
            photo.position = len(photos) + offset
        db.session.flush()
        for offset, photo in enumerate(wanted):
            photo.position = offset
    if changed:
        _touch(event, _("修改照片"), [photo.caption or _("（无说明）") for photo in wanted], user)
        db.session.commit()
    return changed


def delete_photo(photo: Photo, user: Optional[User]) -> None:
    """Remove a photo; its files go too when no other photo uses them."""
    keys = [photo.file_key, photo.thumbnail_key]
    _touch(photo.event, _("删除照片"), [photo.caption or _("（无说明）")], user)
    db.session.delete(photo)
    db.session.commit()
    remove_unused_files(keys)


def delete_attachment(attachment: Attachment, user: Optional[User]) -> None:
    key = attachment.file_key
    _touch(attachment.event, _("删除附件"), [attachment.title], user)
    db.session.delete(attachment)
    db.session.commit()
    remove_unused_files([key])


def _touch(event: Event, label: str, summary: list[str], user: Optional[User]) -> None:
    """The event changed as subscribers see it (a feed's ATTACH): raise SEQUENCE and
    LAST-MODIFIED, and record who did it."""
    event.sequence = (event.sequence or 0) + 1
    event.updated_at = now_utc()
    record_audit("edit", event, changes={label: ["", "；".join(summary)]}, user=user)


def used_file_keys(keys: Optional[list[str]] = None, session=None) -> set[str]:
    """The keys that some photo or attachment uses (of `keys`, or all)."""
    statements = [
        select(Photo.file_key.label("key")),
        select(Photo.thumbnail_key.label("key")),
        select(Attachment.file_key.label("key")),
    ]
    if keys is not None:
        if not keys:
            return set()
        statements = [
            statement.where(statement.selected_columns[0].in_(keys)) for statement in statements
        ]
    session = session or db.session
    return set(session.scalars(select(func.distinct(union(*statements).subquery().c.key))))


def remove_unused_files(keys: list[str], session=None) -> int:
    """Remove from the store those of `keys` that no row uses; how many went."""
    if not keys:
        return 0
    used = used_file_keys(list(keys), session)
    store = file_store()
    removed = 0
    for key in set(keys) - used:
        store.delete(key)
        removed += 1
    return removed


def remove_all_unused_files() -> int:
    """Remove every stored file no row uses (after events were deleted)."""
    store = file_store()
    used = used_file_keys()
    removed = 0
    for key in list(store.keys()):
        if key not in used:
            store.delete(key)
            removed += 1
    return removed
