"""`flask --app wsgi worker`: run background jobs from the Redis queue (RQ)."""

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from tracker.cache import redis_client
from tracker.jobs.runner import job_queue


@click.command("worker")
@click.option("--burst", is_flag=True, help="队列为空时退出 / stop when the queue is empty")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run queued jobs (imports, exports, ledgers) until stopped; needs TRACKER_REDIS_URL."""
    client = redis_client()
    if client is None:
        raise click.ClickException(
            "未设置 TRACKER_REDIS_URL：没有 Redis 时，任务在网站进程的线程中运行，无需 worker。"
        )
    # One process, no fork per job: the job runs in this application context, on its pool.
    worker = SimpleWorker([job_queue(current_app._get_current_object())], connection=client)
    worker.work(burst=burst, with_scheduler=False)
