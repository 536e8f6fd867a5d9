"""Pages run a fixed number of SQL statements however much data there is, anonymous readers
never reach the accounts table, and a cached anonymous page costs one statement."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sqlalchemy_event

from tracker.models import Campaign, Category

PAGES = (
    "/",
    "/events/",
    "/events/{event_id}",
    "/stats/?from=2000-01-01&to=2099-12-31",
    "/organizations/",
    "/organizations/{organization_id}",
    "/locations/",
    "/locations/{location_id}",
    "/categories/",
    "/categories/{category_id}",
    "/campaigns/",
    "/campaigns/{campaign_id}",
)


@pytest.fixture
def statements(db):
    """The SQL statements run while the block of `statements.during(...)` runs."""

    class Recorder:
        def __init__(self):
            self.seen = []
            sqlalchemy_event.listen(db.engine, "before_cursor_execute", self._record)

        def _record(self, connection, cursor, statement, parameters, context, executemany):
            self.seen.append(statement)

        def during(self, request):
            # Every request of a real server starts with an empty session; the tests' requests
            # share one, so nothing loaded before may spare a statement.
            db.session.expire_all()
            self.seen = []
            response = request()
            assert response.status_code == 200, response.status_code
            return list(self.seen)

    recorder = Recorder()
    yield recorder
    sqlalchemy_event.remove(db.engine, "before_cursor_execute", recorder._record)


@pytest.fixture
def add_activities(db, make_event, make_organization, make_location, make_person):
    """Add `count` activities of one shape: a host, a stop, two people, a category and a
    campaign, in the coming weeks (so the month grid and the upcoming list show them), and
    one weekly series."""
    category = Category(slug="party-day", name_zh="主题党日", name_en="Party day")
    campaign = Campaign(name="安全生产月")
    db.session.add_all([category, campaign])
    db.session.commit()
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)

    def add(count):
        made = []
        for number in range(count):
            organization = make_organization()
            starts_at = soon + timedelta(hours=number)
            made.append(
                make_event(
                    title=f"活动{number}",
                    starts_at=starts_at,
                    hosts=[organization],
                    stops=[make_location()],
                    people=[make_person(organization=organization), make_person()],
                    category=category,
                    campaign=campaign,
                )
            )
        make_event(
            title="每周走访",
            starts_at=soon - timedelta(days=60),
            recurrence_rule="FREQ=WEEKLY",
            hosts=[made[0].organization_links[0].organization],
            category=category,
        )
        return made[0]

    return add


def test_each_page_runs_as_many_statements_with_six_times_the_data(
    app, client, statements, add_activities, make_user
):
    app.config["PAGE_CACHE_SECONDS"] = 0  # count the rendering, not the cache
    first = add_activities(2)
    coordinator = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', coordinator.get("/login").text
    )
    user = make_user(role="admin")
    signed_in = coordinator.post(
        "/login",
        data={
            "username": user.username,
            "password": "correct horse battery",
            "csrf_token": token[1],
        },
    )
    assert signed_in.status_code == 302
    ids = {
        "event_id": first.id,
        "organization_id": first.organization_links[0].organization_id,
        "location_id": first.stops[0].location_id,
        "category_id": first.category_id,
        "campaign_id": first.campaign_id,
    }
    paths = [page.format(**ids) for page in PAGES]
    paths.append("/people/")

    def count_statements():
        counts = {}
        for path in paths:
            if path != "/people/":
                counts[path] = len(statements.during(lambda p=path: client.get(p)))
            counts["signed in " + path] = len(statements.during(lambda p=path: coordinator.get(p)))
        return counts

    small = count_statements()
    add_activities(10)
    large = count_statements()
    assert large == small
    # The home page is the most: the month grid, the upcoming list (single events, series,
    # their details), the month's list, the nearest months with activities and the picker's
    # years, besides the data version and the session's user.
    assert max(small.values()) <= 24


def test_anonymous_pages_never_read_accounts(app, client, statements, add_activities):
    app.config["PAGE_CACHE_SECONDS"] = 0
    first = add_activities(2)
    for path in ("/", "/events/", f"/events/{first.id}", "/organizations/"):
        seen = statements.during(lambda p=path: client.get(p))
        assert not [sql for sql in seen if "FROM users" in sql], path


def test_a_cached_anonymous_page_costs_one_statement_until_the_data_changes(
    app, db, client, statements, add_activities
):
    first = add_activities(2)
    path = f"/events/{first.id}"
    rendered = statements.during(lambda: client.get(path))
    assert len(rendered) > 1
    again = statements.during(lambda: client.get(path))
    assert len(again) == 1 and "data_version" in again[0]
    first.title = "改过的标题"
    db.session.commit()
    changed = client.get(path)
    assert "改过的标题" in changed.text


def test_signed_in_readers_get_fresh_pages(app, db, client, sign_in, make_user, add_activities):
    first = add_activities(1)
    anonymous = client.get(f"/events/{first.id}")
    assert "修改记录" not in anonymous.text
    sign_in(make_user(role="admin"))
    signed_in = client.get(f"/events/{first.id}")
    assert signed_in.text != anonymous.text
