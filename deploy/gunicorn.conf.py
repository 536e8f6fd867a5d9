"""gunicorn settings of one app node (`make serve`, deploy/systemd/tracker.service).

Every value can be overridden from the environment without editing this file:
GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_ACCESS_LOG.
"""

import os
import shutil
import tempfile

# Loopback by default: the node is reached through nginx only (see TRACKER_TRUSTED_PROXIES).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads overlap waiting on PostgreSQL and Redis; processes use the cores.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A request that runs longer is ended (imports and exports run as background jobs instead).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Restart workers now and then, so nothing can grow without bound.
max_requests = 5000
max_requests_jitter = 500
wsgi_app = "wsgi:app"

# Access log on standard output (journald), private feed tokens redacted.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
logger_class = "tracker.redaction.RedactingGunicornLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Prometheus: every worker process writes its figures here, /metrics adds them up.
_metrics_folder = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="tracker-metrics-")
)


def on_starting(server):
    """Start with an empty metrics folder (figures of a previous run would be added up)."""
    shutil.rmtree(_metrics_folder, ignore_errors=True)
    os.makedirs(_metrics_folder, mode=0o700, exist_ok=True)


def child_exit(server, worker):
    """Let the figures of a worker that ended be added up no more as a live gauge."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
