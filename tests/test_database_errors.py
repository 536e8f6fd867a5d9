"""Database trouble keeps its manners: the site's own error pages after a failed write, one
shared row when two people create the same new place at once, plain sentences instead of SQL,
and 503 with Retry-After while the database cannot be reached."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tracker import create_app
from tracker.directory import services as directory_services
from tracker.events.fields import OrganizationRow
from tracker.events.services import EntryRef, EventBatch, EventInput, StopRow
from tracker.extensions import db as database
from tracker.models import Event, Location, Organization

STARTS = datetime(2019, 6, 20, 6, tzinfo=UTC)


def _values(title: str, place: str) -> EventInput:
    return EventInput(
        title=title,
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        stops=[StopRow(location=EntryRef(Location, {"name": place}, {"city": "珠海"}))],
    )


def test_a_place_inserted_meanwhile_by_someone_else_is_reused(app, db, monkeypatch):
    db.session.add(Location(name="港湾1号科创园", city="珠海"))
    db.session.commit()
    db.session.expunge_all()
    real_find = directory_services._find
    calls = []

    def stale_first_read(model, match, fallback):
        # The first look-up ran before the other request committed: it saw no such place.
        calls.append(match)
        return None if len(calls) == 1 else real_find(model, match, fallback)

    monkeypatch.setattr(directory_services, "_find", stale_first_read)
    batch = EventBatch(None)
    event = batch.create(_values("银企对接会", "港湾1号科创园"))
    batch.commit()
    assert db.session.scalar(select(func.count(Location.id))) == 1
    assert event.stops[0].location.name == "港湾1号科创园"


@pytest.mark.parametrize("model", [Location, Organization])
def test_parallel_creates_of_the_same_new_entry_all_succeed(app, db, model):
    workers = 8
    barrier = threading.Barrier(workers)
    failures = []

    def save(number: int) -> None:
        with app.app_context():
            try:
                values = _values(f"活动{number}", "同名新地点")
                if model is Organization:
                    values.stops = []
                    values.organizations = [
                        OrganizationRow(
                            EntryRef(Organization, {"name": "同名新单位"}, {"kind": "enterprise"}),
                            "host",
                        )
                    ]
                barrier.wait(timeout=10)
                batch = EventBatch(None)
                batch.create(values)
                batch.commit()
            except Exception as error:  # noqa: BLE001 (the test reports every failure)
                failures.append(repr(error))
            finally:
                database.session.remove()

    threads = [threading.Thread(target=save, args=(number,)) for number in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Event.id))) == workers
    assert db.session.scalar(select(func.count(model.id))) == 1


def test_failed_signed_in_write_still_gets_the_sites_error_page(
    app, client, db, make_user, sign_in, monkeypatch
):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/_test/failed-write")
    def failed_write():
        database.session.add(Location(name="重复"))
        database.session.add(Location(name="重复"))
        database.session.flush()  # IntegrityError; the session now needs a rollback

    sign_in(make_user())
    response = client.get("/_test/failed-write")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "服务器内部错误" in html and "返回首页" in html
    assert "INSERT" not in html and "IntegrityError" not in html


@pytest.fixture
def unreachable_app(app_settings, compiled_templates):
    """The app pointed at a closed port: every query fails to connect."""
    url = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=2"
    app = create_app({**app_settings, "DATABASE_URL": url})
    yield app
    with app.app_context():
        database.engine.dispose()


@pytest.mark.parametrize("path", ["/calendar.ics", "/feeds/private/abcdef.ics", "/events/1.ics"])
def test_feeds_answer_503_with_retry_after_while_the_database_is_unreachable(unreachable_app, path):
    response = unreachable_app.test_client().get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "数据库暂时无法连接" in response.get_data(as_text=True)


def test_pages_answer_503_while_the_database_is_unreachable(unreachable_app):
    response = unreachable_app.test_client().get("/events/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "数据库暂时无法连接" in response.get_data(as_text=True)
