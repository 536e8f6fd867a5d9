"""扫码签到 under load: 300 phones sign in to one event within 2 minutes (not a test: prints
figures).

    .venv/bin/python bench/checkin.py [--phones 300] [--seconds 100] [--workers 4]
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a temporary PostgreSQL database (dropped at the end), migrates it, records one event
that invites an organisation of `--phones` people, and starts gunicorn on a free loopback
port. Each simulated phone arrives at a random moment within `--seconds` and does what a
participant does: opens the QR's URL (a code made for the current period), types the name,
picks the one masked entry, and reads the answer. Phones carry their own cookies and their
own address (X-Forwarded-For, with TRUSTED_PROXIES=1, as behind nginx), so throttling
counts them as the separate phones they are.

Prints p50 / p99 / max of every request and of the sign-in step alone, then checks that the
database holds exactly one sign-in per phone: no duplicates, none lost. Target: p99 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

SECRET = "bench-checkin-secret-key-not-for-production"  # noqa: S105 (a throwaway key)
HIDDEN = re.compile(r'name="(csrf_token|pass)" value="([^"]+)"')
PERSON = re.compile(r'name="person_id" value="(\d+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(admin_url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection(admin_url: str):
    return psycopg.connect(
        admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    )


def prepare(url: str, phones: int) -> int:
    """Migrate the database and record the event and its invitees; the event's id."""
    environment = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_SECRET_KEY": SECRET}
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    os.environ.update({"TRACKER_DATABASE_URL": url, "TRACKER_SECRET_KEY": SECRET})
    from tracker import create_app
    from tracker.db import now_utc
    from tracker.extensions import db
    from tracker.models import Event, EventInvitation, Organization, Person

    app = create_app()
    with app.app_context():
        office = Organization(
            name="高新区安全生产监督管理局", short_name="安监局", kind="government"
        )
        db.session.add(office)
        db.session.flush()
        db.session.add_all(
            Person(name=f"签到测试{number:04d}", organization=office, phone=f"1380000{number:04d}")
            for number in range(phones)
        )
        event = Event(
            title="安全生产月启动会（压力测试）",
            starts_at=now_utc() - timedelta(minutes=5),
            ends_at=now_utc() + timedelta(hours=2),
            reported_headcount=phones,
        )
        db.session.add(event)
        db.session.flush()
        db.session.add(EventInvitation(event_id=event.id, organization_id=office.id))
        db.session.commit()
        event_id = event.id
        db.engine.dispose()
    return event_id


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    environment = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_TRUSTED_PROXIES": "1",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=environment,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


class Phone:
    """One participant's phone: its own connection, cookie and address."""

    def __init__(self, port: int, number: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.address = f"10.{number // 65536}.{number // 256 % 256}.{number % 256}"
        self.cookie = ""
        self.timings: list[tuple[str, float]] = []

    def request(self, step: str, method: str, path: str, form: dict | None = None) -> str:
        headers = {"X-Forwarded-For": self.address, "User-Agent": "MicroMessenger bench"}
        body = None
        if self.cookie:
            headers["Cookie"] = self.cookie
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8")
        self.timings.append((step, time.perf_counter() - started))
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        if response.status != 200:
            raise RuntimeError(f"{step}: HTTP {response.status}")
        return text

    def sign_in(self, event_id: int, name: str) -> str:
        from tracker.attendance import tokens

        code = tokens.make_token(SECRET, event_id, tokens.period_at(time.time(), 30))
        path = f"/checkin/{code}"
        page = self.request("scan", "GET", path)
        hidden = dict(HIDDEN.findall(page))
        page = self.request("name", "POST", path, {**hidden, "action": "find", "name": name})
        hidden = dict(HIDDEN.findall(page))
        choice = PERSON.search(page).group(1)
        form = {**hidden, "action": "pick", "name": name, "person_id": choice}
        page = self.request("sign in", "POST", path, form)
        answer = re.search(r'class="phone-answer[^"]*"[^>]*>([^<]+)<', page)
        return answer.group(1) if answer else ""


def warm_up(port: int, event_id: int, workers: int) -> None:
    """Open the page and look up a name that is not invited, a few times per worker, so each
    worker has loaded its templates, catalogue and connections before the clock runs (as in
    production, where workers live for days). Writes no sign-in."""
    for number in range(workers * 4):
        phone = Phone(port, 60000 + number)
        from tracker.attendance import tokens

        code = tokens.make_token(SECRET, event_id, tokens.period_at(time.time(), 30))
        page = phone.request("warm", "GET", f"/checkin/{code}")
        hidden = dict(HIDDEN.findall(page))
        phone.request("warm", "POST", f"/checkin/{code}", {**hidden, "name": "预热"})


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(port: int, event_id: int, phones: int, seconds: float) -> tuple[list, list, list]:
    """Every phone on its own thread, starting at a random moment within `seconds`."""
    random.seed(14)
    starts = sorted(random.uniform(0, seconds) for _ in range(phones))
    answers: list[str] = [""] * phones
    errors: list[str] = []
    clients = [Phone(port, number) for number in range(phones)]
    began = time.monotonic()

    def phone(number: int) -> None:
        time.sleep(max(0.0, began + starts[number] - time.monotonic()))
        try:
            answers[number] = clients[number].sign_in(event_id, f"签到测试{number:04d}")
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors.append(f"phone {number}: {error}")

    threads = [threading.Thread(target=phone, args=(number,)) for number in range(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timings = [timing for client in clients for timing in client.timings]
    return answers, errors, timings


def check_database(url: str, event_id: int) -> tuple[int, int, int]:
    """(sign-ins, distinct people signed in, audit entries of sign-ins) of the event."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        signed, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT person_id) FROM participations "
            "WHERE event_id = %s AND signed_in_at IS NOT NULL",
            (event_id,),
        ).fetchone()
        audited = connection.execute(
            "SELECT count(*) FROM audit_entries WHERE action = 'check_in'"
        ).fetchone()[0]
    return signed, distinct, audited


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=100.0, help="arrivals spread over")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    options = parser.parse_args()
    name = f"tracker_bench_checkin_{os.getpid()}"
    url = database_url(options.admin_url, name)
    with admin_connection(options.admin_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server = None
    try:
        event_id = prepare(url, options.phones)
        port = free_port()
        server = start_gunicorn(url, port, options.workers)
        warm_up(port, event_id, options.workers)
        print(
            f"{options.phones} phones within {options.seconds:.0f} s, "
            f"gunicorn {options.workers} workers, PostgreSQL database {name}"
        )
        wall = time.monotonic()
        answers, errors, timings = run(port, event_id, options.phones, options.seconds)
        wall = time.monotonic() - wall
        every = [seconds * 1000 for _step, seconds in timings]
        sign_ins = [seconds * 1000 for step, seconds in timings if step == "sign in"]
        print(f"finished in {wall:.1f} s; {len(every)} requests, {len(errors)} phones failed")
        for label, values in (("every request", every), ("sign-in step", sign_ins)):
            if values:
                print(
                    f"  {label:14s} p50 {statistics.median(values):6.1f} ms   "
                    f"p99 {percentile(values, 0.99):6.1f} ms   max {max(values):6.1f} ms"
                )
        for error in errors[:5]:
            print("  " + error)
        signed_answers = sum(1 for answer in answers if answer.startswith("已签到"))
        signed, distinct, audited = check_database(url, event_id)
        print(
            f"answers 已签到: {signed_answers}; database: {signed} sign-ins, {distinct} people, "
            f"{audited} audit entries"
        )
        passed = (
            not errors
            and signed == distinct == audited == signed_answers == options.phones
            and percentile(every, 0.99) <= 300
        )
        print("OK" if passed else "NOT MET: expected every phone signed in once, p99 ≤ 300 ms")
        return 0 if passed else 1
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        with admin_connection(options.admin_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
