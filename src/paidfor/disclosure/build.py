"""Writing a disclosure package: the folder, then its signed manifest, then its zip.

The folder is written under a temporary name beside its final one and renamed only once the
manifest is signed, so a package that exists is whole; a build that fails leaves nothing but
the error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

import paidfor
from paidfor import errors
from paidfor.disclosure.export import collect
from paidfor.disclosure.policy import CATEGORIES, POLICY_VERSION, LeftOut, allowed
from paidfor.disclosure.store import DisclosureRequest
from paidfor.domain.serialize import csv_text

CSV_COLUMNS = (
    "id", "source", "external_id", "status", "created_at", "start_at", "stop_at", "page",
    "advertiser", "funder", "text", "link_title", "landing_url", "currency", "spend",
    "spend_usd", "impressions", "clicks", "targeting", "reached_countries",
    "payment_currencies", "billing_countries", "is_political", "risk_score", "removal_reason",
    "images",
)  # fmt: skip


class KeyMissing(errors.Unavailable, FileNotFoundError):
    """No signing key: ``paidfor keys generate`` makes one; PAIDFOR_DISCLOSURE_KEY names it
    (a 503: packages cannot be built until it is there)."""


class PackageExists(errors.Conflict, FileExistsError):
    """A package of that name is there already: a package is never overwritten."""


@dataclass
class BuildResult:
    folder: Path
    zip_path: Path
    manifest_sha256: str
    ads: int
    files: list[str] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    pages: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "zip": str(self.zip_path),
            "manifest_sha256": self.manifest_sha256,
            "ads": self.ads,
            "pdf_pages": self.pages,
            "files": len(self.files),
            "left_out": [x.as_json() for x in self.left_out],
        }


def _jsonl(items: Sequence[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(i, ensure_ascii=False, sort_keys=True) + "\n" for i in items).encode()


def _csv(ads: Sequence[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for ad in ads:
        c, d = ad.get("creative") or {}, ad.get("delivery") or {}
        pay = (ad.get("advertiser") or {}).get("payment_instruments") or []
        row = [
            ad["id"], ad["source"], ad["external_id"], ad["status"], ad["created_at"],
            ad["start_at"], ad["stop_at"], (ad.get("page") or {}).get("name"),
            (ad.get("advertiser") or {}).get("name"), (ad.get("funder") or {}).get("name"),
            "\n".join(c.get("bodies") or []), "\n".join(c.get("link_titles") or []),
            c.get("landing_url"), d.get("currency"), d.get("spend"), d.get("spend_usd"),
            d.get("impressions"), d.get("clicks"),
            json.dumps(ad.get("targeting") or {}, ensure_ascii=False, sort_keys=True),
            " ".join(d.get("reached_countries") or []),
            " ".join(sorted({p["currency"] or "" for p in pay})),
            " ".join(sorted({p["billing_country"] or "" for p in pay})),
            ad.get("is_political"), ad.get("risk_score"), ad.get("removal_reason"),
            " ".join(ad.get("images") or []),
        ]  # fmt: skip
        writer.writerow([csv_text(v) if isinstance(v, str) else v for v in row])
    return buf.getvalue().encode()


def for_render(ad: dict[str, Any]) -> dict[str, Any]:
    """An exported ad in the shape the HTML and PDF pages take."""
    c, d = ad.get("creative") or {}, ad.get("delivery") or {}
    return {
        "id": ad["id"], "external_id": ad["external_id"], "source": ad["source"],
        "text": "\n\n".join(c.get("bodies") or []),
        "link_title": "\n".join(c.get("link_titles") or []) or None,
        "landing_url": c.get("landing_url"), "targeting": ad.get("targeting") or {},
        "impressions": d.get("impressions"), "clicks": d.get("clicks"),
        "spend": d.get("spend"), "currency": d.get("currency"), "spend_usd": d.get("spend_usd"),
        "created_at": ad.get("created_at"), "start_at": ad.get("start_at"),
        "stop_at": ad.get("stop_at"), "page": (ad.get("page") or {}).get("name"),
        "funder": (ad.get("funder") or {}).get("name"), "status": ad.get("status"),
        "images": list(ad.get("images") or []),
    }  # fmt: skip


def build_package(
    engine: Engine,
    req: DisclosureRequest,
    ad_ids: Sequence[int],
    *,
    out_dir: Path,
    key_path: str | Path | None,
    built_by: str,
    now: datetime,
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildResult:
    """Write the package of ``ad_ids`` for ``req`` under ``out_dir``; ``progress(stage, done,
    total)`` hears of each ad read ("reading") and each PDF page drawn ("pdf")."""
    from paidfor.disclosure.index_html import render_html
    from paidfor.disclosure.index_pdf import render_pdf
    from paidfor.disclosure.keys import load_private
    from paidfor.disclosure.manifest import write_manifest, zip_folder

    if key_path is None or not Path(key_path).expanduser().is_file():
        raise KeyMissing(
            "no signing key: run `paidfor keys generate` and set PAIDFOR_DISCLOSURE_KEY to "
            "the private key's path" + (f" (not found: {key_path})" if key_path else "")
        )
    key = load_private(Path(key_path).expanduser())
    case = None
    if req.case_id is not None:
        from paidfor.integrity.cases import CaseService

        case = CaseService(engine).case(req.case_id).as_json()
    read = [0]

    def reading(n: int) -> None:
        read[0] += n
        if progress is not None:
            progress("reading", read[0], len(ad_ids))

    data = collect(engine, ad_ids, req.legal_basis, case=case, progress=reading)

    name = f"disclosure-{req.id}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    partial = out_dir / f".{name}.partial"
    if final.exists():
        raise PackageExists(f"{final} exists already")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        files: dict[str, bytes] = {
            "ads.jsonl": _jsonl(data.ads),
            "ads.csv": _csv(data.ads),
            "pages.jsonl": _jsonl(data.pages),
            "advertisers.jsonl": _jsonl(data.advertisers),
            **data.images,
        }
        if data.evidence is not None:
            files["evidence.json"] = (
                json.dumps(data.evidence, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            ).encode()
        meta = {
            "disclosure_id": req.id,
            "recipient": req.recipient,
            "legal_basis": req.legal_basis,
            "purpose": req.purpose,
            "case_id": req.case_id,
            "filters": req.filters,
            "requested_by": req.requested_by,
            "approved_by": req.decided_by,
            "built_at": now.isoformat(),
            "counts": {"ads": len(data.ads), "pages": len(data.pages),
                       "advertisers": len(data.advertisers), "images": len(data.images)},
            "software": f"paidfor {paidfor.__version__}",
        }  # fmt: skip
        rendered = [for_render(a) for a in data.ads]
        files["index.html"] = render_html(rendered, meta).encode()
        for rel, content in files.items():
            path = partial / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        pages = render_pdf(
            rendered,
            meta,
            partial / "index.pdf",
            progress=(lambda n: progress("pdf", n, len(rendered))) if progress else None,
            base=partial,
        )
        ok = sorted(allowed(req.legal_basis))
        info = {
            "request": {
                "id": req.id, "recipient": req.recipient, "legal_basis": req.legal_basis,
                "purpose": req.purpose, "scope": req.scope(), "case_id": req.case_id,
                "filters": req.filters, "requested_by": req.requested_by,
                "requested_at": req.requested_at.isoformat(),
                # a request under Regulation (EU) 2024/900, arts. 16-17: who asked, when, and
                # the answer's deadline
                **({"requester_kind": req.requester_kind,
                    "received_at": req.received_at.isoformat() if req.received_at else None,
                    "due_at": req.due_at.isoformat() if req.due_at else None,
                    "deadline_rule": req.deadline_rule} if req.requester_kind else {}),
            },
            "approval": {
                "approved_by": req.decided_by,
                "approved_at": req.decided_at.isoformat() if req.decided_at else None,
                "reason": req.decision_reason,
            },
            "built_by": built_by,
            "built_at": now.isoformat(),
            "software": {"name": "paidfor", "version": paidfor.__version__},
            "redaction": {
                "policy_version": POLICY_VERSION,
                "personal_data_included": [{"category": c, "what": CATEGORIES[c]} for c in ok],
                "left_out": [x.as_json() for x in data.left_out],
                "pseudonymised_values": data.pseudonyms,
            },
            "counts": {"ads": len(data.ads), "pages": len(data.pages),
                       "advertisers": len(data.advertisers), "images": len(data.images),
                       "pdf_pages": pages},
        }  # fmt: skip
        write_manifest(partial, info, key)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    zip_path = zip_folder(final)
    digest = hashlib.sha256((final / "MANIFEST.json").read_bytes()).hexdigest()
    return BuildResult(
        folder=final, zip_path=zip_path, manifest_sha256=digest, ads=len(data.ads),
        files=sorted(str(p.relative_to(final)) for p in final.rglob("*") if p.is_file()),
        left_out=data.left_out, pages=pages,
    )  # fmt: skip


__all__ = ["BuildResult", "KeyMissing", "build_package", "for_render"]
