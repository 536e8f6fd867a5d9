"""Migration 0013 on a database made before it: placeholder organisations and places become
counts and are removed, award texts get their level, the kept figures count people only."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, insert, select, text

from tests.conftest import POSTGRES_URL
from tracker import create_app
from tracker.extensions import db as database
from tracker.models import (
    Event,
    EventOrganization,
    Location,
    Organization,
    OrganizationInvolvement,
    Participation,
    Person,
    Stop,
    new_uid,
)

NOW = datetime(2019, 6, 1, 8, tzinfo=UTC)


@pytest.fixture
def old_database(tmp_path):
    """An empty database of the run's engine: a new PostgreSQL database in the PostgreSQL
    run, a SQLite file otherwise."""
    if not POSTGRES_URL:
        yield "sqlite:///" + str(tmp_path / "old.db")
        return
    name = f"tracker_migration_{uuid.uuid4().hex[:10]}"
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield re.sub(r"/[^/]*$", f"/{name}", POSTGRES_URL)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def _rows(connection, table, rows):
    connection.execute(insert(table), rows)


def _event(event_id, title):
    return {
        "id": event_id,
        "uid": new_uid(),
        "title": title,
        "starts_at": NOW,
        "ends_at": NOW,
        "timezone": "Asia/Shanghai",
        "is_all_day": False,
        "status": "confirmed",
        "visibility": "public",
        "headcount_is_approximate": False,
        "date_is_approximate": False,
        "sequence": 0,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
        "participation_count": 10,
        "attended_count": 10,
    }


def _fill_as_before(connection):
    """The contest, the fair and the visits as the old demo data recorded them."""
    organization = Organization.__table__
    named = ["健帆", "艾默生", "藤佳", "建设银行", "广发银行", "扶贫办", "一个单位"]
    teams = [f"安康杯参赛队（报道未具名）{n}" for n in range(4, 11)]
    exhibitors = [f"银企对接会参展金融机构（报道未具名）{n}" for n in range(3, 10)]
    names = named + teams + exhibitors
    _rows(
        connection,
        organization,
        [
            {"id": index, "name": name, "kind": "enterprise", "created_at": NOW}
            for index, name in enumerate(names, start=1)
        ],
    )
    ids = {name: index for index, name in enumerate(names, start=1)}
    # A placeholder someone's person record still points to is kept (not deleted).
    _rows(
        connection,
        Person.__table__,
        [{"id": 1, "name": "李明", "organization_id": ids[teams[-1]], "created_at": NOW}],
    )
    _rows(
        connection,
        Event.__table__,
        [_event(1, "安康杯"), _event(2, "银企对接会"), _event(3, "走访")],
    )
    awards = {"健帆": ("桂冠（一等奖）", 1), "艾默生": ("二等奖", 2), "藤佳": ("优秀组织奖", None)}
    _rows(
        connection,
        Participation.__table__,
        [
            {
                "event_id": 1,
                "organization_id": ids[name],
                "role": "participant",
                "attended": True,
                "award": awards.get(name, (None, None))[0],
                "rank": awards.get(name, (None, None))[1],
                "position": position,
            }
            for position, name in enumerate(["健帆", "艾默生", "藤佳", *teams])
        ],
    )
    links = [(1, "扶贫办", "host"), (2, "建设银行", "exhibitor"), (2, "广发银行", "exhibitor")]
    links += [(2, name, "exhibitor") for name in exhibitors] + [(3, "扶贫办", "host")]
    _rows(
        connection,
        EventOrganization.__table__,
        [
            {"event_id": e, "organization_id": ids[name], "role": role, "position": position}
            for position, (e, name, role) in enumerate(links)
        ],
    )
    villages = ["高坡村", *(f"化州市帮扶村（报道未具名）{n}" for n in range(2, 12))]
    _rows(
        connection,
        Location.__table__,
        [
            {"id": index, "name": name, "city": "化州市", "created_at": NOW}
            for index, name in enumerate([*villages, "扶贫办会议室"], start=1)
        ],
    )
    stops = [(3, place) for place in range(1, 12)] + [(3, 12), (1, 12)]
    _rows(
        connection,
        Stop.__table__,
        [
            {"event_id": e, "location_id": place, "position": position}
            for position, (e, place) in enumerate(stops)
        ],
    )


def _advance_sequences(connection):
    """Rows were inserted with their ids: PostgreSQL's sequences must carry on after them."""
    if connection.dialect.name != "postgresql":
        return
    for table in ("organizations", "people", "events", "locations"):
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        )


def test_placeholders_become_counts_and_are_removed(old_database):
    app = create_app({"DATABASE_URL": old_database, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0009")
        with database.engine.begin() as connection:
            _fill_as_before(connection)
            _advance_sequences(connection)

        upgrade()

        session = database.session
        contest, fair, visits = (session.get(Event, number) for number in (1, 2, 3))
        assert contest.team_total == 10
        assert [str(count) for count in contest.role_counts()] == ["参赛队 10 支（具名 3 支）"]
        assert [p.organization.name for p in contest.teams_in_award_order] == [
            "健帆",
            "艾默生",
            "藤佳",
        ]
        assert [p.award_level for p in contest.teams_in_award_order] == ["first", "second", "merit"]
        assert contest.participation_count == 0 and contest.organization_count == 10
        assert contest.sequence == 1  # subscribers see the new description
        assert [str(count) for count in fair.role_counts()] == ["参展机构 9 家（具名 2 家）"]
        assert [str(count) for count in visits.role_counts()] == ["帮扶村 11 个（具名 1 个）"]
        assert [o.name for o in visits.organizations_in_role("village")] == ["高坡村"]
        assert [(s.location.name, s.position) for s in visits.stops] == [
            ("高坡村", 0),
            ("扶贫办会议室", 1),
        ]
        assert [s.location.name for s in contest.stops] == ["扶贫办会议室"]
        organizations = session.scalars(select(Organization.name)).all()
        # Kept: the placeholder a person still belongs to.
        assert [name for name in organizations if "未具名" in name] == [
            "安康杯参赛队（报道未具名）10"
        ]
        assert not [name for name in session.scalars(select(Location.name)) if "未具名" in name]
        involved = session.scalars(
            select(OrganizationInvolvement.organization_id).where(
                OrganizationInvolvement.event_id == 1
            )
        ).all()
        assert len(involved) == 4  # 扶贫办 and the three named teams
        session.remove()

        downgrade(revision="0009")
        with database.engine.connect() as connection:
            roles = connection.execute(text("SELECT DISTINCT role FROM event_organizations"))
            assert "village" not in {row[0] for row in roles}
        database.engine.dispose()
