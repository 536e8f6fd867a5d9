"""Benchmark of the annual ledger: 100 activities with 300 generated photos into one volume.

    .venv/bin/python bench/ledger.py                      # SQLite file in a temp dir
    TRACKER_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/ledger.py                  # an empty PostgreSQL database

Records the activities through the ORM (so the kept figures are right), gives each three
generated 1600×1200 photos through the upload service (processed, stripped and thumbnailed
as real uploads are), then runs the annual-ledger job for the organisation and the year and
prints its time and the process's peak memory (maximum resident set size).
Targets: ≤ 20 s and ≤ 500 MB. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TRACKER_INSTANCE_PATH", tempfile.mkdtemp(prefix="ledger-bench-instance-"))

from flask_migrate import upgrade  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.services import create_user  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.jobs import start_job  # noqa: E402
from tracker.jobs.runner import job_store  # noqa: E402
from tracker.ledger.annual import ANNUAL_LEDGER_JOB  # noqa: E402
from tracker.media.services import PhotoUpload, add_photos  # noqa: E402
from tracker.models import (  # noqa: E402
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
)

PHOTO_SIZE = (1600, 1200)


def generated_photo(number: int) -> bytes:
    """A photo-like JPEG: a gradient with noise (so it compresses like a photo), numbered."""
    width, height = PHOTO_SIZE
    noise = Image.effect_noise((width // 4, height // 4), 40).resize(PHOTO_SIZE)
    gradient = Image.linear_gradient("L").resize(PHOTO_SIZE)
    image = Image.merge("RGB", (gradient, noise, Image.eval(gradient, lambda v: 255 - v)))
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, 560, 200], fill="white")
    draw.text((60, 60), f"bench photo {number}", fill="black", font_size=64)
    output = io.BytesIO()
    image.save(output, "JPEG", quality=88)
    return output.getvalue()


def build(activities: int, photos_each: int) -> tuple[Organization, int]:
    organization = Organization(name="基准测试总工会", kind="social")
    category = Category(slug="bench", name_zh="基准类别", name_en="Bench")
    location = Location(name="基准地点", city="珠海")
    people = [Person(name=f"成员{n}", organization=organization) for n in range(20)]
    db.session.add_all([organization, category, location, *people])
    start = datetime(2019, 1, 3, 1, 0, tzinfo=UTC)
    events = []
    for number in range(activities):
        starts_at = start + timedelta(days=3 * number + 0.5)
        event = Event(
            title=f"基准活动{number + 1}",
            description="活动内容第一行。\n活动内容第二行。",
            outcome="活动取得良好成效。",
            category=category,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            reported_headcount=30 + number,
        )
        event.organization_links.append(
            EventOrganization(organization=organization, role="host", position=0)
        )
        event.stops.append(Stop(location=location, position=0))
        for position, person in enumerate(people[number % 5 :: 4]):
            event.participations.append(Participation(person=person, position=position))
        events.append(event)
    db.session.add_all(events)
    db.session.commit()
    number = 0
    for event in events:
        uploads = []
        for _index in range(photos_each):
            number += 1
            uploads.append(
                PhotoUpload(f"{number}.jpg", generated_photo(number), f"照片说明{number}")
            )
        add_photos(event, uploads, None)
    return organization, number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=100)
    parser.add_argument("--photos-each", type=int, default=3)
    options = parser.parse_args()
    database_url = os.environ.get("TRACKER_DATABASE_URL") or (
        "sqlite:///" + os.path.join(os.environ["TRACKER_INSTANCE_PATH"], "bench.db")
    )
    app = create_app({"DATABASE_URL": database_url, "JOBS_MODE": "inline"})
    with app.app_context():
        upgrade()
        began = time.perf_counter()
        organization, photo_count = build(options.activities, options.photos_each)
        print(
            f"set-up: {options.activities} activities, {photo_count} photos uploaded "
            f"in {time.perf_counter() - began:.1f} s"
        )
        user = create_user("bench", "bench password 123", role="admin")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with app.test_request_context():
            began, cpu_began = time.perf_counter(), time.process_time()
            job_id = start_job(
                ANNUAL_LEDGER_JOB,
                title="bench",
                owner_id=user.id,
                params={
                    "args": {
                        "from": ["2019-01-01"],
                        "to": ["2019-12-31"],
                        "organization": [str(organization.id)],
                    },
                    "user_id": user.id,
                },
            )
            seconds = time.perf_counter() - began
            cpu_seconds = time.process_time() - cpu_began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        record = job_store(app).load(job_id)
        assert record["status"] == "done", record
        result = job_store(app).load_blob(job_id, "result")
        archive = zipfile.ZipFile(io.BytesIO(result))
        sizes = {name: archive.getinfo(name).file_size for name in archive.namelist()}
        print(f"annual ledger: {seconds:.1f} s (target ≤ 20 s), {cpu_seconds:.1f} s of CPU")
        print(
            f"peak memory (max RSS of the process): {peak:.0f} MB (target ≤ 500 MB; "
            f"{before:.0f} MB before the ledger)"
        )
        for name, size in sizes.items():
            print(f"  {name}: {size / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
