"""Configuration layers: defaults, instance/config.py, TRACKER_* variables; the secret key."""

import os
import stat

from tracker import create_app


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


def test_trusted_proxy_headers_give_the_client_address(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TRUSTED_PROXIES": 1, "TESTING": True})

    @app.route("/_address")
    def address():
        from flask import request

        return request.remote_addr

    response = app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"
