"""Participant statistics: the overview page and its CSV and XLSX exports."""

from __future__ import annotations

from datetime import date

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import labels
from tracker.auth.permissions import can_see_internal
from tracker.cache import cached_result
from tracker.directory.lookup import filter_pickers
from tracker.events.queries import chosen_entries, filter_selects
from tracker.i18n import current_language, month_label
from tracker.stats import blueprint
from tracker.stats.attendance import AttendanceStatistics, attendance_tables, gather_attendance
from tracker.stats.charts import Bar, bar_chart, month_chart
from tracker.stats.export import (
    CSV_MIME,
    XLSX_MIME,
    statistics_tables,
    to_csv,
    to_xlsx,
)
from tracker.stats.queries import (
    BREAKDOWN_ROWS_SHOWN,
    STATS_FILTER_NAMES,
    Statistics,
    StatsScope,
    data_years,
    gather_statistics,
    parse_stats_filters,
)
from tracker.web import content_disposition


def _scope() -> StatsScope:
    return parse_stats_filters(request.args, include_internal=can_see_internal())


def _statistics(scope: StatsScope, row_limit: int | None) -> Statistics:
    """Names of people only for signed-in coordinators; anonymous readers get figures.

    The figures are kept until the data changes (`cached_result`), so repeated readings of
    the same filters cost one cheap query instead of the aggregations over every row.
    """
    include_people = current_user.is_authenticated
    return cached_result(
        "statistics",
        (scope.filters.key(), scope.include_internal, include_people, row_limit),
        lambda: gather_statistics(scope, include_people=include_people, row_limit=row_limit),
    )


def _attendance(scope: StatsScope, row_limit: int | None) -> AttendanceStatistics:
    """Attendance rates, and the missed lists for signed-in coordinators; kept like
    `_statistics` until the data changes (every sign-in leaves an audit entry)."""
    include_people = current_user.is_authenticated
    return cached_result(
        "statistics",
        ("attendance", scope.filters.key(), scope.include_internal, include_people, row_limit),
        lambda: gather_attendance(scope, include_people=include_people, row_limit=row_limit),
    )


@blueprint.route("/")
def overview():
    """Totals and breakdowns for the filtered period, each chart beside its table."""
    scope = _scope()
    statistics = _statistics(scope, BREAKDOWN_ROWS_SHOWN)
    return render_template(
        "stats/overview.html",
        scope=scope,
        statistics=statistics,
        charts=_charts(statistics),
        selects=filter_selects(scope.filters, ("category",)),
        pickers=filter_pickers(scope.filters, STATS_FILTER_NAMES),
        year_links=_year_links(scope),
        rows_shown=BREAKDOWN_ROWS_SHOWN,
        counting_rules=counting_rules(),
        attendance=_attendance(scope, BREAKDOWN_ROWS_SHOWN),
    )


@blueprint.route("/export.csv")
def export_csv():
    """The same figures as CSV: UTF-8 with BOM, tables one after another."""
    scope = _scope()
    tables = statistics_tables(_statistics(scope, None), _notes(scope), month_label)
    tables += attendance_tables(_attendance(scope, None))
    return _download(to_csv(tables), CSV_MIME, scope, "csv")


@blueprint.route("/export.xlsx")
def export_xlsx():
    """The same figures as an Excel workbook, one sheet per table."""
    scope = _scope()
    tables = statistics_tables(_statistics(scope, None), _notes(scope), month_label)
    tables += attendance_tables(_attendance(scope, None))
    return _download(to_xlsx(tables), XLSX_MIME, scope, "xlsx")


def _year_links(scope: StatsScope) -> list[tuple[str, str, bool]]:
    """Quick links to each year with activities (and all of them), other filters kept."""
    years = data_years(scope.include_internal)
    kept = {name: values for name, values in scope.to_args().items() if name not in ("from", "to")}
    filters = scope.filters
    links = []
    for label, first, last in [(str(year), year, year) for year in years] + [
        (_("全部年份"), years[0], years[-1])
    ]:
        period = {"from": date(first, 1, 1), "to": date(last, 12, 31)}
        links.append(
            (
                label,
                url_for("stats.overview", **kept, **{k: v.isoformat() for k, v in period.items()}),
                (filters.date_from, filters.date_to) == (period["from"], period["to"]),
            )
        )
    return links


def _download(body: bytes, content_type: str, scope: StatsScope, extension: str) -> Response:
    period = "_".join(
        value.isoformat() for value in (scope.filters.date_from, scope.filters.date_to) if value
    )
    filename = f"{_('活动统计')}_{period}.{extension}"
    fallback = f"activity-statistics_{period}.{extension}"
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(filename, fallback)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _notes(scope: StatsScope) -> list[tuple[str, str]]:
    """Period, filters and counting rules, for the top of an export."""
    filters = scope.filters
    period = " – ".join(
        value.isoformat() if value else "…" for value in (filters.date_from, filters.date_to)
    )
    notes = [(_("统计期间"), period)]
    notes.extend((label, "、".join(names)) for label, names in chosen_entries(filters))
    notes.append(
        (
            _("范围"),
            _("包括内部活动") if scope.include_internal else _("仅公开活动"),
        )
    )
    notes.extend((_("说明"), rule) for rule in counting_rules())
    for error in scope.errors:
        notes.append((_("已忽略的筛选条件"), error))
    return notes


def counting_rules() -> list[str]:
    """How the figures are counted, as shown on the page and in the exports."""
    return [
        _("已取消的活动不计入统计。"),
        _(
            "重复活动（如每周走访）按一项活动计，不按次数计；在其开始的月份计入（早于统计期间开始的计入第一个月）。"
        ),
        _(
            "重复活动中跳过或取消的那几次不计：统计期间内各次都被跳过、取消或改到期间之外的，该期间不计入这项活动。"
        ),
        str(labels.HEADCOUNT_RULE),
        str(labels.ORGANIZATIONS_RULE),
        _("参与人次、参与人数和服务时长只计已出席的人员参与记录（参赛队不计）。"),
        str(labels.AWARDS_RULE),
        _("一项活动涉及多个组织或地点时，在每个组织、地点下各计一次。"),
        _("日期按北京时间（Asia/Shanghai）计。"),
        _("已登录的协调员看到的统计包括内部活动；未登录时只统计公开活动。"),
    ]


def _charts(statistics: Statistics) -> dict:
    """The page's SVG charts, built from the same rows as its tables."""
    unit = _("项")
    months = statistics.by_month
    uncategorized = _("未分类")
    language = current_language()
    return {
        "months": month_chart("chart-months", _("每月活动数与人数"), months) if months else None,
        "categories": bar_chart(
            "chart-categories",
            _("各类别活动数"),
            [
                Bar(
                    row.label_in(language) or uncategorized,
                    row.figures.activities,
                    color=row.color,
                )
                for row in statistics.by_category
            ],
            unit=unit,
        )
        if statistics.by_category
        else None,
        "organizations": bar_chart(
            "chart-organizations",
            _("各组织参与的活动数"),
            [
                Bar(row.display_name, row.activities, tooltip=row.name)
                for row in statistics.by_organization
            ],
            unit=unit,
        )
        if statistics.by_organization
        else None,
        "locations": bar_chart(
            "chart-locations",
            _("各地点活动数"),
            [Bar(row.name, row.activities) for row in statistics.by_location],
            unit=unit,
        )
        if statistics.by_location
        else None,
        "campaigns": bar_chart(
            "chart-campaigns",
            _("各专项活动的活动数"),
            [
                Bar(row.label or _("不属于专项活动"), row.figures.activities, color="#e67e22")
                for row in statistics.by_campaign
            ],
            unit=unit,
        )
        if statistics.by_campaign
        else None,
    }
