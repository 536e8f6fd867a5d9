"""The statistics as tables, written as CSV (Excel-friendly) or as an XLSX workbook.

Both exports hold the same tables in the same order: notes (period, filters, counting
rules), totals, then one table per breakdown. The CSV puts them one after another, each
as a title row, a header row and its data rows, separated by an empty row; the workbook
has one sheet per table. Headcounts are numbers with a separate "approximate" column, so
they add up in Excel. Names of people appear only when the statistics include them
(signed-in coordinators).

Names come from the users of the tracker, so no text may reach a spreadsheet as a formula: a
text cell that starts with a character a spreadsheet reads as the start of a formula gets a
leading apostrophe (OWASP's advice against CSV injection), and the workbook stores every text
cell as a string. Numbers stay numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tracker.i18n import current_language
from tracker.models import Headcount
from tracker.stats.queries import Statistics

CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
# What Excel, LibreOffice and Google Sheets take as the start of a formula (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """A titled table: the sheet name (≤ 31 characters), header and rows of plain values."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


def _count(headcount: Optional[Headcount]) -> list[Any]:
    if headcount is None:
        return [None, ""]
    return [headcount.value, _("是") if headcount.is_approximate else ""]


def statistics_tables(
    statistics: Statistics, notes: list[tuple[str, str]], month_label
) -> list[Table]:
    """Every table of the export, in order; `notes` are (label, value) lines for the top."""
    totals = statistics.totals
    headcount_headers = [_("人数"), _("人数为约数")]
    figure_headers = [
        _("活动数"),
        _("参与人次"),
        *headcount_headers,
        _("参与组织"),
        _("服务时长（小时）"),
    ]

    def figures(row) -> list[Any]:
        return [
            row.activities,
            row.participations,
            *_count(row.headcount),
            row.organizations,
            row.hours,
        ]

    tables = [
        Table(_("说明"), [_("项目"), _("内容")], [[label, value] for label, value in notes]),
        Table(
            _("总计"),
            [_("指标"), _("数值"), _("为约数")],
            [
                [_("活动数"), totals.activities, ""],
                [_("参与人次"), totals.participations, ""],
                [_("参与人数（去重）"), totals.people, ""],
                [_("人数"), *_count(totals.headcount)],
                [_("参与组织"), totals.organizations, ""],
                *([str(count), count.shown_total, ""] for count in statistics.role_counts),
                [_("服务时长（小时）"), totals.hours, ""],
                [_("人数未知的活动"), totals.unknown_headcounts, ""],
                [_("已取消的活动（未计入）"), totals.cancelled, ""],
            ],
        ),
        Table(
            _("按类别"),
            [_("类别"), *figure_headers],
            [
                [row.label_in(current_language()) or _("未分类"), *figures(row.figures)]
                for row in statistics.by_category
            ],
        ),
        Table(
            _("按组织"),
            [_("组织"), _("主办"), _("协办/承办"), _("参与"), _("活动数"), *headcount_headers],
            [
                [
                    row.name,
                    row.hosted,
                    row.co_organized,
                    row.took_part,
                    row.activities,
                    *_count(row.headcount),
                ]
                for row in statistics.by_organization
            ],
        ),
        Table(
            _("按月份"),
            [_("月份"), *figure_headers],
            [[month_label(row.label), *figures(row.figures)] for row in statistics.by_month],
        ),
        Table(
            _("按地点"),
            [_("地点"), _("城市"), _("活动数"), *headcount_headers],
            [
                [row.name, row.city or "", row.activities, *_count(row.headcount)]
                for row in statistics.by_location
            ],
        ),
        Table(
            _("按专项活动"),
            [_("专项活动"), _("主题"), *figure_headers],
            [
                [row.label or _("不属于专项活动"), row.detail or "", *figures(row.figures)]
                for row in statistics.by_campaign
            ],
        ),
        Table(
            _("竞赛获奖"),
            [_("组织"), _("奖项等级"), _("次数"), _("最好名次")],
            [
                [row.organization_name or _("未记录单位"), row.award, row.times, row.best_rank]
                for row in statistics.awards
            ],
        ),
    ]
    if statistics.includes_people:
        for title, rows in (
            (_("参与者（按活动数）"), statistics.top_by_activities),
            (_("参与者（按时长）"), statistics.top_by_hours),
        ):
            tables.append(
                Table(
                    title,
                    [_("姓名"), _("单位"), _("活动数"), _("服务时长（小时）")],
                    [
                        [row.name, row.organization_name or "", row.activities, row.hours]
                        for row in rows
                    ],
                )
            )
    return tables


def to_csv(tables: list[Table]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Chinese), CRLF rows, tables in sequence."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([f"# {table.title}"])
        writer.writerow([neutralised(header) for header in table.headers])
        for row in table.rows:
            writer.writerow(["" if value is None else neutralised(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table, a bold frozen header row and columns wide enough for Chinese."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_name(table.title))
        sheet.append([_cell(header) for header in table.headers])
        for cell in sheet[1]:
            cell.font = bold
        for row in table.rows:
            sheet.append([_cell(value) for value in row])
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        sheet.freeze_panes = "A2"
        for column_index, header in enumerate(table.headers, start=1):
            values = [header] + [row[column_index - 1] for row in table.rows]
            width = max(_display_width(value) for value in values)
            letter = sheet.cell(row=1, column=column_index).column_letter
            sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def neutralised(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, with an apostrophe in front; any
    other value unchanged (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else neutralised(value)


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _sheet_name(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, "-")
    return title[:31]
