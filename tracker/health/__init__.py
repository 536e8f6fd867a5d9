"""Liveness, readiness and Prometheus metrics: /healthz, /readyz, /metrics."""

from flask import Blueprint

blueprint = Blueprint("health", __name__)

from tracker.health import views  # noqa: E402,F401  (routes register on import)
from tracker.health.metrics import init_app  # noqa: E402

__all__ = ["blueprint", "init_app"]
