"""Benchmark of the HTML pages under gunicorn, side by side with a bare Flask page of the same
size under the same gunicorn settings, loaded with wrk in one run (loopback only, bounded).

    .venv/bin/python bench/pages.py                 # demo data, then 10,000 events
    .venv/bin/python bench/pages.py --scale demo    # one of them
    .venv/bin/python bench/pages.py --duration 10 --connections 16

For each scale it builds a SQLite file in a temporary folder (the demo data; for "10k" also
10,000 events with 200,000 participations, written with bulk inserts as bench/stats.py does),
starts two gunicorn servers (2 workers x 4 threads each, one at a time): the tracker as
deployed, loaded by anonymous readers (whose pages are cached per data version) and by a
signed-in coordinator (pages rendered for them, shared fragments cached), and a bare Flask
app that renders a page of N bytes. For `/`, `/events/`, an event page, `/stats/` and a
directory page it prints requests/s, p50 and p99 latency and the share of the bare page's
requests/s. `/stats/ cold` is the first request after a change of the data (the data version
is raised before each of them), timed one at a time.
Targets (issue 13): every page ≥ 0.3x the bare page at demo scale, ≥ 0.2x at 10,000 events.
Needs wrk (Debian package `wrk`). Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
GUNICORN_SETTINGS = ["--workers", "2", "--threads", "4", "--worker-class", "gthread"]
STATS = "/stats/?from=2019-01-01&to=2019-12-31"
COLD_SAMPLES = 15
PASSWORD = "bench password 123"

BARE_APP = """
from flask import Flask, render_template_string
app = Flask(__name__)
PAGE = "<!doctype html><html><body><p>{{ text }}</p></body></html>"
@app.get("/<int:size>")
def page(size):
    return render_template_string(PAGE, text="x" * max(0, size - len(PAGE) + 12))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_database(folder: str, scale: str) -> str:
    """A migrated SQLite file with the demo data (and the 10k data set for "10k")."""
    url = f"sqlite:///{folder}/tracker.db"
    script = f"""
import os, sys
sys.path.insert(0, {ROOT!r}); sys.path.insert(0, {os.path.join(ROOT, "bench")!r})
from flask_migrate import upgrade
from tracker import create_app
from tracker.demo import load_demo_data
app = create_app({{"DATABASE_URL": {url!r}}})
with app.app_context():
    upgrade()
    if {scale!r} == "10k":
        import stats
        stats.build(10_000, 200_000)
    load_demo_data()
    from tracker.auth.services import create_user
    create_user("bench", {PASSWORD!r}, role="coordinator")
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=_env(folder, url, 60), cwd=ROOT)
    return url


def _env(folder: str, url: str, page_cache_seconds: int) -> dict:
    env = dict(os.environ)
    env.update(
        TRACKER_INSTANCE_PATH=folder,
        TRACKER_DATABASE_URL=url,
        TRACKER_SECRET_KEY="bench-secret-key-not-for-production",
        TRACKER_PAGE_CACHE_SECONDS=str(page_cache_seconds),
    )
    # Set, even empty, it makes prometheus_client write its files into the working folder.
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("TRACKER_REDIS_URL", None)
    return env


class Server:
    """A gunicorn server on a free loopback port, stopped on leaving the block."""

    def __init__(self, app: str, env: dict, cwd: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [GUNICORN, *GUNICORN_SETTINGS, "--bind", f"127.0.0.1:{self.port}", app]
        self.process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return self
            except OSError as error:
                if getattr(error, "code", None):  # an HTTP answer: the server is up
                    return self
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def sign_in(base: str) -> str:
    """The Cookie header of a coordinator's session, signed in through the form."""
    import http.cookiejar
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    form = {"username": "bench", "password": PASSWORD, "csrf_token": token}
    opener.open(base + "/login", urllib.parse.urlencode(form).encode()).read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def wrk(url: str, duration: int, connections: int, cookie: str = "") -> tuple[float, float, float]:
    """requests/s, p50 and p99 in milliseconds."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    output = subprocess.run(
        ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s"]
        + headers
        + [url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rate, _latency(output, "50%"), _latency(output, "99%")


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def event_page(folder: str) -> str:
    import sqlite3

    with sqlite3.connect(f"{folder}/tracker.db") as connection:
        (event_id,) = connection.execute(
            "SELECT id FROM events WHERE visibility = 'public' AND title LIKE '%安康杯%'"
        ).fetchone()
    return f"/events/{event_id}"


def raise_data_version(folder: str) -> None:
    import sqlite3

    with sqlite3.connect(f"{folder}/tracker.db") as connection:
        connection.execute("UPDATE data_version SET number = number + 1")


def run_scale(scale: str, duration: int, connections: int) -> list[tuple]:
    folder = tempfile.mkdtemp(prefix=f"pages-bench-{scale}-")
    try:
        print(f"[{scale}] building the data set …", flush=True)
        url = build_database(folder, scale)
        pages = [("/", "/"), ("/events/", "/events/"), ("event page", event_page(folder))]
        pages += [("/stats/ warm", STATS), ("directory /organizations/", "/organizations/")]
        sizes, rows = {}, []
        with Server("wsgi:app", _env(folder, url, 60), ROOT) as tracker:
            for label, path in pages:
                sizes[label] = len(fetch(tracker.base + path))  # warms the caches
                rows.append((label, "anonymous", *wrk(tracker.base + path, duration, connections)))
            cookie = sign_in(tracker.base)
            for label, path in pages:
                fetch(tracker.base + path)
                load = wrk(tracker.base + path, duration, connections, cookie)
                rows.append((label, "signed in", *load))
            cold = []
            for _ in range(COLD_SAMPLES):
                raise_data_version(folder)
                started = time.perf_counter()
                fetch(tracker.base + STATS)
                cold.append((time.perf_counter() - started) * 1000)
        bare_folder = tempfile.mkdtemp(prefix="pages-bench-bare-")
        with open(os.path.join(bare_folder, "bare.py"), "w") as module:
            module.write(BARE_APP)
        bare_rates = {}
        with Server("bare:app", dict(os.environ), bare_folder) as bare:
            for label, _path in pages:
                bare_url = f"{bare.base}/{sizes[label]}"
                assert abs(len(fetch(bare_url)) - sizes[label]) <= 16
                bare_rates[label] = wrk(bare_url, duration, connections)
            bare_single = []
            for _ in range(COLD_SAMPLES):
                started = time.perf_counter()
                fetch(f"{bare.base}/{sizes['/stats/ warm']}")
                bare_single.append((time.perf_counter() - started) * 1000)
        shutil.rmtree(bare_folder, ignore_errors=True)
        results = []
        for label, mode, rate, p50, p99 in rows:
            bare_rate = bare_rates[label][0]
            results.append((scale, label, mode, sizes[label], rate, p50, p99, bare_rate))
        cold_ms = statistics.median(cold)
        bare_ms = statistics.median(bare_single)
        results.append(
            (
                scale,
                "/stats/ cold",
                "1 at a time",
                sizes["/stats/ warm"],
                1000 / cold_ms,
                cold_ms,
                max(cold),
                1000 / bare_ms,
            )
        )
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("demo", "10k", "both"), default="both")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per URL")
    parser.add_argument("--connections", type=int, default=8)
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    scales = ("demo", "10k") if arguments.scale == "both" else (arguments.scale,)
    results = []
    for scale in scales:
        results += run_scale(scale, arguments.duration, arguments.connections)
    print()
    print(
        f"gunicorn {' '.join(GUNICORN_SETTINGS)}; wrk -t2 -c{arguments.connections} "
        f"-d{arguments.duration}s; SQLite; {os.cpu_count()} CPUs"
    )
    header = f"{'scale':6} {'page':27} {'mode':12} {'bytes':>8} {'req/s':>8} {'p50 ms':>8} "
    print(header + f"{'p99 ms':>8} {'bare':>8} {'ratio':>6}")
    for scale, label, mode, size, rate, p50, p99, bare in results:
        print(
            f"{scale:6} {label:27} {mode:12} {size:8d} {rate:8.0f} {p50:8.1f} {p99:8.1f} "
            f"{bare:8.0f} {rate / bare:6.2f}"
        )


if __name__ == "__main__":
    main()
