"""Statistics read queries: every figure is a GROUP BY in SQL over the selected events.

Counting rules (stated on the page too):

- The selected events are those of `filtered_events` (period, category, organisation,
  campaign) that a reader may see — public ones, plus internal ones for signed-in
  coordinators — minus cancelled events, which count nowhere (their number is shown).
- A recurring series counts once, as one activity, in every period it overlaps. In the
  month breakdown it sits in the month it starts, or in the period's first month when it
  started earlier (so does a multi-day event that began before the period).
- Headcount follows DESIGN.md: the reported headcount, else the sum of organisation
  headcounts, else the number of named participations (all of them, as the event page
  shows). A sum that includes an approximate figure is approximate ("250+").
- Participations, people and hours count attended participations only; hours are summed
  in hundredths as integers, so SQLite and PostgreSQL give the same figure.

Every statement is built here and executed once per page, whatever the data size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Integer, Select, String, and_, case, cast, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from werkzeug.datastructures import MultiDict

from tracker.events.queries import (
    FILTER_ZONE,
    EventFilters,
    filtered_events,
    local_day_start,
    parse_event_filters,
    visible_events,
)
from tracker.extensions import db
from tracker.models import (
    Campaign,
    Category,
    Event,
    EventOrganization,
    Headcount,
    Location,
    Organization,
    Participation,
    Person,
    Stop,
)

STATS_FILTER_NAMES = ("from", "to", "category", "organization", "campaign")
TOP_ROWS = 10
BREAKDOWN_ROWS_SHOWN = 20
# Asia/Shanghai has kept UTC+8 without daylight saving since 1991; SQLite has no zone data.
SHANGHAI_OFFSET = "+8 hours"
HOSTED_ROLES = ("host",)
CO_ORGANIZED_ROLES = ("co_organizer", "organizer")
TOOK_PART_ROLES = ("participant", "exhibitor", "team")


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
    def window_start(self) -> Optional[datetime]:
        return local_day_start(self.filters.date_from) if self.filters.date_from else None

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


def selected_event_ids(scope: StatsScope) -> Select:
    """Ids of the events the figures count: visible, matching the filters, not cancelled."""
    return (
        filtered_events(scope.filters, include_internal=scope.include_internal)
        .where(Event.status != "cancelled")
        .with_only_columns(Event.id)
    )


def cancelled_event_count_statement(scope: StatsScope) -> Select:
    """How many visible events matching the filters are cancelled (and so not counted)."""
    cancelled = (
        filtered_events(scope.filters, include_internal=scope.include_internal)
        .where(Event.status == "cancelled")
        .with_only_columns(Event.id)
        .subquery()
    )
    return select(func.count()).select_from(cancelled)


def _hundredths(hours_column):
    """Hours as an integer number of hundredths: exact on both engines."""
    return cast(func.round(hours_column * 100), Integer)


def event_figures(event_ids: Select):
    """One row per selected event: grouping columns, headcount by the rule, participations."""
    organization_headcounts = (
        select(
            EventOrganization.event_id.label("event_id"),
            func.sum(EventOrganization.headcount).label("headcount"),
        )
        .where(EventOrganization.headcount.is_not(None), EventOrganization.event_id.in_(event_ids))
        .group_by(EventOrganization.event_id)
        .subquery("organization_headcounts")
    )
    attended = Participation.attended.is_(True)
    participation_counts = (
        select(
            Participation.event_id.label("event_id"),
            func.count().label("named"),
            func.sum(case((attended, 1), else_=0)).label("attended"),
            func.sum(case((attended, _hundredths(Participation.hours)), else_=0)).label(
                "hour_hundredths"
            ),
        )
        .where(Participation.event_id.in_(event_ids))
        .group_by(Participation.event_id)
        .subquery("participation_counts")
    )
    return (
        select(
            Event.id.label("event_id"),
            Event.category_id.label("category_id"),
            Event.campaign_id.label("campaign_id"),
            local_month(Event.starts_at).label("month"),
            func.coalesce(
                Event.headcount, organization_headcounts.c.headcount, participation_counts.c.named
            ).label("headcount"),
            case(
                (and_(Event.headcount.is_not(None), Event.headcount_is_approximate.is_(True)), 1),
                else_=0,
            ).label("approximate"),
            func.coalesce(participation_counts.c.attended, 0).label("participations"),
            func.coalesce(participation_counts.c.hour_hundredths, 0).label("hour_hundredths"),
        )
        .outerjoin(organization_headcounts, organization_headcounts.c.event_id == Event.id)
        .outerjoin(participation_counts, participation_counts.c.event_id == Event.id)
        .where(Event.id.in_(event_ids))
        .subquery("event_figures")
    )


def _figure_columns(figures) -> list:
    """The measures every breakdown shows, summed over a group of event_figures rows."""
    return [
        func.count(figures.c.event_id).label("activities"),
        func.sum(figures.c.participations).label("participations"),
        func.sum(figures.c.headcount).label("headcount"),
        func.max(figures.c.approximate).label("approximate"),
        func.sum(figures.c.hour_hundredths).label("hour_hundredths"),
    ]


# --- Statements, one per breakdown ------------------------------------------------------


def totals_statement(scope: StatsScope) -> Select:
    """Totals in one row, with distinct people, unknown headcounts and cancelled events."""
    event_ids = selected_event_ids(scope)
    figures = event_figures(event_ids)
    distinct_people = (
        select(func.count(func.distinct(Participation.person_id)))
        .where(Participation.attended.is_(True), Participation.event_id.in_(event_ids))
        .scalar_subquery()
    )
    return select(
        *_figure_columns(figures),
        func.sum(case((figures.c.headcount.is_(None), 1), else_=0)).label("unknown_headcounts"),
        distinct_people.label("people"),
        cancelled_event_count_statement(scope).scalar_subquery().label("cancelled"),
    ).select_from(figures)


def by_category_statement(scope: StatsScope) -> Select:
    """Figures per category; events without one come as a row with a NULL id."""
    figures = event_figures(selected_event_ids(scope))
    activities = func.count(figures.c.event_id)
    return (
        select(
            Category.id,
            Category.name_zh,
            Category.name_en,
            Category.color,
            *_figure_columns(figures),
        )
        .select_from(figures)
        .outerjoin(Category, Category.id == figures.c.category_id)
        .group_by(Category.id, Category.name_zh, Category.name_en, Category.color)
        .order_by(activities.desc(), Category.name_zh)
    )


def by_campaign_statement(scope: StatsScope) -> Select:
    """Figures per campaign; events outside any campaign come as a row with a NULL id."""
    figures = event_figures(selected_event_ids(scope))
    activities = func.count(figures.c.event_id)
    return (
        select(Campaign.id, Campaign.name, Campaign.theme, *_figure_columns(figures))
        .select_from(figures)
        .outerjoin(Campaign, Campaign.id == figures.c.campaign_id)
        .group_by(Campaign.id, Campaign.name, Campaign.theme)
        .order_by(Campaign.id.is_(None), activities.desc(), Campaign.name)
    )


def by_month_statement(scope: StatsScope) -> Select:
    """Figures per local (Asia/Shanghai) month of the start."""
    figures = event_figures(selected_event_ids(scope))
    return (
        select(figures.c.month, *_figure_columns(figures))
        .group_by(figures.c.month)
        .order_by(figures.c.month)
    )


def by_organization_statement(scope: StatsScope, limit: Optional[int] = None) -> Select:
    """Per organisation: activities hosted, co-organised, taken part in, and their headcount.

    An organisation with several roles in one activity counts that activity once in its
    total and its headcount; an activity with several organisations counts for each.
    Taking part: a participant, exhibitor or team role, or an attended team participation.
    """
    event_ids = selected_event_ids(scope)

    def flag(condition):
        return case((condition, 1), else_=0)

    roles = select(
        EventOrganization.event_id.label("event_id"),
        EventOrganization.organization_id.label("organization_id"),
        flag(EventOrganization.role.in_(HOSTED_ROLES)).label("hosted"),
        flag(EventOrganization.role.in_(CO_ORGANIZED_ROLES)).label("co_organized"),
        flag(EventOrganization.role.in_(TOOK_PART_ROLES)).label("took_part"),
    ).where(EventOrganization.event_id.in_(event_ids))
    teams = select(
        Participation.event_id,
        Participation.organization_id,
        literal(0),
        literal(0),
        literal(1),
    ).where(
        Participation.organization_id.is_not(None),
        Participation.attended.is_(True),
        Participation.event_id.in_(event_ids),
    )
    involvement = union_all(roles, teams).subquery("involvement")
    pairs = (
        select(
            involvement.c.organization_id,
            involvement.c.event_id,
            func.max(involvement.c.hosted).label("hosted"),
            func.max(involvement.c.co_organized).label("co_organized"),
            func.max(involvement.c.took_part).label("took_part"),
        )
        .group_by(involvement.c.organization_id, involvement.c.event_id)
        .subquery("organization_events")
    )
    figures = event_figures(event_ids)
    activities = func.count(pairs.c.event_id)
    statement = (
        select(
            Organization.id,
            Organization.name,
            Organization.short_name,
            func.sum(pairs.c.hosted).label("hosted"),
            func.sum(pairs.c.co_organized).label("co_organized"),
            func.sum(pairs.c.took_part).label("took_part"),
            activities.label("activities"),
            func.sum(figures.c.headcount).label("headcount"),
            func.max(figures.c.approximate).label("approximate"),
        )
        .select_from(pairs)
        .join(Organization, Organization.id == pairs.c.organization_id)
        .join(figures, figures.c.event_id == pairs.c.event_id)
        .group_by(Organization.id, Organization.name, Organization.short_name)
        .order_by(activities.desc(), Organization.name)
    )
    return statement.limit(limit) if limit else statement


def by_location_statement(scope: StatsScope, limit: Optional[int] = None) -> Select:
    """Per location: activities stopping there (once each, however many stops) and headcount."""
    event_ids = selected_event_ids(scope)
    pairs = (
        select(Stop.event_id, Stop.location_id)
        .where(Stop.event_id.in_(event_ids))
        .distinct()
        .subquery("location_events")
    )
    figures = event_figures(event_ids)
    activities = func.count(pairs.c.event_id)
    statement = (
        select(
            Location.id,
            Location.name,
            Location.city,
            activities.label("activities"),
            func.sum(figures.c.headcount).label("headcount"),
            func.max(figures.c.approximate).label("approximate"),
        )
        .select_from(pairs)
        .join(Location, Location.id == pairs.c.location_id)
        .join(figures, figures.c.event_id == pairs.c.event_id)
        .group_by(Location.id, Location.name, Location.city)
        .order_by(activities.desc(), Location.name)
    )
    return statement.limit(limit) if limit else statement


def awards_statement(scope: StatsScope) -> Select:
    """Contest results: awards per organisation (a team's, or an awarded person's unit).

    Rows are (organisation, award) with how many times it was won and the best rank.
    """
    organization_id = func.coalesce(Participation.organization_id, Person.organization_id)
    best_rank = func.min(Participation.rank)
    times = func.count(Participation.id)
    return (
        select(
            Organization.id,
            Organization.name,
            Organization.short_name,
            Participation.award,
            times.label("times"),
            best_rank.label("best_rank"),
        )
        .select_from(Participation)
        .outerjoin(Person, Person.id == Participation.person_id)
        .outerjoin(Organization, Organization.id == organization_id)
        .where(
            Participation.award.is_not(None), Participation.event_id.in_(selected_event_ids(scope))
        )
        .group_by(Organization.id, Organization.name, Organization.short_name, Participation.award)
        .order_by(best_rank.is_(None), best_rank, times.desc(), Organization.name)
    )


def top_participants_statement(scope: StatsScope, by: str, limit: int = TOP_ROWS) -> Select:
    """People with the most attended activities (`by="activities"`) or hours (`by="hours"`).

    Returns names: call it for signed-in coordinators only.
    """
    activities = func.count(func.distinct(Participation.event_id))
    hour_hundredths = func.coalesce(func.sum(_hundredths(Participation.hours)), 0)
    order = (
        (activities.desc(), hour_hundredths.desc())
        if by == "activities"
        else (hour_hundredths.desc(), activities.desc())
    )
    return (
        select(
            Person.id,
            Person.name,
            Organization.name.label("organization_name"),
            activities.label("activities"),
            hour_hundredths.label("hour_hundredths"),
        )
        .select_from(Participation)
        .join(Person, Person.id == Participation.person_id)
        .outerjoin(Organization, Organization.id == Person.organization_id)
        .where(
            Participation.attended.is_(True), Participation.event_id.in_(selected_event_ids(scope))
        )
        .group_by(Person.id, Person.name, Organization.name)
        .order_by(*order, Person.name, Person.id)
        .limit(limit)
    )


def year_range_statement(include_internal: bool) -> Select:
    """First and last local month in which a visible, not cancelled event starts."""
    starts = visible_events(include_internal).where(Event.status != "cancelled").subquery()
    month = local_month(starts.c.starts_at)
    return select(func.min(month), func.max(month))


def organization_activity_statement(organization_id: int, include_internal: bool) -> Select:
    """An organisation's activities (any role) and their headcount per local month."""
    scope = StatsScope(EventFilters(organization_ids=[organization_id]), include_internal)
    return by_month_statement(scope)


def person_totals_statement(person_id: int) -> Select:
    """A person's attended activities and hours (cancelled events excluded)."""
    return (
        select(
            func.count(func.distinct(Participation.event_id)).label("activities"),
            func.coalesce(func.sum(_hundredths(Participation.hours)), 0).label("hour_hundredths"),
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


def hours_from_hundredths(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def _headcount(value, approximate) -> Optional[Headcount]:
    return None if value is None else Headcount(int(value), bool(approximate))


@dataclass
class Figures:
    """The measures of one group of activities."""

    activities: int = 0
    participations: int = 0
    headcount: Optional[Headcount] = None
    hours: Decimal = Decimal("0.00")

    @classmethod
    def from_row(cls, row) -> Figures:
        return cls(
            activities=int(row.activities or 0),
            participations=int(row.participations or 0),
            headcount=_headcount(row.headcount, row.approximate),
            hours=hours_from_hundredths(row.hour_hundredths),
        )


@dataclass
class Totals(Figures):
    people: int = 0
    unknown_headcounts: int = 0
    cancelled: int = 0


@dataclass
class GroupRow:
    """A breakdown row: an id (None for "none"), a label, a colour and its figures."""

    id: Optional[int]
    label: str
    figures: Figures
    color: Optional[str] = None
    detail: Optional[str] = None


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
    award: str
    times: int
    best_rank: Optional[int]


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

    scope: StatsScope
    totals: Totals
    by_category: list[GroupRow]
    by_campaign: list[GroupRow]
    by_month: list[GroupRow]
    by_organization: list[OrganizationRow]
    by_location: list[LocationRow]
    awards: list[AwardRow]
    top_by_activities: list[ParticipantRow] = field(default_factory=list)
    top_by_hours: list[ParticipantRow] = field(default_factory=list)
    includes_people: bool = False


def gather_statistics(
    scope: StatsScope,
    include_people: bool = False,
    row_limit: Optional[int] = None,
    locale: str = "zh",
) -> Statistics:
    """Run the statements (a fixed number) and shape their rows for the page and exports.

    `include_people` adds the top participants by name: signed-in coordinators only.
    `row_limit` caps the organisation and location breakdowns (the page shows the top rows,
    exports everything).
    """
    execute = db.session.execute
    totals_row = execute(totals_statement(scope)).one()
    totals = Totals(
        **vars(Figures.from_row(totals_row)),
        people=int(totals_row.people or 0),
        unknown_headcounts=int(totals_row.unknown_headcounts or 0),
        cancelled=int(totals_row.cancelled or 0),
    )
    by_category = [
        GroupRow(
            row.id,
            (row.name_en if locale == "en" else row.name_zh) if row.id else "",
            Figures.from_row(row),
            color=row.color,
        )
        for row in execute(by_category_statement(scope))
    ]
    by_campaign = [
        GroupRow(row.id, row.name or "", Figures.from_row(row), detail=row.theme)
        for row in execute(by_campaign_statement(scope))
    ]
    by_month = month_series(
        [(row.month, Figures.from_row(row)) for row in execute(by_month_statement(scope))],
        scope.first_month,
        scope.last_month,
    )
    by_organization = [
        OrganizationRow(
            row.id,
            row.name,
            row.short_name,
            int(row.hosted or 0),
            int(row.co_organized or 0),
            int(row.took_part or 0),
            int(row.activities),
            _headcount(row.headcount, row.approximate),
        )
        for row in execute(by_organization_statement(scope, row_limit))
    ]
    by_location = [
        LocationRow(
            row.id,
            row.name,
            row.city,
            int(row.activities),
            _headcount(row.headcount, row.approximate),
        )
        for row in execute(by_location_statement(scope, row_limit))
    ]
    awards = [
        AwardRow(row.id, row.short_name or row.name, row.award, int(row.times), row.best_rank)
        for row in execute(awards_statement(scope))
    ]
    statistics = Statistics(
        scope, totals, by_category, by_campaign, by_month, by_organization, by_location, awards
    )
    if include_people:
        statistics.includes_people = True
        statistics.top_by_activities = _participants(
            top_participants_statement(scope, "activities")
        )
        statistics.top_by_hours = _participants(top_participants_statement(scope, "hours"))
    return statistics


def _participants(statement: Select) -> list[ParticipantRow]:
    return [
        ParticipantRow(
            row.id,
            row.name,
            row.organization_name,
            int(row.activities),
            hours_from_hundredths(row.hour_hundredths),
        )
        for row in db.session.execute(statement)
    ]


def month_series(
    rows: list[tuple[str, Figures]], first_month: Optional[str], last_month: Optional[str]
) -> list[GroupRow]:
    """Every month from the first to the last, zeros included, as rows labelled 'YYYY-MM'.

    Activities that started before the period (a series, a long event) sit in its first
    month: their rows are merged there. Without a bound, the data's own range is used.
    """
    by_month: dict[str, Figures] = {}
    for month, figures in rows:
        if first_month and month < first_month:
            month = first_month
        if month in by_month:
            by_month[month] = _add(by_month[month], figures)
        else:
            by_month[month] = figures
    months = sorted(by_month)
    start = first_month or (months[0] if months else None)
    end = last_month or (months[-1] if months else None)
    if start is None or end is None:
        return []
    return [
        GroupRow(None, month, by_month.get(month, Figures()))
        for month in _months_between(start, end)
    ]


def _add(left: Figures, right: Figures) -> Figures:
    headcounts = [count for count in (left.headcount, right.headcount) if count is not None]
    return Figures(
        activities=left.activities + right.activities,
        participations=left.participations + right.participations,
        headcount=Headcount(
            sum(count.value for count in headcounts),
            any(count.is_approximate for count in headcounts),
        )
        if headcounts
        else None,
        hours=left.hours + right.hours,
    )


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
    last_year = max(int(last[:4]), this_year)
    return list(range(max(int(first[:4]), last_year - 14), last_year + 1))


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
    return PersonTotals(
        int(row.activities or 0), hours_from_hundredths(row.hour_hundredths), awards
    )


def organization_activity_by_month(organization_id: int, include_internal: bool) -> list[GroupRow]:
    """An organisation's activities and headcount per month, from its first to its last."""
    rows = [
        (row.month, Figures.from_row(row))
        for row in db.session.execute(
            organization_activity_statement(organization_id, include_internal)
        )
    ]
    return month_series(rows, None, None)
