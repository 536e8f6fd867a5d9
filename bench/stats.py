"""Benchmark of /stats/: build a large data set, time the page and its bare SQL.

    .venv/bin/python bench/stats.py                      # SQLite file in a temp dir
    TRACKER_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/stats.py                  # an empty PostgreSQL database

Builds 20,000 events with 200,000 participations (bulk inserts through SQLAlchemy Core, which
bypass the ORM flush listener: the per-event figures it keeps on the events table are then
filled by `tracker.models.events.recount_all_event_figures`), then prints the median render
time of /stats/ (cold: figures computed; warm: cached until the data changes) through the
Flask test client (anonymous and signed in) and the median time of the same SQL statements
run bare on the connection.
Targets: page ≤ 300 ms and within 3x of the bare queries. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TRACKER_INSTANCE_PATH", tempfile.mkdtemp(prefix="stats-bench-instance-"))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event as sqlalchemy_event  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.services import create_user  # noqa: E402
from tracker.cache import app_cache  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import (  # noqa: E402
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
    new_uid,
)
from tracker.models.events import recount_all_event_figures  # noqa: E402

PATH = "/stats/?from=2019-01-01&to=2019-12-31"
PASSWORD = "bench password 123"
CHUNK = 5000


def build(events: int, participations: int, seed: int = 2019) -> None:
    """Insert the data set with executemany batches; ids are assigned here, not by the DB."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    connection = db.session.connection()

    def insert(table, rows):
        for start in range(0, len(rows), CHUNK):
            connection.execute(table.insert(), rows[start : start + CHUNK])

    insert(
        Category.__table__,
        [
            {"id": n, "slug": f"bench-{n}", "name_zh": f"类别{n}", "name_en": f"C{n}"}
            for n in range(1, 13)
        ],
    )
    insert(Campaign.__table__, [{"id": n, "name": f"专项活动{n}"} for n in range(1, 7)])
    organization_count, location_count, people_count = 400, 150, 8000
    insert(
        Organization.__table__,
        [
            {"id": n, "name": f"组织{n}", "kind": "community", "created_at": now}
            for n in range(1, organization_count + 1)
        ],
    )
    insert(
        Location.__table__,
        [
            {"id": n, "name": f"地点{n}", "city": "珠海", "created_at": now}
            for n in range(1, location_count + 1)
        ],
    )
    insert(
        Person.__table__,
        [
            {
                "id": n,
                "name": f"参与者{n}",
                "organization_id": rng.randint(1, organization_count),
                "is_party_member": rng.random() < 0.5,
                "created_at": now,
            }
            for n in range(1, people_count + 1)
        ],
    )
    year_start = datetime(2018, 12, 31, 16, tzinfo=UTC)
    event_rows, link_rows, stop_rows = [], [], []
    for n in range(1, events + 1):
        starts_at = year_start + timedelta(minutes=rng.randint(0, 365 * 24 * 60 - 180))
        ends_at = starts_at + timedelta(hours=2)
        recurring = rng.random() < 0.03
        headcount = rng.randint(5, 300) if rng.random() < 0.3 else None
        event_rows.append(
            {
                "id": n,
                "uid": new_uid(),
                "title": f"活动{n}",
                "category_id": rng.randint(1, 12),
                "campaign_id": rng.choice([None, None, None, rng.randint(1, 6)]),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "series_ends_at": None if recurring else ends_at,
                "timezone": "Asia/Shanghai",
                "is_all_day": False,
                "recurrence_rule": "FREQ=WEEKLY" if recurring else None,
                "status": "cancelled" if rng.random() < 0.03 else "confirmed",
                "visibility": "internal" if rng.random() < 0.1 else "public",
                "headcount": headcount,
                "headcount_is_approximate": headcount is not None and rng.random() < 0.2,
                "date_is_approximate": False,
                "sequence": 0,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        organizations = rng.sample(range(1, organization_count + 1), rng.randint(1, 4))
        for position, organization_id in enumerate(organizations):
            link_rows.append(
                {
                    "event_id": n,
                    "organization_id": organization_id,
                    "role": "host"
                    if position == 0
                    else rng.choice(["co_organizer", "participant"]),
                    "headcount": rng.randint(1, 80) if rng.random() < 0.2 else None,
                    "position": position,
                }
            )
        for position in range(rng.randint(0, 2)):
            stop_rows.append(
                {
                    "event_id": n,
                    "location_id": rng.randint(1, location_count),
                    "position": position,
                }
            )
    insert(Event.__table__, event_rows)
    insert(EventOrganization.__table__, link_rows)
    insert(Stop.__table__, stop_rows)
    participation_rows = []
    taken = set()  # (event, person): a person takes part in an activity once
    for n in range(participations):
        is_team = rng.random() < 0.02
        event_id, person_id = rng.randint(1, events), None
        while not is_team and (person_id is None or (event_id, person_id) in taken):
            person_id = rng.randint(1, people_count)
        taken.add((event_id, person_id))
        participation_rows.append(
            {
                "event_id": event_id,
                "person_id": person_id,
                "organization_id": rng.randint(1, organization_count) if is_team else None,
                "role": rng.choice(["participant", "participant", "volunteer", "speaker"]),
                "attended": rng.random() < 0.9,
                "hours": Decimal(rng.randint(0, 16)) / 2 if rng.random() < 0.6 else None,
                "award": rng.choice(["一等奖", "二等奖"]) if rng.random() < 0.005 else None,
                "rank": None,
                "position": n % 50,
            }
        )
    insert(Participation.__table__, participation_rows)
    recount_all_event_figures(connection)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as autocommit:
            autocommit.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    else:
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def median_ms(function, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def capture_sql(client, path: str) -> list[tuple[str, object]]:
    """The statements a page runs, with their parameters, as sent to the driver."""
    captured = []

    def record(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", record)
    return captured


def run_bare(statements: list[tuple[str, object]]) -> None:
    """Run the captured statements straight on a DB-API cursor and fetch every row."""
    with db.engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        cursor.close()
        connection.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--participations", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()

    url = os.environ.get("TRACKER_DATABASE_URL") or "sqlite:///" + os.path.join(
        tempfile.mkdtemp(prefix="stats-bench-"), "bench.db"
    )
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench-secret",
        }
    )
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count(Event.id))):
            sys.exit(f"{url} already holds events: give an empty database.")
        started = time.perf_counter()
        build(arguments.events, arguments.participations)
        print(f"database        {db.engine.dialect.name}  ({url.split('@')[-1]})")
        print(
            f"data            {arguments.events:,} events, {arguments.participations:,} "
            f"participations, built in {time.perf_counter() - started:.1f} s"
        )

        create_user("bench", PASSWORD, role="coordinator")
        for label, signed_in in (("anonymous", False), ("signed in", True)):
            client = app.test_client()
            if signed_in:
                response = client.post("/login", data={"username": "bench", "password": PASSWORD})
                assert response.status_code == 302, response.status_code
            response = client.get(PATH)
            assert response.status_code == 200, response.status_code
            assert b"\xe5\x8f\x82\xe4\xb8\x8e\xe7\xbb\x9f\xe8\xae\xa1" in response.data  # 参与统计
            cache = app_cache("statistics")

            def cold(client=client, cache=cache):
                cache.clear()
                client.get(PATH)

            page = median_ms(cold, arguments.runs)
            cache.clear()
            statements = capture_sql(client, PATH)
            bare = median_ms(lambda statements=statements: run_bare(statements), arguments.runs)
            warm = median_ms(lambda client=client: client.get(PATH), arguments.runs)
            print(
                f"/stats/ {label:<9} cold page {page:7.1f} ms   bare SQL {bare:7.1f} ms "
                f"({len(statements)} statements)   ratio {page / bare:4.2f}   "
                f"{'OK' if page <= 300 and page <= 3 * bare else 'OVER TARGET'}"
            )
            print(
                f"/stats/ {label:<9} warm page {warm:7.1f} ms   (figures cached until the data "
                f"changes)   {'OK' if warm <= 300 else 'OVER TARGET'}"
            )
        cache.clear()
        statements = capture_sql(client, PATH)
        slowest = sorted(
            (
                (median_ms(lambda s=statement: run_bare([s]), 3), statement[0])
                for statement in statements
            ),
            reverse=True,
        )[:5]
        print("slowest statements (signed in):")
        for milliseconds, sql in slowest:
            print(f"  {milliseconds:7.1f} ms  {' '.join(sql.split())[:110]}")


if __name__ == "__main__":
    main()
