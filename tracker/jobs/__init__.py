"""Background jobs: long work (big imports, yearly ledgers, whole-year exports) runs off the
request, and the user follows it on a progress page at /jobs/<id>."""

from flask import Blueprint

blueprint = Blueprint("jobs", __name__, url_prefix="/jobs")

from tracker.jobs import views  # noqa: E402,F401  (routes register on import)
from tracker.jobs.runner import (  # noqa: E402
    JobResult,
    Progress,
    job_kind,
    start_job,
    wait_for_job,
)

__all__ = ["JobResult", "Progress", "blueprint", "job_kind", "start_job", "wait_for_job"]
