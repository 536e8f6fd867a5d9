"""Small SVG charts rendered on the server: no script, no library, no network.

Each chart is an inline `<svg role="img">` with a `<title>` and a `<desc>` for screen
readers, a `<title>` on every bar or point for a tooltip, and presentation attributes
only, so it draws the same on a page, in print and without the stylesheet. The numbers
always sit in a table beside the chart as well.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from flask_babel import gettext as _
from markupsafe import Markup, escape

from tracker.i18n import month_label
from tracker.stats.queries import GroupRow

DEFAULT_COLOR = "#3b6ea5"
INK = "#1f2933"
MUTED = "#637381"
GRID = "#d9e0e7"
FONT = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
FONT_SIZE = 13


@dataclass(frozen=True)
class Bar:
    """One bar or point: its label, its value, the text shown for it and its colour."""

    label: str
    # None: unknown (a line leaves a gap there, as the table shows "—").
    value: Optional[float]
    text: Optional[str] = None
    color: Optional[str] = None
    tooltip: Optional[str] = None

    @property
    def shown(self) -> str:
        return self.text if self.text is not None else _number(self.value)


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Approximate rendered width: wide (CJK) characters one em, others about half."""
    return sum(size if unicodedata.east_asian_width(char) in "WF" else size * 0.58 for char in text)


def truncate(text: str, width: float, size: float = FONT_SIZE) -> str:
    """The text cut to fit `width`, with an ellipsis when cut."""
    if text_width(text, size) <= width:
        return text
    kept = ""
    for char in text:
        if text_width(kept + char + "…", size) > width:
            break
        kept += char
    return kept + "…"


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round axis maximum at or above `value`, and its tick step (1, 2 or 5 × 10ⁿ)."""
    if value <= 0:
        return 1, 1
    raw_step = value / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step >= raw_step:
            break
    if step < 1:
        step = 1
    return math.ceil(value / step) * step, step


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _open_svg(chart_id: str, width: float, height: float, title: str, description: str) -> list:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{FONT}" font-size="{FONT_SIZE}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _describe(bars: Sequence[Bar], unit: str) -> str:
    return "；".join(f"{bar.label}：{bar.shown}{unit}" for bar in bars)


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    unit: str = "",
    width: int = 560,
    label_width: int = 150,
) -> Markup:
    """Horizontal bars, one per row, labels on the left and values after the bars."""
    row_height, top, bottom = 26, 6, 6
    value_room = 56
    height = top + bottom + row_height * max(len(bars), 1)
    plot_width = width - label_width - value_room
    maximum = max((bar.value for bar in bars), default=0) or 1
    parts = _open_svg(chart_id, width, height, title, _describe(bars, unit))
    for index, bar in enumerate(bars):
        y = top + index * row_height
        bar_length = plot_width * bar.value / maximum
        middle = y + row_height / 2
        parts.append("<g>")
        parts.append(
            f"<title>{escape(bar.tooltip or bar.label)}：{escape(bar.shown)}{escape(unit)}</title>"
        )
        parts.append(
            f'<text x="{label_width - 8}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="central" fill="{INK}">'
            f"{escape(truncate(bar.label, label_width - 12))}</text>"
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{max(bar_length, 0.5):.1f}" '
            f'height="{row_height - 8}" rx="2" fill="{escape(bar.color or DEFAULT_COLOR)}"/>'
        )
        parts.append(
            f'<text x="{label_width + bar_length + 6:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="central" fill="{INK}">{escape(bar.shown)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in parts is escaped


def column_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    unit: str = "",
    line: Optional[Sequence[Bar]] = None,
    line_title: str = "",
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Columns over time (one per month) on a round-numbered axis.

    `line`, when given, is a second series drawn as a line with its own right-hand axis,
    e.g. the headcount beside the number of activities.
    """
    left, right, top, bottom = 40, 44 if line else 12, 20, 34
    plot_width = width - left - right
    plot_height = height - top - bottom
    count = max(len(bars), 1)
    slot = plot_width / count
    axis_max, step = nice_ceiling(max((bar.value for bar in bars), default=0))
    description = _describe(bars, unit)
    if line:
        description += "。" + line_title + "：" + _describe(line, "")
    parts = _open_svg(chart_id, width, height, title, description)

    def y_of(value: float, maximum: float) -> float:
        return top + plot_height - plot_height * value / maximum

    tick = 0.0
    while tick <= axis_max + 1e-9:
        y = y_of(tick, axis_max)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_width}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="central" '
            f'fill="{MUTED}" font-size="11">{_number(tick)}</text>'
        )
        tick += step
    label_every = max(1, math.ceil(count / max(plot_width / 42, 1)))
    for index, bar in enumerate(bars):
        x = left + index * slot
        y = y_of(bar.value, axis_max)
        column_width = max(slot * 0.64, 1)
        parts.append("<g>")
        parts.append(
            f"<title>{escape(bar.tooltip or bar.label)}：{escape(bar.shown)}{escape(unit)}</title>"
        )
        parts.append(
            f'<rect x="{x + (slot - column_width) / 2:.1f}" y="{y:.1f}" '
            f'width="{column_width:.1f}" height="{top + plot_height - y:.1f}" '
            f'fill="{escape(bar.color or DEFAULT_COLOR)}"/>'
        )
        if bar.value and count <= 24:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'fill="{INK}" font-size="11">{escape(bar.shown)}</text>'
            )
        parts.append("</g>")
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{top + plot_height + 16}" '
                f'text-anchor="middle" fill="{MUTED}" font-size="11">{escape(bar.label)}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_width}" y1="{top + plot_height}" '
        f'y2="{top + plot_height}" stroke="{MUTED}" stroke-width="1"/>'
    )
    if line:
        parts.extend(_line_series(line, line_title, left, top, slot, plot_width, plot_height))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in parts is escaped


def _line_series(
    points: Sequence[Bar],
    line_title: str,
    left: float,
    top: float,
    slot: float,
    plot_width: float,
    plot_height: float,
) -> list[str]:
    """A second series as a dashed line with dots, scaled on a right-hand axis."""
    color = "#b3261e"
    known = [point.value for point in points if point.value is not None]
    axis_max, step = nice_ceiling(max(known, default=0))
    right_x = left + plot_width

    def y_of(value: float) -> float:
        return top + plot_height - plot_height * value / axis_max

    parts = []
    tick = 0.0
    while tick <= axis_max + 1e-9:
        parts.append(
            f'<text x="{right_x + 6}" y="{y_of(tick):.1f}" dominant-baseline="central" '
            f'fill="{color}" font-size="11">{_number(tick)}</text>'
        )
        tick += step
    # Unknown values are gaps: the line is drawn in runs of known ones, never through zero.
    coordinates = [
        None if point.value is None else (left + index * slot + slot / 2, y_of(point.value))
        for index, point in enumerate(points)
    ]
    runs: list[list[tuple[float, float]]] = [[]]
    for coordinate in coordinates:
        if coordinate is None:
            runs.append([])
        else:
            runs[-1].append(coordinate)
    for run in runs:
        if len(run) < 2:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" '
            f'stroke-dasharray="5 3"><title>{escape(line_title)}</title></polyline>'
        )
    for coordinate, point in zip(coordinates, points, strict=True):
        if coordinate is None:
            continue
        x, y = coordinate
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
            f"<title>{escape(point.tooltip or point.label)} {escape(line_title)}："
            f"{escape(point.shown)}</title></circle>"
        )
    return parts


# --- charts of figures per month -------------------------------------------------------


def month_chart(chart_id: str, title: str, months: list[GroupRow]) -> Markup:
    """Columns of activities per month with the headcount as a line (months in one year
    are labelled by month alone)."""
    same_year = len({row.label[:4] for row in months}) == 1
    return column_chart(
        chart_id,
        title,
        [_month_bar(row, same_year, row.figures.activities) for row in months],
        unit=_("项"),
        line=[_headcount_point(row) for row in months],
        line_title=_("人数"),
    )


def organization_activity_chart(
    rows: list[GroupRow], chart_id: str = "organization-months"
) -> Markup:
    """The organisation page's activities per month (the last three years at most)."""
    return month_chart(chart_id, _("每月活动数"), rows[-36:])


def _month_bar(row: GroupRow, same_year: bool, value: float) -> Bar:
    return Bar(
        label=month_label(row.label, short=same_year) if same_year else row.label,
        value=value,
        tooltip=month_label(row.label),
    )


def _headcount_point(row: GroupRow) -> Bar:
    count = row.figures.headcount
    return Bar(
        label=row.label,
        value=count.value if count else None,
        text=str(count) if count else "—",
        tooltip=month_label(row.label),
    )
