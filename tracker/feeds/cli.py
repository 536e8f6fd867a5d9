"""Command line: `flask --app wsgi ics import FILE`."""

import click
from flask.cli import AppGroup

from tracker.feeds.importer import ImportRefused, import_calendar

ics_group = AppGroup("ics", help="iCalendar 导入 / iCalendar import.")


@ics_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def ics_import(path: str) -> None:
    """Import an .ics file: create events, or update them by UID; all or nothing."""
    with click.open_file(path, "rb") as source:
        data = source.read()
    try:
        # Outside a request import_calendar answers in the default language (Chinese).
        result = import_calendar(data)
    except ImportRefused as refusal:
        raise click.ClickException("\n".join(refusal.messages)) from refusal
    click.echo(
        f"导入完成：新建 {result.created} 项，更新 {result.updated} 项，"
        f"未变 {result.unchanged} 项。"
    )
    for warning in result.warnings:
        click.echo(f"注意：{warning}")
