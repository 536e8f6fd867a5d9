"""The Alembic revisions build exactly the schema the models describe, on either engine."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tracker.extensions import db as database


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
    from tracker import create_app

    url = "sqlite:///" + str(tmp_path / "fresh.db")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "events" in inspect(database.engine).get_table_names()
        database.engine.dispose()
