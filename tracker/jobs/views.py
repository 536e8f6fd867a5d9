"""The progress page of a job, its state as JSON, and the file it made."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, render_template
from flask_login import current_user, login_required

from tracker.jobs import blueprint
from tracker.jobs.runner import DONE, FAILED, is_stale, job_store
from tracker.web import content_disposition


def _own_job(job_id: str) -> dict[str, Any]:
    """The job's record for its owner and admins; 404 for everyone else, so that a job's
    existence is not told to those who may not see it."""
    record = job_store().load(job_id)
    if record is None or not (current_user.is_admin or record["owner_id"] == current_user.id):
        abort(404)
    if is_stale(record):
        record = {**record, "status": "stale"}
    return record


def _percent(record: dict[str, Any]) -> int:
    if record["status"] == DONE:
        return 100
    total = record.get("total") or 0
    return min(99, int(100 * record.get("done", 0) / total)) if total else 0


@blueprint.get("/<job_id>")
@login_required
def show_job(job_id: str):
    record = _own_job(job_id)
    return render_template(
        "jobs/show.html",
        job_id=job_id,
        job=record,
        percent=_percent(record),
        running=record["status"] not in (DONE, FAILED, "stale"),
    )


@blueprint.get("/<job_id>.json")
@login_required
def job_status(job_id: str):
    record = _own_job(job_id)
    result = record.get("result") or {}
    return jsonify(
        status=record["status"],
        done=record.get("done", 0),
        total=record.get("total"),
        percent=_percent(record),
        message=record.get("message", ""),
        details=result.get("details", []),
        link=result.get("link"),
        has_file=bool(result.get("file_name")),
    )


@blueprint.get("/<job_id>/result")
@login_required
def job_result(job_id: str):
    record = _own_job(job_id)
    result = record.get("result") or {}
    data = job_store().load_blob(job_id, "result") if result.get("file_name") else None
    if data is None:
        abort(404)
    response = Response(data, mimetype=result["file_type"])
    response.headers["Content-Disposition"] = content_disposition(
        result["file_name"], "result" + _extension(result["file_name"])
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _extension(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    return "." + suffix if suffix.isalnum() and suffix.isascii() else ""
