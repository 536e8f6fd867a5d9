"""Read queries for events: filter parsing and `select()` builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

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
        lists = [(name, getattr(self, attribute)) for name, attribute, *_ in _ID_FILTERS]
        for name, values in [*lists, ("status", self.statuses)]:
            if values:
                args[name] = [str(value) for value in values]
        if self.date_from:
            args["from"] = [self.date_from.isoformat()]
        if self.date_to:
            args["to"] = [self.date_to.isoformat()]
        return args


# name in the URL, attribute of EventFilters, model looked up, label in messages
_ID_FILTERS = (
    ("category", "category_ids", Category, "类别"),
    ("organization", "organization_ids", Organization, "组织"),
    ("location", "location_ids", Location, "地点"),
    ("campaign", "campaign_ids", Campaign, "专项活动"),
)


def parse_event_filters(args: MultiDict) -> EventFilters:
    """Read the filters from query arguments; unknown or malformed values become messages."""
    filters = EventFilters(query=(args.get("q") or "").strip()[:MAX_QUERY_LENGTH])
    for name, attribute, model, label in _ID_FILTERS:
        wanted = [value.strip() for value in args.getlist(name) if value.strip()]
        ids = _resolve_ids(wanted, model, _(label), filters.errors)
        setattr(filters, attribute, ids)
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


def _resolve_ids(values: list[str], model, label: str, errors: list[str]) -> list[int]:
    """Turn ids (or category slugs) into existing ids; report the rest."""
    numbers, slugs = [], []
    for value in values:
        if value.isascii() and value.isdigit() and len(value) < 10:
            numbers.append(int(value))
        elif model is Category and len(value) <= 40:
            slugs.append(value)
        else:
            errors.append(_("%(label)s“%(value)s”无效。", label=label, value=value[:40]))
    found: dict[str, int] = {}
    if numbers:
        for (found_id,) in db.session.execute(select(model.id).where(model.id.in_(numbers))):
            found[str(found_id)] = found_id
    if slugs:
        for found_id, slug in db.session.execute(
            select(Category.id, Category.slug).where(Category.slug.in_(slugs))
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
    """Condition on Event: one of the organisations has a role in it or is listed as a team."""
    return or_(
        exists().where(
            (EventOrganization.event_id == Event.id)
            & EventOrganization.organization_id.in_(organization_ids)
        ),
        exists().where(
            (Participation.event_id == Event.id)
            & Participation.organization_id.in_(organization_ids)
        ),
    )


def filtered_events(filters: EventFilters, include_internal: bool = False) -> Select:
    """Events matching every filter (values within one filter are alternatives)."""
    statement = visible_events(include_internal)
    if filters.query:
        pattern = f"%{_escape_like(filters.query)}%"
        statement = statement.where(
            or_(
                Event.title.ilike(pattern, escape="\\"),
                Event.description.ilike(pattern, escape="\\"),
                Event.theme.ilike(pattern, escape="\\"),
            )
        )
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


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def with_list_details(statement: Select) -> Select:
    """Load what a list row shows in a fixed number of queries."""
    return statement.options(
        selectinload(Event.category),
        selectinload(Event.campaign),
        selectinload(Event.stops).selectinload(Stop.location),
        selectinload(Event.organization_links).selectinload(EventOrganization.organization),
    )


def with_page_details(statement: Select) -> Select:
    """Everything the event page shows: a list row's details, and who takes part."""
    return with_list_details(statement).options(
        selectinload(Event.participations).selectinload(Participation.organization),
        selectinload(Event.participations).selectinload(Participation.person),
    )


def _filter_choice_columns(english: bool) -> dict:
    """(id, label, order) of each kind of filter option, the label in the UI language."""
    return {
        "categories": (
            Category.id,
            Category.name_en if english else Category.name_zh,
            Category.id,
        ),
        "organizations": (Organization.id, Organization.name, Organization.name),
        "locations": (Location.id, Location.name, Location.name),
        "campaigns": (Campaign.id, Campaign.name, Campaign.name),
    }


def filter_choices(*kinds: str) -> dict[str, list]:
    """Options for the selects of a filter form (the list page, the statistics page): rows
    of (id, name), read as plain columns (a few hundred organisations load in a fraction of
    the time whole directory entries take)."""
    columns = _filter_choice_columns(english=current_language() == "en")
    return {
        kind: db.session.execute(select(key.label("id"), label.label("name")).order_by(order)).all()
        for kind, (key, label, order) in columns.items()
        if kind in kinds
    }
