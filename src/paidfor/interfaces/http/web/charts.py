"""An ad's audience charts, drawn server-side with pygal as inline SVG: they need no
JavaScript (pygal's own script is stripped out), and every bar prints its value.

Each chart comes with the same numbers as a table (``ChartData.rows``), which the page puts
under the chart for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

# The look every chart shares; a page may override a few options (``Style(**{**STYLE_OPTIONS,
# ...})``), never restate them.
STYLE_OPTIONS: dict[str, Any] = dict(
    background="transparent",
    plot_background="transparent",
    foreground="#1c1e21",
    foreground_strong="#1c1e21",
    foreground_subtle="#dadde1",
    colors=("#1b5fbf", "#c2410c", "#6b7280", "#0f766e"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=13,
    legend_font_size=14,
    title_font_size=15,
    opacity=".9",
    opacity_hover=".9",
    guide_stroke_color="#e4e6ea",
    major_guide_stroke_color="#c9ccd1",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
)
STYLE = Style(**STYLE_OPTIONS)
GENDER_ORDER = ("female", "male", "unknown")
TOP_REGIONS = 15


def percent(share: float) -> str:
    """A share (0..1) as the charts and tables print it: ``37.5%``, ``0.2%``, ``<0.1%``."""
    value = share * 100
    if 0 < value < 0.1:
        return "<0.1%"
    return f"{value:.1f}%"


@dataclass(frozen=True)
class ChartData:
    svg: Markup
    columns: list[str]
    rows: list[list[str]]


def _strip_scripts(label: str) -> Any:
    def xml_filter(root: Any) -> Any:
        for parent in list(root.iter()):
            for child in list(parent):
                if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                    parent.remove(child)
        root.set("role", "img")
        root.set("aria-label", label)
        return root

    return xml_filter


def render_svg(chart: Any, label: str) -> Markup:
    """A pygal chart as inline SVG: no script (the pages need no JavaScript), an image role
    and ``label`` for screen readers."""
    chart.add_xml_filter(_strip_scripts(label))
    return Markup(chart.render(is_unicode=True))  # pygal escapes the data


def _config(**kw: Any) -> dict[str, Any]:
    return {
        "js": [],
        "disable_xml_declaration": True,
        "style": STYLE,
        "print_values": True,
        "print_values_position": "top",
        "value_formatter": lambda v: percent(v / 100),
        "truncate_label": -1,
        "margin": 12,
        **kw,
    }


def _age_key(age: str) -> tuple[int, str]:
    digits = "".join(ch if ch.isdigit() else " " for ch in age).split()
    return (int(digits[0]) if digits else 10**6, age)


def _gender_key(gender: str) -> tuple[int, str]:
    g = gender.lower()
    return (GENDER_ORDER.index(g) if g in GENDER_ORDER else len(GENDER_ORDER), g)


def demographic_chart(items: Sequence[dict[str, Any]]) -> ChartData | None:
    """Age groups on the x axis, a bar per gender: the share of the ad's impressions."""
    if not items:
        return None
    shares: dict[tuple[str, str], float] = {}
    for item in items:
        key = (str(item["age"]), str(item["gender"]))
        shares[key] = shares.get(key, 0.0) + float(item["percentage"])
    ages = sorted({a for a, _ in shares}, key=_age_key)
    genders = sorted({g for _, g in shares}, key=_gender_key)
    chart = pygal.Bar(
        **_config(
            width=640,
            height=360,
            legend_at_bottom=True,
            legend_at_bottom_columns=3,
            y_title="share of impressions",
            x_title="age",
        )
    )
    chart.x_labels = ages
    for gender in genders:
        chart.add(gender, [_pct(shares.get((age, gender))) for age in ages])
    rows = [[age, *(percent(shares.get((age, g), 0.0)) for g in genders)] for age in ages]
    svg = render_svg(chart, "Share of impressions by age and gender")
    return ChartData(svg, ["Age", *genders], rows)


def regions_chart(items: Sequence[dict[str, Any]]) -> ChartData | None:
    """The regions the ad reached, largest share first (the first ``TOP_REGIONS``; the rest
    add up to one "other regions" bar)."""
    if not items:
        return None
    shares: dict[str, float] = {}
    for item in items:
        region = str(item["region"])
        shares[region] = shares.get(region, 0.0) + float(item["percentage"])
    ranked = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ranked[:TOP_REGIONS]
    rest = ranked[TOP_REGIONS:]
    if rest:
        shown.append((f"{len(rest)} other regions", sum(v for _, v in rest)))
    # HorizontalBar draws its first label at the bottom: reverse so the largest is on top.
    drawn = list(reversed(shown))
    chart = pygal.HorizontalBar(
        **_config(
            width=640,
            height=40 + 32 * len(drawn),
            show_legend=False,
            show_x_labels=False,
            show_x_guides=False,
        )
    )
    chart.x_labels = [name for name, _ in drawn]
    chart.add("share of impressions", [_pct(v) for _, v in drawn])
    rows = [[name, percent(v)] for name, v in ranked]
    return ChartData(render_svg(chart, "Share of impressions by region"), ["Region", "Share"], rows)


def _pct(share: float | None) -> float | None:
    return round(share * 100, 4) if share is not None else None
