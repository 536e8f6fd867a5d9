"""Background jobs: the progress page while a job runs, its result, its failures in plain
Chinese, and its record and files kept only for its owner and admins."""

import os
import threading
import time

from tracker.jobs import JobResult, job_kind, start_job, wait_for_job
from tracker.jobs.runner import JobFailed, job_store

release = threading.Event()


@job_kind("test_file")
def make_file(progress, payload=None):
    return JobResult(
        message="已生成文件。",
        details=["第 1 行的说明"],
        file=b"result of " + (payload or b""),
        file_name="台账 2019.docx",
    )


@job_kind("test_waiting")
def wait_in_the_middle(progress, payload=None, total=10):
    progress.PROGRESS_INTERVAL = 0
    progress.update(3, total, "正在导入第 3 项")
    release.wait(10)
    return JobResult(message="导入完成。", link="/events/", link_text="查看活动")


@job_kind("test_refusing")
def refuse(progress, payload=None):
    raise JobFailed("文件第 7 行无法读取，未保存任何内容。")


@job_kind("test_crashing")
def crash(progress, payload=None):
    raise RuntimeError("Python int too large to convert to SQLite INTEGER")


def test_a_finished_job_shows_its_message_details_and_file(app, client, sign_in, make_user):
    user = make_user()
    sign_in(user)
    job_id = start_job("test_file", title="生成台账", owner_id=user.id, payload=b"2019")
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    assert "生成台账" in page.text and "已生成文件。" in page.text and "第 1 行的说明" in page.text
    assert 'http-equiv="refresh"' not in page.text
    download = client.get(f"/jobs/{job_id}/result")
    assert download.data == b"result of 2019"
    assert (
        "filename*=UTF-8''%E5%8F%B0%E8%B4%A6%202019.docx" in download.headers["Content-Disposition"]
    )
    status = client.get(f"/jobs/{job_id}.json").get_json()
    assert status["status"] == "done" and status["percent"] == 100 and status["has_file"]


def test_a_job_in_a_thread_shows_its_progress_while_the_request_has_long_answered(
    app, client, sign_in, make_user
):
    app.config["JOBS_MODE"] = "thread"
    user = make_user()
    sign_in(user)
    release.clear()
    started = time.monotonic()
    job_id = start_job("test_waiting", title="导入日历", owner_id=user.id, params={"total": 10})
    assert time.monotonic() - started < 1
    for _attempt in range(100):
        if client.get(f"/jobs/{job_id}.json").get_json()["done"] == 3:
            break
        time.sleep(0.02)
    page = client.get(f"/jobs/{job_id}")
    assert "正在处理" in page.text and "3 / 10" in page.text and "正在导入第 3 项" in page.text
    assert 'http-equiv="refresh"' in page.text and 'value="30"' in page.text
    release.set()
    assert wait_for_job(job_id)["status"] == "done"
    page = client.get(f"/jobs/{job_id}")
    assert "导入完成。" in page.text and 'href="/events/"' in page.text
    assert 'http-equiv="refresh"' not in page.text
    assert client.get(f"/jobs/{job_id}/result").status_code == 404


def test_failures_are_sentences_never_python_messages(app, client, sign_in, make_user):
    user = make_user()
    sign_in(user)
    refused = start_job("test_refusing", title="导入日历", owner_id=user.id)
    assert "文件第 7 行无法读取，未保存任何内容。" in client.get(f"/jobs/{refused}").text
    crashed = start_job("test_crashing", title="导入日历", owner_id=user.id)
    page = client.get(f"/jobs/{crashed}").text
    assert "任务失败，未保存任何内容" in page and "SQLite" not in page and "Python" not in page


def test_a_job_that_stopped_reporting_is_shown_as_interrupted(app, client, sign_in, make_user):
    user = make_user()
    sign_in(user)
    job_id = start_job("test_file", title="生成台账", owner_id=user.id)
    store = job_store()
    record = store.load(job_id)
    record.update(status="running", touched_at=time.time() - 3600)
    store.save(job_id, record)
    page = client.get(f"/jobs/{job_id}").text
    assert "任务已中断" in page and 'http-equiv="refresh"' not in page


def test_old_jobs_are_forgotten_with_their_files(app, client, sign_in, make_user):
    user = make_user()
    sign_in(user)
    job_id = start_job("test_file", title="生成台账", owner_id=user.id, payload=b"x")
    store = job_store()
    for name in os.listdir(store.folder):
        path = os.path.join(store.folder, name)
        os.utime(path, (time.time() - 48 * 3600,) * 2)
    start_job("test_file", title="生成台账", owner_id=user.id)
    assert store.load(job_id) is None and store.load_blob(job_id, "result") is None
    assert client.get(f"/jobs/{job_id}").status_code == 404


def test_a_made_up_job_id_is_not_found(app, client, sign_in, make_user):
    sign_in(make_user())
    for job_id in ("nope", "../../etc/passwd", "A" * 24):
        assert client.get(f"/jobs/{job_id}").status_code == 404
