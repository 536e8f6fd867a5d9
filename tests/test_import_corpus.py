"""Every file of the corpus (tests/data/ics) is imported, or refused with its exact message;
what was imported is exported (private and public feeds), and both exports and the file
itself import again with no change. libical reads the exports, and the empty feed, without
an error."""

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import check_wire_format
from sqlalchemy import func, select

from tracker.events.fields import PRIVATE
from tracker.feeds.builder import FeedContext
from tracker.feeds.importer import ImportRefused, import_calendar, parse_calendar
from tracker.feeds.queries import load_feed_events
from tracker.feeds.writer import render_calendar
from tracker.models import Event

CORPUS = Path(__file__).parent / "data" / "ics"

# file -> events created and the warnings' count, or the exact messages of its refusal.
IMPORTED = {
    "apple-calendar.ics": (4, 1),
    "bom-lf-folded-utf8.ics": (1, 0),
    "custom-zones.ics": (4, 0),
    "google-utc-times.ics": (1, 0),
    "google_recurring.ics": (2, 0),
    "issue17-duplicate-uid.ics": (1, 1),
    "issue17-end-before-start.ics": (2, 2),
    "issue17-multiple-rrules.ics": (2, 2),
    "issue17-no-summary.ics": (2, 1),
    "issue17-no-uid.ics": (2, 2),
    "issue17-unknown-properties.ics": (2, 6),
    "issue17-unparseable-lines.ics": (1, 4),
    "issue17-zone-names.ics": (3, 0),
    "late-vtimezone.ics": (1, 0),
    "outlook-windows-zones.ics": (3, 9),
    "pacific-fiji.ics": (1, 0),
}
REFUSED = {
    "issue17-unreadable-start.ics": [
        "文件中有错误，未导入任何活动：",
        "第 4 行，第 1 个活动“开始时间无法识别”：第 7 行：DTSTART 的值“next tuesday”无法识别。",
    ],
    "rule-bombs.ics": [
        "文件中有错误，未导入任何活动：",
        "第 4 行，第 1 个活动“每秒一次”：“每秒一次”的重复规则“FREQ=SECONDLY”："
        "不支持按秒、分钟或小时重复，请按天、周、月或年重复。",
        "第 12 行，第 2 个活动“永不发生”：“永不发生”的重复规则“FREQ=MINUTELY;BYMONTHDAY=30;"
        "BYMONTH=2”：不支持按秒、分钟或小时重复，请按天、周、月或年重复。",
        "第 19 行，第 3 个活动“五百万次”：“五百万次”的重复规则“FREQ=DAILY;COUNT=5000000”："
        "重复次数应在 1 到 1000 之间。",
    ],
    "unknown-zones.ics": [
        "文件中有错误，未导入任何活动：",
        "第 12 行，第 1 个活动“火星基地例会”：无法识别的时区“Mars/Olympus_Mons”，"
        "文件中也没有它的定义（VTIMEZONE）。",
        "第 19 行，第 2 个活动“月面站例会”：时区“Lunar/Tranquility”的定义（VTIMEZONE）"
        "与任何已知时区都对不上，无法换算时间。",
    ],
}


def test_every_corpus_file_has_an_expected_outcome():
    assert {path.name for path in CORPUS.glob("*.ics")} == IMPORTED.keys() | REFUSED.keys()


def private_export() -> bytes:
    """Every event as a private feed writes it (internal events, organiser, alarms)."""
    events = load_feed_events(select(Event), PRIVATE)
    return render_calendar(events, "导出", FeedContext("https://tracker.example"))


def changes(result) -> int:
    return result.created + result.updated


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_corpus_file_imports_exports_and_imports_again_unchanged(app, client, db, name):
    data = (CORPUS / name).read_bytes()
    result = import_calendar(data)
    created, warnings = IMPORTED[name]
    assert (result.created, len(result.warnings)) == (created, warnings), result.warnings
    assert db.session.scalar(select(func.count()).select_from(Event)) == created
    with app.test_request_context("/"):
        exported = private_export()
    check_wire_format(exported)
    public = client.get("/calendar.ics").data
    for again in (data, exported, public):
        result = import_calendar(again)
        assert changes(result) == 0, (result.created, result.updated)
    assert db.session.scalar(select(func.count()).select_from(Event)) == created


def test_the_export_of_the_whole_corpus_is_read_by_libical_without_an_error(app, db):
    for name in IMPORTED:
        import_calendar((CORPUS / name).read_bytes())
    with app.test_request_context("/"):
        exported = private_export()
    overrides = exported.count(b"\r\nRECURRENCE-ID")  # a changed occurrence's own VEVENT
    assert overrides == 1  # google_recurring.ics's moved October meeting
    assert exported.count(b"BEGIN:VEVENT") - overrides == sum(
        created for created, _ in IMPORTED.values()
    )
    libical_errors(exported)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_corpus_file_is_refused_with_its_exact_message(db, name):
    with pytest.raises(ImportRefused) as refusal:
        import_calendar((CORPUS / name).read_bytes())
    assert refusal.value.messages == REFUSED[name]
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


# libical through its GObject binding (Debian's gir1.2-ical-3.0 and python3-gi), which the
# system's Python has; the virtual environment cannot install it from PyPI.
SYSTEM_PYTHON = "/usr/bin/python3"
LIBICAL_CHECK = """
import sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib
text = sys.stdin.buffer.read().decode()
calendar = ICalGLib.Component.new_from_string(text)
if calendar is None:
    print("not parsed")
    sys.exit(0)
print(calendar.count_errors(), calendar.count_components(ICalGLib.ComponentKind.ANY_COMPONENT))
print(calendar.as_ical_string().count("X-LIC-ERROR"))
"""


def libical_errors(body: bytes) -> None:
    """Assert libical reads the calendar without an error and finds components in it."""
    # Under CI (.ci/run installs it) a missing libical is a failure, not a skip.
    missing = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    if not shutil.which(SYSTEM_PYTHON):
        missing("no system Python with libical's binding")
    completed = subprocess.run(  # noqa: S603
        [SYSTEM_PYTHON, "-c", LIBICAL_CHECK], input=body, capture_output=True, timeout=30
    )
    if b"ICalGLib" in completed.stderr or b"No module named" in completed.stderr:
        missing("libical's GObject binding is not installed (apt install gir1.2-ical-3.0)")
    assert completed.returncode == 0, completed.stderr.decode()
    errors_and_components, lic_errors = completed.stdout.decode().split("\n")[:2]
    errors, components = (int(number) for number in errors_and_components.split())
    assert (errors, int(lic_errors)) == (0, 0), body.decode()[:2000]
    assert components >= 1


def test_empty_feed_is_a_valid_calendar_for_libical(client, make_organization):
    organization = make_organization(name="没有活动的支部")
    body = client.get(f"/calendar.ics?organization={organization.id}").data
    assert b"BEGIN:VEVENT" not in body
    libical_errors(body)


def test_order_and_odd_zones_give_the_right_times(app):
    late = parse_calendar((CORPUS / "late-vtimezone.ics").read_bytes()).events[0]
    assert (late.timezone, late.starts_at) == (
        "Europe/Berlin",
        datetime(2024, 7, 15, 8, tzinfo=UTC),
    )
    fiji = parse_calendar((CORPUS / "pacific-fiji.ics").read_bytes()).events[0]
    assert (fiji.timezone, fiji.starts_at) == (
        "Pacific/Fiji",
        datetime(2012, 7, 14, 22, tzinfo=UTC),
    )


def test_bom_lf_and_folds_inside_characters_read_back_whole(app):
    data = (CORPUS / "bom-lf-folded-utf8.ics").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data
    (event,) = parse_calendar(data).events
    assert event.title == "金鼎社区卫生服务中心党支部“红色经典”读书分享会暨主题党日活动"
    assert event.description == "不忘初心、牢记使命。组织党员参观学习，重温入党誓词，交流学习体会。"
