"""Feed speed at 10,000 events (not a test: prints figures).

    .venv/bin/python bench/feeds.py [--events 10000] [--repeat 5]

Builds a database (a SQLite file in a temporary folder, or TRACKER_DATABASE_URL when set:
its tables are dropped and recreated) of events with stops, organisations and recurrences by
bulk insert, then measures through the real app and test client:

- cold: the first full /calendar.ics (nothing cached: load, build, serialise);
- warm: the same request again with nothing changed (validator query + cached bytes);
- warm gzip: the same with `Accept-Encoding: gzip` (the compressed bytes are cached too);
- 304: a request with If-None-Match of the current ETag;
- in-memory: a trivial route on the same app returning the same bytes, for the warm ratio.

Targets: cold ≤ 1.5 s, warm ≤ 2 × in-memory, 304 ≤ 5 ms, gzip ≤ 1/6 of the plain size and a
warm gzip GET no slower than a warm plain one.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Response  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from tracker import create_app
from tracker.extensions import db  # noqa: E402
from tracker.feeds.services import feed_cache  # noqa: E402
from tracker.models import (  # noqa: E402
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Stop,
)
from tracker.models.events import recount_all_event_figures  # noqa: E402

TITLES = ["主题党日", "“红色经典”读书分享会", "走访慰问困难党员", "安全生产宣传教育", "银企对接会"]
DESCRIPTION = (
    "不忘初心、牢记使命。组织党员参观学习，重温入党誓词，交流学习体会；"
    "活动结束后形成简报，报送上级党委。"
)


def build_database(count: int) -> None:
    """Bulk-insert `count` events, each with two stops and two organisations."""
    db.drop_all()
    db.create_all()
    random.seed(4)
    db.session.execute(
        insert(Category),
        [
            {"slug": f"c{n}", "name_zh": f"类别{n}", "name_en": f"Category {n}", "color": "#3b6ea5"}
            for n in range(12)
        ],
    )
    db.session.execute(insert(Campaign), [{"name": f"专项活动{n}"} for n in range(5)])
    db.session.execute(
        insert(Organization),
        [
            {"name": f"第{n}党支部", "short_name": f"{n}支部", "kind": "party_branch"}
            for n in range(300)
        ],
    )
    db.session.execute(
        insert(Location),
        [
            {
                "name": f"纪念馆{n}",
                "city": "珠海",
                "latitude": 22.2 + n / 1000 if n % 2 else None,
                "longitude": 113.5 + n / 1000 if n % 2 else None,
            }
            for n in range(500)
        ],
    )
    start = datetime(2019, 1, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    events = []
    for number in range(1, count + 1):
        starts_at = start + timedelta(hours=7 * number)
        recurring = number % 10 == 0
        events.append(
            {
                "id": number,
                "uid": f"{uuid.uuid4()}@bench",
                "title": f"{random.choice(TITLES)} {number}",
                "description": DESCRIPTION,
                "theme": "不忘初心、牢记使命" if number % 3 else None,
                "outcome": "形成初步合作意向" if number % 4 == 0 else None,
                "category_id": number % 12 + 1,
                "campaign_id": number % 5 + 1 if number % 7 == 0 else None,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=2),
                "series_ends_at": None if recurring else starts_at + timedelta(hours=2),
                "timezone": "Asia/Shanghai" if number % 50 else "Europe/Berlin",
                "is_all_day": False,
                "recurrence_rule": "FREQ=WEEKLY;BYDAY=WE" if recurring else None,
                "status": "cancelled" if number % 97 == 0 else "confirmed",
                "visibility": "internal" if number % 41 == 0 else "public",
                "headcount": 100 if number % 2 else None,
                "headcount_is_approximate": number % 4 == 1,
                "sequence": number % 3,
                "version": 1,
                "created_at": now,
                "updated_at": now - timedelta(seconds=number),
            }
        )
    db.session.execute(insert(Event), events)
    db.session.execute(
        insert(Stop),
        [
            {"event_id": number, "location_id": (number + offset) % 500 + 1, "position": offset}
            for number in range(1, count + 1)
            for offset in range(2)
        ],
    )
    db.session.execute(
        insert(EventOrganization),
        [
            {
                "event_id": number,
                "organization_id": (number * 7 + offset) % 300 + 1,
                "role": "host" if offset == 0 else "co_organizer",
                "position": offset,
                "headcount": 30 if offset else None,
            }
            for number in range(1, count + 1)
            for offset in range(2)
        ],
    )
    recount_all_event_figures(db.session.connection())  # Core inserts bypass the ORM
    db.session.commit()


def timed(function, repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    arguments = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="tracker-bench-")
    database_url = os.environ.get("TRACKER_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    os.environ["TRACKER_INSTANCE_PATH"] = folder
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    shared = {}

    @app.route("/bench/in-memory.ics")
    def in_memory():
        return Response(shared["body"], content_type="text/calendar; charset=utf-8")

    with app.app_context():
        started = time.perf_counter()
        build_database(arguments.events)
        print(f"database: {arguments.events} events in {time.perf_counter() - started:.1f} s")
        print(f"          {database_url.split('://')[0]}")
    client = app.test_client()

    def full_feed():
        response = client.get("/calendar.ics")
        assert response.status_code == 200, response.status_code
        return response

    colds, cold_cpu = [], []
    for _ in range(3):
        with app.app_context():
            feed_cache().clear()
        cpu_started = time.process_time()
        cold, response = timed(full_feed, 1)
        cold_cpu.append(time.process_time() - cpu_started)
        colds.append(cold)
    body = response.data
    shared["body"] = body
    etag = response.headers["ETag"]
    events_in_feed = body.count(b"BEGIN:VEVENT")
    warm, warm_response = timed(full_feed, arguments.repeat)
    assert warm_response.data == body

    def not_modified():
        response = client.get("/calendar.ics", headers={"If-None-Match": etag})
        assert response.status_code == 304
        return response

    def full_feed_gzip():
        response = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        return response

    warm_gzip, gzip_response = timed(full_feed_gzip, arguments.repeat)
    gzipped = gzip_response.data
    not_modified_time, _ = timed(not_modified, arguments.repeat * 4)
    memory, _ = timed(lambda: client.get("/bench/in-memory.ics"), arguments.repeat)

    http = measure_over_http(app, etag, arguments.repeat * 3)

    cold = statistics.median(colds)
    print(f"feed:     {events_in_feed} VEVENTs, {len(body) / 1024 / 1024:.1f} MB")
    print(
        f"cold full feed:        {cold * 1000:8.1f} ms   (target ≤ 1500 ms; runs: "
        + ", ".join(f"{value * 1000:.0f}" for value in colds)
        + ")"
    )
    print(
        f"  its CPU time:        {statistics.median(cold_cpu) * 1000:8.1f} ms   (wall time suffers "
        "when other processes share the CPUs)"
    )
    print(
        f"gzip:     {len(gzipped) / 1024 / 1024:.2f} MB, 1/{len(body) / len(gzipped):.1f} "
        "of the plain feed   (target ≤ 1/6)"
    )
    print(f"warm, nothing changed: {warm * 1000:8.1f} ms")
    print(
        f"warm, gzip:            {warm_gzip * 1000:8.1f} ms   ({warm_gzip / warm:.2f} x the "
        "plain warm GET; target ≤ 1 x)"
    )
    print(f"in-memory same bytes:  {memory * 1000:8.1f} ms")
    print(f"warm / in-memory:      {warm / memory:8.2f} x   (target ≤ 2 x)")
    print(f"304 Not Modified:      {not_modified_time * 1000:8.2f} ms   (target ≤ 5 ms)")
    print("over HTTP (werkzeug server on 127.0.0.1, whole body read by http.client):")
    print(f"  warm full feed:      {http['warm'] * 1000:8.1f} ms")
    print(f"  warm, gzip:          {http['warm gzip'] * 1000:8.1f} ms")
    print(f"  in-memory bytes:     {http['memory'] * 1000:8.1f} ms")
    print(f"  warm / in-memory:    {http['warm'] / http['memory']:8.2f} x")
    print(f"  304 Not Modified:    {http['304'] * 1000:8.2f} ms")


def measure_over_http(app, etag: str, repeat: int) -> dict[str, float]:
    """The same requests through a real socket, where the body has to be sent."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port

    def fetch(path: str, headers=None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status

    try:
        fetch("/calendar.ics")
        results = {
            "warm": timed(lambda: fetch("/calendar.ics"), repeat)[0],
            "warm gzip": timed(lambda: fetch("/calendar.ics", {"Accept-Encoding": "gzip"}), repeat)[
                0
            ],
            "memory": timed(lambda: fetch("/bench/in-memory.ics"), repeat)[0],
            "304": timed(lambda: fetch("/calendar.ics", {"If-None-Match": etag}), repeat * 4)[0],
        }
    finally:
        server.shutdown()
    return results


if __name__ == "__main__":
    main()
