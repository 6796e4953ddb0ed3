"""Disclosures as an auditable routine: an investigator requests a package (for a case or for
a query with the library's filters) naming the recipient and the legal basis; an administrator
who is not the requester approves or rejects it; only the requesting investigator builds and
downloads the package of an approved request. Every step, and every refused attempt, writes an
audit event.

Requests for information under Regulation (EU) 2024/900 come this way too: a competent
authority's (art. 16, basis ``ttpa_competent_authority``) or an interested entity's (art. 17,
``ttpa_interested_entity``: a vetted researcher, a civil-society organisation, a political
actor, an election observer, a journalist), registered by an investigator with the requester's
kind; the deadline the article sets is computed and shown, a refusal names its ground beside
its reason, and the package leaves out what the basis does not allow (``disclosure.policy``).

On the command line (``paidfor disclosure``) the actor is ``cli:<os user>`` with the same
rules: the user who requested cannot approve, and only the requester builds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from paidfor import errors
from paidfor.auth.roles import Principal, Role
from paidfor.disclosure.export import ScopeError, check_filters, select_ads
from paidfor.disclosure.policy import parse_basis
from paidfor.disclosure.store import DisclosureRepository, DisclosureRequest, NoSuchRequest
from paidfor.domain.ttpa import (
    EU_MEMBER_STATES,
    REFUSAL_GROUNDS,
    RequesterKind,
    response_deadline,
)
from paidfor.review.election_store import ElectionRepository
from paidfor.settings import Settings

MAX_TEXT = 2000
#: The requester kinds each basis of Regulation (EU) 2024/900 is for: a competent authority
#: (art. 16); the interested entities of art. 17(1).
TTPA_KINDS: dict[str, frozenset[str]] = {
    "ttpa_competent_authority": frozenset({RequesterKind.COMPETENT_AUTHORITY.value}),
    "ttpa_interested_entity": frozenset(
        k.value for k in RequesterKind if k is not RequesterKind.COMPETENT_AUTHORITY
    ),
}


class Forbidden(errors.Forbidden):
    """The caller's role or relation to the request does not allow this (HTTP 403)."""


class WrongState(errors.Conflict):
    """The request is not in a state that allows this (HTTP 409)."""


@dataclass(frozen=True)
class Who:
    """Who acts: an API principal, or the command line (``role`` None)."""

    actor: str
    role: Role | None = None
    token_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Who:
        return cls(principal.actor, principal.role, principal.token_id)

    def same_person(self, req: DisclosureRequest) -> bool:
        if self.token_id is not None or req.requester_token_id is not None:
            return self.token_id == req.requester_token_id
        return self.actor == req.requested_by


def _now() -> datetime:
    return datetime.now(UTC)


def _text(value: str, what: str, low: int = 3) -> str:
    text = (value or "").strip()
    if not low <= len(text) <= MAX_TEXT:
        raise errors.Invalid(f"{what} must be {low} to {MAX_TEXT} characters")
    return text


class DisclosureService:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = _now,
        elections: ElectionRepository | None = None,
    ) -> None:
        """``elections``: the store the composition root shares with the review (the votes
        before which a request is answered sooner, ``domain.ttpa.response_deadline``); its
        own if none."""
        self.engine = engine
        self.repo = DisclosureRepository(engine)
        self.elections = elections or ElectionRepository(engine)
        self.clock = clock

    def request(
        self,
        who: Who,
        *,
        recipient: str,
        legal_basis: str,
        purpose: str,
        case_id: int | None = None,
        filters: dict[str, Any] | None = None,
        requester_kind: str | None = None,
        received_at: datetime | None = None,
    ) -> DisclosureRequest:
        """Record a request. One under Regulation (EU) 2024/900 (legal basis
        ``ttpa_competent_authority``, art. 16, or ``ttpa_interested_entity``, art. 17) names
        the ``requester_kind`` its basis allows and may say when it was ``received`` (default:
        now); its deadline is computed (``domain.ttpa.response_deadline``) against the votes
        in the Member States within a month of receipt, and stored and shown with it."""
        if who.role not in (None, Role.INVESTIGATOR):
            self.repo.record_refusal(None, actor=who.actor, what="request",
                                     why="only investigators request disclosures")  # fmt: skip
            raise Forbidden("only investigators request disclosures")
        checked = check_filters(filters or {})
        if (case_id is None) == (not checked):
            raise ScopeError("a disclosure is for a case or for a query: give one of the two")
        if case_id is not None and not self.repo.case_exists(case_id):
            raise ScopeError(f"no case {case_id}")
        basis = parse_basis(legal_basis)
        ttpa = self._ttpa(basis, requester_kind, received_at)
        return self.repo.create(
            {
                "case_id": case_id,
                "filters": checked,
                "recipient": _text(recipient, "the recipient", 2)[:300],
                "legal_basis": basis,
                "purpose": _text(purpose, "the purpose"),
                "requested_by": who.actor,
                "requester_token_id": who.token_id,
                **ttpa,
            },
            self.clock(),
        )

    def _ttpa(self, basis: str, kind: str | None, received_at: datetime | None) -> dict[str, Any]:
        """The requester kind, receipt and deadline of a request under arts. 16-17."""
        kinds = TTPA_KINDS.get(basis)
        if kinds is None:
            if kind is not None:
                raise errors.Invalid(
                    "a requester kind goes with the legal basis ttpa_competent_authority "
                    "(art. 16) or ttpa_interested_entity (art. 17)"
                )
            return {}
        if kind not in kinds:
            names = ", ".join(sorted(kinds))
            raise errors.Invalid(f"a request on the basis {basis} is from one of: {names}")
        received = received_at or self.clock()
        if received > self.clock():
            raise errors.Invalid("a request cannot be received in the future")
        votes = [e.date for e in self.elections.list() if e.country in EU_MEMBER_STATES]
        deadline = response_deadline(kind, received, votes)
        return {"requester_kind": kind, "received_at": received, "due_at": deadline.due,
                "deadline_rule": deadline.rule}  # fmt: skip

    def visible(self, who: Who) -> list[DisclosureRequest]:
        """An investigator sees its own requests; administrators and the CLI see all."""
        if who.role == Role.INVESTIGATOR:
            return [r for r in self.repo.requests() if who.same_person(r)]
        return self.repo.requests()

    def get(self, who: Who, request_id: int) -> DisclosureRequest:
        req = self.repo.get(request_id)
        if who.role == Role.INVESTIGATOR and not who.same_person(req):
            raise Forbidden("this is another investigator's request")
        return req

    def decide(
        self,
        who: Who,
        request_id: int,
        *,
        approve: bool,
        reason: str,
        ground: str | None = None,
    ) -> DisclosureRequest:
        """Approve or reject with the reason; a rejected request under arts. 16-17 also names
        its ground (``domain.ttpa.REFUSAL_GROUNDS``): art. 17 asks for a reasoned response."""
        req = self.repo.get(request_id)
        why = None
        if who.role not in (None, Role.ADMIN):
            why = "only administrators approve or reject disclosures"
        elif who.same_person(req) or who.actor == req.requested_by:
            why = "a request is decided by someone other than its requester"
        if why is not None:
            self.repo.record_refusal(request_id, actor=who.actor, what="decision", why=why)
            raise Forbidden(why)
        if req.status != "requested":
            raise WrongState(f"request {request_id} is already {req.status}")
        if ground is not None and (approve or ground not in REFUSAL_GROUNDS):
            raise errors.Invalid(
                f"a refusal's ground is one of {', '.join(REFUSAL_GROUNDS)}, for a rejection"
            )
        if not approve and req.requester_kind is not None and ground is None:
            raise errors.Invalid(
                "a request under Regulation (EU) 2024/900 is refused with a ground "
                f"({', '.join(REFUSAL_GROUNDS)}) beside the reason"
            )
        return self.repo.decide(
            request_id, approve=approve, actor=who.actor, reason=_text(reason, "the reason"),
            now=self.clock(), ground=ground,
        )  # fmt: skip

    def check_builder(self, who: Who, req: DisclosureRequest, what: str = "build") -> None:
        """Only the requesting investigator, and only once an administrator approved."""
        refusal: Forbidden | WrongState | None = None
        if who.role not in (None, Role.INVESTIGATOR):
            refusal = Forbidden("only the investigator who requested a disclosure gets its package")
        elif not who.same_person(req):
            refusal = Forbidden(
                "only the investigator who requested this disclosure gets its package"
            )
        elif req.status not in ("approved", "built"):
            refusal = WrongState(
                f"request {req.id} is {req.status}: an administrator must approve it first"
            )
        if refusal is not None:
            self.repo.record_refusal(req.id, actor=who.actor, what=what, why=str(refusal))
            raise refusal

    def build(
        self,
        who: Who,
        request_id: int,
        out_dir: Path,
        key_path: str | Path | None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> Any:
        from paidfor.disclosure.build import build_package

        req = self.repo.get(request_id)
        self.check_builder(who, req)
        ad_ids = select_ads(self.engine, req.case_id, req.filters)
        if not ad_ids:
            raise ScopeError(f"request {request_id} ({req.scope()}) selects no ads")
        result = build_package(
            self.engine, req, ad_ids, out_dir=out_dir, key_path=key_path, built_by=who.actor,
            now=self.clock(), progress=progress,
        )  # fmt: skip
        self.repo.record_build(
            request_id, actor=who.actor, now=self.clock(), package=str(result.zip_path),
            digest=result.manifest_sha256, ads=result.ads,
            left_out=[x.field for x in result.left_out],
        )  # fmt: skip
        return result

    def package(self, who: Who, request_id: int) -> Path:
        """The built package's zip, for its requester."""
        req = self.repo.get(request_id)
        self.check_builder(who, req, "download")
        if req.package is None or not Path(req.package).is_file():
            raise WrongState(f"request {request_id} has no package yet: build it first")
        self.repo.record_download(request_id, actor=who.actor)
        return Path(req.package)


def find_approved(
    service: DisclosureService,
    who: Who,
    *,
    case_id: int | None,
    filters: dict[str, Any],
    recipient: str | None,
    legal_basis: str | None,
) -> DisclosureRequest | None:
    """The requester's approved (or built) request with exactly this scope."""
    checked = check_filters(filters)
    basis = parse_basis(legal_basis) if legal_basis else None
    for req in service.repo.requests():
        if (
            req.case_id == case_id
            and req.filters == checked
            and req.status in ("approved", "built")
            and who.same_person(req)
            and (recipient is None or req.recipient == recipient.strip())
            and (basis is None or req.legal_basis == basis)
        ):
            return req
    return None


def package_dir(settings: Settings, database_url: str) -> Path:
    """Where built packages go: ``PAIDFOR_DISCLOSURE_DIR``, else beside a SQLite database,
    else under ~/.local/share/paidfor."""
    if settings.disclosure_dir:
        return Path(settings.disclosure_dir).expanduser()
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        return Path(database_url.removeprefix("sqlite:///")).expanduser().parent / "disclosures"
    return Path("~/.local/share/paidfor/disclosures").expanduser()


__all__ = [
    "DisclosureRequest",
    "DisclosureService",
    "Forbidden",
    "NoSuchRequest",
    "Who",
    "WrongState",
    "find_approved",
    "package_dir",
]
