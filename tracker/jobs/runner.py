"""Starting and running jobs.

A job kind is a function registered with `@job_kind("name")`. It receives a `Progress` to
report how far it is, the job's JSON parameters and, when the starter gave one, its input
bytes; it returns a `JobResult` or raises `JobFailed` with a sentence for the user. Any other
exception is logged and shown as a general failure, never as a Python message.

Jobs run on RQ workers (`flask --app wsgi worker`; JOBS_MODE="rq", the default with
REDIS_URL), in a thread of the web process (JOBS_MODE="thread", the default without it) or
in the request itself (JOBS_MODE="inline", for tests and the command line). Either way the
request that starts a job answers at once with the progress page's address, and every worker
can answer that page, because the record lives in the job store (files, or Redis).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from flask import Flask, current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from rq import Queue

from tracker.cache import redis_client
from tracker.extensions import db
from tracker.jobs.store import FileJobStore, JobStore, RedisJobStore

logger = logging.getLogger(__name__)

JobFunction = Callable[..., "JobResult"]
_KINDS: dict[str, JobFunction] = {}

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# The RQ queue the web nodes fill and `flask --app wsgi worker` empties.
RQ_QUEUE_NAME = "tracker-jobs"


class JobFailed(Exception):
    """A failure the user can act on; its message is shown as it is."""


@dataclass
class JobResult:
    """What a finished job shows: a sentence, optional detail lines (warnings), a link to
    what it changed, and optionally a file to download."""

    message: str
    details: list[str] = field(default_factory=list)
    link: Optional[str] = None
    link_text: Optional[str] = None
    file: Optional[bytes] = None
    file_name: Optional[str] = None
    file_type: str = "application/octet-stream"


def job_kind(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register a job function under a kind's name."""

    def register(function: JobFunction) -> JobFunction:
        _KINDS[name] = function
        return function

    return register


def job_store(app: Optional[Flask] = None) -> JobStore:
    """The configured store, made once per application."""
    app = app or current_app._get_current_object()
    store = app.extensions.get("tracker_job_store")
    if store is None:
        client = redis_client(app)
        if client is not None:
            store = RedisJobStore(client, int(app.config["JOBS_KEEP_HOURS"] * 3600))
        else:
            store = FileJobStore(app.config["JOBS_FOLDER"] or f"{app.instance_path}/jobs")
        app.extensions["tracker_job_store"] = store
    return store


class Progress:
    """A running job's report of how far it is: `update(done, total, message)`. Writes reach
    the store at most every PROGRESS_INTERVAL seconds, so a loop may call it per item."""

    PROGRESS_INTERVAL = 0.5

    def __init__(self, store: JobStore, job_id: str, record: dict[str, Any]) -> None:
        self.store, self.job_id, self.record = store, job_id, record
        self._written_at = 0.0

    def update(self, done: int, total: Optional[int] = None, message: Optional[str] = None) -> None:
        self.record["done"] = done
        if total is not None:
            self.record["total"] = total
        if message is not None:
            self.record["message"] = message
        now = time.monotonic()
        if now - self._written_at >= self.PROGRESS_INTERVAL:
            self._written_at = now
            self._write()

    def _write(self) -> None:
        self.record["touched_at"] = time.time()
        self.store.save(self.job_id, self.record)


def start_job(
    kind: str,
    *,
    title: str,
    owner_id: Optional[int],
    params: Optional[dict[str, Any]] = None,
    payload: Optional[bytes] = None,
) -> str:
    """Record a new job, hand it to a runner and return its id (for `jobs.show_job`)."""
    if kind not in _KINDS:
        raise KeyError(kind)
    app = current_app._get_current_object()
    store = job_store(app)
    store.forget_older_than(app.config["JOBS_KEEP_HOURS"] * 3600)
    job_id = secrets.token_urlsafe(18)
    record = {
        "kind": kind,
        "title": title,
        "owner_id": owner_id,
        "params": params or {},
        "locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
        "status": QUEUED,
        "done": 0,
        "total": None,
        "message": "",
        "created_at": time.time(),
        "touched_at": time.time(),
        "result": None,
    }
    if payload is not None:
        store.save_blob(job_id, "input", payload)
    store.save(job_id, record)
    mode = jobs_mode(app)
    if mode == "inline":
        run_job(app, job_id)
    elif mode == "rq":
        job_queue(app).enqueue_call(
            run_queued_job,
            args=(job_id,),
            job_id=job_id,
            timeout=app.config["JOBS_STALE_MINUTES"] * 60 * 6,
            result_ttl=0,
            failure_ttl=app.config["JOBS_KEEP_HOURS"] * 3600,
        )
    else:
        threading.Thread(target=run_job, args=(app, job_id), daemon=True).start()
    return job_id


def jobs_mode(app: Flask) -> str:
    """JOBS_MODE, or "rq" when Redis is configured and "thread" when not."""
    mode = app.config["JOBS_MODE"]
    if mode:
        return mode
    return "rq" if app.config["REDIS_URL"] else "thread"


def job_queue(app: Optional[Flask] = None):
    """The RQ queue of this application's jobs (REDIS_URL must be set)."""
    app = app or current_app._get_current_object()
    return Queue(RQ_QUEUE_NAME, connection=redis_client(app))


def run_queued_job(job_id: str) -> None:
    """What an RQ worker runs: the job, in the worker's application (`flask --app wsgi
    worker` pushes its context)."""
    run_job(current_app._get_current_object(), job_id)


def run_job(app: Flask, job_id: str) -> None:
    """Run one recorded job to its end in an application context of its own."""
    with app.app_context():
        store = job_store(app)
        record = store.load(job_id)
        if record is None or record["status"] != QUEUED:
            return
        record["status"] = RUNNING
        progress = Progress(store, job_id, record)
        progress._write()
        with force_locale(record.get("locale") or app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                result = _KINDS[record["kind"]](
                    progress, payload=store.load_blob(job_id, "input"), **record["params"]
                )
            except JobFailed as failure:
                record.update(status=FAILED, message=str(failure))
            except Exception:
                logger.exception("job %s (%s) failed", job_id, record["kind"])
                failure = _("任务失败，未保存任何内容。请重试或联系管理员。")
                record.update(status=FAILED, message=failure)
            else:
                if result.file is not None:
                    store.save_blob(job_id, "result", result.file)
                record.update(
                    status=DONE,
                    message=result.message,
                    result={
                        "details": result.details,
                        "link": result.link,
                        "link_text": result.link_text,
                        "file_name": result.file_name if result.file is not None else None,
                        "file_type": result.file_type,
                    },
                )
                if record.get("total"):
                    record["done"] = record["total"]
            finally:
                db.session.remove()
        progress._write()


def wait_for_job(job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The job's record once it has ended (or the latest one when the time is up)."""
    store = job_store()
    deadline = time.monotonic() + timeout
    while True:
        record = store.load(job_id) or {}
        if record.get("status") in (DONE, FAILED) or time.monotonic() > deadline:
            return record
        time.sleep(0.05)


def is_stale(record: dict[str, Any]) -> bool:
    """A job that stopped reporting: its process ended (a restart) before it finished."""
    return record.get("status") in (QUEUED, RUNNING) and (
        time.time() - record.get("touched_at", 0) > current_app.config["JOBS_STALE_MINUTES"] * 60
    )
