"""Attendance figures: signed in ÷ invited per event, per organisation and per month, and the
invitees who missed events (names: signed-in coordinators only).

An invitee is everyone an event invites (people one by one, and the people of invited
organisations, each once); they attended when the event has an attended participation of
theirs, signed in by phone, by hand or typed in the event form. Events with no invitations
are left out. Cancelled events, and events outside the statistics' filters, are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from tracker.extensions import db
from tracker.models import Event, EventInvitation, Organization, Participation, Person
from tracker.stats.export import Table
from tracker.stats.queries import StatsScope, _selected_ids, local_month

# Dates in the statistics are Beijing time (the counting rules say so).
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class AttendanceRow:
    """Invited and attended for one event, organisation or month."""

    key: object
    label: str
    invited: int
    attended: int
    starts_at: Optional[datetime] = None

    @property
    def rate(self) -> Optional[float]:
        """Attended ÷ invited as a percentage, one decimal; None when nobody was invited."""
        return round(100 * self.attended / self.invited, 1) if self.invited else None


@dataclass
class MissedRow:
    event_id: int
    event_title: str
    starts_at: datetime
    person_id: int
    person_name: str
    organization_name: str


@dataclass
class AttendanceStatistics:
    by_event: list[AttendanceRow]
    by_organization: list[AttendanceRow]
    by_month: list[AttendanceRow]
    missed: list[MissedRow]
    missed_total: int
    includes_people: bool

    @property
    def totals(self) -> AttendanceRow:
        return AttendanceRow(
            None,
            "",
            sum(row.invited for row in self.by_event),
            sum(row.attended for row in self.by_event),
        )


def expected_rows(scope: StatsScope):
    """Subquery (event_id, person_id, attended) of every invitee of the counted events."""
    invitations, people, participations = (
        EventInvitation.__table__,
        Person.__table__,
        Participation.__table__,
    )
    counted = _selected_ids(scope)
    single = select(
        invitations.c.event_id.label("event_id"), invitations.c.person_id.label("person_id")
    ).where(invitations.c.person_id.is_not(None), invitations.c.event_id.in_(counted))
    by_organization = (
        select(invitations.c.event_id.label("event_id"), people.c.id.label("person_id"))
        .join(people, people.c.organization_id == invitations.c.organization_id)
        .where(invitations.c.event_id.in_(counted))
    )
    expected = single.union(by_organization).subquery("expected")
    return (
        select(
            expected.c.event_id,
            expected.c.person_id,
            case((participations.c.id.is_not(None), 1), else_=0).label("attended"),
        )
        .outerjoin(
            participations,
            and_(
                participations.c.event_id == expected.c.event_id,
                participations.c.person_id == expected.c.person_id,
                participations.c.attended.is_(True),
            ),
        )
        .subquery("invitees")
    )


def gather_attendance(
    scope: StatsScope, include_people: bool, row_limit: Optional[int] = None
) -> AttendanceStatistics:
    """The attendance tables; `row_limit` caps the event, organisation and missed lists."""
    invitees = expected_rows(scope)
    invited, attended = func.count().label("invited"), func.sum(invitees.c.attended)
    by_event_statement = (
        select(Event.id, Event.title, Event.starts_at, invited, attended.label("attended"))
        .join(invitees, invitees.c.event_id == Event.id)
        .group_by(Event.id, Event.title, Event.starts_at)
        .order_by(Event.starts_at.desc(), Event.id)
    )
    by_organization_statement = (
        select(
            Organization.id,
            Organization.name,
            invited,
            attended.label("attended"),
        )
        .select_from(invitees)
        .join(Person, Person.id == invitees.c.person_id)
        .join(Organization, Organization.id == Person.organization_id)
        .group_by(Organization.id, Organization.name)
        .order_by(invited.desc(), Organization.name)
    )
    month = local_month(Event.starts_at)
    by_month_statement = (
        select(month.label("month"), invited, attended.label("attended"))
        .join(invitees, invitees.c.event_id == Event.id)
        .group_by(month)
        .order_by(month)
    )
    if row_limit is not None:
        by_event_statement = by_event_statement.limit(row_limit)
        by_organization_statement = by_organization_statement.limit(row_limit)
    by_event = [
        AttendanceRow(row.id, row.title, row.invited, int(row.attended or 0), row.starts_at)
        for row in db.session.execute(by_event_statement)
    ]
    by_organization = [
        AttendanceRow(row.id, row.name, row.invited, int(row.attended or 0))
        for row in db.session.execute(by_organization_statement)
    ]
    by_month = [
        AttendanceRow(row.month, row.month, row.invited, int(row.attended or 0))
        for row in db.session.execute(by_month_statement)
    ]
    missed, missed_total = [], 0
    if include_people:
        missed_filter = invitees.c.attended == 0
        missed_total = db.session.scalar(
            select(func.count()).select_from(invitees).where(missed_filter)
        )
        missed_statement = (
            select(
                Event.id.label("event_id"),
                Event.title,
                Event.starts_at,
                Person.id.label("person_id"),
                Person.name,
                Organization.name.label("organization_name"),
            )
            .select_from(invitees)
            .join(Event, Event.id == invitees.c.event_id)
            .join(Person, Person.id == invitees.c.person_id)
            .outerjoin(Organization, Organization.id == Person.organization_id)
            .where(missed_filter)
            .order_by(Event.starts_at.desc(), Event.id, Person.name, Person.id)
        )
        if row_limit is not None:
            missed_statement = missed_statement.limit(row_limit)
        missed = [
            MissedRow(
                row.event_id,
                row.title,
                row.starts_at,
                row.person_id,
                row.name,
                row.organization_name or "",
            )
            for row in db.session.execute(missed_statement)
        ]
    return AttendanceStatistics(
        by_event, by_organization, by_month, missed, missed_total, include_people
    )


def _local_day(moment: Optional[datetime]) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat() if moment else ""


def attendance_tables(attendance: AttendanceStatistics) -> list[Table]:
    """The export's attendance tables (the missed list only when it includes people)."""
    headers = [_("应到（邀请）"), _("实到（签到）"), _("出席率（%）")]

    def figures(row: AttendanceRow) -> list:
        return [row.invited, row.attended, row.rate]

    tables = [
        Table(
            _("出席率·按活动"),
            [_("活动"), _("日期"), *headers],
            [
                [
                    row.label,
                    row.starts_at.date().isoformat() if row.starts_at else "",
                    *figures(row),
                ]
                for row in attendance.by_event
            ],
        ),
        Table(
            _("出席率·按组织"),
            [_("组织"), *headers],
            [[row.label, *figures(row)] for row in attendance.by_organization],
        ),
        Table(
            _("出席率·按月"),
            [_("月份"), *headers],
            [[row.label, *figures(row)] for row in attendance.by_month],
        ),
    ]
    if attendance.includes_people:
        tables.append(
            Table(
                _("缺席名单"),
                [_("活动"), _("日期"), _("姓名"), _("单位")],
                [
                    [
                        row.event_title,
                        _local_day(row.starts_at),
                        row.person_name,
                        row.organization_name,
                    ]
                    for row in attendance.missed
                ],
            )
        )
    return tables
