"""Directory pages: each lists its entries, and each entry lists its events."""

from flask import abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.directory import blueprint
from tracker.events.queries import EventFilters, filtered_events, with_list_details
from tracker.events.views import can_see_internal
from tracker.extensions import db
from tracker.models import (
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
)

EVENTS_SHOWN_ON_ENTRY_PAGE = 50


def _events_for(filters: EventFilters) -> tuple[list[Event], int]:
    """The newest events matching the filters (for an entry page) and how many there are."""
    statement = filtered_events(filters, include_internal=can_see_internal())
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    events = db.session.scalars(
        with_list_details(
            statement.order_by(Event.starts_at.desc()).limit(EVENTS_SHOWN_ON_ENTRY_PAGE)
        )
    ).all()
    return events, total


def _event_counts(column, *joins) -> dict[int, int]:
    """How many visible events each directory entry has, in one grouped query."""
    statement = filtered_events(
        EventFilters(), include_internal=can_see_internal()
    ).with_only_columns(column, func.count(func.distinct(Event.id)))
    for target, condition in joins:
        statement = statement.join(target, condition)
    return dict(db.session.execute(statement.group_by(column)).all())


def _get_or_404(model, entry_id: int):
    entry = db.session.get(model, entry_id)
    if entry is None:
        abort(404)
    return entry


@blueprint.route("/organizations/")
def list_organizations():
    """Organisations grouped by kind, with their number of events."""
    organizations = db.session.scalars(
        select(Organization)
        .options(selectinload(Organization.parent))
        .order_by(Organization.kind, Organization.name)
    ).all()
    counts = _event_counts(
        EventOrganization.organization_id,
        (EventOrganization, EventOrganization.event_id == Event.id),
    )
    team_counts = _event_counts(
        Participation.organization_id, (Participation, Participation.event_id == Event.id)
    )
    for organization_id, count in team_counts.items():
        counts[organization_id] = counts.get(organization_id, 0) + count
    return render_template(
        "directory/organizations.html", organizations=organizations, counts=counts
    )


@blueprint.route("/organizations/<int:organization_id>")
def show_organization(organization_id: int):
    """One organisation: its place in the hierarchy, roles and events."""
    organization = _get_or_404(Organization, organization_id)
    events, total = _events_for(EventFilters(organization_ids=[organization.id]))
    return render_template(
        "directory/organization.html", organization=organization, events=events, total=total
    )


@blueprint.route("/locations/")
def list_locations():
    """Locations with their number of events."""
    locations = db.session.scalars(select(Location).order_by(Location.city, Location.name)).all()
    counts = _event_counts(Stop.location_id, (Stop, Stop.event_id == Event.id))
    return render_template("directory/locations.html", locations=locations, counts=counts)


@blueprint.route("/locations/<int:location_id>")
def show_location(location_id: int):
    """One location and the events that stop there."""
    location = _get_or_404(Location, location_id)
    events, total = _events_for(EventFilters(location_ids=[location.id]))
    return render_template("directory/location.html", location=location, events=events, total=total)


@blueprint.route("/categories/")
def list_categories():
    """Categories with their number of events."""
    categories = db.session.scalars(select(Category).order_by(Category.id)).all()
    counts = _event_counts(Event.category_id)
    return render_template("directory/categories.html", categories=categories, counts=counts)


@blueprint.route("/categories/<int:category_id>")
def show_category(category_id: int):
    """One category and its events."""
    category = _get_or_404(Category, category_id)
    events, total = _events_for(EventFilters(category_ids=[category.id]))
    return render_template("directory/category.html", category=category, events=events, total=total)


@blueprint.route("/campaigns/")
def list_campaigns():
    """Campaigns with their period, theme and number of events."""
    campaigns = db.session.scalars(
        select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.name)
    ).all()
    counts = _event_counts(Event.campaign_id)
    return render_template("directory/campaigns.html", campaigns=campaigns, counts=counts)


@blueprint.route("/campaigns/<int:campaign_id>")
def show_campaign(campaign_id: int):
    """One campaign and its events."""
    campaign = _get_or_404(Campaign, campaign_id)
    events, total = _events_for(EventFilters(campaign_ids=[campaign.id]))
    return render_template("directory/campaign.html", campaign=campaign, events=events, total=total)


@blueprint.route("/people/")
@login_required
def list_people():
    """People (personal data: coordinators only)."""
    people = db.session.scalars(
        select(Person).options(selectinload(Person.organization)).order_by(Person.name)
    ).all()
    return render_template("directory/people.html", people=people)


@blueprint.route("/people/<int:person_id>")
@login_required
def show_person(person_id: int):
    """One person and the activities they took part in (coordinators only)."""
    person = _get_or_404(Person, person_id)
    participations = db.session.scalars(
        select(Participation)
        .where(Participation.person_id == person.id)
        .options(selectinload(Participation.event))
        .join(Event)
        .order_by(Event.starts_at.desc())
    ).all()
    return render_template(
        "directory/person.html", person=person, participations=participations, viewer=current_user
    )
