"""Read queries for events: filter parsing and `select()` builders."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload
from werkzeug.datastructures import MultiDict

from tracker.cache import cached_result
from tracker.events.search import search_condition
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.models import (
    DEFAULT_TIMEZONE,
    EVENT_STATUSES,
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    Participation,
    Stop,
)

FILTER_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
MAX_QUERY_LENGTH = 200
FIRST_FILTER_YEAR, LAST_FILTER_YEAR = 1900, 9998


@dataclass(frozen=True)
class IdFilter:
    """A repeatable filter on one kind of directory entry (`?category=1&category=2`: events of
    either). Parsing, links, the filter forms, feed names and export notes all read it."""

    name: str  # the query argument
    model: type
    label: LazyString  # in messages, form labels, feed names and export notes: 类别
    list_heading: LazyString  # above a list of its entries (the subscribe page): 按类别
    name_zh: InstrumentedAttribute  # the column naming an entry in Chinese (feeds, exports)
    name_en: InstrumentedAttribute  # the same for the English UI's filter options
    order_by: InstrumentedAttribute  # the order of the options
    slug: InstrumentedAttribute | None = None  # a readable alternative to the id in URLs

    @property
    def attribute(self) -> str:
        """The EventFilters attribute holding the chosen ids."""
        return f"{self.name}_ids"

    def options(self, english: bool = False) -> Select:
        """(id, name) of every entry, as plain columns, for a select or a list of links."""
        label = self.name_en if english else self.name_zh
        return select(self.model.id.label("id"), label.label("name")).order_by(self.order_by)


ID_FILTERS = (
    IdFilter(
        "category",
        Category,
        _l("类别"),
        _l("按类别"),
        name_zh=Category.name_zh,
        name_en=Category.name_en,
        order_by=Category.id,
        slug=Category.slug,
    ),
    IdFilter(
        "organization",
        Organization,
        _l("组织"),
        _l("按组织"),
        name_zh=Organization.name,
        name_en=Organization.name,
        order_by=Organization.name,
    ),
    IdFilter(
        "location",
        Location,
        _l("地点"),
        _l("按地点"),
        name_zh=Location.name,
        name_en=Location.name,
        order_by=Location.name,
    ),
    IdFilter(
        "campaign",
        Campaign,
        _l("专项活动"),
        _l("按专项活动"),
        name_zh=Campaign.name,
        name_en=Campaign.name,
        order_by=Campaign.name,
    ),
)


@dataclass
class EventFilters:
    """The list and feed filters, each repeatable; `errors` holds messages for bad values."""

    query: str = ""
    category_ids: list[int] = field(default_factory=list)
    organization_ids: list[int] = field(default_factory=list)
    location_ids: list[int] = field(default_factory=list)
    campaign_ids: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    errors: list[str] = field(default_factory=list)
    # Names typed without a picker that match several entries: (filter name, typed, entries).
    to_choose: list[tuple[str, str, list]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.to_args()

    def key(self) -> tuple:
        """A hashable, order-independent identity of the filters, for caches."""
        return tuple(sorted((name, tuple(values)) for name, values in self.to_args().items()))

    def to_args(self) -> dict[str, list[str]]:
        """The filters as query arguments, for links that keep them."""
        args: dict[str, list[str]] = {}
        if self.query:
            args["q"] = [self.query]
        lists = [(id_filter.name, getattr(self, id_filter.attribute)) for id_filter in ID_FILTERS]
        for name, values in [*lists, ("status", self.statuses)]:
            if values:
                args[name] = [str(value) for value in values]
        if self.date_from:
            args["from"] = [self.date_from.isoformat()]
        if self.date_to:
            args["to"] = [self.date_to.isoformat()]
        return args


def parse_event_filters(args: MultiDict) -> EventFilters:
    """Read the filters from query arguments; unknown or malformed values become messages."""
    filters = EventFilters(query=(args.get("q") or "").strip()[:MAX_QUERY_LENGTH])
    for id_filter in ID_FILTERS:
        wanted = [value.strip() for value in args.getlist(id_filter.name) if value.strip()]
        if id_filter.slug is None:
            wanted = _names_to_ids(wanted, id_filter, filters)
        setattr(filters, id_filter.attribute, _resolve_ids(wanted, id_filter, filters.errors))
    for status in args.getlist("status"):
        if not status:
            continue
        if status in EVENT_STATUSES:
            filters.statuses.append(status)
        else:
            filters.errors.append(_("未知的状态“%(value)s”。", value=status))
    filters.date_from = _parse_date(args.get("from"), _("开始日期"), filters.errors)
    filters.date_to = _parse_date(args.get("to"), _("结束日期"), filters.errors)
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        filters.errors.append(_("结束日期不能早于开始日期。"))
        filters.date_to = None
    return filters


def _names_to_ids(values: list[str], id_filter: IdFilter, filters: EventFilters) -> list[str]:
    """Names typed into a picker without JavaScript, matched on submit: one match becomes its
    id; several are offered to choose from (`to_choose`); none is reported."""
    # Imported here: the directory package imports this module.
    from tracker.directory.lookup import resolve_name

    resolved = []
    for value in values:
        if value.isascii() and value.isdigit():
            resolved.append(value)
            continue
        found = resolve_name(id_filter.name, value[:MAX_QUERY_LENGTH])
        if len(found) == 1:
            resolved.append(str(found[0].id))
        elif found:
            filters.to_choose.append((id_filter.name, value[:40], found[:20]))
            filters.errors.append(
                _(
                    "有多个%(label)s与“%(value)s”相符，请选择。",
                    label=id_filter.label,
                    value=value[:40],
                )
            )
        else:
            filters.errors.append(
                _("找不到%(label)s“%(value)s”。", label=id_filter.label, value=value[:40])
            )
    return resolved


def _resolve_ids(values: list[str], id_filter: IdFilter, errors: list[str]) -> list[int]:
    """Turn ids (or slugs, where the filter has them) into existing ids; report the rest."""
    model, label = id_filter.model, id_filter.label
    numbers, slugs = [], []
    for value in values:
        if value.isascii() and value.isdigit() and len(value) < 10:
            numbers.append(int(value))
        elif id_filter.slug is not None and len(value) <= 40:
            slugs.append(value)
        else:
            errors.append(_("%(label)s“%(value)s”无效。", label=label, value=value[:40]))
    found: dict[str, int] = {}
    if numbers:
        for (found_id,) in db.session.execute(select(model.id).where(model.id.in_(numbers))):
            found[str(found_id)] = found_id
    if slugs:
        for found_id, slug in db.session.execute(
            select(model.id, id_filter.slug).where(id_filter.slug.in_(slugs))
        ):
            found[slug] = found_id
    for value in numbers + slugs:
        if str(value) not in found:
            errors.append(_("找不到%(label)s“%(value)s”。", label=label, value=value))
    return sorted(set(found.values()))


def _parse_date(value: str | None, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors.append(
            _(
                "%(label)s“%(value)s”不是有效日期，请使用 YYYY-MM-DD 格式。",
                label=label,
                value=value[:40],
            )
        )
        return None
    if not FIRST_FILTER_YEAR <= day.year <= LAST_FILTER_YEAR:
        errors.append(_("%(label)s须在1900年至9998年之间。", label=label))
        return None
    return day


def local_day_start(day: date, zone: ZoneInfo = FILTER_ZONE) -> datetime:
    """Midnight of a local day, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=zone)


def overlapping(window_start: datetime, window_end: datetime):
    """Condition: the event (or its series) has time inside [window_start, window_end)."""
    return (Event.starts_at < window_end) & (
        Event.series_ends_at.is_(None) | (Event.series_ends_at >= window_start)
    )


def visible_events(include_internal: bool = False) -> Select:
    """Events a reader may see: public ones, plus internal ones for signed-in coordinators."""
    statement = select(Event)
    if not include_internal:
        statement = statement.where(Event.visibility == "public")
    return statement


def takes_part(organization_ids: list[int]):
    """Condition on Event: one of the organisations has a role in it or is listed as a team.

    Uncorrelated subqueries, each answered once from its organisation index, rather than a
    correlated EXISTS probed for every event of the table."""
    return or_(
        Event.id.in_(
            select(EventOrganization.event_id).where(
                EventOrganization.organization_id.in_(organization_ids)
            )
        ),
        Event.id.in_(
            select(Participation.event_id).where(
                Participation.organization_id.in_(organization_ids)
            )
        ),
    )


def filtered_events(
    filters: EventFilters, include_internal: bool = False, search_people: bool = False
) -> Select:
    """Events matching every filter (values within one filter are alternatives); the words of
    the query are searched in people's names too when `search_people` (signed-in readers)."""
    statement = visible_events(include_internal)
    if filters.query:
        found = search_condition(filters.query, include_people=search_people)
        if found is not None:
            statement = statement.where(found)
    if filters.category_ids:
        statement = statement.where(Event.category_id.in_(filters.category_ids))
    if filters.campaign_ids:
        statement = statement.where(Event.campaign_id.in_(filters.campaign_ids))
    if filters.statuses:
        statement = statement.where(Event.status.in_(filters.statuses))
    if filters.organization_ids:
        statement = statement.where(takes_part(filters.organization_ids))
    if filters.location_ids:
        statement = statement.where(
            exists().where((Stop.event_id == Event.id) & Stop.location_id.in_(filters.location_ids))
        )
    if filters.date_from or filters.date_to:
        window_start = local_day_start(filters.date_from or date(1900, 1, 1))
        window_end = local_day_start((filters.date_to or date(9999, 12, 30)) + timedelta(days=1))
        statement = statement.where(overlapping(window_start, window_end))
    return statement


def with_list_details(statement: Select) -> Select:
    """Load what a list row shows in a fixed number of queries."""
    return statement.options(
        selectinload(Event.category),
        selectinload(Event.campaign),
        selectinload(Event.stops).selectinload(Stop.location),
        selectinload(Event.organization_links).selectinload(EventOrganization.organization),
        selectinload(Event.occurrence_changes),
    )


def with_page_details(statement: Select) -> Select:
    """Everything the event page shows: a list row's details, and who takes part."""
    return with_list_details(statement).options(
        selectinload(Event.participations).selectinload(Participation.organization),
        selectinload(Event.participations).selectinload(Participation.person),
    )


@dataclass(frozen=True)
class FilterSelect:
    """One select of a filter form: the filter's name and label, its options, the chosen ids."""

    name: str
    label: str
    options: list  # rows of (id, name)
    selected: list[int]


class FilterOption(NamedTuple):
    """One option of a filter's select."""

    id: int
    name: str


def filter_selects(filters: EventFilters, names: Collection[str]) -> list[FilterSelect]:
    """The selects of the named filters, in the declared order, for a filter form (the list
    page, the statistics page). Options are read as plain columns (a few hundred
    organisations load in a fraction of the time whole directory entries take), once per
    data version."""
    english = current_language() == "en"

    def options(id_filter) -> list[FilterOption]:
        return cached_result(
            "filter_options",
            (id_filter.name, english),
            lambda: [FilterOption(*row) for row in db.session.execute(id_filter.options(english))],
        )

    return [
        FilterSelect(
            id_filter.name,
            str(id_filter.label),
            options(id_filter),
            getattr(filters, id_filter.attribute),
        )
        for id_filter in ID_FILTERS
        if id_filter.name in names
    ]


def chosen_entries(filters: EventFilters) -> list[tuple[str, list[str]]]:
    """(label, Chinese names) of each id filter in use, the names in id order: what a feed's
    name and an export's notes say the figures are about."""
    chosen = []
    for id_filter in ID_FILTERS:
        ids = getattr(filters, id_filter.attribute)
        if ids:
            names = db.session.scalars(
                select(id_filter.name_zh)
                .where(id_filter.model.id.in_(ids))
                .order_by(id_filter.model.id)
            ).all()
            chosen.append((str(id_filter.label), names))
    return chosen
