"""Size and server time of every page at the budget's scale (not a test: prints figures).

    .venv/bin/python bench/page_budget.py [--repeat 3]

Builds a database (a SQLite file in a temporary folder, or TRACKER_DATABASE_URL when set:
its tables are dropped and recreated) with the data set of tests/scale_data.py: 10,000
events, 10,000 locations, 2,000 organisations and 10,000 people. Then requests each page
through the app's test client, first cold (nothing cached) and then `--repeat` times,
and prints bytes and the median server time. Budget (issue 16): ≤ 150 KB and ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scale_data import build_scale_data  # noqa: E402
from tests.test_page_budget import PUBLIC_PAGES, SIGNED_IN_PAGES  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.auth.services import create_user  # noqa: E402
from tracker.extensions import db  # noqa: E402

BUDGET_BYTES = 150 * 1024
BUDGET_SECONDS = 0.3


def measure(client, path: str, repeat: int) -> tuple[int, int, float, float]:
    """(status, bytes, cold seconds, median warm seconds) of GET path."""
    started = time.perf_counter()
    response = client.get(path)
    cold = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
    return response.status_code, len(response.get_data()), cold, statistics.median(times)


def sign_in(client) -> None:
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post(
        "/login",
        data={"username": "budget", "password": "correct horse battery", "csrf_token": token},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    url = os.environ.get("TRACKER_DATABASE_URL") or "sqlite:///" + str(
        Path(tempfile.mkdtemp(prefix="page-budget-")) / "budget.db"
    )
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "WTF_CSRF_ENABLED": True,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            build_scale_data(connection)
        create_user("budget", "correct horse battery", role="admin")
        print(f"data set built in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        print(f"{'page':58} {'status':>6} {'bytes':>9} {'cold ms':>8} {'warm ms':>8}")
        for signed_in, pages in ((False, PUBLIC_PAGES), (True, SIGNED_IN_PAGES)):
            client = app.test_client()
            if signed_in:
                sign_in(client)
            for path in pages:
                status, size, cold, warm = measure(client, path, arguments.repeat)
                flags = ("  BYTES" if size > BUDGET_BYTES else "") + (
                    "  TIME" if warm > BUDGET_SECONDS else ""
                )
                label = ("[signed in] " if signed_in else "") + path
                print(
                    f"{label:58} {status:>6} {size:>9,} {cold * 1000:>8.0f} {warm * 1000:>8.0f}"
                    f"{flags}"
                )


if __name__ == "__main__":
    main()
