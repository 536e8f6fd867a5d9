"""Recurrence rules keep UNTIL as RFC 5545 has it: in UTC next to a timed start, a DATE next
to an all-day one (they kept a local wall time before).

Rules are rewritten in the canonical part order of icalendar's vRecur. The downgrade turns a
UTC UNTIL back into wall time in the event's zone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from icalendar import vRecur

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("recurrence_rule", sa.String),
    sa.column("timezone", sa.String),
    sa.column("is_all_day", sa.Boolean),
)


def _zone(name):
    return UTC if name in (None, "", "UTC") else ZoneInfo(name)


def _to_utc(until, zone, is_all_day):
    if is_all_day:
        if isinstance(until, datetime):
            return until.astimezone(zone).date() if until.tzinfo else until.date()
        return until
    if not isinstance(until, datetime):
        return datetime.combine(until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    if until.tzinfo is None:
        return until.replace(tzinfo=zone).astimezone(UTC)
    return until.astimezone(UTC)


def _to_local(until, zone, is_all_day):
    if isinstance(until, datetime) and until.tzinfo is not None:
        return until.astimezone(zone).replace(tzinfo=None)
    if is_all_day and isinstance(until, date) and not isinstance(until, datetime):
        return datetime.combine(until, time(23, 59, 59))
    return until


def _rewrite(convert):
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(events.c.id, events.c.recurrence_rule, events.c.timezone, events.c.is_all_day)
        .where(events.c.recurrence_rule.is_not(None))
    ).all()
    for event_id, text, zone_name, is_all_day in rows:
        rule = vRecur.from_ical(text.removeprefix("RRULE:"))
        if rule.get("UNTIL"):
            rule["UNTIL"] = [convert(rule["UNTIL"][0], _zone(zone_name), bool(is_all_day))]
        rewritten = rule.to_ical().decode()
        if rewritten != text:
            connection.execute(
                events.update().where(events.c.id == event_id).values(recurrence_rule=rewritten)
            )


def upgrade():
    _rewrite(_to_utc)


def downgrade():
    _rewrite(_to_local)
