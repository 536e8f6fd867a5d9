"""Backups of the whole database and their restore: `flask --app wsgi backup create FILE` and
`flask --app wsgi backup restore FILE`.

SQLite is copied page by page through its online backup API, which gives a consistent copy
while the tracker keeps serving, and is restored the same way, from the backup file into the
database file. PostgreSQL is dumped with `pg_dump` in its custom format and restored with
`pg_restore` in one transaction, so a failed restore leaves the data as it was. A backup
records its engine in its first bytes, and a restore refuses a backup of the other engine.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Optional

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from tracker.extensions import db
from tracker.models.versions import renew_data_version_epoch

ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The first bytes of an SQLite database file and of a pg_dump archive in custom format.
FILE_SIGNATURES = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}


class BackupError(Exception):
    """A backup or restore that could not be done; the message is for the person at the shell."""


def backup_engine(path: Path) -> Optional[str]:
    """The engine ("sqlite" or "postgresql") whose backup the file is, None for any other file."""
    with open(path, "rb") as backup:
        start = backup.read(16)
    for engine, signature in FILE_SIGNATURES.items():
        if start.startswith(signature):
            return engine
    return None


def create_backup(path: Path) -> None:
    """Write a full backup of the application's database to `path` (replaced if present)."""
    url = db.engine.url
    engine = db.engine.dialect.name
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"目录不存在：{path.parent}")
    # Written next to the target and renamed at the end: no half-written file under its name.
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        if engine == "sqlite":
            _copy_sqlite(_sqlite_file(url), Path(partial))
        elif engine == "postgresql":
            dump_postgresql(url, Path(partial))
        else:
            raise BackupError(f"不支持备份此类数据库：{engine}")
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def check_restorable(path: Path) -> None:
    """Refuse, before anything is changed, a file that is no backup of this database's engine."""
    engine = db.engine.dialect.name
    found = backup_engine(path)
    if found is None:
        raise BackupError(
            f"{path} 不是本系统的备份文件（既非 SQLite 数据库，也非 pg_dump 自定义格式）。"
        )
    if found != engine:
        raise BackupError(
            f"{path} 是 {ENGINE_NAMES[found]} 数据库的备份，当前数据库是 "
            f"{ENGINE_NAMES.get(engine, engine)}，不能恢复。"
        )
    if found == "sqlite":
        with closing(_open_sqlite(Path(path), read_only=True)) as backup:
            try:
                tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master")}
            except sqlite3.DatabaseError as error:
                raise BackupError(f"{path} 已损坏，无法读取：{error}") from error
        if "alembic_version" not in tables:
            raise BackupError(f"{path} 是 SQLite 数据库，但不是本系统的备份。")


def restore_backup(path: Path) -> None:
    """Replace all data of the application's database with the backup in `path`.

    The session and the engine's pooled connections are let go first, so nothing of this
    process holds a lock on, or a stale page of, the old data.
    """
    path = Path(path)
    check_restorable(path)
    url = db.engine.url
    engine = db.engine.dialect.name
    db.session.remove()
    db.engine.dispose()
    if engine == "sqlite":
        _copy_sqlite(path, _sqlite_file(url))
    else:
        restore_postgresql(url, path)
        # pg_restore brings no planner statistics; without them the first queries guess.
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    # The restored number may equal one reached since the backup: cached results made for
    # that number (in Redis, in other workers) must not be taken for the restored data.
    with db.engine.begin() as connection:
        if inspect(connection).has_table("data_version"):
            renew_data_version_epoch(connection)


def database_description() -> str:
    """The application's database as the confirmation question names it, password hidden."""
    return db.engine.url.render_as_string(hide_password=True)


# SQLite ----------------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复。")
    return Path(url.database)


def _open_sqlite(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if not path.is_file():
        raise BackupError(f"数据库文件不存在：{path}")
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    return sqlite3.connect(path)


def _copy_sqlite(source_path: Path, target_path: Path) -> None:
    """Copy a whole SQLite database into another file through the online backup API: a
    consistent snapshot of a database in use, and an all-or-nothing replacement of the target."""
    if not target_path.exists():
        target_path.touch()
    try:
        with (
            closing(_open_sqlite(source_path, read_only=True)) as source,
            closing(_open_sqlite(target_path)) as target,
        ):
            source.backup(target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite 复制失败：{error}") from error


# PostgreSQL ------------------------------------------------------------------------------------


def dump_postgresql(url: URL, path: Path) -> None:
    """Dump the database at `url` into `path` with pg_dump in its custom format."""
    _run_client(
        "PG_DUMP_PATH", url, ["--format=custom", "--no-password", f"--file={path}"], "pg_dump"
    )


def restore_postgresql(url: URL, path: Path) -> None:
    """Restore a custom-format dump into the database at `url`, replacing its tables, in one
    transaction (a failure changes nothing). Owners and grants are left to the target."""
    _run_client(
        "PG_RESTORE_PATH",
        url,
        [
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            str(path),
        ],
        "pg_restore",
    )


def _run_client(setting: str, url: URL, arguments: list[str], name: str) -> None:
    """Run a PostgreSQL client program on the database at `url`; the password travels in the
    environment, not on the command line where other users of the machine could read it."""
    program = shutil.which(current_app.config[setting])
    if program is None:
        raise BackupError(
            f"找不到 {name}（设置 {setting} = {current_app.config[setting]!r}）。"
            f"请安装 PostgreSQL 客户端工具（Debian/Ubuntu：apt install postgresql-client），"
            f"其主版本不低于数据库服务器的版本。"
        )
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    address = url.set(drivername="postgresql", password=None).render_as_string()
    try:
        result = subprocess.run(  # noqa: S603 (a configured program, arguments not from users)
            [program, f"--dbname={address}", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise BackupError(f"无法运行 {name}：{error}") from error
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        raise BackupError(f"{name} 失败（退出码 {result.returncode}）：{detail}")


# Command line ----------------------------------------------------------------------------------

backup_group = AppGroup("backup", help="备份与恢复 / Backups.")


@backup_group.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(file: Path) -> None:
    """Write a full backup of the database to FILE (SQLite backup API or pg_dump)."""
    try:
        create_backup(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已备份到 {file}（{file.stat().st_size} 字节）。")


@backup_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="不询问，直接替换现有数据 / replace without asking")
def backup_restore(file: Path, yes: bool) -> None:
    """Replace all data of the database with the backup in FILE."""
    try:
        check_restorable(file)
        if not yes:
            click.confirm(
                f"将用 {file} 替换数据库 {database_description()} 中的全部数据，继续吗？",
                abort=True,
            )
        restore_backup(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已从 {file} 恢复。若备份来自较旧的版本，请再运行 flask --app wsgi db upgrade。")
