"""Backups: `flask --app wsgi backup create FILE` and `backup restore FILE` bring back every
row, on SQLite and on PostgreSQL, and refuse what they cannot do with a plain sentence."""

import re
import shutil

import pytest
from sqlalchemy import func, select, table, text
from sqlalchemy.engine import make_url

from tracker.audit import record_audit
from tracker.backup import BackupError, dump_postgresql
from tracker.demo import load_demo_data
from tracker.models import Event, Organization


@pytest.fixture
def filled(db, make_user):
    """The demo data, an account and an audit entry of that account."""
    load_demo_data()
    user = make_user(username="backup-admin", role="admin")
    record_audit("update", db.session.scalar(select(Organization)), summary="备份测试", user=user)
    db.session.commit()
    return db


def row_counts(db) -> dict[str, int]:
    """Rows in every table of the schema, Alembic's version table included."""
    names = [model_table.name for model_table in db.metadata.sorted_tables] + ["alembic_version"]
    return {
        name: db.session.scalar(select(func.count()).select_from(table(name))) for name in names
    }


def calendar(client) -> bytes:
    """The public feed without its DTSTAMP lines (the time of rendering)."""
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    return re.sub(rb"DTSTAMP:[^\r]*\r\n", b"", response.data)


def wipe(db) -> None:
    """Delete every row of every table, children first."""
    db.session.remove()
    with db.engine.begin() as connection:
        for model_table in reversed(db.metadata.sorted_tables):
            connection.execute(model_table.delete())
        connection.execute(text("DELETE FROM alembic_version"))


def test_backup_wipe_and_restore_bring_back_every_row(filled, client, runner, tmp_path, make_user):
    before = row_counts(filled)
    feed = calendar(client)
    assert before["events"] >= 10 and before["users"] == 1 and before["audit_entries"] >= 1
    assert feed.count(b"BEGIN:VEVENT") >= 10
    backup = tmp_path / "tracker.backup"

    created = runner.invoke(args=["backup", "create", str(backup)])
    assert created.exit_code == 0, created.output
    assert "已备份到" in created.output

    wipe(filled)
    assert set(row_counts(filled).values()) == {0}
    assert b"BEGIN:VEVENT" not in calendar(client)

    restored = runner.invoke(args=["backup", "restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "已从" in restored.output

    assert row_counts(filled) == before
    assert calendar(client) == feed
    # The ids go on where they stopped (PostgreSQL's sequences came back too).
    assert make_user(username="after-restore").id == 2


def test_restore_asks_before_replacing_the_data(filled, runner, tmp_path):
    backup = tmp_path / "tracker.backup"
    assert runner.invoke(args=["backup", "create", str(backup)]).exit_code == 0
    audit_entries = row_counts(filled)["audit_entries"]
    filled.session.execute(text("DELETE FROM audit_entries"))
    filled.session.commit()

    answered_no = runner.invoke(args=["backup", "restore", str(backup)], input="n\n")

    assert answered_no.exit_code == 1
    assert "替换数据库" in answered_no.output and "全部数据" in answered_no.output
    assert row_counts(filled)["audit_entries"] == 0

    answered_yes = runner.invoke(args=["backup", "restore", str(backup)], input="y\n")

    assert answered_yes.exit_code == 0, answered_yes.output
    assert row_counts(filled)["audit_entries"] == audit_entries


def test_restore_refuses_a_backup_of_the_other_engine(filled, runner, tmp_path):
    engine = filled.engine.dialect.name
    other = tmp_path / "other.backup"
    if engine == "sqlite":
        other.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
        expected = "是 PostgreSQL 数据库的备份，当前数据库是 SQLite，不能恢复"
    else:
        other.write_bytes(b"SQLite format 3\x00" + bytes(100))
        expected = "是 SQLite 数据库的备份，当前数据库是 PostgreSQL，不能恢复"
    before = row_counts(filled)

    result = runner.invoke(args=["backup", "restore", str(other), "--yes"])

    assert result.exit_code == 1
    assert expected in result.output
    assert row_counts(filled) == before


def test_restore_refuses_a_file_that_is_no_backup(filled, runner, tmp_path):
    stray = tmp_path / "notes.txt"
    stray.write_text("不是备份", encoding="utf-8")

    result = runner.invoke(args=["backup", "restore", str(stray), "--yes"])

    assert result.exit_code == 1
    assert "不是本系统的备份文件" in result.output
    assert row_counts(filled)["events"] >= 10


def test_missing_pg_dump_is_named_in_a_plain_sentence(app, tmp_path):
    app.config["PG_DUMP_PATH"] = str(tmp_path / "no-such-pg_dump")

    with pytest.raises(BackupError, match="找不到 pg_dump.*请安装 PostgreSQL 客户端工具"):
        dump_postgresql(make_url("postgresql+psycopg://tracker@127.0.0.1/tracker"), tmp_path / "x")


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_failing_pg_dump_reports_why(app, tmp_path):
    unreachable = make_url("postgresql+psycopg://tracker:secret@127.0.0.1:1/tracker")

    with pytest.raises(BackupError, match=r"pg_dump 失败（退出码 \d+）：.*127\.0\.0\.1") as failure:
        dump_postgresql(unreachable, tmp_path / "x")
    assert "secret" not in str(failure.value)
    assert not (tmp_path / "x").exists() or (tmp_path / "x").stat().st_size == 0


def test_backup_into_a_missing_folder_fails_plainly(filled, runner, tmp_path):
    result = runner.invoke(args=["backup", "create", str(tmp_path / "missing" / "x.backup")])

    assert result.exit_code == 1
    assert "目录不存在" in result.output
    assert filled.session.scalar(select(func.count(Event.id))) >= 10
