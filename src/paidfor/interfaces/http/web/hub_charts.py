"""The funder hub's charts, drawn on the server with pygal as inline SVG (no script, no
outside request): weekly political spend, and spend by region. Each is shown with a data table
beside it (``web/templates``), so the page works without JavaScript and with a screen reader.
The routes are in ``web/hub.py``; the look every chart shares is ``web/charts.py``'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import pygal
from markupsafe import Markup
from pygal.style import Style

from paidfor.interfaces.http.web.charts import STYLE_OPTIONS, render_svg
from paidfor.library.hub_views import RegionLine, WeekPoint

CHART_REGIONS = 15
_STYLE = Style(
    **{
        **STYLE_OPTIONS,
        "colors": ("#1b5fbf", "#e8a33d"),
        "label_font_size": 12,
        "major_label_font_size": 12,
        "legend_font_size": 13,
        "value_font_size": 12,
        "tooltip_font_size": 12,
        "opacity": ".85",
    }
)


def weekly_series(points: Sequence[WeekPoint]) -> list[WeekPoint]:
    """Every week from the first to the last, weeks without spend as zero (a line over a gap
    would suggest spend that did not happen)."""
    if not points:
        return []
    known = {p.week: p for p in points}
    zero = Decimal("0.00")
    out, week = [], points[0].week
    while week <= points[-1].week:
        iso = week.isocalendar()
        out.append(known.get(week) or WeekPoint(week, f"{iso.year}-W{iso.week:02d}", 0, zero, zero))
        week += timedelta(days=7)
    return out


def weekly_chart(points: Sequence[WeekPoint], label: str) -> Markup | None:
    """Spend per ISO week as a line over time: ads in the library on the left axis, and (when
    there are any) platform spend reports on a right axis of their own, since a report's
    totals can dwarf the ads. One dot per week."""
    series = weekly_series(points)
    if not series:
        return None
    reported = [(p.week, float(p.reported_usd)) for p in series if p.reported_usd]
    day_format = "%d %b %Y" if len(series) <= 40 else "%b %Y"
    chart = pygal.DateLine(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=1100,
        height=340,
        show_legend=bool(reported),
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        dots_size=2.5 if len(series) <= 160 else 1.2,
        x_label_rotation=0,
        x_value_formatter=lambda d: d.strftime(day_format),
        value_formatter=lambda v: f"${v:,.0f}",
        truncate_label=-1,
        truncate_legend=-1,
        show_x_guides=False,
        include_x_axis=True,
        margin=12,
        margin_right=40,  # room for the last date label
    )
    chart.add(
        "Spend on ads in the library (USD, left)", [(p.week, float(p.spend_usd)) for p in series]
    )
    step = max(1, math.ceil(len(series) / 8))
    chart.x_labels = [p.week for p in series[::step]]
    chart.y_labels = _ticks(max(float(p.spend_usd) for p in series))
    if reported:
        chart.add("Spend in platform reports (USD, right)", reported, secondary=True)
    return render_svg(chart, label)


def _ticks(most: float, count: int = 4) -> list[float]:
    """About ``count`` round steps from 0 past ``most`` (pygal's own are too many to read)."""
    if most <= 0:
        return [0.0]
    raw = most / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(most / step) + 1)]


def region_chart(regions: Sequence[RegionLine], label: str) -> Markup | None:
    """The regions with the most spend, as horizontal bars."""
    top = list(regions[:CHART_REGIONS])
    if not top:
        return None
    chart = pygal.HorizontalBar(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=560,
        height=70 + 24 * len(top),
        show_legend=False,
        value_formatter=lambda v: f"${v:,.0f}",
        print_values=False,
        margin=12,
    )
    chart.x_labels = [r.region for r in reversed(top)]
    chart.y_labels = _ticks(float(top[0].spend_usd))
    chart.add("Spend (USD)", [float(r.spend_usd) for r in reversed(top)])
    return render_svg(chart, label)


# -- routes ----------------------------------------------------------------------------------
