"""Import speed at 10,000 events (not a test: prints figures).

    .venv/bin/python bench/imports.py [--events 10000] [--profile]

Builds a database of events with stops, organisations, teams and recurrences (bench/feeds.py's
bulk insert), exports it with the tracker's own writer (every event, internal ones too, as a
private feed has them), then:

- imports that file into an empty database and prints seconds and events/s (target: 10,000
  events in ≤ 8 s on SQLite);
- re-imports the same file, and the export of the imported database, and prints the number
  of changes each reports (must be 0).

TRACKER_DATABASE_URL selects another database (its tables are dropped and recreated).
The import's CPU time is printed beside its wall time: on a shared machine the wall time
also counts other processes.
`--profile` prints the import's top functions by cumulative time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.events.fields import PRIVATE  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.feeds.builder import FeedContext  # noqa: E402
from tracker.feeds.importer import import_calendar  # noqa: E402
from tracker.feeds.queries import load_feed_events  # noqa: E402
from tracker.feeds.writer import render_calendar  # noqa: E402
from tracker.models import Event  # noqa: E402


def _feeds_benchmark():
    """bench/feeds.py, whose bulk insert builds the database exported here."""
    spec = importlib.util.spec_from_file_location(
        "feeds_benchmark", Path(__file__).with_name("feeds.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export_all() -> bytes:
    """Every event as the tracker's own private feed writes it."""
    events = load_feed_events(select(Event), PRIVATE)
    return render_calendar(events, "bench", FeedContext("https://tracker.example"))


def changes(result) -> int:
    return result.created + result.updated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="tracker-bench-")
    database_url = os.environ.get("TRACKER_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    os.environ["TRACKER_INSTANCE_PATH"] = folder
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    with app.test_request_context("/"):
        _feeds_benchmark().build_database(arguments.events)
        data = export_all()
        print(f"file:      {data.count(b'BEGIN:VEVENT')} events, {len(data) / 1024 / 1024:.1f} MB")
        print(f"database:  {database_url.split('://')[0]}")
        db.drop_all()
        db.create_all()
        profiler = cProfile.Profile() if arguments.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = import_calendar(data, max_bytes=None)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        print(
            f"import:    {result.created} created in {seconds:.2f} s, "
            f"{result.created / seconds:.0f} events/s   (target: 10,000 in ≤ 8 s)"
        )
        print(
            f"           its CPU time: {cpu:.2f} s (wall time suffers when others share the CPUs)"
        )
        started = time.perf_counter()
        again = import_calendar(data, max_bytes=None)
        print(
            f"re-import of the same file:  {changes(again)} changes "
            f"({again.unchanged} unchanged) in {time.perf_counter() - started:.2f} s   (must be 0)"
        )
        own = export_all()
        started = time.perf_counter()
        again = import_calendar(own, max_bytes=None)
        print(
            f"re-import of the tracker's export of the imported data:  {changes(again)} changes "
            f"({again.unchanged} unchanged) in {time.perf_counter() - started:.2f} s   (must be 0)"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
