"""What a disclosure package holds, read from the database and redacted by the policy
(``disclosure.policy``): the ads in scope with every field, the pages and advertiser accounts
that ran them, their images, and a case's evidence.

Each ad in ``ads.jsonl`` is in paidfor's native JSON-lines shape (``domain.serialize``) with
the private fields added (its id, risk findings, review decisions, enforcement actions, image
files), so the recipient can read it with any JSON tool or import it into paidfor. Every string
written passes through the package's ``Scrubber``: the values of withheld personal fields
become pseudonyms wherever they are quoted.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from paidfor import errors
from paidfor.disclosure.policy import NEVER, LeftOut, Scrubber, allowed, left_out
from paidfor.disclosure.store import ads_in_scope, read_package
from paidfor.domain.models import Funder
from paidfor.domain.serialize import ad_to_json
from paidfor.storage.mapping import row_to_ad, row_to_page

FILTERS = ("currency", "date_min", "date_max", "country", "funder", "page_id", "source", "status")
# evidence kinds of integrity.graph whose values are personal fields, by category
EVIDENCE_CATEGORY = {
    "payment": "payment_card",
    "admin": "admin_identity",
    "device": "admin_network",
    "ip": "admin_network",
}


class ScopeError(errors.Invalid):
    """A scope that selects nothing it could (a bad filter, an unknown case)."""


def check_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The query filters in a stored form; ScopeError naming a bad one."""
    out: dict[str, Any] = {}
    for name, value in filters.items():
        if value in (None, "", [], ()):
            continue
        if name not in FILTERS:
            raise ScopeError(f"unknown filter {name!r}; one of {', '.join(FILTERS)}")
        if name in ("date_min", "date_max"):
            try:
                out[name] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ScopeError(f"{name} is not a date like 2016-01-31: {value!r}") from None
        elif name == "page_id":
            try:
                given = value if isinstance(value, list) else [value]
                out[name] = sorted({int(v) for v in given})
            except (TypeError, ValueError):
                raise ScopeError(f"page_id must be whole numbers: {value!r}") from None
        elif name in ("currency", "country"):
            code = str(value).strip().upper()
            if not code.isalpha() or len(code) != (3 if name == "currency" else 2):
                like = "RUB" if name == "currency" else "US"
                raise ScopeError(f"{name} is not a code like {like}: {value!r}")
            out[name] = code
        else:
            out[name] = str(value).strip()
    if "date_min" in out and "date_max" in out and out["date_min"] > out["date_max"]:
        raise ScopeError("date_min is after date_max")
    return out


def select_ads(engine: Engine, case_id: int | None, filters: dict[str, Any]) -> list[int]:
    """The ids of the ads in scope, oldest first: a case's members' ads, or those the filters
    select (``country`` is a targeted or reached country)."""
    f = check_filters(filters)
    rows = ads_in_scope(engine, case_id, f)
    if "country" in f:
        rows = [r for r in rows if f["country"] in _countries(r.targeting, r.reached_countries)]
    return [int(r.id) for r in rows]


def _countries(targeting: Any, reached: Any) -> set[str]:
    found = {str(c).upper() for c in reached or []}
    for loc in (targeting or {}).get("locations") or []:
        if isinstance(loc, dict) and loc.get("country"):
            found.add(str(loc["country"]).upper())
    return found


@dataclass
class Collected:
    ads: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    advertisers: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)  # "creatives/<hash>.<ext>" -> bytes
    evidence: dict[str, Any] | None = None
    left_out: list[LeftOut] = field(default_factory=list)
    pseudonyms: int = 0


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def collect(
    engine: Engine,
    ad_ids: Sequence[int],
    basis: str,
    *,
    case: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Collected:
    """Everything the package of ``ad_ids`` holds, redacted for ``basis``; ``case`` is the
    case's view (``CaseView.as_json()``) when the request is for a case."""
    ok = allowed(basis)
    scrub = Scrubber()
    out = Collected(left_out=left_out(basis))
    extra_pages: set[int] = set()
    extra_advertisers: set[int] = set()
    if case is not None:  # members without ads in scope are still the case's entities
        for m in case.get("members", []):
            kind, _, ident = str(m.get("entity", "")).partition(":")
            if kind == "page" and ident.isdigit():
                extra_pages.add(int(ident))
            elif kind == "advertiser" and ident.isdigit():
                extra_advertisers.add(int(ident))
    read = read_package(
        engine, ad_ids, pages=sorted(extra_pages), advertisers=sorted(extra_advertisers)
    )
    rows, pages, advertisers, funders = read.ads, read.pages, read.advertisers, read.funders
    admins_of, payments, auths = read.admins_of, read.payments, read.authorizations
    decisions, actions, images = read.decisions, read.actions, read.images

    # What is withheld becomes a pseudonym wherever it is quoted: first the fields themselves,
    # then the values a case's evidence shows for personal kinds.
    for admins in admins_of.values():
        for a in admins:
            if "admin_identity" not in ok:
                scrub.withhold("admin_identity", [a.name, a.external_id])
            if "admin_network" not in ok:
                scrub.withhold("admin_network", [*(a.devices or []), *(a.ips or [])])
    for instruments in payments.values():
        scrub.withhold("payment_card", [p.card_fingerprint for p in instruments])
    for granted in auths.values():
        for au in granted:
            if "authorization_identity" not in ok:
                scrub.withhold("authorization_identity", [au.legal_name])
            scrub.withhold("identity_document", [au.id_document_ref])
    contact = ("sponsor_email", "sponsor_address", "controller_email", "controller_address",
               "payer_email", "payer_address")  # fmt: skip
    if "sponsor_contact" not in ok:
        for d in read.declarations.values():
            scrub.withhold("sponsor_contact", [getattr(d, k) for k in contact])
    if case is not None:
        for link in case.get("links", []):
            for ev in link.get("evidence", []):
                category = EVIDENCE_CATEGORY.get(str(ev.get("kind")))
                if category is not None and (category in NEVER or category not in ok):
                    scrub.withhold(category, [ev.get("value")])

    def admins_json(kind: str, owner: int) -> dict[str, Any]:
        found = admins_of.get((kind, owner), [])
        shown = []
        for a in found:
            item: dict[str, Any] = {}
            if "admin_identity" in ok:
                item |= {"name": a.name, "external_id": a.external_id,
                         "login_countries": list(a.login_countries or []),
                         "language": a.language}  # fmt: skip
            if "admin_network" in ok:
                item |= {"devices": list(a.devices or []), "ips": list(a.ips or [])}
            if item:
                shown.append(item)
        return {"admins_count": len(found), **({"admins": shown} if shown else {})}

    for p in pages.values():
        page = row_to_page(p)
        out.pages.append(scrub.deep({
            "id": p.id, "kind": p.kind, "external_id": p.external_id, "name": p.name,
            "url": p.url, "created_at": _iso(page.created_at), "country": p.country,
            "language": p.language, "category": p.category, "disabled": bool(p.disabled),
            "risk_score": p.risk_score, "risk_findings": list(p.risk_explanations or []),
            **admins_json("page", p.id),
        }))  # fmt: skip

    def payment_summary(advertiser_id: int) -> list[dict[str, str | None]]:
        pairs = {(p.currency, p.billing_country) for p in payments.get(advertiser_id, [])}
        return [{"currency": c, "billing_country": b}
                for c, b in sorted(pairs, key=lambda cb: (cb[0] or "", cb[1] or ""))]  # fmt: skip

    for a in advertisers.values():
        granted = []
        for au in auths.get(a.id, []):
            item = {"country": au.country, "status": au.status, "funder": au.funder,
                    "decided_at": _iso(au.decided_at)}  # fmt: skip
            if "authorization_identity" in ok:
                item |= {"legal_name": au.legal_name, "residence_country": au.residence_country}
            granted.append(item)
        out.advertisers.append(scrub.deep({
            "id": a.id, "source": a.source, "external_id": a.external_id, "name": a.name,
            "country": a.country, "created_at": _iso(a.created_at), "language": a.language,
            "disabled": bool(a.disabled), "payment_summary": payment_summary(a.id),
            "authorizations": granted, "risk_score": a.risk_score,
            "risk_findings": list(a.risk_explanations or []),
            **admins_json("advertiser", a.id),
        }))  # fmt: skip

    def declaration_json(d: Any) -> dict[str, Any] | None:
        """The sponsor's declaration (art. 7, the information art. 9 keeps), its contact
        details only where the basis allows ``sponsor_contact``."""
        if d is None:
            return None
        values = dict(d._mapping)
        values["declared_at"] = _iso(values.get("declared_at"))
        return {k: v for k, v in values.items()
                if k not in ("ad_id", "advertiser_id")
                and (k not in contact or "sponsor_contact" in ok)}  # fmt: skip

    for r in rows:
        f_row = funders.get(r.funder_id)
        ad = row_to_ad(
            r,
            row_to_page(pages[r.page_id]) if r.page_id in pages else None,
            Funder(id=f_row.id, name=f_row.name, verified=bool(f_row.verified)) if f_row else None,
        )
        item = ad_to_json(ad)
        adv = advertisers.get(r.advertiser_id)
        item["advertiser"] = None if adv is None else {
            "id": adv.id, "name": adv.name, "source": adv.source,
            "external_id": adv.external_id, "country": adv.country,
            "payment_instruments": payment_summary(adv.id),
        }  # fmt: skip
        files = []
        for h in (r.creative or {}).get("image_hashes") or []:
            image = images.get((r.advertiser_id, h))
            if image is None:
                continue
            ext = mimetypes.guess_extension(image.content_type) or ".bin"
            path = f"creatives/{h}{'.jpg' if ext == '.jpe' else ext}"
            out.images[path] = bytes(image.data)
            files.append(path)
        item |= {
            "id": r.id,
            "page_id": r.page_id,
            "advertiser_id": r.advertiser_id,
            "snapshot_url": r.snapshot_url,
            "audience_range": None if r.audience_lower is None
            else {"lower": r.audience_lower, "upper": r.audience_upper},
            "risk_score": r.risk_score,
            "risk_findings": list(r.risk_explanations or []),
            "review": [{"decision": d.decision, "reasons": list(d.reasons or []),
                        "findings": list(d.findings or []), "by_person": bool(d.by_person),
                        "actor": d.actor, "at": _iso(d.at)} for d in decisions.get(r.id, [])],
            "actions": [{"kind": x.kind, "reason": x.reason, "actor": x.actor,
                         "case_id": x.case_id, "at": _iso(x.at)}
                        for x in actions.get(r.id, [])],
            "images": files,
            "sponsor_declaration": declaration_json(read.declarations.get(r.id)),
        }  # fmt: skip
        out.ads.append(scrub.deep(item))
        if progress is not None:
            progress(1)
    if case is not None:
        out.evidence = scrub.deep(case)
    out.pseudonyms = len(scrub)
    return out


__all__ = ["FILTERS", "Collected", "ScopeError", "check_filters", "collect", "select_ads"]
