"""Finding directory entries by name among thousands: the type-to-search pickers' JSON
endpoints, the names typed into a filter without JavaScript, and the directories' searches.

Entries are matched on their folded names (tracker.folding), the way event search matches
texts, and offered most-used first. The folded names and activity counts of a kind are read
once per data version and kept in the app's cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import Select, func, null, select, union_all

from tracker import labels
from tracker.auth.permissions import can_see_internal
from tracker.cache import cached_result
from tracker.directory import blueprint
from tracker.extensions import db
from tracker.folding import fold, search_words
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

MAX_MATCHES = 20


def _organization_links():
    """(event_id, organization_id): a role, or a team entry, as the organisation filter reads."""
    return union_all(
        select(EventOrganization.event_id, EventOrganization.organization_id),
        select(Participation.event_id, Participation.organization_id).where(
            Participation.organization_id.is_not(None)
        ),
    ).subquery()


def _counts(include_internal: bool, column_of: Callable[[], tuple]) -> Select:
    # As tracker.events.queries.visible_events, which this module cannot import (the events
    # package imports the pickers).
    statement = select(Event)
    if not include_internal:
        statement = statement.where(Event.visibility == "public")
    column, joins = column_of()
    statement = statement.with_only_columns(column, func.count(func.distinct(Event.id)))
    for target, condition in joins:
        statement = statement.join(target, condition)
    return statement.group_by(column)


def _organization_counts():
    links = _organization_links()
    return links.c.organization_id, [(links, links.c.event_id == Event.id)]


@dataclass(frozen=True)
class LookupKind:
    """One kind of directory entry a picker chooses from."""

    name: str  # the filter's name: organization, location, person, campaign
    model: type
    label: object  # 组织…
    entries: Callable[[], Select]  # (id, name, searched extra text, shown detail)
    counts: Callable[[], tuple]  # the grouped column and the joins counting its events


LOOKUP_KINDS = {
    kind.name: kind
    for kind in (
        LookupKind(
            "organization",
            Organization,
            _l("组织"),
            lambda: select(
                Organization.id, Organization.name, Organization.short_name, Organization.kind
            ),
            _organization_counts,
        ),
        LookupKind(
            "location",
            Location,
            _l("地点"),
            lambda: select(Location.id, Location.name, Location.city, Location.city),
            lambda: (Stop.location_id, [(Stop, Stop.event_id == Event.id)]),
        ),
        LookupKind(
            "campaign",
            Campaign,
            _l("专项活动"),
            lambda: select(Campaign.id, Campaign.name, Campaign.theme, Campaign.theme),
            lambda: (Event.campaign_id, []),
        ),
        LookupKind(
            "category",
            Category,
            _l("类别"),
            lambda: select(Category.id, Category.name_zh, Category.name_en, Category.slug),
            lambda: (Event.category_id, []),
        ),
        # People: names and organisation only, never personal fields; their endpoint and
        # directory are for signed-in users only (as the people directory always was).
        LookupKind(
            "person",
            Person,
            _l("人员"),
            lambda: select(Person.id, Person.name, null(), Organization.name).outerjoin(
                Person.organization
            ),
            lambda: (
                Participation.person_id,
                [(Participation, Participation.event_id == Event.id)],
            ),
        ),
    )
}


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    detail: str
    activities: int
    folded: str  # name and extra text, folded, separated by a space


def entries_of(kind: LookupKind, include_internal: bool) -> list[Entry]:
    """Every entry of the kind, most activities first, then by name; cached per data version
    (every ORM write raises it, entries written by scripts included)."""

    def entries() -> list[Entry]:
        counts = dict(db.session.execute(_counts(include_internal, kind.counts)).all())
        found = [
            Entry(
                entry_id,
                name,
                _detail_label(kind, detail),
                counts.get(entry_id, 0),
                f"{fold(name)} {fold(extra)}",
            )
            for entry_id, name, extra, detail in db.session.execute(kind.entries())
        ]
        found.sort(key=lambda entry: (-entry.activities, entry.name))
        return found

    return cached_result("lookup", (kind.name, include_internal), entries)


def _detail_label(kind: LookupKind, detail) -> str:
    if kind.name == "organization":
        return str(labels.ORGANIZATION_KIND_LABELS.get(detail, ""))
    return detail or ""


def matching(entries: list[Entry], query: str) -> list[Entry]:
    """Entries whose name (or short name, city, theme) holds every word of the query: exact
    names first, then names that start with the query, then the most used."""
    words = search_words(query)
    if not words:
        return list(entries)
    joined = "".join(words)
    found = [entry for entry in entries if all(word in entry.folded for word in words)]

    def closeness(entry: Entry) -> int:
        name = entry.folded.split(" ", 1)[0]
        return 0 if name == joined else 1 if name.startswith(joined) else 2

    return sorted(found, key=closeness)  # stable: most used first within each group


def resolve_name(kind_name: str, typed: str) -> list[Entry]:
    """The entries a name typed without a picker means: the one whose folded name is exactly
    it, else every entry matching it (one: that one; several: the user chooses)."""
    found = matching(entries_of(LOOKUP_KINDS[kind_name], include_internal=False), typed)
    joined = "".join(search_words(typed))
    exact = [entry for entry in found if entry.folded.split(" ", 1)[0] == joined]
    return exact if len(exact) == 1 else found


def still_names(kind_name: str, entry_id: int, typed: str) -> bool:
    """Whether a typed text still names the entry with this id (every word of it matches)."""
    kind = LOOKUP_KINDS[kind_name]
    # One row, not the kind's cached list: every save of a form with pickers asks this, and
    # a save moves the data version the list is cached under.
    found = db.session.execute(kind.entries().where(kind.model.id == entry_id)).first()
    if found is None:
        return False
    folded = f"{fold(found[1])} {fold(found[2])}"
    return all(word in folded for word in search_words(typed))


def lookup(kind_name: str, query: str, include_internal: bool, limit: int = MAX_MATCHES):
    """At most `limit` matches and whether there are more."""
    found = matching(entries_of(LOOKUP_KINDS[kind_name], include_internal), query)
    return found[:limit], len(found) > limit


@dataclass(frozen=True)
class FilterPicker:
    """A type-to-search filter input: its name and label, the chosen entries (id, name), the
    entries to choose from for a name that matched several, the JSON endpoint."""

    name: str
    label: str
    chosen: list
    to_choose: list
    lookup_url: str


LOOKUP_ENDPOINTS = {
    "organization": "directory.lookup_organizations",
    "location": "directory.lookup_locations",
    "campaign": "directory.lookup_campaigns",
    "person": "directory.lookup_people",
}


def filter_pickers(filters, names) -> list[FilterPicker]:
    """The pickers of the named filters (organisation, location, campaign), in that order."""
    pickers = []
    for name in ("organization", "location", "campaign"):
        if name not in names:
            continue
        kind = LOOKUP_KINDS[name]
        ids = getattr(filters, f"{name}_ids")
        chosen = []
        if ids:
            chosen = db.session.execute(
                select(kind.model.id, kind.model.name)
                .where(kind.model.id.in_(ids))
                .order_by(kind.model.name)
            ).all()
        pickers.append(
            FilterPicker(
                name,
                str(kind.label),
                chosen,
                [
                    (typed, found)
                    for kind_name, typed, found in filters.to_choose
                    if kind_name == name
                ],
                url_for(LOOKUP_ENDPOINTS[name]),
            )
        )
    return pickers


def _answer(kind_name: str):
    query = (request.args.get("q") or "")[:100]
    found, more = lookup(kind_name, query, can_see_internal())
    response = jsonify(
        {
            "results": [
                {
                    "id": entry.id,
                    "name": entry.name,
                    "detail": entry.detail,
                    "activities": entry.activities,
                }
                for entry in found
            ],
            "more": more,
        }
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blueprint.route("/lookup/organizations.json")
def lookup_organizations():
    """Organisations matching `q` (at most 20), most used first, for a picker."""
    return _answer("organization")


@blueprint.route("/lookup/locations.json")
def lookup_locations():
    """Locations matching `q` (at most 20), most used first, for a picker."""
    return _answer("location")


@blueprint.route("/lookup/campaigns.json")
def lookup_campaigns():
    """Campaigns matching `q` (at most 20), most used first, for a picker."""
    return _answer("campaign")


@blueprint.route("/lookup/people.json")
@login_required
def lookup_people():
    """People matching `q` (at most 20): names and organisation only; signed-in users only,
    as the people directory."""
    return _answer("person")
