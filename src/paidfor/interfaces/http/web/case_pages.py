"""The investigators' case pages: ``/staff/cases`` (every case) and ``/staff/cases/{id}`` (the
members, the evidence graph drawn as inline SVG, the timeline, the actions, the investigators'
verdicts on each member (confirmed, or legitimate coordination: ``integrity.marks``) and the
CSRF-protected takedown; after it, sharing the network's indicators with the exchange's privacy
groups, ``paidfor.exchange.publish``), over the same ``CaseService`` as the JSON API in
``api.cases``.

The graph is laid out on the server with igraph's Fruchterman-Reingold from a fixed seed, so a
case looks the same every time. Past ``MAX_NODES`` members or ``MAX_EDGES`` links only the
strongest links (and the members they tie) are drawn, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import igraph
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from paidfor.auth.roles import Principal, Role
from paidfor.exchange import publish
from paidfor.exchange.publish import Publisher
from paidfor.integrity.cases import STATUSES, CaseService, CaseView
from paidfor.integrity.graph import seeded_igraph
from paidfor.integrity.model import ATTRIBUTE_KINDS, EntityKey
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.auth import add_staff_link
from paidfor.interfaces.http.deps import csrf_token, require
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.refusal_pages import back, flash_back, staff_page, take_flash

Investigator = Annotated[Principal, Depends(require(Role.INVESTIGATOR))]
Reason = Annotated[str, Form(min_length=3, max_length=2000)]
NewStatus = Annotated[str, Form(pattern="^(open|closed)$")]
Picked = Annotated[list[str] | None, Form()]
SHOWN_PER_TYPE = 20  # example values listed per type on the page
PER_PAGE = 50
MAX_NODES = 200
MAX_EDGES = 400
LABELS_UP_TO = 40  # nodes; above that names are in the tooltips only
WIDTH, HEIGHT, PAD = 960, 560, 36
SEED = 20171101  # the day the IRA ads were shown to Congress
TIMELINE_COLORS = {"created": "#6b7280", "first_political": "#b45309", "first_ad": "#1b5fbf",
                   "last_ad": "#93b4e6", "case_opened": "#0f766e", "action": "#b3261e",
                   "status": "#7c3aed"}  # fmt: skip


@dataclass(frozen=True)
class Node:
    key: str
    type: str
    name: str
    x: float
    y: float
    r: float
    disabled: bool
    label: str | None
    title: str


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    title: str


@dataclass(frozen=True)
class Drawing:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    note: str | None  # set when only part of the graph is drawn


def _layout(n: int, edges: list[tuple[int, int]], weights: list[float]) -> list[list[float]]:
    """Fruchterman-Reingold from a fixed seed (igraph's generator is global: hold a lock and
    give it back as it was)."""
    graph = igraph.Graph(n=n, edges=edges)
    with seeded_igraph(SEED):
        return [list(c) for c in graph.layout_fruchterman_reingold(weights=weights or None)]


def _evidence_text(link: dict[str, Any], names: dict[str, str]) -> str:
    head = (f"{names.get(link['a'], link['a'])} — {names.get(link['b'], link['b'])} "
            f"(weight {link.get('weight', 0):.2f})")  # fmt: skip
    lines = [
        f"• {ATTRIBUTE_KINDS.get(e.get('kind', ''), e.get('kind', ''))}: {e.get('value', '')} "
        f"(shared by {e.get('shared_by', '?')}, +{e.get('weight', 0):.2f})"
        for e in link.get("evidence", [])
    ]
    return "\n".join([head, *lines])


def draw_graph(view: CaseView) -> Drawing:
    """The evidence graph's nodes and edges placed in a ``WIDTH`` x ``HEIGHT`` box."""
    members = {m.key: m for m in view.members}
    links = [lk for lk in view.links if isinstance(lk, dict) and "a" in lk and "b" in lk]
    keys = list(dict.fromkeys([*members, *(k for lk in links for k in (lk["a"], lk["b"]))]))
    note = None
    if len(keys) > MAX_NODES or len(links) > MAX_EDGES:
        chosen: list[dict[str, Any]] = []
        kept: dict[str, None] = {}
        for lk in sorted(links, key=lambda lk: -float(lk.get("weight", 0))):
            new = [k for k in (lk["a"], lk["b"]) if k not in kept]
            if len(chosen) >= MAX_EDGES or len(kept) + len(new) > MAX_NODES:
                break
            chosen.append(lk)
            kept.update(dict.fromkeys(new))
        note = (f"Too big to draw whole: the {len(chosen)} strongest of {len(links)} links and "
                f"the {len(kept)} of {len(keys)} members they tie are shown. The table below "
                "lists every member.")  # fmt: skip
        links, keys = chosen, list(kept)
    index = {k: i for i, k in enumerate(keys)}
    pairs = [(index[lk["a"]], index[lk["b"]]) for lk in links]
    coords = _layout(len(keys), pairs, [max(float(lk.get("weight", 1)), 0.01) for lk in links])
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0

    def place(i: int) -> tuple[float, float]:
        if len(keys) == 1:
            return WIDTH / 2, HEIGHT / 2
        x = PAD + (xs[i] - min(xs)) / span_x * (WIDTH - 2 * PAD)
        y = PAD + (ys[i] - min(ys)) / span_y * (HEIGHT - 2 * PAD)
        return round(x, 1), round(y, 1)

    names = {k: (members[k].name if k in members else k) for k in keys}
    small = len(keys) > 80
    nodes = []
    for i, key in enumerate(keys):
        m = members.get(key)
        kind = key.partition(":")[0]
        risk = (m.risk or 0.0) if m else 0.0
        x, y = place(i)
        bits = [f"{names[key]} ({kind} #{key.partition(':')[2]})", f"risk {risk:.2f}"]
        if m is not None:
            bits += [m.role] + (["disabled"] if m.disabled else [])
            bits += [] if m.exists else ["no longer exists"]
        else:
            bits.append("not a member")
        label = names[key] if len(keys) <= LABELS_UP_TO else None
        if label and len(label) > 24:
            label = label[:23] + "…"
        nodes.append(Node(key, kind, names[key], x, y, round((3 if small else 6) + 7 * risk, 1),
                          bool(m and m.disabled), label, " · ".join(bits)))  # fmt: skip
    top = max((float(lk.get("weight", 0)) for lk in links), default=1.0) or 1.0
    edges = []
    for lk, (a, b) in zip(links, pairs, strict=True):
        (x1, y1), (x2, y2) = place(a), place(b)
        width = round(1 + 5 * float(lk.get("weight", 0)) / top, 2)
        edges.append(Edge(x1, y1, x2, y2, width, _evidence_text(lk, names)))
    return Drawing(nodes, edges, WIDTH, HEIGHT, note)


@dataclass(frozen=True)
class Tick:
    x: float
    color: str
    title: str


def timeline_strip(view: CaseView) -> tuple[list[Tick], list[tuple[float, str]]]:
    """The timeline's events as ticks on a ``WIDTH``-wide strip, and the year marks."""
    events = view.timeline
    if not events:
        return [], []
    first, last = events[0].at, events[-1].at
    span = (last - first).total_seconds() or 1.0

    def x(at: datetime) -> float:
        return round(PAD + (at - first).total_seconds() / span * (WIDTH - 2 * PAD), 1)

    ticks = [
        Tick(x(e.at), TIMELINE_COLORS.get(e.what, "#444"), f"{e.at:%Y-%m-%d}: {e.label}")
        for e in events
    ]
    years = [
        (x(first.replace(year=y, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)),
         str(y))
        for y in range(first.year + 1, last.year + 1)
    ]  # fmt: skip
    if len(years) > 12:
        step = -(-len(years) // 12)
        years = years[::step]
    return ticks, years


def _back(request: Request, case_id: int, done: str) -> Response:
    return flash_back(request, f"/staff/cases/{case_id}", done=done)


def _refused(prefix: str = "") -> list[Any]:
    """A refused form goes back to its case page, which says why after ``prefix``."""
    return [shown_on(back("/staff/cases/{case_id}", prefix))]


def install_case_pages(
    app: FastAPI, service: CaseService, publisher: Publisher, templates: Jinja2Templates
) -> None:
    router = APIRouter(include_in_schema=False, dependencies=[shown_on(staff_page(templates))])

    @router.get("/staff/cases", response_class=HTMLResponse)
    def cases(request: Request, who: Investigator) -> Response:
        wanted = request.query_params.get("status")
        status = wanted if wanted in STATUSES else None
        asked = request.query_params.get("page", "1").strip()
        page = max(1, int(asked)) if asked.isascii() and asked.isdigit() and len(asked) < 10 else 1
        context = {
            "who": who,
            "cases": service.cases(status, PER_PAGE, (page - 1) * PER_PAGE),
            "total": service.count(status),
            "status": status,
            "statuses": STATUSES,
            "page": page,
            "per_page": PER_PAGE,
            "nav": "staff",
        }
        return templates.TemplateResponse(request, "staff_cases.html", context)

    @router.get("/staff/cases/{case_id}", response_class=HTMLResponse)
    def case(request: Request, case_id: RowId, who: Investigator) -> Response:
        view = service.find(case_id)
        if view is None:
            ctx = {"who": who, "case": None, "case_id": case_id, "nav": "staff"}
            return templates.TemplateResponse(request, "staff_case.html", ctx, status_code=404)
        ticks, years = timeline_strip(view)
        sharing = None
        if view.case.status == "taken_down" or publisher.was_taken_down(case_id):
            found = publisher.candidates(case_id)
            sharing = {
                "counts": publish.counts(found),
                "names": publish.TYPE_NAMES,
                "examples": {
                    t: [c for c in found if c.type == t][:SHOWN_PER_TYPE] for t in publish.TYPES
                },
                "groups": publisher.group_names(),
            }
        context = {
            "who": who,
            "case": view,
            "graph": draw_graph(view),
            "ticks": ticks,
            "years": years,
            "timeline_colors": TIMELINE_COLORS,
            "csrf": csrf_token(request),
            "sharing": sharing,
            "marks": (marks := service.marks_of(case_id)),
            "verdicts": {m.entity: m for m in marks},
            **take_flash(request),
            "nav": "staff",
        }
        return templates.TemplateResponse(request, "staff_case.html", context)

    @router.post("/staff/cases/{case_id}/takedown", dependencies=_refused("Nothing more was done"))
    def take_down(request: Request, case_id: RowId, who: Investigator, reason: Reason) -> Response:
        done = service.take_down(case_id, actor=who.actor, reason=reason)
        c = done.counts()
        return _back(
            request,
            case_id,
            done=f"Network taken down: {c['advertisers_disabled']} advertisers and "
            f"{c['pages_disabled']} pages disabled, {c['ads_stopped']} ads stopped.",
        )

    @router.post("/staff/cases/{case_id}/publish", dependencies=_refused("Nothing was shared"))
    def publish_case(
        request: Request,
        case_id: RowId,
        who: Investigator,
        groups: Picked = None,
        types: Picked = None,
    ) -> Response:
        done = publisher.publish(case_id, groups or [], who.actor, types or [])
        return _back(request, case_id, done=done.message())

    @router.post("/staff/cases/{case_id}/marks", dependencies=_refused("Nothing was marked"))
    def mark(
        request: Request,
        case_id: RowId,
        who: Investigator,
        entity: Annotated[str, Form(pattern=r"^(advertiser|page):[0-9]{1,18}$")],
        verdict: Annotated[str, Form(pattern="^(confirmed|legitimate)$")],
        reason: Reason,
        relationship_id: Annotated[str, Form(pattern=r"^[0-9]{0,18}$")] = "",
    ) -> Response:
        made = service.mark(
            case_id,
            EntityKey.parse(entity),
            verdict=verdict,
            reason=reason,
            actor=who.actor,
            relationship_id=int(relationship_id) if relationship_id else None,
        )
        what = "confirmed" if made.verdict == "confirmed" else "legitimate coordination"
        return _back(request, case_id, done=f"{made.entity} marked {what}.")

    @router.post("/staff/cases/{case_id}/status", dependencies=_refused())
    def set_status(
        request: Request, case_id: RowId, who: Investigator, status: NewStatus, reason: Reason
    ) -> Response:
        service.set_status(case_id, status, actor=who.actor, reason=reason)
        return _back(
            request, case_id, done="Case reopened." if status == "open" else "Case closed."
        )

    app.include_router(router)
    add_staff_link(app, "/staff/cases", "Cases: networks under investigation", Role.INVESTIGATOR)
