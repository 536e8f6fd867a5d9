"""A web import in two steps: the upload is checked and shown as a preview ("将导入 57 项活动，
其中 3 项有修正"), and nothing is saved until the user confirms (issue 17).

Between the two steps the uploaded bytes wait in the job store (tracker.jobs.store), on the
server, under a random id only their owner can use; never in the session cookie. Uploads
larger than FEEDS_IMPORT_BACKGROUND_BYTES are checked and imported as background jobs, so no
request waits on a big file (issue 11 point 7).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Optional

from flask import current_app
from flask_babel import gettext as _

from tracker.extensions import db
from tracker.feeds.importer import (
    READING,
    ImportRefused,
    ImportResult,
    import_calendar,
    parse_calendar,
)
from tracker.jobs import JobResult, job_kind
from tracker.jobs.runner import JobFailed, job_store
from tracker.jobs.store import JOB_ID_PATTERN
from tracker.models import User

# Warnings a preview or a result shows; the rest are counted.
MAX_SHOWN_WARNINGS = 200


@dataclass
class Preview:
    """What an upload would import: events, how many were repaired, and the repairs."""

    events: int
    corrected: int
    warnings: list[str] = field(default_factory=list)
    size: int = 0


def keep_upload(data: bytes, owner: User) -> str:
    """Keep the uploaded bytes until the owner confirms or cancels; returns their id."""
    upload_id = secrets.token_urlsafe(18)
    store = job_store()
    store.save_blob(upload_id, "upload", data)
    store.save_blob(upload_id, "owner", str(owner.id).encode())
    return upload_id


def _owned(upload_id: str, owner: User) -> bool:
    if not upload_id or not JOB_ID_PATTERN.match(upload_id):
        return False
    return job_store().load_blob(upload_id, "owner") == str(owner.id).encode()


def upload_bytes(upload_id: str, owner: User) -> Optional[bytes]:
    """The kept upload, for its owner only (None for anyone else, or once it is used)."""
    return job_store().load_blob(upload_id, "upload") if _owned(upload_id, owner) else None


def forget_upload(upload_id: str, owner: User) -> None:
    """After confirming or cancelling, the id no longer opens the upload."""
    if _owned(upload_id, owner):
        store = job_store()
        store.save_blob(upload_id, "owner", b"")
        store.save_blob(upload_id, "upload", b"")


def is_large(data_size: int) -> bool:
    return data_size > current_app.config["FEEDS_IMPORT_BACKGROUND_BYTES"]


def preview_of(data: bytes) -> Preview:
    """Check the whole file as the import would; raises ImportRefused with its errors."""
    parsed = parse_calendar(data)
    if parsed.problems:
        shown = [str(problem) for problem in parsed.problems[:10]]
        raise ImportRefused([_("文件中有错误，未导入任何活动：")] + shown)
    return Preview(
        events=len(parsed.events),
        corrected=len(parsed.corrected),
        warnings=_shown(parsed.warnings),
        size=len(data),
    )


def save_preview(upload_id: str, preview: Preview) -> None:
    job_store().save_blob(upload_id, "preview", json.dumps(asdict(preview)).encode())


def load_preview(upload_id: str, owner: User) -> Optional[Preview]:
    if not _owned(upload_id, owner):
        return None
    data = job_store().load_blob(upload_id, "preview")
    return Preview(**json.loads(data)) if data else None


def result_message(result: ImportResult) -> str:
    return _(
        "导入完成：新建 %(created)s 项，更新 %(updated)s 项，未变 %(unchanged)s 项。",
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )


def _shown(warnings: list[str]) -> list[str]:
    if len(warnings) <= MAX_SHOWN_WARNINGS:
        return list(warnings)
    more = _("……另有 %(n)s 条提示。", n=len(warnings) - MAX_SHOWN_WARNINGS)
    return [*warnings[:MAX_SHOWN_WARNINGS], more]


@job_kind("ics_preview")
def check_upload(progress, payload=None, *, upload_id, owner_id, preview_url) -> JobResult:
    """Background step one: check a large upload and keep its preview."""
    owner = db.session.get(User, owner_id)
    data = upload_bytes(upload_id, owner) if owner is not None else None
    if not data:
        raise JobFailed(_("上传的文件已失效，请重新上传。"))
    progress.update(0, None, _("正在检查文件…"))
    try:
        preview = preview_of(data)
    except ImportRefused as refusal:
        forget_upload(upload_id, owner)
        raise JobFailed("\n".join(refusal.messages)) from refusal
    save_preview(upload_id, preview)
    return JobResult(
        preview_sentence(preview),
        details=preview.warnings,
        link=preview_url,
        link_text=_("查看并确认导入"),
    )


@job_kind("ics_import")
def run_import(progress, payload=None, *, owner_id, events_url) -> JobResult:
    """Background step two: import a confirmed large upload, all or nothing."""
    owner = db.session.get(User, owner_id)
    if owner is None or not payload:
        raise JobFailed(_("上传的文件已失效，请重新上传。"))
    stages = {READING: _("读取文件"), "saving": _("保存活动")}

    def report(done: int, total: int, stage: str) -> None:
        progress.update(done, total, stages.get(stage, stage))

    try:
        result = import_calendar(payload, owner, max_bytes=None, progress=report)
    except ImportRefused as refusal:
        raise JobFailed("\n".join(refusal.messages)) from refusal
    return JobResult(
        result_message(result),
        details=_shown(result.warnings),
        link=events_url,
        link_text=_("查看活动列表"),
    )


def preview_sentence(preview: Preview) -> str:
    if preview.corrected:
        return _(
            "将导入 %(n)s 项活动，其中 %(corrected)s 项有修正：",
            n=preview.events,
            corrected=preview.corrected,
        )
    return _("将导入 %(n)s 项活动。", n=preview.events)
