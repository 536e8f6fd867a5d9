"""The annual ledger (活动台账汇编): a background job that binds the chosen activities into one
Word volume and writes an Excel index beside it, both in one zip.

The activities are those of the statistics page's filters (an organisation, a category, a
campaign) and period, that the starting coordinator may see the files of, in date order;
the closing summary is the statistics of the same filters.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from tracker.auth.permissions import can_see_event_files
from tracker.events.queries import EventFilters, chosen_entries, filtered_events
from tracker.extensions import db
from tracker.i18n import month_label
from tracker.jobs.runner import JobFailed, JobResult, Progress, job_kind
from tracker.ledger import document
from tracker.ledger.pages import page_for, photos_by_event, with_ledger_details
from tracker.media.storage import file_store
from tracker.models import Event, User
from tracker.stats.export import Table, to_xlsx
from tracker.stats.queries import Statistics, gather_statistics, parse_stats_filters
from tracker.web import format_hours

ANNUAL_LEDGER_JOB = "annual_ledger"
ZIP_MIME = "application/zip"


def _day(value: date | None) -> str:
    if value is None:
        return "…"
    return _("%(y)s年%(m)s月%(d)s日", y=value.year, m=value.month, d=value.day)


def ledger_title(filters: EventFilters) -> str:
    """活动台账 of the chosen organisations (or other entries) and the period's year(s)."""
    names = [name for _label, chosen in chosen_entries(filters) for name in chosen]
    subject = "、".join(names[:3]) + ("等" if len(names) > 3 else "")
    first, last = filters.date_from, filters.date_to
    if first and last and first.year == last.year:
        period = _("%(year)s年度", year=first.year)
    else:
        period = f"{_day(first)}–{_day(last)}"
    return _("%(subject)s%(period)s活动台账", subject=subject, period=period)


def _count_text(headcount) -> str:
    return "" if headcount is None else str(headcount)


def summary_tables(statistics: Statistics) -> list[document.SummaryTable]:
    """The closing summary: totals, by category, by month, awards."""
    headers = [_("活动数"), _("参与人次"), _("人数"), _("服务时长（小时）")]

    def figures(row_figures) -> list[str]:
        return [
            str(row_figures.activities),
            str(row_figures.participations),
            _count_text(row_figures.headcount),
            format_hours(row_figures.hours),
        ]

    totals = statistics.totals
    tables = [
        document.SummaryTable(_("合计"), headers, [figures(totals)]),
        document.SummaryTable(
            _("按类别"),
            [_("类别"), *headers],
            [[row.label or _("未分类"), *figures(row.figures)] for row in statistics.by_category],
        ),
        document.SummaryTable(
            _("按月份"),
            [_("月份"), *headers],
            [[month_label(row.label), *figures(row.figures)] for row in statistics.by_month],
        ),
    ]
    if statistics.awards:
        tables.append(
            document.SummaryTable(
                _("获奖情况"),
                [_("单位"), _("奖项"), _("次数")],
                [
                    [row.organization_name or "", row.award, str(row.times)]
                    for row in statistics.awards
                ],
            )
        )
    return tables


def index_table(events: list[Event], photo_counts: dict[int, int]) -> Table:
    """The Excel index: one row per activity in the volume's order."""
    rows = []
    for number, event in enumerate(events, start=1):
        headcount = event.shown_headcount
        rows.append(
            [
                number,
                event.local_starts_at.date().isoformat(),
                event.title,
                event.category.name_zh if event.category else "",
                " → ".join(stop.location.name for stop in event.stops),
                "、".join(organization.name for organization in event.host_organizations),
                headcount.value if headcount else None,
                _("是") if headcount and headcount.is_approximate else "",
                photo_counts.get(event.id, 0),
            ]
        )
    headers = [
        _("序号"),
        _("日期"),
        _("活动名称"),
        _("类别"),
        _("地点"),
        _("主办单位"),
        _("人数"),
        _("人数为约数"),
        _("照片数"),
    ]
    return Table(_("活动索引"), headers, rows)


@job_kind(ANNUAL_LEDGER_JOB)
def build_annual_ledger(progress: Progress, payload=None, *, args: dict, user_id: int) -> JobResult:
    """Bind the activities of the filters into the ledger and its index."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise JobFailed(_("账号已停用，未生成台账。"))
    scope = parse_stats_filters(MultiDict(args), include_internal=True)
    statement = with_ledger_details(
        filtered_events(scope.filters, include_internal=True).where(Event.status != "cancelled")
    ).order_by(Event.starts_at, Event.id)
    events = [event for event in db.session.scalars(statement) if can_see_event_files(user, event)]
    limit = current_app.config["LEDGER_MAX_EVENTS"]
    if not events:
        raise JobFailed(_("所选范围内没有活动，未生成台账。"))
    if len(events) > limit:
        raise JobFailed(
            _(
                "所选范围内有 %(n)s 项活动，超过一本台账的上限 %(limit)s 项，"
                "请缩小期间或筛选条件。",
                n=len(events),
                limit=limit,
            )
        )
    total = len(events) + 1
    progress.update(0, total, _("正在汇编活动记录…"))
    photos = photos_by_event([event.id for event in events])
    title = ledger_title(scope.filters)
    cover = [
        _(
            "期间：%(first)s至%(last)s",
            first=_day(scope.filters.date_from),
            last=_day(scope.filters.date_to),
        ),
        _("共 %(n)s 项活动", n=len(events)),
        _("编制：%(name)s", name=user.organization.name if user.organization else user.username),
        _("生成日期：%(day)s", day=_day(date.today())),
    ]
    store = file_store()
    pages = (page_for(event, photos.get(event.id, []), user) for event in events)
    statistics = gather_statistics(scope)
    ledger = document.annual_ledger(
        title,
        cover,
        pages,
        summary_tables(statistics),
        store.read,
        on_page=lambda number: progress.update(number, total, _("已汇编 %(n)s 项", n=number)),
    )
    index = to_xlsx([index_table(events, {key: len(value) for key, value in photos.items()})])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        # The docx is a zip of compressed parts already: stored, not compressed again.
        bundle.writestr(f"{title}.docx", ledger, compress_type=zipfile.ZIP_STORED)
        bundle.writestr(_("%(title)s-索引.xlsx", title=title), index)
    return JobResult(
        _(
            "台账已生成：%(n)s 项活动，%(photos)s 张照片。",
            n=len(events),
            photos=sum(map(len, photos.values())),
        ),
        details=[_("压缩包内含 Word 台账和 Excel 索引。打开 Word 台账时请选择更新目录。")],
        file=archive.getvalue(),
        file_name=f"{title}.zip",
        file_type=ZIP_MIME,
    )
