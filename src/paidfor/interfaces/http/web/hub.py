"""Routes of the advertiser (page) view and the funder hub, as HTML and as JSON twins.

``make_router(engine, templates)`` returns an ``APIRouter``; the application includes it.
Charts are drawn on the server with pygal as inline SVG (no script, no outside request), each
with a data table beside it, so the pages work without JavaScript and with a screen reader.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import pygal
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pygal.style import Style

from paidfor.errors import NotFound, PaidforError
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.charts import STYLE_OPTIONS, render_svg
from paidfor.interfaces.http.web.refusal_pages import public_page
from paidfor.library.hub import HubService
from paidfor.library.hub_views import TOP_FUNDERS, FundersHub, RegionLine, WeekPoint

# Query parameters, at module level: the annotations are strings FastAPI resolves here.
Window = Literal["7", "30", "90", "all"]
Country = Annotated[
    str, Query(pattern=r"^([A-Za-z]{2})?$", description="ISO country code the ads reached")
]
ElectionId = Annotated[
    str, Query(pattern=r"^\d{0,12}$", description="an election's id (see `elections`)")
]
Limit = Annotated[int, Query(ge=1, le=500, description="how many funders to list")]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
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


# -- formatting for the templates ------------------------------------------------------------


def money(amount: Decimal | None, currency: str = "USD") -> str:
    if amount is None:
        return "—"
    return f"${amount:,.2f}" if currency == "USD" else f"{currency} {amount:,.2f}"


def amounts(by_currency: dict[str, Decimal]) -> str:
    """``{"USD": 5, "EUR": 2}`` as ``$5.00 · EUR 2.00``; a dash when there is nothing."""
    parts = [money(v, cur) for cur, v in sorted(by_currency.items(), key=lambda i: i[0] != "USD")]
    return " · ".join(parts) or "—"


def num(value: int) -> str:
    return f"{value:,}"


# The hub pages' own styles (base.html has no head block; one copy here, not one per template).
HUB_CSS = Markup(
    """<style>
  .hub h1 { font-size:26px; margin:2px 0 4px; }
  .hub .crumbs { font-size:13px; color:var(--muted); margin:0; }
  .hub .crumbs a, .hub a { color:var(--accent); }
  .hub .sub { color:var(--muted); margin:0 0 4px; }
  .hub .stats { display:grid; grid-template-columns:repeat(auto-fit, minmax(180px, 1fr));
    gap:12px; margin:16px 0 20px; padding:0; list-style:none; }
  .hub .stat { background:#fff; border:1px solid var(--line); border-radius:8px;
    padding:12px 14px; }
  .hub .stat .label { display:block; font-size:12px; color:var(--muted); text-transform:uppercase;
    letter-spacing:.03em; }
  .hub .stat .value { display:block; font-size:22px; font-weight:650;
    font-variant-numeric:tabular-nums; overflow-wrap:anywhere; }
  .hub .stat .value.none { font-size:16px; font-weight:500; color:var(--muted); }
  .hub .card .badges { align-self:flex-start; }
  .hub .stat .note { display:block; font-size:12px; color:var(--muted); }
  .hub section.panel { background:#fff; border:1px solid var(--line); border-radius:8px;
    padding:16px 18px; margin:0 0 20px; }
  .hub section.panel > h2 { font-size:18px; margin:0 0 4px; }
  .hub .hint { color:var(--muted); font-size:13px; margin:0 0 12px; }
  .hub table.figures { width:100%; border-collapse:collapse; font-size:14px; }
  .hub table.figures caption { text-align:left; color:var(--muted); font-size:13px;
    padding-bottom:6px; }
  .hub table.figures th, .hub table.figures td { padding:7px 8px;
    border-bottom:1px solid var(--line);
    text-align:left; vertical-align:top; }
  .hub table.figures thead th { font-size:12px; color:var(--muted); font-weight:600;
    text-transform:uppercase; letter-spacing:.03em; }
  .hub table.figures .n { text-align:right; font-variant-numeric:tabular-nums;
    white-space:nowrap; }
  .hub table.figures tbody tr:hover { background:#f7f8fa; }
  .hub tr.nodisclaimer td, .hub tr.nodisclaimer th { background:#fdecea; }
  .hub .badge { display:inline-block; font-size:11px; font-weight:600; border-radius:4px;
    padding:1px 6px; margin-left:6px; background:#e7f0fd; color:var(--accent);
    vertical-align:middle; }
  .hub .badge.warn { background:#fdecea; color:var(--bad); }
  .hub form.filters { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-end;
    background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 16px;
    margin:16px 0 0; }
  .hub form.filters label { display:flex; flex-direction:column; font-size:12px;
    color:var(--muted);
    gap:4px; font-weight:600; }
  .hub form.filters select, .hub form.filters input { padding:7px 9px;
    border:1px solid var(--line);
    border-radius:6px; font-size:14px; background:#fff; color:var(--ink); }
  .hub form.filters input { width:7em; text-transform:uppercase; }
  .hub form.filters input::placeholder { text-transform:none; }
  .hub form.filters select { width:auto; max-width:22em; }
  .hub form.filters button { padding:8px 18px; border:0; border-radius:20px;
    background:var(--accent);
    color:#fff; font-weight:600; cursor:pointer; }
  .hub figure.chart { margin:8px 0 0; }
  .hub figure.chart svg { width:100%; height:auto; display:block; }
  .hub details.data { margin-top:8px; }
  .hub details.data summary { cursor:pointer; color:var(--accent); font-size:13px; }
  .hub details.data .scroll { max-height:320px; overflow:auto; }
  .hub .two { display:grid; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr));
    gap:20px; }
  .hub .empty { color:var(--muted); font-style:italic; }
  .hub .missing { background:#fff; border:1px solid var(--line); border-radius:8px; padding:32px;
    text-align:center; }
  .hub .grid { margin-top:8px; }
  .hub dl.facts { grid-template-columns:200px 1fr; margin:0; border:0; padding:0; }
  .hub nav.pager a { color:var(--accent); }
</style>"""
)

FORMATTERS: dict[str, Any] = {"money": money, "amounts": amounts, "num": num, "hub_css": HUB_CSS}


# -- charts ----------------------------------------------------------------------------------


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


def make_hub_router(service: HubService, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(tags=["library: pages and funders"])

    def render(
        request: Request, name: str, ctx: dict[str, Any], status_code: int = 200
    ) -> HTMLResponse:
        nav = "funders" if name.startswith("funder") else None
        return templates.TemplateResponse(
            request, name, {**FORMATTERS, "nav": nav, **ctx}, status_code=status_code
        )

    def hub(window: Window, country: str, election: str, limit: int) -> FundersHub:
        result = service.funders_hub(
            window=window,
            country=country or None,
            election_id=int(election) if election else None,
            limit=limit,
        )
        if result is None:
            raise NotFound("no such election")
        return result

    on_page = shown_on(public_page(templates))

    def no_such_election(request: Request, refusal: PaidforError) -> Response:
        """The funder hub's page without an election it was asked for (and the elections
        there are to choose from)."""
        if not isinstance(refusal, NotFound):
            return public_page(templates)(request, refusal)
        ctx = {"hub": None, "elections": service.elections(), "missing": "election"}
        return render(request, "funders.html", ctx, refusal.http_status)

    @router.get(
        "/pages/{page_id}",
        response_class=HTMLResponse,
        summary="An advertiser's page: its ads running now, past political ads, funders",
        dependencies=[on_page],
    )
    def page_html(
        request: Request, page_id: RowId, page: PageNo = 1, running: PageNo = 1
    ) -> HTMLResponse:
        view = service.page_view(page_id, past_page=page, running_page=running)
        if view is None:
            return render(request, "page.html", {"view": None, "page_id": page_id}, 404)
        return render(request, "page.html", {"view": view})

    @router.get(
        "/api/pages/{page_id}",
        response_model=dict[str, Any],
        summary="An advertiser's page as JSON (the same result as /pages/{id})",
    )
    def page_json(page_id: RowId, page: PageNo = 1, running: PageNo = 1) -> Any:
        view = service.page_view(page_id, past_page=page, running_page=running)
        if view is None:
            raise NotFound("no such page")
        return view.as_json()

    @router.get(
        "/funders",
        response_class=HTMLResponse,
        summary="The funder hub: political ad spend by funder, week, region, country, election",
        dependencies=[shown_on(no_such_election)],
    )
    def funders_html(
        request: Request,
        window: Window = "all",
        country: Country = "",
        election: ElectionId = "",
        limit: Limit = TOP_FUNDERS,
    ) -> HTMLResponse:
        result = hub(window, country, election, limit)
        return render(
            request,
            "funders.html",
            {
                "hub": result,
                "elections": service.elections(),
                "weekly_svg": weekly_chart(result.weekly, "Political ad spend by week, USD"),
                "weekly_full": weekly_series(result.weekly),
                "region_svg": region_chart(result.regions, "Political ad spend by region, USD"),
                "limit": limit,
            },
        )

    @router.get(
        "/api/funders",
        response_model=dict[str, Any],
        summary="The funder hub as JSON (the same result as /funders)",
    )
    def funders_json(
        window: Window = "all",
        country: Country = "",
        election: ElectionId = "",
        limit: Limit = TOP_FUNDERS,
    ) -> Any:
        return hub(window, country, election, limit).as_json()

    @router.get(
        "/funders/{funder_id}",
        response_class=HTMLResponse,
        summary="One funder: the pages and ads it paid for, and its totals",
        dependencies=[on_page],
    )
    def funder_html(request: Request, funder_id: RowId, page: PageNo = 1) -> HTMLResponse:
        view = service.funder_view(funder_id, page=page)
        if view is None:
            return render(request, "funder.html", {"view": None, "funder_id": funder_id}, 404)
        svg = weekly_chart(view.weekly, f"Spend by week on ads paid for by {view.funder.name}")
        return render(
            request,
            "funder.html",
            {"view": view, "weekly_svg": svg, "weekly_full": weekly_series(view.weekly)},
        )

    @router.get(
        "/api/funders/{funder_id}",
        response_model=dict[str, Any],
        summary="One funder as JSON (the same result as /funders/{id})",
    )
    def funder_json(funder_id: RowId, page: PageNo = 1) -> Any:
        view = service.funder_view(funder_id, page=page)
        if view is None:
            raise NotFound("no such funder")
        return view.as_json()

    return router
