"""The FastAPI application: the public ad list (the full library is a later issue) and a
JSON view of the same service results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

import paidfor
from paidfor.library.views import PublicAd
from paidfor.settings import get_settings
from paidfor.storage.db import make_engine
from paidfor.storage.repo import AdRepository

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
PAGE_SIZE = 25


def create_app(database_url: str | None = None) -> FastAPI:
    engine = make_engine(database_url or get_settings().database_url)
    repo = AdRepository(engine)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app = FastAPI(title="paidfor", version=paidfor.__version__)

    def listing(q: str, page: int) -> dict[str, Any]:
        offset = (page - 1) * PAGE_SIZE
        if q.strip():
            ads = repo.search(q, limit=PAGE_SIZE, offset=offset)
            total = repo.count_search(q)
        else:
            ads = repo.latest(limit=PAGE_SIZE, offset=offset)
            total = repo.stats().ads
        return {
            "q": q,
            "page": page,
            "total": total,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "ads": [PublicAd.of(a) for a in ads],
        }

    @app.get("/", response_class=HTMLResponse, summary="The ads, newest first, with search")
    def index(
        request: Request,
        q: Annotated[str, Query(max_length=100)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> HTMLResponse:
        ctx = listing(q, page)
        return templates.TemplateResponse(request, "index.html", ctx)

    @app.get("/api/ads", summary="The same listing as JSON")
    def api_ads(
        q: Annotated[str, Query(max_length=100)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> dict[str, Any]:
        ctx = listing(q, page)
        ctx["ads"] = [a.as_json() for a in ctx["ads"]]
        return ctx

    @app.get("/ads/{ad_id}", response_class=HTMLResponse, summary="One ad")
    def ad_page(request: Request, ad_id: int) -> HTMLResponse:
        ad = repo.get(ad_id)
        if ad is None:
            raise HTTPException(404, "no such ad")
        return templates.TemplateResponse(request, "ad.html", {"ad": PublicAd.of(ad)})

    @app.get("/api/stats", summary="Totals for the whole library")
    def api_stats() -> dict[str, Any]:
        return repo.stats().as_json()

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
