"""Pages that stay small when the data grows (issue 16): every HTML page within 150 KB at
10,000 events, 10,000 locations, 2,000 organisations and 10,000 people.

Bytes, not times: they do not vary with the machine (bench/page_budget.py prints both).
"""

import pytest
from sqlalchemy import text

from tests.scale_data import CROWDED_MONTH, build_scale_data
from tracker import create_app
from tracker.auth.services import create_user
from tracker.extensions import db

BUDGET_BYTES = 150 * 1024

PUBLIC_PAGES = [
    "/",
    f"/?month={CROWDED_MONTH}",
    f"/?month={CROWDED_MONTH}&day={CROWDED_MONTH}-15",
    "/events/",
    "/events/?q=党日",
    "/events/?organization=1&location=8",
    "/events/6",
    "/organizations/",
    "/organizations/?q=高新区",
    "/organizations/4",
    "/locations/",
    "/locations/8",
    "/categories/",
    "/categories/1",
    "/campaigns/",
    "/campaigns/1",
    "/feeds/",
    "/feeds/?organization=1",
    "/stats/",
    "/stats/?from=2019-01-01&to=2030-12-31",
    "/stats/organizations?from=2019-01-01&to=2030-12-31",
    "/stats/locations?from=2019-01-01&to=2030-12-31",
]
SIGNED_IN_PAGES = [
    "/people/",
    "/people/2",
    "/events/",
    "/stats/?from=2019-01-01&to=2030-12-31",
    # The event form: its location, organisation, person and campaign fields are pickers.
    "/events/new",
    "/events/12/edit",
]


@pytest.fixture(scope="module")
def scale_app(app_settings, compiled_templates):
    """One app on the generated data set for the whole module; the tables emptied after."""
    app = create_app(app_settings)
    app.jinja_env.bytecode_cache = compiled_templates
    with app.app_context():
        with db.engine.begin() as connection:
            build_scale_data(connection)
        create_user("budget", "correct horse battery", role="admin")
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(text(f"DELETE FROM {table.name}"))
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'")
                )
        db.engine.dispose()


def _sized(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    return len(response.get_data())


def test_public_pages_stay_within_the_byte_budget(scale_app):
    client = scale_app.test_client()
    sizes = {path: _sized(client, path) for path in PUBLIC_PAGES}
    over = {path: size for path, size in sizes.items() if size > BUDGET_BYTES}
    assert over == {}
    # The crowded month really is crowded: the grid caps it, it is not simply empty.
    crowded = client.get(f"/?month={CROWDED_MONTH}").get_data(as_text=True)
    assert "还有" in crowded


def test_signed_in_pages_stay_within_the_byte_budget(scale_app):
    client = scale_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post(
        "/login",
        data={"username": "budget", "password": "correct horse battery", "csrf_token": token},
    )
    assert signed_in.status_code == 302
    sizes = {path: _sized(client, path) for path in SIGNED_IN_PAGES}
    assert {path: size for path, size in sizes.items() if size > BUDGET_BYTES} == {}
