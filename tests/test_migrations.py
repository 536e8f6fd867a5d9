"""The Alembic revisions build exactly the schema the models describe, on either engine."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, insert, inspect, select

from tracker import create_app
from tracker.extensions import db as database
from tracker.models import (
    Event,
    EventOrganization,
    Organization,
    OrganizationInvolvement,
    Participation,
    Person,
    new_uid,
)


def test_migrated_database_has_every_table(db):
    tables = set(inspect(db.engine).get_table_names())
    assert {table.name for table in database.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, database.metadata)
    assert differences == []


def test_upgrade_command_on_an_empty_database(tmp_path, monkeypatch):
    url = "sqlite:///" + str(tmp_path / "fresh.db")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "events" in inspect(database.engine).get_table_names()
        database.engine.dispose()


def test_kept_involvements_are_filled_and_duplicate_people_stop_the_upgrade(tmp_path, caplog):
    """0005 fills the involvements of existing events; 0006 refuses a person listed twice in
    one activity, naming the rows, and upgrades once they are merged."""
    url = "sqlite:///" + str(tmp_path / "old.db")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    now = datetime(2019, 6, 1, 8, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="0004")
        with database.engine.begin() as connection:
            connection.execute(
                insert(Organization.__table__),
                [{"id": 1, "name": "总工会", "kind": "social", "created_at": now}],
            )
            connection.execute(
                insert(Person.__table__), [{"id": 1, "name": "李明", "created_at": now}]
            )
            connection.execute(
                insert(Event.__table__),
                [
                    {
                        "id": 1,
                        "uid": new_uid(),
                        "title": "旧活动",
                        "starts_at": now,
                        "ends_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            connection.execute(
                insert(EventOrganization.__table__),
                [{"event_id": 1, "organization_id": 1, "role": "host"}],
            )
            connection.execute(
                insert(Participation.__table__),
                [
                    {"id": 1, "event_id": 1, "person_id": 1, "role": "participant"},
                    {"id": 2, "event_id": 1, "person_id": 1, "role": "volunteer"},
                ],
            )

        with pytest.raises(SystemExit):  # flask-migrate logs the error and exits with 1
            upgrade()
        assert "同一人员在同一活动中登记了多次" in caplog.text
        assert "活动 1 的人员 1（2 条）" in caplog.text
        with database.engine.begin() as connection:
            assert connection.execute(select(OrganizationInvolvement.__table__)).all() == [
                (1, 1, True, False, False)
            ]
            connection.execute(delete(Participation.__table__).where(Participation.id == 2))
        upgrade()
        with database.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() >= "0006"  # past the duplicate check
            assert connection.scalar(select(func.count()).select_from(Participation)) == 1
        database.engine.dispose()


def test_0008_stores_until_in_utc_and_the_downgrade_restores_wall_time(tmp_path):
    """Rules saved with a local (floating) UNTIL get RFC 5545's form: UTC next to a timed
    start, a DATE next to an all-day one; the downgrade gives back the wall time."""
    url = "sqlite:///" + str(tmp_path / "rules.db")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    start = datetime(2019, 6, 5, 1, tzinfo=UTC)
    rules = {
        "上海": ("Asia/Shanghai", False, "FREQ=WEEKLY;BYDAY=WE;UNTIL=20190731T235959"),
        "纽约": ("America/New_York", False, "FREQ=DAILY;UNTIL=20190710T090000"),
        "全天": ("Asia/Shanghai", True, "FREQ=WEEKLY;UNTIL=20190731T235959"),
        "次数": ("Asia/Shanghai", False, "FREQ=MONTHLY;BYDAY=1FR;COUNT=6"),
    }
    with app.app_context():
        upgrade(revision="0007")
        with database.engine.begin() as connection:
            for title, (zone, all_day, rule) in rules.items():
                connection.execute(
                    insert(Event.__table__).values(
                        uid=new_uid(),
                        title=title,
                        starts_at=start,
                        ends_at=start,
                        timezone=zone,
                        is_all_day=all_day,
                        recurrence_rule=rule,
                        status="confirmed",
                        visibility="public",
                        sequence=0,
                        version=1,
                        created_at=start,
                        updated_at=start,
                    )
                )

        def stored():
            with database.engine.connect() as connection:
                return dict(connection.execute(select(Event.title, Event.recurrence_rule)).all())

        upgrade(revision="0008")
        assert stored() == {
            "上海": "FREQ=WEEKLY;UNTIL=20190731T155959Z;BYDAY=WE",
            "纽约": "FREQ=DAILY;UNTIL=20190710T130000Z",
            "全天": "FREQ=WEEKLY;UNTIL=20190731",
            "次数": "FREQ=MONTHLY;COUNT=6;BYDAY=1FR",
        }
        downgrade(revision="0007")
        assert stored() == {
            "上海": "FREQ=WEEKLY;UNTIL=20190731T235959;BYDAY=WE",
            "纽约": "FREQ=DAILY;UNTIL=20190710T090000",
            "全天": "FREQ=WEEKLY;UNTIL=20190731T235959",
            "次数": "FREQ=MONTHLY;COUNT=6;BYDAY=1FR",
        }
        database.engine.dispose()
