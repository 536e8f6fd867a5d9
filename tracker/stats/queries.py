"""Statistics read queries: every figure is a GROUP BY in SQL over the selected events.

Counting rules (stated on the page too):

- The selected events are those of `filtered_events` (period, category, organisation,
  campaign) that a reader may see — public ones, plus internal ones for signed-in
  coordinators — minus cancelled events, which count nowhere (their number is shown).
- A recurring series counts once, as one activity, in every period it overlaps. In the
  month breakdown it sits in the month it starts, or in the period's first month when it
  started earlier (so does a multi-day event that began before the period). Skipped and
  cancelled occurrences are not counted: a series whose occurrences in the period are all
  skipped, cancelled or moved away counts nowhere there (tracker.stats.occurrences).
- Headcount follows DESIGN.md: the reported headcount, else the sum of organisation
  headcounts, else the number of named people (teams are organisations, not people). A sum
  that includes an approximate figure is approximate ("250+").
- Participations, people and hours count people's attended participations only.
- Organisations taking part (参与组织) count the counted roles' organisations, named or not
  (`Event.organization_count`); awards group by level.

Figures come from three statements whatever the data size: the event-level breakdowns
(one UNION ALL: totals, categories, campaigns and months grouped from a CTE of per-event
figures; organisations and locations from a copy of it joined to their links), the people
figures and the awards. The page adds the year range and the filter options.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    Integer,
    Numeric,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import replacement_traverse
from werkzeug.datastructures import MultiDict

from tracker import labels
from tracker.events.queries import (
    FILTER_ZONE,
    EventFilters,
    filtered_events,
    parse_event_filters,
    visible_events,
)
from tracker.extensions import db
from tracker.models import (
    AWARD_LEVELS,
    COUNTED_TOTAL_COLUMNS,
    Campaign,
    Category,
    Event,
    EventOrganization,
    Headcount,
    Location,
    Organization,
    OrganizationInvolvement,
    Participation,
    Person,
    RoleCount,
    Stop,
)
from tracker.models.events import named_in_role_sql
from tracker.stats.occurrences import series_without_held_occurrences

STATS_FILTER_NAMES = ("from", "to", "category", "organization", "campaign")
TOP_ROWS = 10
BREAKDOWN_ROWS_SHOWN = 20
# Asia/Shanghai has kept UTC+8 without daylight saving since 1991; SQLite has no zone data.
SHANGHAI_OFFSET = "+8 hours"


class local_month(FunctionElement):  # noqa: N801 - SQL function style
    """'YYYY-MM' of a UTC timestamp column, in Asia/Shanghai local time."""

    type = String()
    name = "local_month"
    inherit_cache = True


@compiles(local_month)
def _local_month_sqlite(element, compiler, **kw) -> str:
    """SQLite stores naive UTC text; shift by the fixed offset before formatting."""
    column = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m', {column}, '{SHANGHAI_OFFSET}')"


@compiles(local_month, "postgresql")
def _local_month_postgresql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(({column}) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"


# --- Scope: which events the figures are about ------------------------------------------


@dataclass
class StatsScope:
    """The filters of a statistics request and who is reading."""

    filters: EventFilters
    include_internal: bool = False
    period_is_default: bool = False

    @property
    def errors(self) -> list[str]:
        return self.filters.errors

    @property
    def first_month(self) -> Optional[str]:
        return self.filters.date_from.strftime("%Y-%m") if self.filters.date_from else None

    @property
    def last_month(self) -> Optional[str]:
        return self.filters.date_to.strftime("%Y-%m") if self.filters.date_to else None

    def to_args(self) -> dict[str, list[str]]:
        """The filters as query arguments (period always explicit), for links and exports."""
        args = self.filters.to_args()
        return {name: values for name, values in args.items() if name in STATS_FILTER_NAMES}


def today_in_shanghai() -> date:
    return datetime.now(FILTER_ZONE).date()


def parse_stats_filters(
    args: MultiDict, include_internal: bool, today: Optional[date] = None
) -> StatsScope:
    """The statistics filters of a URL; without `from` and `to`, the current (local) year.

    Only the filters of the URL map are read: `status` or `q` cannot bring cancelled
    events back or narrow the figures in ways the page does not show.
    """
    wanted = MultiDict([(name, value) for name, value in args.items(multi=True)])
    for name in list(wanted.keys()):
        if name not in STATS_FILTER_NAMES:
            wanted.poplist(name)
    filters = parse_event_filters(wanted)
    period_is_default = filters.date_from is None and filters.date_to is None
    if period_is_default:
        year = (today or today_in_shanghai()).year
        filters.date_from = date(year, 1, 1)
        filters.date_to = date(year, 12, 31)
    return StatsScope(filters, include_internal, period_is_default)


class _scanned(FunctionElement):  # noqa: N801 - SQL function style
    """`+column` on SQLite (the same value, but no index is used for the term), the bare
    column elsewhere."""

    name = "scanned"
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_scanned)
def _scanned_sqlite(element, compiler, **kw) -> str:
    return "+" + compiler.process(element.clauses, **kw)


@compiles(_scanned, "postgresql")
def _scanned_postgresql(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


class _hashed(FunctionElement):  # noqa: N801 - SQL function style
    """`column + 0` on PostgreSQL: grouped by it, the planner hashes and sorts the joined rows
    instead of walking the column's index in order with a nested loop per row (twice as slow
    over 200,000 participations). The bare column on SQLite, which streams that index."""

    name = "hashed"
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_hashed)
def _hashed_sqlite(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_hashed, "postgresql")
def _hashed_postgresql(element, compiler, **kw) -> str:
    return f"({compiler.process(element.clauses, **kw)} + 0)"


# Terms of the period, visibility and status filters that match most events: an index walk
# on them costs SQLite a row lookup per event, several times a sequential pass over the table.
_BROAD_EVENT_COLUMNS = frozenset(
    Event.__table__.c[name] for name in ("starts_at", "series_ends_at", "status", "visibility")
)


def _scope_events(scope: StatsScope, cancelled: bool = False) -> Select:
    """The visible events matching the filters, not cancelled (or only the cancelled ones),
    read in one pass on SQLite rather than through the indexes of the broad terms."""
    statement = filtered_events(scope.filters, include_internal=scope.include_internal).where(
        (Event.status == "cancelled") if cancelled else (Event.status != "cancelled")
    )
    if not cancelled:
        left_out = series_without_held_occurrences(scope)
        if left_out:
            statement = statement.where(Event.id.not_in(left_out))
    return _scanning(statement)


def _scanning(statement: Select) -> Select:
    """`select(Event)` with the conditions of `statement`, broad terms kept off the indexes."""

    def replace(element):
        if element in _BROAD_EVENT_COLUMNS:
            return _scanned(element)
        return None

    return select(Event).where(replacement_traverse(statement.whereclause, {}, replace))


def _selected_ids(scope: StatsScope) -> Select:
    """Ids of the counted events, for `IN (…)`."""
    return _scope_events(scope).with_only_columns(Event.id)


def _not_indexed(column):
    """`column + 0`, for `IN (…)`: the same value, but SQLite then reads the table in one
    sequential pass, instead of walking the column's index with one row lookup per entry
    (several times slower over 200,000 participations). PostgreSQL hashes either way."""
    return column + literal_column("0")


def cancelled_event_count(scope: StatsScope):
    """Scalar subquery: visible events matching the filters that are cancelled (not counted)."""
    cancelled = _scope_events(scope, cancelled=True).with_only_columns(Event.id).subquery()
    return select(func.count()).select_from(cancelled).scalar_subquery()


def event_figures_select(scope: StatsScope) -> Select:
    """One row per counted event: its grouping columns, headcount by the rule, and its
    attended participations and hours.

    Read from the events table alone: the figures of an event's participations and
    organisations are kept on it (`Event.recount_figures`, run at every flush).
    """
    reported = Event.reported_headcount
    month = local_month(Event.starts_at)
    if scope.first_month:
        # A series or a long event that began before the period sits in its first month.
        first_month = literal(scope.first_month, String())
        month = case((month < first_month, first_month), else_=month)
    statement = _scope_events(scope).with_only_columns(
        Event.id.label("event_id"),
        Event.category_id.label("category_id"),
        Event.campaign_id.label("campaign_id"),
        month.label("month"),
        func.coalesce(
            reported,
            Event.organization_headcount,
            func.nullif(Event.participation_count, 0),
        ).label("headcount"),
        case(
            (reported.is_not(None) & Event.reported_headcount_is_approximate.is_(True), 1),
            else_=0,
        ).label("approximate"),
        Event.attended_count.label("participations"),
        Event.attended_hours.label("hours"),
        Event.organization_count.label("organizations"),
    )
    return statement


def event_figures(scope: StatsScope):
    """CTE of `event_figures_select`: one row per counted event."""
    return event_figures_select(scope).cte("event_figures")


# The columns of the breakdowns statement: each section fills those it has, NULL elsewhere.
SECTION_COLUMNS = (
    ("section", String()),
    ("key", Integer()),
    ("name", String()),
    ("detail", String()),
    ("color", String()),
    ("activities", Integer()),
    ("participations", Integer()),
    ("headcount", Integer()),
    ("approximate", Integer()),
    ("hours", Numeric(14, 2)),
    ("organizations", Integer()),
    ("hosted", Integer()),
    ("co_organized", Integer()),
    ("took_part", Integer()),
    ("unknown_headcounts", Integer()),
    ("cancelled", Integer()),
)


def _section(section: str, **columns) -> list:
    """The select list of one section, in SECTION_COLUMNS order, typed NULLs for the rest."""
    values = {"section": literal(section, String()), **columns}
    return [
        (values[name] if name in values else cast(null(), column_type)).label(name)
        for name, column_type in SECTION_COLUMNS
    ]


def _measures(figures) -> dict:
    """The measures every breakdown shows, summed over a group of event_figures rows."""
    return {
        "activities": func.count(figures.c.event_id),
        "participations": func.sum(figures.c.participations),
        "headcount": func.sum(figures.c.headcount),
        "approximate": func.max(figures.c.approximate),
        "hours": func.sum(figures.c.hours),
        "organizations": func.sum(figures.c.organizations),
    }


def _top(statement: Select, limit: Optional[int]) -> Select:
    """A section limited to its first rows: wrapped, as a compound member must be."""
    if not limit:
        return statement.order_by(None)
    wrapped = statement.limit(limit).subquery()
    return select(*wrapped.c)


def _grouped_figures(scope: StatsScope, links, key, events_first: bool = False, **extra):
    """Subquery: the measures of the counted events linked to each `key` (column of `links`,
    which holds one row per event and key), grouped before any name is joined.

    The counted events are a copy of the per-event figures rather than the CTE, which SQLite
    could only join through an automatic index built at every reading. SQLite reads `links`
    and looks each event up by primary key; with `events_first` (for a table whose primary
    key starts with the event) it scans the events and reads each one's links instead, which
    is faster once there are more links than events.
    """
    counted = event_figures_select(scope).subquery("counted_events")
    counted_id = _scanned(counted.c.event_id) if events_first else counted.c.event_id
    return (
        select(
            key.label("key"),
            *(value.label(name) for name, value in _measures(counted).items()),
            *(value.label(name) for name, value in extra.items()),
        )
        .select_from(links)
        .join(counted, counted_id == links.c.event_id)
        .group_by(key)
        .subquery()
    )


def _grouped_columns(grouped, *extra: str) -> dict:
    """The measure columns (and `extra` ones) of a `_grouped_figures` subquery, by name."""
    names = (
        "activities",
        "participations",
        "headcount",
        "approximate",
        "hours",
        "organizations",
        *extra,
    )
    return {name: grouped.c[name] for name in names}


def breakdowns_statement(scope: StatsScope, row_limit: Optional[int] = None):
    """Totals and every event-level breakdown in one statement (UNION ALL of sections).

    Per-event figures (a CTE) are grouped by category, campaign and month; organisations and
    locations group a copy of them (see `_grouped_figures`); names are joined to the grouped
    rows. Organisations are read
    from their kept involvements (one row per event and organisation, `OrganizationInvolvement`)
    and stops from their table, each narrowed by a join to the counted events.
    `row_limit` keeps the organisations and locations with the most activities. Rows carry
    their `section`; columns follow SECTION_COLUMNS.

    Organisations: an organisation with several roles in one activity counts it once in its
    total and headcount; an activity with several organisations counts for each. Taking
    part: a participant, exhibitor or team role, or an attended team participation.
    """
    figures = event_figures(scope)
    measures = _measures(figures)
    totals = select(
        *_section(
            "totals",
            **measures,
            unknown_headcounts=func.sum(case((figures.c.headcount.is_(None), 1), else_=0)),
            cancelled=cancelled_event_count(scope),
        )
    ).select_from(figures)

    category_figures = _grouped_by(figures, figures.c.category_id)
    categories = _named_section(
        "category",
        category_figures,
        Category,
        name=Category.name_zh,
        detail=Category.name_en,
        color=Category.color,
    )
    campaign_figures = _grouped_by(figures, figures.c.campaign_id)
    campaigns = _named_section(
        "campaign", campaign_figures, Campaign, name=Campaign.name, detail=Campaign.theme
    )
    month_figures = _grouped_by(figures, figures.c.month)
    months = select(*_section("month", name=month_figures.c.key, **_grouped_columns(month_figures)))

    involvements = OrganizationInvolvement.__table__

    def times(flag):
        return func.sum(case((flag.is_(True), 1), else_=0))

    organization_figures = _grouped_figures(
        scope,
        involvements,
        involvements.c.organization_id,
        events_first=True,
        hosted=times(involvements.c.hosted),
        co_organized=times(involvements.c.co_organized),
        took_part=times(involvements.c.took_part),
    )
    organizations = _named_section(
        "organization",
        organization_figures,
        Organization,
        extra=("hosted", "co_organized", "took_part"),
        name=Organization.name,
        detail=Organization.short_name,
    ).order_by(
        organization_figures.c.activities.desc(),
        func.coalesce(organization_figures.c.headcount, -1).desc(),
        Organization.name,
    )
    location_events = select(Stop.event_id, Stop.location_id).distinct().subquery("location_events")
    location_figures = _grouped_figures(scope, location_events, location_events.c.location_id)
    locations = _named_section(
        "location", location_figures, Location, name=Location.name, detail=Location.city
    ).order_by(location_figures.c.activities.desc(), Location.name)
    return union_all(
        totals,
        categories,
        campaigns,
        months,
        _top(organizations, row_limit),
        _top(locations, row_limit),
    )


def _grouped_by(figures, key):
    """Subquery: the measures of the per-event figures grouped by one of their columns."""
    measures = _measures(figures)
    return (
        select(key.label("key"), *(value.label(name) for name, value in measures.items()))
        .group_by(key)
        .subquery()
    )


def _named_section(section: str, grouped, model, extra: tuple = (), **names) -> Select:
    """A section of grouped measures with the names of `model` joined to each key (kept
    without a name when the key is NULL or unknown, as "uncategorised" is)."""
    return (
        select(*_section(section, key=grouped.c.key, **names, **_grouped_columns(grouped, *extra)))
        .select_from(grouped)
        .outerjoin(model, model.id == grouped.c.key)
    )


def by_month_statement(scope: StatsScope) -> Select:
    """Figures per local (Asia/Shanghai) month of the start: (month, activities, …)."""
    figures = event_figures(scope)
    months = _grouped_by(figures, figures.c.month)
    return select(months.c.key.label("month"), *_grouped_columns(months).values()).order_by(
        months.c.key
    )


def award_level_key():
    """An award's level (an award text without one counts as 其他)."""
    return func.coalesce(Participation.award_level, literal("other", String()))


def _award_level_order(level):
    """SQL ordering of levels: 特等奖 first, 其他 last."""
    return case(
        *((level == code, position) for position, code in enumerate(AWARD_LEVELS)),
        else_=len(AWARD_LEVELS),
    )


def _awarded():
    return Participation.award.is_not(None) | Participation.award_level.is_not(None)


def awards_statement(
    scope: StatsScope, include_people: bool = False, limit: Optional[int] = None
) -> Select:
    """Contest results: awards per organisation and level (a team's, or an awarded person's
    unit), so 冠军 and 桂冠（一等奖） count as the same 一等奖/冠军.

    Rows are (organisation, level) with how many times it was won and the best rank.
    Individual awards count only with `include_people` (signed-in coordinators): an award
    text can name its winner, which anonymous readers must not see. `limit` keeps the best
    rows (best level first, then best rank, then the most often won).
    """
    organization_id = func.coalesce(Participation.organization_id, Person.organization_id)
    whose = true() if include_people else Participation.organization_id.is_not(None)
    best_rank = func.min(Participation.rank)
    times = func.count(Participation.id)
    level = award_level_key()
    return (
        select(
            Organization.id,
            Organization.name,
            Organization.short_name,
            level.label("award_level"),
            times.label("times"),
            best_rank.label("best_rank"),
        )
        .select_from(Participation)
        .outerjoin(Person, Person.id == Participation.person_id)
        .outerjoin(Organization, Organization.id == organization_id)
        .where(
            _awarded(),
            whose,
            _not_indexed(Participation.event_id).in_(_selected_ids(scope)),
        )
        .group_by(Organization.id, Organization.name, Organization.short_name, level)
        .order_by(
            _award_level_order(level),
            best_rank.is_(None),
            best_rank,
            times.desc(),
            Organization.name,
        )
        .limit(limit)
    )


def award_levels_statement(scope: StatsScope, include_people: bool = False) -> Select:
    """How many awards of each level the selected activities gave, best level first."""
    whose = true() if include_people else Participation.organization_id.is_not(None)
    level = award_level_key()
    return (
        select(level.label("award_level"), func.count(Participation.id).label("times"))
        .where(
            _awarded(),
            whose,
            _not_indexed(Participation.event_id).in_(_selected_ids(scope)),
        )
        .group_by(level)
        .order_by(_award_level_order(level))
    )


def counted_roles_statement(scope: StatsScope):
    """Per counted role over the selected activities: ("named", role, count) rows, the
    organisations the rows name, grouped from the links (and the team participations no
    team link names); `stated_totals_statement` adds the unnamed ones."""
    links, participations = EventOrganization.__table__, Participation.__table__
    selected = _selected_ids(scope)
    named = (
        select(literal("named", String()), links.c.role, func.count())
        .where(
            links.c.role.in_(list(COUNTED_TOTAL_COLUMNS)),
            _not_indexed(links.c.event_id).in_(selected),
        )
        .group_by(links.c.role)
    )
    same_team_link = select(links.c.id).where(
        links.c.event_id == participations.c.event_id,
        links.c.organization_id == participations.c.organization_id,
        links.c.role == "team",
    )
    teams = select(literal("named", String()), literal("team", String()), func.count()).where(
        participations.c.organization_id.is_not(None),
        _not_indexed(participations.c.event_id).in_(selected),
        ~same_team_link.exists(),
    )
    return union_all(named, teams)


def stated_totals_statement(scope: StatsScope) -> Select:
    """One row: per counted role, what the stated totals add beyond the named organisations
    (`<role>_beyond`), over the selected activities that state a total at all (a few)."""
    events = Event.__table__
    stated_any = or_(*(events.c[column].is_not(None) for column in COUNTED_TOTAL_COLUMNS.values()))
    columns = []
    for role, column in COUNTED_TOTAL_COLUMNS.items():
        stated, named_here = events.c[column], named_in_role_sql(role)
        beyond = case((stated > named_here, stated - named_here), else_=0)
        columns.append(func.coalesce(func.sum(beyond), 0).label(f"{role}_beyond"))
    return select(*columns).where(stated_any, Event.id.in_(_selected_ids(scope)))


def people_statement(scope: StatsScope, with_names: bool, limit: int = TOP_ROWS):
    """Distinct people who attended, and with `with_names` the top participants by
    activities and by hours — one pass over the participations.

    Rows: (section, person_id, name, organization_name, activities, hours); section
    'people' holds the distinct count in `activities`. Names: signed-in coordinators only.
    """
    person_id = _hashed(Participation.person_id)
    people = (
        select(
            person_id.label("person_id"),
            # One participation per person and activity (uq_participations_event_person).
            func.count().label("activities"),
            func.coalesce(func.sum(Participation.hours), 0).label("hours"),
        )
        .where(
            Participation.attended.is_(True),
            Participation.person_id.is_not(None),
            _not_indexed(Participation.event_id).in_(_selected_ids(scope)),
        )
        .group_by(person_id)
        .cte("person_figures")
    )
    count = select(
        literal("people", String()).label("section"),
        cast(null(), Integer()).label("person_id"),
        cast(null(), String()).label("name"),
        cast(null(), String()).label("organization_name"),
        func.count().label("activities"),
        cast(null(), Numeric(14, 2)).label("hours"),
    ).select_from(people)
    if not with_names:
        return count
    ranked = []
    for section, order in (
        ("activities", (people.c.activities.desc(), people.c.hours.desc())),
        ("hours", (people.c.hours.desc(), people.c.activities.desc())),
    ):
        ranked.append(
            _top(
                select(
                    literal(section, String()).label("section"),
                    Person.id.label("person_id"),
                    Person.name.label("name"),
                    Organization.name.label("organization_name"),
                    people.c.activities,
                    people.c.hours,
                )
                .select_from(people)
                .join(Person, Person.id == people.c.person_id)
                .outerjoin(Organization, Organization.id == Person.organization_id)
                .order_by(*order, Person.name, Person.id),
                limit,
            )
        )
    return union_all(count, *ranked)


def year_range_statement(include_internal: bool) -> Select:
    """First and last start of a visible, not cancelled event: each the first entry of the
    start index that matches, rather than a pass over every event."""
    kept = _scanning(visible_events(include_internal).where(Event.status != "cancelled"))
    starts = kept.with_only_columns(Event.starts_at).limit(1)
    return select(
        starts.order_by(Event.starts_at).scalar_subquery(),
        starts.order_by(Event.starts_at.desc()).scalar_subquery(),
    )


def organization_activity_statement(organization_id: int, include_internal: bool) -> Select:
    """An organisation's activities (any role) and their headcount per local month."""
    scope = StatsScope(EventFilters(organization_ids=[organization_id]), include_internal)
    return by_month_statement(scope)


def person_totals_statement(person_id: int) -> Select:
    """A person's attended activities and hours (cancelled events excluded)."""
    return (
        select(
            func.count(func.distinct(Participation.event_id)).label("activities"),
            func.sum(Participation.hours).label("hours"),
        )
        .join(Event, Event.id == Participation.event_id)
        .where(
            Participation.person_id == person_id,
            Participation.attended.is_(True),
            Event.status != "cancelled",
        )
    )


def person_awards_statement(person_id: int) -> Select:
    """A person's awards and how often each was won (cancelled events excluded)."""
    return (
        select(Participation.award, func.count().label("times"))
        .join(Event, Event.id == Participation.event_id)
        .where(
            Participation.person_id == person_id,
            Participation.award.is_not(None),
            Event.status != "cancelled",
        )
        .group_by(Participation.award)
        .order_by(func.min(Participation.rank), Participation.award)
    )


# --- Results ----------------------------------------------------------------------------


def as_hours(value) -> Decimal:
    """A summed number of hours as an exact two-place Decimal.

    PostgreSQL sums NUMERIC exactly; SQLite sums floats, whose error on two-place values is
    far below a hundredth, so rounding to two places gives the same figure on both.
    """
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        value = Decimal(repr(round(value, 2)))
    return Decimal(value).quantize(Decimal("0.01"))


def _headcount(value, approximate) -> Optional[Headcount]:
    return None if value is None else Headcount(int(value), bool(approximate))


@dataclass
class Figures:
    """The measures of one group of activities."""

    activities: int = 0
    participations: int = 0
    headcount: Optional[Headcount] = None
    hours: Decimal = Decimal("0.00")
    # Organisations taking part (参与组织), the counted unnamed ones included.
    organizations: int = 0

    @classmethod
    def from_row(cls, row) -> Figures:
        return cls(
            activities=int(row.activities or 0),
            participations=int(row.participations or 0),
            headcount=_headcount(row.headcount, row.approximate),
            hours=as_hours(row.hours),
            organizations=int(row.organizations or 0),
        )


@dataclass
class Totals(Figures):
    people: int = 0
    unknown_headcounts: int = 0
    cancelled: int = 0


@dataclass
class GroupRow:
    """A breakdown row: an id (None for "none"), a label, a colour and its figures.

    A category row also carries its English name, so the same cached rows serve both
    languages (`label_in`)."""

    id: Optional[int]
    label: str
    figures: Figures
    color: Optional[str] = None
    detail: Optional[str] = None
    english_label: Optional[str] = None

    def label_in(self, language: str) -> str:
        return self.english_label if language == "en" and self.english_label else self.label


@dataclass
class OrganizationRow:
    id: int
    name: str
    short_name: Optional[str]
    hosted: int
    co_organized: int
    took_part: int
    activities: int
    headcount: Optional[Headcount]

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass
class LocationRow:
    id: int
    name: str
    city: Optional[str]
    activities: int
    headcount: Optional[Headcount]


@dataclass
class AwardRow:
    organization_id: Optional[int]
    organization_name: Optional[str]
    level: str
    times: int
    best_rank: Optional[int]

    @property
    def award(self) -> str:
        """The level as shown (一等奖/冠军…), in the reader's language."""
        return str(labels.AWARD_LEVEL_LABELS[self.level])


@dataclass
class ParticipantRow:
    id: int
    name: str
    organization_name: Optional[str]
    activities: int
    hours: Decimal


@dataclass
class Statistics:
    """Everything the statistics page and its exports show."""

    totals: Totals
    by_category: list[GroupRow]
    by_campaign: list[GroupRow]
    by_month: list[GroupRow]
    by_organization: list[OrganizationRow]
    by_location: list[LocationRow]
    awards: list[AwardRow]
    award_levels: list[tuple[str, int]] = field(default_factory=list)
    role_counts: list[RoleCount] = field(default_factory=list)
    top_by_activities: list[ParticipantRow] = field(default_factory=list)
    top_by_hours: list[ParticipantRow] = field(default_factory=list)
    includes_people: bool = False


def gather_statistics(
    scope: StatsScope,
    include_people: bool = False,
    row_limit: Optional[int] = None,
) -> Statistics:
    """Run the statistics statements (three, whatever the data size) and shape their rows.

    `include_people` adds the top participants by name: signed-in coordinators only.
    `row_limit` caps the organisation, location and award tables (the page shows the top rows,
    exports everything).
    """
    sections: dict[str, list] = defaultdict(list)
    for row in db.session.execute(breakdowns_statement(scope, row_limit)):
        sections[row.section].append(row)
    totals_row = sections["totals"][0]
    people_rows: dict[str, list] = defaultdict(list)
    for row in db.session.execute(people_statement(scope, with_names=include_people)):
        people_rows[row.section].append(row)
    totals = Totals(
        **vars(Figures.from_row(totals_row)),
        people=int(people_rows["people"][0].activities),
        unknown_headcounts=int(totals_row.unknown_headcounts or 0),
        cancelled=int(totals_row.cancelled or 0),
    )

    def by_activities(row) -> tuple:
        return (-int(row.activities), row.key is None, row.name or "")

    def by_activities_then_headcount(row) -> tuple:
        """The order the top rows were cut in: activities, then headcount, then name."""
        headcount = -1 if row.headcount is None else int(row.headcount)
        return (-int(row.activities), -headcount, row.name or "")

    by_category = [
        GroupRow(
            row.key,
            row.name if row.key else "",
            Figures.from_row(row),
            color=row.color,
            english_label=row.detail,
        )
        for row in sorted(sections["category"], key=by_activities)
    ]
    by_campaign = [
        GroupRow(row.key, row.name or "", Figures.from_row(row), detail=row.detail)
        for row in sorted(sections["campaign"], key=by_activities)
    ]
    by_month = month_series(
        [(row.name, Figures.from_row(row)) for row in sections["month"]],
        scope.first_month,
        scope.last_month,
    )
    by_organization = [
        OrganizationRow(
            row.key,
            row.name,
            row.detail,
            int(row.hosted or 0),
            int(row.co_organized or 0),
            int(row.took_part or 0),
            int(row.activities),
            _headcount(row.headcount, row.approximate),
        )
        for row in sorted(sections["organization"], key=by_activities_then_headcount)
    ]
    by_location = [
        LocationRow(
            row.key,
            row.name,
            row.detail,
            int(row.activities),
            _headcount(row.headcount, row.approximate),
        )
        for row in sorted(sections["location"], key=by_activities)
    ]
    awards = [
        AwardRow(row.id, row.short_name or row.name, row.award_level, int(row.times), row.best_rank)
        for row in db.session.execute(awards_statement(scope, include_people, row_limit))
    ]
    statistics = Statistics(
        totals, by_category, by_campaign, by_month, by_organization, by_location, awards
    )
    statistics.award_levels = [
        (row.award_level, int(row.times))
        for row in db.session.execute(award_levels_statement(scope, include_people))
    ]
    figures = {(kind, role): 0 for kind in ("named", "beyond") for role in COUNTED_TOTAL_COLUMNS}
    for kind, role, figure in db.session.execute(counted_roles_statement(scope)):
        figures[(kind, role)] += int(figure or 0)
    beyond = db.session.execute(stated_totals_statement(scope)).one()
    for role in COUNTED_TOTAL_COLUMNS:
        figures[("beyond", role)] = int(getattr(beyond, f"{role}_beyond") or 0)
    statistics.role_counts = [
        RoleCount(
            role, figures[("named", role)] + figures[("beyond", role)], figures[("named", role)]
        )
        for role in COUNTED_TOTAL_COLUMNS
        if figures[("named", role)] + figures[("beyond", role)]
    ]
    if include_people:
        statistics.includes_people = True
        statistics.top_by_activities = _participants(people_rows["activities"])
        statistics.top_by_hours = _participants(people_rows["hours"])
    return statistics


def _participants(rows: list) -> list[ParticipantRow]:
    """Top participants in the order the statement ranked them."""
    return [
        ParticipantRow(
            row.person_id, row.name, row.organization_name, int(row.activities), as_hours(row.hours)
        )
        for row in rows
    ]


def month_series(
    rows: list[tuple[str, Figures]], first_month: Optional[str], last_month: Optional[str]
) -> list[GroupRow]:
    """Every month from the first to the last, zeros included, as rows labelled 'YYYY-MM'.

    Without a bound, the data's own range is used."""
    by_month = dict(rows)
    months = sorted(by_month)
    start = first_month or (months[0] if months else None)
    end = last_month or (months[-1] if months else None)
    if start is None or end is None:
        return []
    return [
        GroupRow(None, month, by_month.get(month, Figures()))
        for month in _months_between(start, end)
    ]


def _months_between(first: str, last: str) -> list[str]:
    year, month = (int(part) for part in first.split("-"))
    end_year, end_month = (int(part) for part in last.split("-"))
    months = []
    while (year, month) <= (end_year, end_month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def data_years(include_internal: bool, today: Optional[date] = None) -> list[int]:
    """Years worth a quick link: from the first activity's year to this year (or the last)."""
    first, last = db.session.execute(year_range_statement(include_internal)).one()
    this_year = (today or today_in_shanghai()).year
    if first is None:
        return [this_year]
    first_year, last_year = (start.astimezone(FILTER_ZONE).year for start in (first, last))
    last_year = max(last_year, this_year)
    return list(range(max(first_year, last_year - 14), last_year + 1))


@dataclass
class PersonTotals:
    activities: int
    hours: Decimal
    awards: list[tuple[str, int]]

    @property
    def award_count(self) -> int:
        return sum(times for _, times in self.awards)


def person_totals(person_id: int) -> PersonTotals:
    """A person's attended activities, hours and awards, for their page."""
    row = db.session.execute(person_totals_statement(person_id)).one()
    awards = [
        (award, int(times))
        for award, times in db.session.execute(person_awards_statement(person_id))
    ]
    return PersonTotals(int(row.activities or 0), as_hours(row.hours), awards)


def organization_activity_by_month(organization_id: int, include_internal: bool) -> list[GroupRow]:
    """An organisation's activities and headcount per month, from its first to its last."""
    rows = [
        (row.month, Figures.from_row(row))
        for row in db.session.execute(
            organization_activity_statement(organization_id, include_internal)
        )
    ]
    return month_series(rows, None, None)
