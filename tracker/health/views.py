"""/healthz (the process answers), /readyz (database and Redis reachable), /metrics."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging

from flask import Response, abort, current_app, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.cache import redis_client
from tracker.extensions import csrf, db
from tracker.health import blueprint
from tracker.health.metrics import multiprocess_folder
from tracker.jobs.runner import job_queue, jobs_mode

logger = logging.getLogger(__name__)

JOBS_WAITING = Gauge(
    "tracker_jobs_waiting",
    "Jobs in the RQ queue not yet taken by a worker",
    multiprocess_mode="max",
)


@blueprint.get("/healthz")
def healthz():
    """The process is alive and answers; nothing else is checked."""
    return _plain("ok")


@blueprint.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, and Redis when one is configured. 503 with
    the failing part named otherwise, so a load balancer takes the node out."""
    checks = {"database": _database_answers()}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _redis_answers()
    ready = all(checks.values())
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/metrics")
def metrics():
    """Prometheus metrics, for loopback addresses or with METRICS_TOKEN as bearer token; to
    anybody else the page does not exist."""
    if not _may_read_metrics():
        abort(404)
    _count_waiting_jobs()
    folder = multiprocess_folder()
    if folder:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
    else:
        registry = REGISTRY
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


for view in (healthz, readyz, metrics):
    csrf.exempt(view)


def _plain(text_body: str) -> Response:
    response = Response(text_body + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _database_answers() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as error:
        logger.warning("readiness: database unreachable (%s)", error)
        return False


def _redis_answers() -> bool:
    try:
        return bool(redis_client().ping())
    except RedisError as error:
        logger.warning("readiness: Redis unreachable (%s)", error)
        return False


def _may_read_metrics() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _count_waiting_jobs() -> None:
    if jobs_mode(current_app._get_current_object()) != "rq":
        JOBS_WAITING.set(0)
        return
    with contextlib.suppress(RedisError):
        JOBS_WAITING.set(job_queue().count)
