"""Directory pages: each lists its entries, and each entry lists its events."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import contains_eager, selectinload

from tracker.auth.permissions import (
    admin_required,
    can_add_organizations,
    can_add_people,
    can_edit_organization,
    can_edit_person,
    can_edit_shared_lists,
    can_erase_person,
    can_see_internal,
    can_see_personal_data,
    require,
)
from tracker.cache import cached_result
from tracker.directory import blueprint
from tracker.directory.forms import (
    CampaignForm,
    CategoryForm,
    LocationForm,
    OrganizationForm,
    PersonForm,
)
from tracker.directory.services import DirectoryError, erase_person, save_entry
from tracker.events.queries import (
    EventFilters,
    filtered_events,
    visible_events,
    with_list_details,
)
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
from tracker.stats.charts import organization_activity_chart
from tracker.stats.queries import organization_activity_by_month, person_totals

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
    statement = visible_events(can_see_internal()).with_only_columns(
        column, func.count(func.distinct(Event.id))
    )
    for target, condition in joins:
        statement = statement.join(target, condition)
    statement = statement.group_by(column)
    # Counted once per data version: the grouping reads every event's links.
    return cached_result(
        "directory_event_counts",
        (str(statement), can_see_internal()),
        lambda: dict(db.session.execute(statement).all()),
    )


@blueprint.route("/organizations/")
def list_organizations():
    """Organisations grouped by kind, with their number of events."""
    organizations = db.session.scalars(
        select(Organization)
        .options(selectinload(Organization.parent))
        .order_by(Organization.kind, Organization.name)
    ).all()
    # A role or a team entry, as the organisation filter reads it; an event with both counts once.
    links = union_all(
        select(EventOrganization.event_id, EventOrganization.organization_id),
        select(Participation.event_id, Participation.organization_id).where(
            Participation.organization_id.is_not(None)
        ),
    ).subquery()
    counts = _event_counts(links.c.organization_id, (links, links.c.event_id == Event.id))
    return render_template(
        "directory/organizations.html",
        organizations=organizations,
        counts=counts,
        can_add=can_add_organizations(current_user),
    )


@blueprint.route("/organizations/<int:organization_id>")
def show_organization(organization_id: int):
    """One organisation: its place in the hierarchy, roles and events."""
    organization = db.get_or_404(
        Organization,
        organization_id,
        options=[selectinload(Organization.parent), selectinload(Organization.children)],
    )
    events, total = _events_for(EventFilters(organization_ids=[organization.id]))
    activity = organization_activity_by_month(organization.id, can_see_internal())
    return render_template(
        "directory/organization.html",
        organization=organization,
        events=events,
        total=total,
        activity_by_month=activity,
        activity_chart=organization_activity_chart(activity) if activity else None,
        can_edit=can_edit_organization(current_user, organization),
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
    location = db.get_or_404(Location, location_id)
    events, total = _events_for(EventFilters(location_ids=[location.id]))
    return render_template("directory/location.html", location=location, events=events, total=total)


@blueprint.route("/categories/")
def list_categories():
    """Categories with their number of events."""
    categories = db.session.scalars(select(Category).order_by(Category.id)).all()
    counts = _event_counts(Event.category_id)
    return render_template(
        "directory/categories.html",
        categories=categories,
        counts=counts,
        can_add=can_edit_shared_lists(current_user),
    )


@blueprint.route("/categories/<int:category_id>")
def show_category(category_id: int):
    """One category and its events."""
    category = db.get_or_404(Category, category_id)
    events, total = _events_for(EventFilters(category_ids=[category.id]))
    return render_template(
        "directory/category.html",
        category=category,
        events=events,
        total=total,
        can_edit=can_edit_shared_lists(current_user),
    )


@blueprint.route("/campaigns/")
def list_campaigns():
    """Campaigns with their period, theme and number of events."""
    campaigns = db.session.scalars(
        select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.name)
    ).all()
    counts = _event_counts(Event.campaign_id)
    return render_template(
        "directory/campaigns.html",
        campaigns=campaigns,
        counts=counts,
        can_add=can_edit_shared_lists(current_user),
    )


@blueprint.route("/campaigns/<int:campaign_id>")
def show_campaign(campaign_id: int):
    """One campaign and its events."""
    campaign = db.get_or_404(Campaign, campaign_id)
    events, total = _events_for(EventFilters(campaign_ids=[campaign.id]))
    return render_template(
        "directory/campaign.html",
        campaign=campaign,
        events=events,
        total=total,
        can_edit=can_edit_shared_lists(current_user),
    )


@blueprint.route("/people/")
@login_required
def list_people():
    """People (signed-in coordinators); phone, e-mail and party membership only of the people
    the viewer answers for."""
    people = db.session.scalars(
        select(Person).options(selectinload(Person.organization)).order_by(Person.name)
    ).all()
    return render_template(
        "directory/people.html",
        people=people,
        personal_data_of={
            person.id for person in people if can_see_personal_data(current_user, person)
        },
        can_add=can_add_people(current_user),
    )


@blueprint.route("/people/<int:person_id>")
@login_required
def show_person(person_id: int):
    """One person and the activities they took part in (coordinators only)."""
    person = db.get_or_404(Person, person_id, options=[selectinload(Person.organization)])
    participations = db.session.scalars(
        select(Participation)
        .where(Participation.person_id == person.id)
        .join(Event)
        .options(contains_eager(Participation.event))
        .order_by(Event.starts_at.desc())
    ).all()
    return render_template(
        "directory/person.html",
        person=person,
        participations=participations,
        person_totals=person_totals(person.id),
        viewer=current_user,
        show_personal_data=can_see_personal_data(current_user, person),
        can_edit=can_edit_person(current_user, person),
        can_erase=can_erase_person(current_user),
    )


@blueprint.route("/people/<int:person_id>/erase", methods=["POST"])
@admin_required
def erase_person_data(person_id: int):
    """Erase a person's personal data after a confirmation step (admins only)."""
    person = db.get_or_404(Person, person_id)
    if request.form.get("confirmed") != "yes":
        return render_template("directory/erase.html", person=person)
    erase_person(person, current_user._get_current_object())
    flash(_("已删除该人员的个人信息，参加记录保留为匿名。"), "success")
    return redirect(url_for("directory.show_person", person_id=person.id))


# --- forms to create and edit entries (tracker.auth.permissions says who may) -------------

# kind: model, form, show endpoint, its id argument, list endpoint, "new" and "edit" headings
DIRECTORY_FORMS = {
    "organization": (
        Organization,
        OrganizationForm,
        "directory.show_organization",
        "organization_id",
        "directory.list_organizations",
        _l("新建组织"),
        _l("编辑组织"),
    ),
    "location": (
        Location,
        LocationForm,
        "directory.show_location",
        "location_id",
        "directory.list_locations",
        _l("新建地点"),
        _l("编辑地点"),
    ),
    "person": (
        Person,
        PersonForm,
        "directory.show_person",
        "person_id",
        "directory.list_people",
        _l("新建人员"),
        _l("编辑人员"),
    ),
    "category": (
        Category,
        CategoryForm,
        "directory.show_category",
        "category_id",
        "directory.list_categories",
        _l("新建类别"),
        _l("编辑类别"),
    ),
    "campaign": (
        Campaign,
        CampaignForm,
        "directory.show_campaign",
        "campaign_id",
        "directory.list_campaigns",
        _l("新建专项活动"),
        _l("编辑专项活动"),
    ),
}


def _entry_form(kind: str, entry_id: int | None = None):
    """Show the form for a new or existing entry; a valid POST saves and shows the entry."""
    model, form_class, show_endpoint, id_argument, list_endpoint, new_heading, edit_heading = (
        DIRECTORY_FORMS[kind]
    )
    entry = db.get_or_404(model, entry_id) if entry_id is not None else None
    form = form_class(editing=entry, user=current_user._get_current_object())
    if form.validate_on_submit():
        try:
            saved = save_entry(entry or model(), form.values(), current_user._get_current_object())
        except DirectoryError as error:
            flash(str(error), "error")
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for(show_endpoint, **{id_argument: saved.id}))
    back_url = (
        url_for(show_endpoint, **{id_argument: entry.id}) if entry else url_for(list_endpoint)
    )
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "directory/form.html",
            form=form,
            heading=edit_heading if entry else new_heading,
            back_url=back_url,
        ),
        status,
    )


@blueprint.route("/organizations/new", methods=["GET", "POST"])
@login_required
def new_organization():
    """Create an organisation (a coordinator: under one they answer for)."""
    require(can_add_organizations(current_user))
    return _entry_form("organization")


@blueprint.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organization(organization_id: int):
    """Edit an organisation (admins, and coordinators who answer for it)."""
    require(can_edit_organization(current_user, db.get_or_404(Organization, organization_id)))
    return _entry_form("organization", organization_id)


@blueprint.route("/locations/new", methods=["GET", "POST"])
@login_required
def new_location():
    """Create a location."""
    return _entry_form("location")


@blueprint.route("/locations/<int:location_id>/edit", methods=["GET", "POST"])
@login_required
def edit_location(location_id: int):
    """Edit a location."""
    return _entry_form("location", location_id)


@blueprint.route("/people/new", methods=["GET", "POST"])
@login_required
def new_person():
    """Create a person (a coordinator: in an organisation they answer for)."""
    require(can_add_people(current_user))
    return _entry_form("person")


@blueprint.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(person_id: int):
    """Edit a person (admins, and coordinators who answer for the person's organisation)."""
    require(can_edit_person(current_user, db.get_or_404(Person, person_id)))
    return _entry_form("person", person_id)


@blueprint.route("/categories/new", methods=["GET", "POST"])
@admin_required
def new_category():
    """Create a category (shared by all: admins only)."""
    return _entry_form("category")


@blueprint.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_category(category_id: int):
    """Edit a category (shared by all: admins only)."""
    return _entry_form("category", category_id)


@blueprint.route("/campaigns/new", methods=["GET", "POST"])
@admin_required
def new_campaign():
    """Create a campaign (shared by all: admins only)."""
    return _entry_form("campaign")


@blueprint.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_campaign(campaign_id: int):
    """Edit a campaign (shared by all: admins only)."""
    return _entry_form("campaign", campaign_id)
