"""Routes of the advertiser (page) view and the funder hub, as HTML and as JSON twins.

``make_hub_router(service, templates)`` returns an ``APIRouter``; the application includes
it. The charts are ``web/hub_charts.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from paidfor.errors import NotFound, PaidforError
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.hub_charts import region_chart, weekly_chart, weekly_series
from paidfor.interfaces.http.web.refusal_pages import public_page
from paidfor.library.hub import HubService
from paidfor.library.hub_exports import columns as hub_columns
from paidfor.library.hub_exports import hub_rows, to_csv, to_parquet
from paidfor.library.hub_views import TOP_FUNDERS, FundersHub, FunderView, PageView

# Query parameters, at module level: the annotations are strings FastAPI resolves here.
HubTable = Literal["funders", "weeks", "regions", "countries", "elections"]
Window = Literal["7", "30", "90", "all"]
Country = Annotated[
    str, Query(pattern=r"^([A-Za-z]{2})?$", description="ISO country code the ads reached")
]
ElectionId = Annotated[
    str, Query(pattern=r"^\d{0,12}$", description="an election's id (see `elections`)")
]
Limit = Annotated[int, Query(ge=1, le=500, description="how many funders to list")]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


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


def make_hub_router(
    service: HubService,
    templates: Jinja2Templates,
    labels: Callable[[Sequence[int]], Mapping[int, Any]] | None = None,
) -> APIRouter:
    """``labels``: the labels of the ads of a list that carry one (Regulation (EU) 2024/900,
    art. 11; ``review.transparency.TransparencyService.labels``), asked once a page."""
    router = APIRouter(tags=["library: pages and funders"])

    def labelled(ads: Iterable[Any]) -> Mapping[int, Any]:
        return labels([ad.id for ad in ads]) if labels else {}

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
        shown = labelled([*view.running, *view.past])
        return render(request, "page.html", {"view": view, "labels": shown})

    @router.get(
        "/api/pages/{page_id}",
        response_model=None,
        responses=ok(PageView),
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
        response_model=None,
        responses=ok(FundersHub),
        summary="The funder hub as JSON (the same result as /funders)",
    )
    def funders_json(
        window: Window = "all",
        country: Country = "",
        election: ElectionId = "",
        limit: Limit = TOP_FUNDERS,
    ) -> Any:
        return hub(window, country, election, limit).as_json()

    def funders_file(
        fmt: str, table: HubTable, window: Window, country: str, election: str, limit: int
    ) -> Response:
        rows = hub_rows(hub(window, country, election, limit), table)
        names = hub_columns(table)
        name = f"paidfor-funders-{table}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"',
                   "X-Result-Count": str(len(rows))}  # fmt: skip
        if fmt == "csv":
            return Response(to_csv(rows, names), media_type="text/csv; charset=utf-8",
                            headers=headers)  # fmt: skip
        return Response(to_parquet(rows, names), media_type="application/vnd.apache.parquet",
                        headers=headers)  # fmt: skip

    def downloader(fmt: str) -> Any:
        def download(
            table: HubTable = "funders",
            window: Window = "all",
            country: Country = "",
            election: ElectionId = "",
            limit: Limit = TOP_FUNDERS,
        ) -> Response:
            return funders_file(fmt, table, window, country, election, limit)

        return download

    for fmt, media in (("csv", "text/csv"), ("parquet", "application/vnd.apache.parquet")):
        router.add_api_route(
            f"/funders.{fmt}",
            downloader(fmt),
            methods=["GET"],
            name=f"funders_{fmt}",
            summary=f"One of the funder hub's tables as {fmt.upper()} (table=funders, weeks, "
            "regions, countries or elections)",
            response_class=Response,
            responses={200: {"content": {media: {}}}},
        )

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
            {
                "view": view,
                "weekly_svg": svg,
                "weekly_full": weekly_series(view.weekly),
                "labels": labelled(view.ads),
            },
        )

    @router.get(
        "/api/funders/{funder_id}",
        response_model=None,
        responses=ok(FunderView),
        summary="One funder as JSON (the same result as /funders/{id})",
    )
    def funder_json(funder_id: RowId, page: PageNo = 1) -> Any:
        view = service.funder_view(funder_id, page=page)
        if view is None:
            raise NotFound("no such funder")
        return view.as_json()

    return router
