"""Templates show what their views pass them (no query runs while a page renders), and pages
carry no inline CSS, ready for a Content-Security-Policy without 'unsafe-inline'."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event, select

from tracker.demo import load_demo_data
from tracker.events.fields import EventInput, ParticipationRow
from tracker.events.services import EventBatch
from tracker.feeds.services import create_feed_token
from tracker.models import Event, EventOrganization, Organization, Participation

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE_STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def queries_while_rendering(app, db):
    """The SQL statements run between the start and the end of a template's rendering."""
    rendering = []
    statements = []

    def started(sender, template, context, **extra):
        rendering.append(template.name)

    def finished(sender, template, context, **extra):
        rendering.pop()

    def executed(connection, cursor, statement, parameters, context, executemany):
        if rendering:
            statements.append(f"{rendering[-1]}: {statement}")

    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    event.listen(db.engine, "before_cursor_execute", executed)
    yield statements
    event.remove(db.engine, "before_cursor_execute", executed)
    template_rendered.disconnect(finished, app)
    before_render_template.disconnect(started, app)


@pytest.fixture
def recorded(db, make_person, make_user):
    """The demo data, a person who took part in two activities and a user with a feed link."""
    load_demo_data()
    organization = db.session.scalar(
        select(Organization).join(EventOrganization).order_by(Organization.id)
    )
    person = make_person(organization=organization)
    for event_id in db.session.scalars(select(Event.id).order_by(Event.id).limit(2)):
        db.session.add(
            Participation(
                event_id=event_id,
                person=person,
                attended=True,
                hours=Decimal("2.5"),
                award="一等奖",
            )
        )
    db.session.commit()
    # A recorded change to the first event that names the person by reference (its page
    # shows the history, which looks the name up).
    first = db.session.scalars(select(Event).order_by(Event.id).limit(1)).one()
    batch = EventBatch(None)
    batch.update(
        first,
        EventInput(
            title=first.title,
            starts_at=first.starts_at,
            ends_at=first.ends_at,
            participants=[
                ParticipationRow(
                    person, None, role="volunteer", hours=Decimal("2.5"), award="一等奖"
                )
            ],
            given=frozenset({"participants"}),
        ),
    )
    batch.commit()
    user = make_user(role="admin")
    token, _secret = create_feed_token(user, "Outlook")
    token.last_used_at = datetime(2019, 6, 4, 8, 5, tzinfo=UTC)
    db.session.commit()
    return {"person": person.id, "organization": organization.id, "user": user}


PUBLIC_PAGES = [
    "/",
    "/events/",
    "/events/?category=1&organization=1",
    "/events/{event}",
    "/feeds/",
    "/feeds/?category=1",
    "/stats/?from=2019-01-01&to=2019-12-31",
    "/stats/?from=2019-01-01&to=2019-12-31&lang=en",
    "/organizations/",
    "/organizations/{organization}",
    "/locations/",
    "/categories/",
    "/campaigns/",
]
SIGNED_IN_PAGES = [*PUBLIC_PAGES, "/people/", "/people/{person}", "/feeds/tokens"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_pages_render_without_querying_the_database(
    client, db, sign_in, recorded, queries_while_rendering, signed_in
):
    """Views load what a page shows; templates and their filters and globals only format it."""
    if signed_in:
        sign_in(recorded["user"])
    first_event = db.session.scalar(select(Event.id).order_by(Event.id))
    for path in SIGNED_IN_PAGES if signed_in else PUBLIC_PAGES:
        path = path.format(event=first_event, **recorded)
        db.session.expunge_all()  # each request starts with an empty session, as in production
        response = client.get(path)
        assert response.status_code == 200, path
        assert queries_while_rendering == [], path


def test_person_and_organization_pages_show_the_figures_their_views_pass(client, sign_in, recorded):
    sign_in(recorded["user"])
    person_page = client.get(f"/people/{recorded['person']}").get_data(as_text=True)
    assert "参与合计" in person_page and "5 小时" in person_page and "一等奖 ×2" in person_page
    organization_page = client.get(f"/organizations/{recorded['organization']}").get_data(
        as_text=True
    )
    assert 'id="organization-months-title"' in organization_page


def test_feed_tokens_are_listed_newest_first_in_the_site_zone(client, sign_in, recorded):
    create_feed_token(recorded["user"], "Phone")
    sign_in(recorded["user"])
    page = client.get("/feeds/tokens").get_data(as_text=True)
    assert page.index("Phone") < page.index("Outlook")
    assert "2019年6月4日（周二） 16:05" in page  # 08:05 UTC, shown in Asia/Shanghai


def test_templates_have_no_inline_css_and_include_only_templates_that_exist():
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not INLINE_STYLE.search(text), path.relative_to(TEMPLATES)
        assert "ignore missing" not in text, path.relative_to(TEMPLATES)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_pages_carry_no_inline_css(client, db, sign_in, recorded, signed_in):
    """Category colours travel as data-color, charts size themselves from the stylesheet."""
    if signed_in:
        sign_in(recorded["user"])
    first_event = db.session.scalar(select(Event.id).order_by(Event.id))
    pages = [*(SIGNED_IN_PAGES if signed_in else PUBLIC_PAGES), "/?month=2019-06", "/categories/1"]
    for path in pages:
        html = client.get(path.format(event=first_event, **recorded)).get_data(as_text=True)
        assert not INLINE_STYLE.search(html), path
    assert 'class="badge" data-color="#' in client.get("/events/").get_data(as_text=True)
