"""The investigator's workspace in the browser, beside the case pages (``case_pages``):

===============================================  ==============================================
page                                             what
===============================================  ==============================================
``/staff/networks``                              the latest detection run and its networks; a
                                                 CSRF-protected button runs detection again (in
                                                 the background, audited)
``/staff/networks/{run}/{n}``                    one network: members with their findings, the
                                                 links and their evidence, the ties declared
                                                 relationships explain; open it as a case
``/staff/entities/{advertiser|page}/{id}``       one account or page: risk and findings scored
                                                 now, cases, verdicts, declared relationships
``/staff/exchange``                              the exchange's privacy groups and indicators
``/staff/disclosures``                           disclosure requests (as ``/api/disclosures``)
``/staff/audit``                                 the audit log, newest first, and whether its
                                                 hash chain verifies
===============================================  ==============================================

All are private to investigators (an admin passes too) and answer ``no-store``; every page
carries the staff navigation (``base.html``). They call the same services as the CLI and the
JSON API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paidfor.auth.roles import Principal, Role
from paidfor.disclosure.service import DisclosureService, Who
from paidfor.errors import NotFound, PaidforError
from paidfor.exchange.service import ExchangeService
from paidfor.integrity.cases import CaseService
from paidfor.integrity.detection import DetectionRunner
from paidfor.integrity.model import EntityKey, network_from_json
from paidfor.integrity.service import IntegrityService
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.auth import add_staff_link
from paidfor.interfaces.http.deps import csrf_token, require
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.refusal_pages import flash_back, staff_page
from paidfor.services import AuditLog

Investigator = Annotated[Principal, Depends(require(Role.INVESTIGATOR))]
AUDIT_SHOWN = 200
INDICATORS_SHOWN = 100


def install_workspace_pages(
    app: FastAPI,
    templates: Jinja2Templates,
    *,
    runner: DetectionRunner,
    cases: CaseService,
    integrity: IntegrityService,
    exchange: ExchangeService,
    disclosures: DisclosureService,
    audit_log: AuditLog,
) -> None:
    router = APIRouter(include_in_schema=False, dependencies=[shown_on(staff_page(templates))])

    def page(request: Request, name: str, who: Principal, **context: Any) -> Response:
        status = context.pop("status_code", 200)
        context.update(who=who, nav="staff", csrf=csrf_token(request))
        return templates.TemplateResponse(request, name, context, status_code=status)

    @router.get("/staff/networks", response_class=HTMLResponse)
    def networks(request: Request, who: Investigator) -> Response:
        latest = runner.runs.latest()
        shown = latest if latest is not None and latest.status == "done" else None
        shown = shown or runner.runs.latest_done()
        return page(
            request,
            "staff_networks.html",
            who,
            latest=latest,
            run=shown,
            marks=integrity.latest_marks(),
            precision=cases.precision(),
        )

    @router.post("/staff/networks/run")
    def run(who: Investigator) -> Response:
        run_id = runner.start(who.actor)
        return RedirectResponse(f"/staff/networks?started={run_id}", 303)

    @router.get("/staff/networks/{run_id}/{index}", response_class=HTMLResponse)
    def network(request: Request, run_id: RowId, index: int, who: Investigator) -> Response:
        found = runner.runs.get(run_id)
        nets = found.networks if found is not None else []
        if not 0 <= index < len(nets):
            return page(request, "staff_network.html", who, net=None, run_id=run_id,
                        index=index, status_code=404)  # fmt: skip
        return page(
            request,
            "staff_network.html",
            who,
            net=nets[index],
            run=found,
            run_id=run_id,
            index=index,
            marks=integrity.latest_marks(),
        )

    @router.post("/staff/networks/{run_id}/{index}/case")
    def open_case(request: Request, run_id: RowId, index: int, who: Investigator) -> Response:
        found = runner.runs.get(run_id)
        nets = found.networks if found is not None else []
        if not 0 <= index < len(nets):
            return RedirectResponse(f"/staff/networks/{run_id}/{index}", 303)
        case_id = cases.open_case(network_from_json(nets[index]), who.actor)
        return flash_back(request, f"/staff/cases/{case_id}", done="Case opened.")

    def no_such_entity(request: Request, refusal: PaidforError) -> Response:
        """The entity page of an account or page there is not."""
        who = request.state.principal
        if not isinstance(refusal, NotFound):
            return staff_page(templates)(request, refusal)
        asked = "{kind} {entity_id}".format(**request.path_params)
        return page(request, "staff_entity.html", who, report=None, asked=asked,
                    status_code=refusal.http_status)  # fmt: skip

    @router.get(
        "/staff/entities/{kind}/{entity_id}",
        response_class=HTMLResponse,
        dependencies=[shown_on(no_such_entity)],
    )
    def entity(request: Request, kind: str, entity_id: RowId, who: Investigator) -> Response:
        if kind not in ("advertiser", "page"):
            raise NotFound(f"no {kind} {entity_id}")
        report = integrity.entity(EntityKey(kind, entity_id))
        return page(request, "staff_entity.html", who, report=report)

    @router.get("/staff/exchange", response_class=HTMLResponse)
    def exchange_page(request: Request, who: Investigator) -> Response:
        member = exchange.staff(who.actor)
        groups = exchange.groups(member)
        shown = {g.name: exchange.indicators(member, g.name)[:INDICATORS_SHOWN] for g in groups}
        return page(request, "staff_exchange.html", who, groups=groups, indicators=shown)

    @router.get("/staff/disclosures", response_class=HTMLResponse)
    def disclosures_page(request: Request, who: Investigator) -> Response:
        found = disclosures.visible(Who.of(who))
        return page(request, "staff_disclosures.html", who, requests=found)

    @router.get("/staff/audit", response_class=HTMLResponse)
    def audit(request: Request, who: Investigator) -> Response:
        prefix = (request.query_params.get("action") or "").strip()[:60] or None
        events = audit_log.events(limit=AUDIT_SHOWN, action_prefix=prefix)
        return page(
            request,
            "staff_audit.html",
            who,
            events=events,
            total=audit_log.count(),
            chain=audit_log.check(),
            action=prefix or "",
        )

    app.include_router(router)
    add_staff_link(app, "/staff/networks", "Networks: run detection, read its findings",
                   Role.INVESTIGATOR)  # fmt: skip
    add_staff_link(app, "/staff/exchange", "Exchange: shared threat indicators", Role.INVESTIGATOR)
    add_staff_link(app, "/staff/disclosures", "Disclosures to investigators", Role.INVESTIGATOR)
    add_staff_link(app, "/staff/audit", "Audit log", Role.INVESTIGATOR)
