"""Configuration layers: defaults, instance/config.py, TRACKER_* variables; the secret key."""

import json
import os
import re
import stat
from pathlib import Path

from sqlalchemy import text

from tracker import create_app
from tracker.config import DefaultConfig
from tracker.extensions import db as database

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_secret_key_is_generated_into_the_instance_folder_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    first = create_app()
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32
    assert create_app().config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/tracker.db"


def test_environment_and_instance_config_override_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("EVENTS_PER_PAGE = 7\nDATABASE_URL = 'sqlite:///a.db'\n")
    assert create_app().config["EVENTS_PER_PAGE"] == 7
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://u@db.example/tracker")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/tracker"


def test_tests_keep_out_of_the_projects_instance_folder(app):
    """The project's instance/ holds a developer's database and key; tests use a temporary one."""
    assert Path(app.instance_path).resolve() != PROJECT_ROOT / "instance"
    assert (PROJECT_ROOT / "instance" / "README.md").exists()


def test_trusted_proxy_headers_give_the_client_address(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TRUSTED_PROXIES": 1, "TESTING": True})

    @app.route("/_address")
    def address():
        from flask import request

        return request.remote_addr

    response = app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"


# --- every setting in one place -------------------------------------------------------------

# config["NAME"] that is not assigned to, and config.get("NAME", ...).
SETTING_READ = re.compile(
    r"""config\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\](?!\s*=[^=])|config\.get\(\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def settings_read_by_the_code() -> set[str]:
    names = set()
    for path in (PROJECT_ROOT / "tracker").rglob("*.py"):
        for subscript, get in SETTING_READ.findall(path.read_text(encoding="utf-8")):
            names.add(subscript or get)
    return names


def default_settings() -> dict[str, object]:
    return {name: value for name, value in vars(DefaultConfig).items() if name.isupper()}


def readme_configuration_rows() -> dict[str, str]:
    """The README's configuration table: setting name (without TRACKER_) to its default cell."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `TRACKER_([A-Z0-9_]+)` \| ([^|]*) \|", section, flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def test_the_scan_finds_the_settings_the_code_reads():
    names = settings_read_by_the_code()
    assert {"EVENTS_PER_PAGE", "SIGN_IN_WINDOW_MINUTES", "FEEDS_CACHE_ENTRIES"} <= names


def test_every_setting_the_code_reads_has_a_default():
    missing = settings_read_by_the_code() - set(default_settings())
    assert not missing, f"read in tracker/ but not declared in DefaultConfig: {sorted(missing)}"


def test_every_default_setting_has_a_readme_row_with_its_default():
    rows = readme_configuration_rows()
    missing = set(default_settings()) - set(rows)
    assert not missing, f"no row in the README's configuration table: {sorted(missing)}"
    for name, value in default_settings().items():
        if isinstance(value, bool):
            shown = json.dumps(value)
        elif isinstance(value, int | str):
            shown = str(value)
        elif isinstance(value, tuple | list):
            shown = json.dumps(list(value), ensure_ascii=False)
        else:
            continue
        assert rows[name].startswith(f"`{shown}`"), f"README default of {name}: {rows[name]}"


def test_sqlite_connections_get_the_configured_page_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    app = create_app({"SQLITE_CACHE_KIB": 1234})
    with app.app_context():
        with database.engine.connect() as connection:
            assert connection.execute(text("PRAGMA cache_size")).scalar() == -1234
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        database.engine.dispose()
