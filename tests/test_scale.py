"""Running on several machines: the data version kept by the database, results and job
records shared through Redis, jobs on RQ workers, health and metrics, and logs without
private feed tokens."""

import logging
import os
import uuid

import pytest
from sqlalchemy import text, update

from tracker import create_app
from tracker.auth.services import claim_sign_in_attempt
from tracker.cache import BoundedCache, RedisCache, app_cache, data_version
from tracker.jobs import start_job, wait_for_job
from tracker.jobs.runner import job_queue, job_store
from tracker.jobs.store import RedisJobStore
from tracker.models import DataVersionCounter, Event
from tracker.redaction import RedactingFilter, redact

# A database number of its own (one per pytest-xdist worker: 13, 14, 15), emptied of this
# module's keys after each test.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
TEST_REDIS_URL = os.environ.get(
    "TRACKER_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{13 + _WORKER % 3}"
)


@pytest.fixture
def redis_app(app, app_settings, compiled_templates):
    """The application with REDIS_URL set, its context above the test app's (which empties the
    tables after the test); skipped when no Redis answers, unless under CI."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis at " + TEST_REDIS_URL)
    app = create_app({**app_settings, "REDIS_URL": TEST_REDIS_URL})
    app.jinja_env.bytecode_cache = compiled_templates
    with app.app_context():
        yield app
    for key in client.scan_iter("tracker:*"):
        client.delete(key)
    for key in client.scan_iter("rq:*"):
        client.delete(key)


# --- the data version ---------------------------------------------------------------------


def test_every_visible_write_raises_the_data_version_by_one(db, make_event, make_organization):
    before = data_version()
    event = make_event()
    after_create = data_version()
    assert after_create.number == before.number + 1 or after_create.epoch != before.epoch
    event.title = "新标题"
    db.session.commit()
    assert data_version().number == after_create.number + 1
    organization = make_organization()
    assert data_version().number == after_create.number + 2
    db.session.execute(update(Event).values(title="整表改名"))  # a statement, not a flush
    db.session.commit()
    assert data_version().number == after_create.number + 3
    db.session.delete(organization)
    db.session.commit()
    assert data_version().number == after_create.number + 4


def test_a_write_rolled_back_leaves_the_data_version_alone(db, make_event):
    event = make_event()
    before = data_version()
    event.title = "不会保存"
    db.session.flush()
    db.session.rollback()
    assert data_version() == before


def test_sign_in_failures_and_session_ends_leave_the_data_version_alone(db, make_user):
    user = make_user()
    before = data_version()
    claim_sign_in_attempt(user.username, "203.0.113.5")
    from tracker.auth.services import end_all_sessions

    end_all_sessions(user)
    assert data_version() == before


def test_emptied_or_restored_data_starts_a_new_epoch(db, make_event):
    make_event()
    before = data_version()
    db.session.execute(text("DELETE FROM data_version"))
    db.session.commit()
    assert data_version().key != before.key
    make_event()
    assert data_version().epoch not in ("", before.epoch)


def test_the_data_version_never_dates_its_change_backwards(db, make_event):
    from datetime import UTC, datetime

    make_event()
    future = datetime(2099, 1, 1, tzinfo=UTC)
    db.session.execute(update(DataVersionCounter).values(changed_at=future))
    db.session.commit()
    make_event()
    assert data_version().changed_at == future


# --- shared cache and jobs ----------------------------------------------------------------


def test_without_redis_results_stay_in_the_process(app):
    assert isinstance(app_cache("statistics"), BoundedCache)


def test_cached_results_are_shared_through_redis_by_every_worker(redis_app, app_settings):
    cache = app_cache("statistics")
    assert isinstance(cache, RedisCache)
    cache.put(("2019",), "v1", {"活动": 9})
    other_worker = create_app({**app_settings, "REDIS_URL": TEST_REDIS_URL})
    with other_worker.app_context():
        shared = app_cache("statistics")
        assert shared.get(("2019",), "v1") == {"活动": 9}
        assert shared.get(("2019",), "v2") is None  # made for another data version
        assert shared.get(("2020",), "v1") is None


def test_feeds_and_statistics_pages_are_cached_in_redis(redis_app, db, make_event):
    make_event(title="共享缓存")
    client = redis_app.test_client()
    first = client.get("/calendar.ics")
    assert "共享缓存".encode() in first.data
    assert client.get("/stats/?from=2019-01-01&to=2019-12-31").status_code == 200
    import redis

    keys = {key.decode() for key in redis.Redis.from_url(TEST_REDIS_URL).scan_iter("tracker:*")}
    assert any(key.startswith("tracker:cache:feeds:") for key in keys)
    assert any(key.startswith("tracker:cache:statistics:") for key in keys)
    assert client.get("/calendar.ics").data == first.data


def test_an_unreachable_redis_means_an_empty_cache_not_an_error(app_settings, make_event):
    app = create_app({**app_settings, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        make_event(title="没有 Redis 也能订阅")
        response = app.test_client().get("/calendar.ics")
        assert response.status_code == 200
        assert "没有 Redis 也能订阅".encode() in response.data
        assert app.test_client().get("/readyz").status_code == 503


@pytest.fixture
def worker_job_kind():
    from tracker.jobs import JobResult, job_kind

    @job_kind("test_worker")
    def on_a_worker(progress, payload=None, number=0):
        progress.update(1, 2, "一半")
        return JobResult(message=f"完成 {number}", file=payload[::-1], file_name="结果.txt")

    return "test_worker"


def test_with_redis_jobs_queue_for_a_worker_and_every_node_sees_them(
    redis_app, app_settings, worker_job_kind, make_user
):
    redis_app.config["JOBS_MODE"] = None  # what a deployment with REDIS_URL gets
    user = make_user()
    with redis_app.test_request_context():
        job_id = start_job(
            worker_job_kind,
            title="队列任务",
            owner_id=user.id,
            params={"number": 7},
            payload=b"abc",
        )
        assert isinstance(job_store(), RedisJobStore)
        assert job_store().load(job_id)["status"] == "queued"
        assert job_queue().count == 1
    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    other_node = create_app({**app_settings, "REDIS_URL": TEST_REDIS_URL})
    with other_node.app_context():
        record = wait_for_job(job_id, timeout=5)
        assert record["status"] == "done" and record["message"] == "完成 7"
        assert job_store().load_blob(job_id, "result") == b"cba"


def test_the_worker_command_explains_that_it_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "TRACKER_REDIS_URL" in result.output


# --- health and metrics ---------------------------------------------------------------------


def test_health_and_readiness(app, client):
    assert client.get("/healthz").text == "ok\n"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": True}


def test_readiness_checks_redis_when_configured(redis_app):
    ready = redis_app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": True, "redis": True}


def test_metrics_only_for_loopback_or_with_the_token(app, client, make_event):
    make_event()
    client.get("/calendar.ics")
    client.get("/calendar.ics")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'tracker_requests_total{endpoint="feeds.calendar",method="GET",status="200"}' in (
        metrics.text
    )
    assert "tracker_request_seconds_bucket" in metrics.text
    assert 'tracker_cache_lookups_total{cache="feeds",outcome="hit"}' in metrics.text
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-token"
    assert client.get("/metrics", environ_base=outside).status_code == 404
    bearer = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/metrics", environ_base=outside, headers=bearer).status_code == 200
    wrong = {"Authorization": "Bearer not-it"}
    assert client.get("/metrics", environ_base=outside, headers=wrong).status_code == 404


# --- logs -----------------------------------------------------------------------------------


def test_private_feed_tokens_are_redacted_from_log_lines(caplog):
    secret = uuid.uuid4().hex
    assert secret not in redact(f'"GET /feeds/private/{secret}.ics HTTP/1.1" 200')
    assert "/feeds/private/[redacted]" in redact(f"/feeds/private/{secret}.ics")
    assert redact("/calendar.ics?category=3") == "/calendar.ics?category=3"
    logger = logging.getLogger("tracker-test-redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="tracker-test-redaction"):
        logger.info('%s "%s"', "127.0.0.1", f"GET /feeds/private/{secret}.ics HTTP/1.1")
    assert secret not in caplog.text and "[redacted]" in caplog.text


def test_gunicorn_access_log_redacts_private_feed_tokens():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from tracker.redaction import RedactingGunicornLogger

    secret = uuid.uuid4().hex
    log = RedactingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/feeds/private/{secret}.ics",
        "PATH_INFO": f"/feeds/private/{secret}.ics",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = log.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    assert secret not in repr(atoms)
    assert atoms["U"] == "/feeds/private/[redacted]"
