"""Lenient import (issue 17) and big imports (issue 11 point 7): repairs are warnings shown
before anything is saved, `--strict` refuses them, big uploads run as jobs, the command line
takes any size, no input gives a traceback, and the statements an import runs do not grow
with its events."""

import io
import random
import re
from pathlib import Path

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select

from tracker.feeds.importer import ImportRefused, import_calendar, parse_calendar
from tracker.models import Category, Event, Location

CORPUS = Path(__file__).parent / "data" / "ics"


def read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def count_events(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def upload(client, data: bytes):
    page = client.get("/feeds/import").get_data(as_text=True)
    return client.post(
        "/feeds/import",
        data={"csrf_token": _csrf(page), "file": (io.BytesIO(data), "calendar.ics")},
        content_type="multipart/form-data",
    )


def choose(client, page: str, button: str):
    upload_id = re.search(r'name="upload_id" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(
        "/feeds/import",
        data={"csrf_token": _csrf(page), "upload_id": upload_id, button: "x"},
    )


def test_upload_shows_the_repairs_and_saves_nothing_until_confirmed(client, db, make_user, sign_in):
    sign_in(make_user(role="admin"))
    response = upload(client, read("issue17-no-summary.ics"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "将导入 2 项活动，其中 1 项有修正：" in page
    assert "缺少标题（SUMMARY），已记为“（无标题）”。" in page
    assert "确认导入" in page and "取消" in page
    assert count_events(db) == 0 and db.session.scalar(select(func.count(Location.id))) == 0

    done = choose(client, page, "confirm").get_data(as_text=True)
    assert "新建 2 项" in done
    assert {event.title for event in db.session.scalars(select(Event))} == {
        "（无标题）",
        "支部委员会",
    }
    # The kept upload is used once: confirming again imports nothing more.
    assert choose(client, page, "confirm").status_code == 400
    assert count_events(db) == 2


def test_cancel_saves_nothing(client, db, make_user, sign_in):
    sign_in(make_user(role="admin"))
    page = upload(client, read("issue17-no-uid.ics")).get_data(as_text=True)
    response = choose(client, page, "cancel")
    assert response.status_code == 302
    assert "已取消导入" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count_events(db) == 0


def test_another_user_cannot_use_a_kept_upload(app, client, db, make_user, sign_in):
    sign_in(make_user(role="admin"))
    page = upload(client, read("issue17-no-uid.ics")).get_data(as_text=True)
    other = app.test_client()
    sign_in_page = other.get("/login").get_data(as_text=True)
    user = make_user()
    other.post(
        "/login",
        data={
            "username": user.username,
            "password": "correct horse battery",
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', sign_in_page)[1],
        },
    )
    form_page = other.get("/feeds/import").get_data(as_text=True)
    upload_id = re.search(r'name="upload_id" type="hidden" value="([^"]+)"', page).group(1)
    response = other.post(
        "/feeds/import",
        data={"csrf_token": _csrf(form_page), "upload_id": upload_id, "confirm": "x"},
    )
    assert response.status_code == 400
    assert other.get(f"/feeds/import?upload={upload_id}").status_code == 404
    assert count_events(db) == 0


def test_a_large_upload_is_checked_and_imported_as_background_jobs(
    app, client, db, make_user, sign_in
):
    app.config["FEEDS_IMPORT_BACKGROUND_BYTES"] = 100
    sign_in(make_user(role="admin"))
    response = upload(client, read("issue17-end-before-start.ics"))
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    checked = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "将导入 2 项活动，其中 2 项有修正：" in checked
    assert count_events(db) == 0
    preview_url = re.search(r'href="(/feeds/import\?upload=[^"]+)"', checked).group(1)
    page = client.get(preview_url).get_data(as_text=True)
    assert "结束时间早于开始时间，已按没有时长的活动导入。" in page
    started = choose(client, page, "confirm")
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    result = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "导入完成：新建 2 项，更新 0 项，未变 0 项。" in result
    assert 'href="/events/"' in result
    assert count_events(db) == 2


def test_cli_prints_warnings_and_strict_refuses_them(runner, db, tmp_path):
    path = tmp_path / "no-uid.ics"
    path.write_bytes(read("issue17-no-uid.ics"))
    strict = runner.invoke(args=["ics", "import", "--strict", str(path)])
    assert strict.exit_code != 0
    assert "严格模式" in strict.output and "缺少 UID" in strict.output
    assert count_events(db) == 0
    lenient = runner.invoke(args=["ics", "import", str(path)])
    assert lenient.exit_code == 0, lenient.output
    assert "注意：" in lenient.output and "新建 2 项" in lenient.output
    again = runner.invoke(args=["ics", "import", str(path)])
    assert "新建 0 项，更新 0 项，未变 2 项" in again.output  # the derived UIDs are stable


def test_cli_takes_files_over_the_upload_limit(app, runner, db, tmp_path):
    app.config["FEEDS_IMPORT_MAX_BYTES"] = 200
    path = tmp_path / "apple.ics"
    path.write_bytes(read("apple-calendar.ics"))
    with_limit = None
    try:
        import_calendar(path.read_bytes())
    except ImportRefused as refusal:
        with_limit = refusal.messages
    assert with_limit and "文件太大" in with_limit[0]
    result = runner.invoke(args=["ics", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新建 4 项" in result.output


def test_parser_errors_are_chinese_sentences_naming_event_and_line(app):
    parsed = parse_calendar(read("issue17-unparseable-lines.ics"))
    assert "第 12 行，第 1 个活动“有坏行的活动”：第 16 行无法解析，已跳过：DTEND" in parsed.warnings
    for text in parsed.warnings:
        assert not re.search(r"[A-Za-z]{3,} [a-z]{3,}", text.replace("DTEND", "")), text


# --- no traceback, ever ------------------------------------------------------------------


def mutations(data: bytes, generator: random.Random):
    """Broken variants of a file: truncated, lines deleted or duplicated, components
    shuffled, bytes flipped."""
    lines = data.split(b"\n")
    yield data[: generator.randrange(len(data))]
    for _ in range(3):
        kept = list(lines)
        del kept[generator.randrange(len(kept))]
        yield b"\n".join(kept)
    duplicated = list(lines)
    index = generator.randrange(len(duplicated))
    duplicated.insert(index, duplicated[index])
    yield b"\n".join(duplicated)
    blocks = re.split(rb"(?=BEGIN:V)", data)
    head, body = blocks[0], blocks[1:]
    generator.shuffle(body)
    yield head + b"".join(body)
    flipped = bytearray(data)
    for _ in range(5):
        flipped[generator.randrange(len(flipped))] = generator.choice(b':;=,\\"\r\n \xe4x')
    yield bytes(flipped)


def test_mutated_corpus_files_give_a_result_or_a_sentence_never_a_traceback(app, caplog):
    generator = random.Random(17)
    tried = 0
    for path in sorted(CORPUS.glob("*.ics")):
        for data in mutations(path.read_bytes(), generator):
            tried += 1
            try:
                parsed = parse_calendar(data)
            except ImportRefused as refusal:
                assert refusal.messages and all(refusal.messages), path.name
                continue
            for text in [*map(str, parsed.problems), *parsed.warnings]:
                assert "Traceback" not in text and "Error" not in text, text
    assert tried >= 100
    assert "could not be read" not in caplog.text  # no catch-all fired: every case has a sentence


# --- statements do not grow with the events ---------------------------------------------


def many_events(count: int) -> bytes:
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:bulk-{number}@bulk.example\r\n"
        "DTSTAMP:20240101T000000Z\r\n"
        f"DTSTART;TZID=Asia/Shanghai:202407{number % 28 + 1:02d}T090000\r\n"
        f"DTEND;TZID=Asia/Shanghai:202407{number % 28 + 1:02d}T100000\r\n"
        f"SUMMARY:活动{number}\r\n"
        f"LOCATION:地点{number}\r\n"
        f"CATEGORIES:类别{number % 3}\r\n"
        f"ATTENDEE;CN=人{number}:mailto:p{number}@x.example\r\n"
        "END:VEVENT\r\n"
        for number in range(count)
    )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bulk//EN\r\n"
    return f"{head}{events}END:VCALENDAR\r\n".encode()


def statements_of(db, function) -> dict[str, int]:
    counted: dict[str, int] = {}

    def count(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        counted[verb] = counted.get(verb, 0) + 1

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", count)
    try:
        function()
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", count)
    return counted


def test_selects_of_an_import_do_not_grow_with_its_events(db):
    # Both above NUMBERED_BATCH rows, so that both number their new rows (one SELECT per table).
    few = statements_of(db, lambda: import_calendar(many_events(8)))
    db.session.execute(Event.__table__.delete())
    db.session.execute(Category.__table__.delete())  # so that both imports create them
    many = statements_of(db, lambda: import_calendar(many_events(60)))
    assert count_events(db) == 60
    # Lookups are per batch (UIDs, entries by name), not per event: the same number.
    assert many["SELECT"] == few["SELECT"], (few, many)
    # Rows are inserted many per statement: far fewer INSERTs than rows.
    assert many["INSERT"] <= few["INSERT"] + 60, (few, many)
