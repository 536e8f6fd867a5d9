"""Activity calendar tracker: the application factory."""

import os
import secrets
from collections.abc import Callable
from typing import Any, Optional

from flask import Flask
from sqlalchemy import event as sqlalchemy_event
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import cli, i18n, page_cache, redaction, web
from tracker.attendance import blueprint as attendance_blueprint
from tracker.auth import blueprint as auth_blueprint
from tracker.config import DefaultConfig, instance_database_url
from tracker.directory import blueprint as directory_blueprint
from tracker.events import blueprint as events_blueprint
from tracker.extensions import csrf, db, login_manager, migrate
from tracker.feeds import blueprint as feeds_blueprint
from tracker.health import blueprint as health_blueprint
from tracker.health import init_app as init_metrics
from tracker.jobs import blueprint as jobs_blueprint
from tracker.ledger import blueprint as ledger_blueprint
from tracker.media import blueprint as media_blueprint
from tracker.media.images import apply_pixel_limit
from tracker.stats import blueprint as stats_blueprint

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(overrides: Optional[dict[str, Any]] = None) -> Flask:
    """Build the application: config layers, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get(
            "TRACKER_INSTANCE_PATH", os.path.join(PROJECT_ROOT, "instance")
        ),
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    _configure(app, overrides or {})
    _init_extensions(app)
    _register_blueprints(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    i18n.init_app(app)
    web.init_app(app)
    init_metrics(app)
    redaction.init_app(app)
    page_cache.init_app(app)
    cli.init_app(app)
    apply_pixel_limit(app.config["PHOTOS_MAX_PIXELS"])
    return app


def _configure(app: Flask, overrides: dict[str, Any]) -> None:
    """Defaults, then instance/config.py, then TRACKER_* variables, then explicit overrides."""
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TRACKER")
    app.config.update(overrides)
    database_url = app.config["DATABASE_URL"] or instance_database_url(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    if not database_url.startswith("sqlite"):
        # A server may close idle connections; check each one before use (SQLite has none).
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)


def _instance_secret_key(instance_path: str) -> str:
    """Read the secret key from instance/secret_key, generating it on first run."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_hex(32))
    with open(path) as key_file:
        return key_file.read().strip()


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                configure = _sqlite_connection_settings(app.config["SQLITE_CACHE_KIB"])
                sqlalchemy_event.listen(engine, "connect", configure)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)


def _register_blueprints(app: Flask) -> None:
    for blueprint in (
        events_blueprint,
        directory_blueprint,
        feeds_blueprint,
        stats_blueprint,
        auth_blueprint,
        jobs_blueprint,
        media_blueprint,
        ledger_blueprint,
        attendance_blueprint,
        health_blueprint,
    ):
        app.register_blueprint(blueprint)


def _sqlite_connection_settings(cache_kib: int) -> Callable[..., None]:
    """Per-connection SQLite settings: foreign keys are enforced only when asked, and the
    page cache (2 MiB by default; SQLITE_CACHE_KIB here) holds a large tracker's tables, so
    that statistics and feeds read pooled pages instead of asking the operating system again
    at every request."""

    def configure(dbapi_connection, connection_record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        cursor.close()

    return configure
