"""Shared fixtures: an app on a migrated database (SQLite file, or PostgreSQL when
TRACKER_TEST_DATABASE_URL points at a server), a client, a CLI runner and model factories."""

import os
import re
import tempfile
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from flask_migrate import upgrade
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy import event as sqlalchemy_event

from tracker import create_app
from tracker.extensions import db as database
from tracker.models import (
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
)

POSTGRES_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
# Keep a developer's instance/config.py and secret key out of the tests.
os.environ["TRACKER_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="tracker-instance-")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh, migrated database for this test run; a private PostgreSQL database when asked."""
    if not POSTGRES_URL:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
        return
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield re.sub(r"/[^/]*$", f"/{name}", POSTGRES_URL)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        database.engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def app_settings(migrated_database):
    """Settings of every app the tests serve. One PBKDF2 round makes hashing a password (most
    tests that sign in make an account) take microseconds instead of scrypt's 0.1 s."""
    return {
        "DATABASE_URL": migrated_database,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        # Jobs run inside the request that starts them; tests/test_jobs.py runs them in threads.
        "JOBS_MODE": "inline",
    }


@pytest.fixture(scope="session")
def compiled_templates(tmp_path_factory):
    """Jinja's compiled templates, shared by the apps of this run: every test builds a new app,
    whose Jinja environment would otherwise compile each template it renders again."""
    return FileSystemBytecodeCache(str(tmp_path_factory.mktemp("templates")))


@pytest.fixture
def app(app_settings, compiled_templates):
    """The application on the migrated database, emptied after each test."""
    app = create_app(app_settings)
    app.jinja_env.bytecode_cache = compiled_templates
    app.before_request(_forget_request_globals)
    with app.app_context():
        if database.engine.dialect.name == "sqlite":
            sqlalchemy_event.listen(database.engine, "connect", _skip_disk_sync)
        yield app
        database.session.remove()
        _empty_all_tables()
        database.engine.dispose()


def _skip_disk_sync(dbapi_connection, connection_record) -> None:
    """The test database need not survive a power cut: commits skip fsync (3 ms each here)."""
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def _forget_request_globals() -> None:
    """Start each request with an empty `g`, as in production.

    The fixture keeps one application context for the whole test (so tests can use the
    session), and requests share it; without this, the signed-in user (Flask-Login), the
    CSRF token (Flask-WTF) and the locale (Flask-Babel) cached in `g` would outlive a request.
    """
    for name in list(g):
        g.pop(name)


def _empty_all_tables() -> None:
    """Delete every row, children first, and start the ids again from 1 as in a new database.

    DELETE, not TRUNCATE, on PostgreSQL too: TRUNCATE takes a quarter of a second per test
    even on empty tables, DELETE of a test's few rows a few milliseconds.
    """
    tables = [table.name for table in reversed(database.metadata.sorted_tables)]
    with database.engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'")
            )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return database


@pytest.fixture
def make_organization(db):
    counter = iter(range(1, 1_000_000))

    def make(**overrides):
        values = {"name": f"测试组织{next(counter)}", "kind": "community"}
        values.update(overrides)
        organization = Organization(**values)
        db.session.add(organization)
        db.session.commit()
        return organization

    return make


@pytest.fixture
def make_location(db):
    counter = iter(range(1, 1_000_000))

    def make(**overrides):
        values = {"name": f"测试地点{next(counter)}", "city": "珠海"}
        values.update(overrides)
        location = Location(**values)
        db.session.add(location)
        db.session.commit()
        return location

    return make


@pytest.fixture
def make_category(db):
    counter = iter(range(1, 1_000_000))

    def make(**overrides):
        number = next(counter)
        values = {
            "slug": f"cat-{number}",
            "name_zh": f"类别{number}",
            "name_en": f"Category {number}",
        }
        values.update(overrides)
        category = Category(**values)
        db.session.add(category)
        db.session.commit()
        return category

    return make


@pytest.fixture
def make_person(db):
    counter = iter(range(1, 1_000_000))

    def make(**overrides):
        values = {"name": f"张三{next(counter)}", "title": "党员", "is_party_member": True}
        values.update(overrides)
        person = Person(**values)
        db.session.add(person)
        db.session.commit()
        return person

    return make


@pytest.fixture
def make_event(db):
    """Make an event; `hosts`, `stops` and `people` take lists of models."""

    def make(hosts=(), stops=(), people=(), **overrides):
        starts_at = overrides.pop("starts_at", datetime(2019, 6, 15, 1, 0, tzinfo=UTC))
        values = {
            "title": "测试活动",
            "starts_at": starts_at,
            "ends_at": overrides.pop("ends_at", starts_at + timedelta(hours=2)),
        }
        values.update(overrides)
        event = Event(**values)
        for position, organization in enumerate(hosts):
            event.organization_links.append(
                EventOrganization(organization=organization, role="host", position=position)
            )
        for position, location in enumerate(stops):
            event.stops.append(Stop(location=location, position=position))
        for position, person in enumerate(people):
            event.participations.append(Participation(person=person, position=position))
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def make_user(db):
    """Make an account; the password is 'correct horse battery' unless given."""
    from tracker.auth.services import create_user

    counter = iter(range(1, 1_000_000))

    def make(
        username=None, password="correct horse battery", role="coordinator", organization=None
    ):
        return create_user(
            username or f"coordinator{next(counter)}",
            password,
            role=role,
            organization=organization,
        )

    return make


@pytest.fixture
def sign_in(client):
    """Sign a user in on the test client through the real form, CSRF token included."""

    def sign(user, password="correct horse battery"):
        page = client.get("/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1)
        response = client.post(
            "/login",
            data={"username": user.username, "password": password, "csrf_token": token.decode()},
        )
        assert response.status_code == 302, response.data.decode()[:500]
        return client

    return sign


@pytest.fixture
def csrf_token(client):
    """Read the CSRF token from a page as a browser would, so a test can post it back."""

    def read(path="/login"):
        page = client.get(path)
        match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.data)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1).decode()

    return read
