"""Who may do what: admins everything; coordinators their own and their organisation's events,
the people and organisations they answer for, and nothing shared by all (categories, campaigns)."""

from functools import wraps
from typing import Optional

from flask import abort, g
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Event, Organization, Person, User

EDITING_ROLES = ("host", "co_organizer")


def can_see_internal() -> bool:
    """Signed-in coordinators see internal events; anonymous visitors only public ones."""
    return current_user.is_authenticated


def can_edit_event(user: User, event: Event) -> bool:
    """Admins edit every event; a coordinator edits the events they created and those their
    organisation hosts or co-organises."""
    if not user or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if event.created_by_id is not None and event.created_by_id == user.id:
        return True
    return user.organization_id is not None and any(
        link.organization_id == user.organization_id and link.role in EDITING_ROLES
        for link in event.organization_links
    )


def require_event_editor(event: Event) -> None:
    """Answer 403 unless the signed-in user may edit the event."""
    if not can_edit_event(current_user, event):
        abort(403)


def admin_required(view):
    """Only admins pass; anonymous visitors are sent to sign in, coordinators get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def can_see_internal_notes(user: User) -> bool:
    """Internal notes (备注（内部）) follow internal events: signed-in coordinators only."""
    return bool(user and user.is_authenticated)


def coordinated_organization_ids(user: User) -> frozenset[int]:
    """The organisations a coordinator answers for: their own and every one below it.

    One query over (id, parent) pairs, remembered for the request; anonymous visitors and
    coordinators without an organisation answer for none (admins: see `coordinates`)."""
    if not user or not user.is_authenticated or user.organization_id is None:
        return frozenset()
    cached = g.get("coordinated_organizations")
    if cached and cached[0] == user.id:
        return cached[1]
    children: dict[int, list[int]] = {}
    for organization_id, parent_id in db.session.execute(
        select(Organization.id, Organization.parent_id)
    ):
        children.setdefault(parent_id, []).append(organization_id)
    found, pending = set(), [user.organization_id]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, ()))
    g.coordinated_organizations = (user.id, frozenset(found))
    return g.coordinated_organizations[1]


def coordinates(user: User, organization_id: Optional[int]) -> bool:
    """Whether the user answers for the organisation: admins for all, coordinators for
    their own and those below it."""
    if not user or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return organization_id is not None and organization_id in coordinated_organization_ids(user)


def can_see_personal_data(user: User, person: Person) -> bool:
    """Title, party membership, phone and e-mail: admins, and coordinators of the person's
    organisation (need-to-know, PIPL)."""
    return coordinates(user, person.organization_id)


def can_edit_person(user: User, person: Person) -> bool:
    """Admins edit everyone; a coordinator the people of the organisations they answer for."""
    return coordinates(user, person.organization_id)


def can_add_people(user: User) -> bool:
    """Admins add people anywhere; a coordinator only into an organisation they answer for."""
    return bool(user and user.is_authenticated) and (
        user.is_admin or user.organization_id is not None
    )


def can_add_organizations(user: User) -> bool:
    """Admins add organisations anywhere; a coordinator only below one they answer for."""
    return can_add_people(user)


def can_edit_organization(user: User, organization: Organization) -> bool:
    """Admins edit every organisation; a coordinator those they answer for."""
    return coordinates(user, organization.id)


def can_place_organization(user: User, parent_id: Optional[int]) -> bool:
    """Under which parent a user may put a new or moved organisation: admins anywhere (the
    top level included), a coordinator only under one they answer for."""
    if user and user.is_authenticated and user.is_admin:
        return True
    return coordinates(user, parent_id)


def can_edit_shared_lists(user: User) -> bool:
    """Categories and campaigns are shared by every organisation: admins only."""
    return bool(user and user.is_authenticated and user.is_admin)


def can_erase_person(user: User) -> bool:
    """Erasing a person's personal data cannot be undone: admins only."""
    return bool(user and user.is_authenticated and user.is_admin)


def require(allowed: bool) -> None:
    """Answer 403 unless the rule allowed it."""
    if not allowed:
        abort(403)


def can_see_event_files(user: User, event: Event) -> bool:
    """Photos, attachments and the ledger follow the event: a public event's for everyone
    (attachments and the sign-in list need more, see below); an internal event's for admins,
    its editors and coordinators of an organisation that takes part in it in any role."""
    if event.is_public:
        return True
    if not user or not user.is_authenticated:
        return False
    if can_edit_event(user, event):
        return True
    involved = {link.organization_id for link in event.organization_links} | {
        participation.organization_id
        for participation in event.participations
        if participation.organization_id is not None
    }
    return bool(involved & coordinated_organization_ids(user))


def can_see_event_records(user: User, event: Event) -> bool:
    """Attachments (minutes, scanned sign-in sheets) and the ledger's sign-in list name
    people: signed-in coordinators who may see the event's files."""
    return bool(user and user.is_authenticated) and can_see_event_files(user, event)
