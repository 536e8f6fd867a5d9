"""Request counts and latencies by endpoint, recorded for Prometheus (prometheus_client).

Under gunicorn with several worker processes, PROMETHEUS_MULTIPROC_DIR (set by
deploy/gunicorn.conf.py) makes every process write its figures to files there, and /metrics
adds them up, so one scrape sees the whole node.
"""

from __future__ import annotations

import os
import time

from flask import Flask, request
from prometheus_client import Counter, Histogram

ENVIRON_KEY = "tracker.metrics_started_at"
REQUESTS = Counter(
    "tracker_requests",
    "Requests answered, by endpoint, method and status",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "tracker_request_seconds",
    "Time from the request's arrival to its answer, by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def init_app(app: Flask) -> None:
    """Time and count every request."""
    app.before_request(_start_clock)
    app.after_request(_record)


def _start_clock() -> None:
    request.environ[ENVIRON_KEY] = time.perf_counter()


def _record(response):
    started = request.environ.pop(ENVIRON_KEY, None)
    # Endpoints, not paths: a path may carry a private feed token; a 404's endpoint is None.
    endpoint = request.endpoint or "none"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if started is not None:
        REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
    return response


def multiprocess_folder() -> str | None:
    """Where gunicorn's worker processes write their figures, when they do."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")
