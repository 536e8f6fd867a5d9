"""Command line: `flask --app wsgi ics import FILE [--strict]`."""

import sys

import click
from flask.cli import AppGroup

from tracker.feeds.importer import READING, ImportRefused, import_calendar

ics_group = AppGroup("ics", help="iCalendar 导入 / iCalendar import.")

STAGE_LABELS = {READING: "读取", "saving": "保存"}


class _ProgressBars:
    """One click progress bar per stage (reading, then saving), shown on a terminal only."""

    def __init__(self) -> None:
        self.stage = None
        self.bar = None
        self.done = 0

    def __call__(self, done: int, total: int, stage: str) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(
                length=total,
                label=STAGE_LABELS.get(stage, stage),
                file=sys.stderr,
            )
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@ics_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--strict", is_flag=True, help="把需要修正的地方当作错误 / Treat repairs as errors.")
def ics_import(path: str, strict: bool) -> None:
    """Import an .ics file of any size: create events, or update them by UID; all or nothing.

    Repairs (a missing title, a generated UID…) are printed as warnings; `--strict` refuses
    the file instead."""
    with click.open_file(path, "rb") as source:
        data = source.read()
    bars = _ProgressBars()
    try:
        # Outside a request import_calendar answers in the default language (Chinese).
        result = import_calendar(data, max_bytes=None, strict=strict, progress=bars)
    except ImportRefused as refusal:
        bars.close()
        raise click.ClickException("\n".join(refusal.messages)) from refusal
    bars.close()
    for warning in result.warnings:
        click.echo(f"注意：{warning}")
    click.echo(
        f"导入完成：新建 {result.created} 项，更新 {result.updated} 项，"
        f"未变 {result.unchanged} 项。"
    )
