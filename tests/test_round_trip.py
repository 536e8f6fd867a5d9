"""Export → import into an empty database → export again loses nothing a feed carries.

Events are generated from the field declaration (tracker.events.fields): every field a feed
carries gets values of its kind, saved through the event services as the form saves them.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from hashlib import sha1
from zoneinfo import ZoneInfo

from helpers import comparable, get_feed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from sqlalchemy import select, text

from tracker import labels
from tracker.demo import load_demo_data
from tracker.events.fields import (
    EVENT_FIELDS,
    PUBLIC,
    EntryRef,
    EventInput,
    OrganizationRow,
    ParticipationRow,
    StopRow,
    segment,
)
from tracker.events.services import EventBatch
from tracker.extensions import db as database
from tracker.feeds.importer import import_calendar, parse_calendar
from tracker.feeds.services import feed_cache
from tracker.models import Campaign, Category, Event, Location, Organization

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC")
# Letters people type, with the characters RFC 5545 escapes or quotes (, ; : \ ").
TEXT = (
    st.text(
        alphabet=st.sampled_from('活动安全生产月党支部读书abcXYZ019 ,;:\\"（）“”、。-+#🎉'),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
LONG_TEXT = st.lists(TEXT, min_size=1, max_size=3).map("\n".join)
MINUTES = st.integers(0, 12 * 365 * 24 * 60).map(
    lambda minutes: datetime(2019, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
)
RULES = st.sampled_from(
    [
        None,
        "FREQ=WEEKLY;BYDAY=WE",
        "FREQ=MONTHLY;COUNT=6;BYDAY=1FR",
        "FREQ=DAILY;INTERVAL=2;COUNT=5",
        "FREQ=WEEKLY;UNTIL=20300630T155959Z;BYDAY=MO,TH",
    ]
)
SEGMENTS = st.lists(
    st.builds(
        segment,
        TEXT,
        st.none() | st.sampled_from(["09:00", "14:30", "23:59"]),
        st.none() | TEXT,
    ),
    min_size=1,
    max_size=3,
)
CODES = {
    "status": st.sampled_from(list(labels.EVENT_STATUS_LABELS)),
    # /calendar.ics holds public events only.
    "visibility": st.just("public"),
}


def _by_kind(field):
    """A strategy for one declared field's value, by its kind."""
    if not field.in_form:
        return st.none()  # only files carry them (tests/test_import_carried.py)
    if field.kind == "text":
        return TEXT
    if field.kind == "long_text":
        return st.none() | LONG_TEXT
    if field.kind == "flag":
        return st.booleans()
    if field.kind == "count":
        return st.none() | st.integers(0, 1_000_000)
    if field.kind == "code":
        return CODES[field.name]
    if field.kind == "zone":
        return st.sampled_from(ZONES)
    if field.kind == "rule":
        return RULES
    if field.kind == "moment":
        return MINUTES
    if field.kind == "segments":
        return st.none() | SEGMENTS
    raise AssertionError(f"no strategy for kind {field.kind} ({field.name})")


ORGANIZATION = st.builds(
    lambda name, kind, short: EntryRef(
        Organization, {"name": name}, {"kind": kind, "short_name": short}
    ),
    TEXT,
    st.sampled_from(list(labels.ORGANIZATION_KIND_LABELS)),
    st.none() | TEXT,
)
ROWS = {
    "stops": st.lists(
        st.builds(
            StopRow,
            location=st.builds(
                lambda name, city: EntryRef(Location, {"name": name}, {"city": city}),
                TEXT,
                st.none() | TEXT,
            ),
            starts_at=st.none() | MINUTES,
            note=st.none() | TEXT,
        ),
        max_size=3,
        unique_by=lambda row: row.location.name,
    ),
    "organizations": st.lists(
        st.builds(
            OrganizationRow,
            organization=ORGANIZATION,
            role=st.sampled_from(list(labels.ORGANIZATION_ROLE_LABELS)),
            headcount=st.none() | st.integers(0, 500),
            note=st.none() | TEXT,
        ),
        max_size=3,
        unique_by=lambda row: row.organization.name,
    ),
    "participants": st.lists(
        st.builds(
            ParticipationRow,
            person=st.none(),
            organization=ORGANIZATION,
            role=st.sampled_from(list(labels.PARTICIPATION_ROLE_LABELS)),
            attended=st.booleans(),
            hours=st.none() | st.decimals(0, 100, places=2),
            award=st.none() | TEXT,
            rank=st.none() | st.integers(1, 20),
            award_level=st.none() | st.sampled_from(list(labels.AWARD_LEVEL_LABELS)),
        ),
        max_size=4,
        unique_by=lambda row: row.organization.name,
    ),
}
ENTRIES = {
    "category": st.none()
    | TEXT.map(
        lambda name: EntryRef(
            Category,
            {"name_zh": name},
            {
                "slug": f"c-{sha1(name.encode(), usedforsecurity=False).hexdigest()[:10]}",
                "name_en": name,
            },
        )
    ),
    "campaign": st.none()
    | st.builds(
        lambda name, theme: EntryRef(Campaign, {"name": name}, {"theme": theme}), TEXT, TEXT
    ),
}


@st.composite
def event_inputs(draw):
    """An event with a value for every field a public feed carries."""
    values = {}
    for field in EVENT_FIELDS:
        if field.feeds != PUBLIC:
            continue
        if field.kind == "rows":
            values[field.name] = draw(ROWS[field.name])
        elif field.kind == "entry":
            values[field.name] = draw(ENTRIES[field.name])
        else:
            values[field.name] = draw(_by_kind(field))
    if values["ends_at"] < values["starts_at"]:
        values["starts_at"], values["ends_at"] = values["ends_at"], values["starts_at"]
    if values["is_all_day"]:
        # Whole days from local midnight, in the default zone (as the form saves them).
        zone = ZoneInfo("Asia/Shanghai")
        first_day = values["starts_at"].astimezone(zone).date()
        days = (values["ends_at"] - values["starts_at"]).days + 1
        values["timezone"] = "Asia/Shanghai"
        values["starts_at"] = datetime.combine(first_day, time.min, zone).astimezone(UTC)
        values["ends_at"] = values["starts_at"] + timedelta(days=days)
        values["recurrence_rule"] = None
    return EventInput(**values)


def _empty_database():
    tables = [table.name for table in reversed(database.metadata.sorted_tables)]
    for table in tables:
        database.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    database.session.commit()
    feed_cache().clear()


def _export(client, check_parsers: bool):
    if check_parsers:  # the wire format, icalendar and ical.js (slower: a node process)
        response, calendar, _ = get_feed(client, "/calendar.ics")
        return response.data, calendar
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    return response.data, Calendar.from_ical(response.data)


def _round_trip(client, check_parsers: bool = False):
    """The export before and after an import into an empty database, as bytes and parsed."""
    first_bytes, calendar = _export(client, check_parsers)
    _empty_database()
    result = import_calendar(first_bytes)
    assert result.updated == 0 and result.unchanged == 0
    second_bytes, again = _export(client, check_parsers)
    return first_bytes, calendar, second_bytes, again


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(event_inputs(), min_size=1, max_size=3))
def test_generated_events_survive_export_and_import(app, client, events):
    _empty_database()
    batch = EventBatch(None)
    for values in events:
        batch.create(values)
    batch.commit()
    first_bytes, calendar, second_bytes, again = _round_trip(client)

    ignore = ("DTSTAMP", "URL")
    before, after = comparable(calendar, ignore), comparable(again, ignore)
    assert after == before, _differences(before, after)
    read_before = {values.uid: values for values in parse_calendar(first_bytes).events}
    read_after = {values.uid: values for values in parse_calendar(second_bytes).events}
    assert read_after.keys() == read_before.keys()
    for uid, one in read_before.items():
        other = read_after[uid]
        assert vars(other) == vars(one), {
            name: (value, vars(other)[name])
            for name, value in vars(one).items()
            if vars(other)[name] != value
        }
    _empty_database()


def _differences(before: dict, after: dict) -> str:
    """The lines that differ, per event, for the failure message."""
    return "\n".join(
        f"{uid}: -{sorted(set(lines) - set(after.get(uid, [])))} "
        f"+{sorted(set(after.get(uid, [])) - set(lines))}"
        for uid, lines in before.items()
        if after.get(uid) != lines
    )


def test_the_reports_activities_survive_export_and_import(app, client, db):
    load_demo_data()
    approximate_before = dict(
        db.session.execute(select(Event.uid, Event.date_is_approximate)).all()
    )
    first_bytes, calendar, second_bytes, again = _round_trip(client, check_parsers=True)

    # URL and the photos' ATTACH point at the tracker that wrote the file; an import keeps
    # the events, not another tracker's files.
    ignore = ("DTSTAMP", "URL", "ATTACH")
    assert comparable(again, ignore) == comparable(calendar, ignore)
    contest = next(e for e in again.walk("VEVENT") if "安康杯" in str(e["SUMMARY"]))
    description = str(contest["DESCRIPTION"])
    assert "参与组织：参赛队 10 支（具名 3 支）" in description and "人数：" not in description
    assert "活动环节：1. 安全知识必答题；2. 安全谜语竞猜" in description
    teams = {str(team): dict(team.params) for team in contest["X-TRACKER-TEAM"]}
    assert teams["健帆生物科技集团股份有限公司"]["X-AWARD"] == "冠军"
    assert teams["健帆生物科技集团股份有限公司"]["X-AWARD-LEVEL"] == "first"
    assert teams["珠海藤佳能源有限公司"]["X-RANK"] == "2"
    drill = db.session.scalar(select(Event).where(Event.title.like("%金峰学校%")))
    assert [item["title"] for item in drill.programme][0] == "一本安全读本"
    imported = db.session.scalar(select(Event).where(Event.title.like("%安康杯%")))
    assert imported.team_total == 10 and len(imported.programme) == 5
    approximate_after = dict(db.session.execute(select(Event.uid, Event.date_is_approximate)).all())
    assert approximate_after == approximate_before and any(approximate_after.values())
    hours = [p.hours for e in db.session.scalars(select(Event)) for p in e.participations]
    assert all(value is None or isinstance(value, Decimal) for value in hours)
