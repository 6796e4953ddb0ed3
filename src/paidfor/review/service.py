"""The review service: a submitted ad goes through ``review.rules`` and the decision is stored
with its reasons; held ads wait in the queue for a person, whose decision (an override when it
goes against the automatic one) is stored and audited the same way. A person's decision names
the decision it answers, and only one decision can answer it (docs/review.md, "Two people,
one ad")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.exc import OperationalError

from paidfor import errors
from paidfor.domain import Ad, AdStatus, Advertiser, AuthorizationStatus, Election
from paidfor.domain.models import AdType
from paidfor.domain.ttpa import EU_MEMBER_STATES, SponsorDeclaration
from paidfor.review import image_store
from paidfor.review.authorization_store import AuthorizationRecord
from paidfor.review.declaration_store import DeclarationRepository
from paidfor.review.election_store import ElectionRepository
from paidfor.review.elections import upcoming
from paidfor.review.intake_store import Conflict, DecisionRecord, IntakeRepository, NotFound
from paidfor.review.rules import (
    AuthorizationView,
    Classifier,
    IntegrityScreen,
    Reason,
    ReviewInput,
    ReviewOutcome,
    for_advertiser,
    review,
)
from paidfor.review.ttpa import Facts, voting_ages
from paidfor.storage.db import is_disk_full
from paidfor.storage.repo import AdRepository


class SubmissionError(errors.BadRequest):
    """The submission cannot be taken at all (not the caller's page, no payment method)."""


@dataclass(frozen=True)
class Submission:
    ad: Ad  # creative, targeting, schedule, platforms, languages, declared ad_type
    page_id: int
    funder_name: str | None
    budget_cents: int | None = None
    budget_currency: str | None = None
    declaration: SponsorDeclaration | None = None  # art. 7 of Regulation (EU) 2024/900


@dataclass(frozen=True)
class QueueItem:
    ad: Ad
    decision: DecisionRecord


_loading = threading.Lock()


def political_classifier() -> Classifier:
    """The shipped political-ad model, loaded once on first use (the server starts loading
    it at start-up; a submission arriving meanwhile waits for that load, not a second one)."""
    with _loading:
        return _shipped_classifier()


@lru_cache(maxsize=1)
def _shipped_classifier() -> Classifier:
    from paidfor.review.classifier import load

    return load()


def targeted_countries(ad: Ad) -> tuple[str, ...]:
    return tuple(dict.fromkeys(loc.country for loc in ad.targeting.locations if loc.country))


class ReviewService:
    def __init__(
        self,
        intake: IntakeRepository,
        elections: ElectionRepository,
        ads: AdRepository,
        classifier: Callable[[], Classifier],
        screens: Sequence[IntegrityScreen] = (),
        declarations: DeclarationRepository | None = None,
    ) -> None:
        self.intake = intake
        self.declarations = declarations or DeclarationRepository(intake.engine)
        self.elections = elections
        self.ads = ads
        self._classifier = classifier
        self.screens = list(screens)

    def submit(
        self, advertiser_id: int, sub: Submission, *, actor: str
    ) -> tuple[int, ReviewOutcome]:
        """Store the ad, review it, store the decision; the ad's id and the outcome.

        The ad is stored (and committed) before it is reviewed, because the integrity screens
        read the advertiser's ads, this one's too. A server killed between the two leaves a
        submission without a decision, which ``finish_interrupted`` reviews at the next
        start; such an ad was never acknowledged to its advertiser."""
        advertiser = self.intake.advertiser(advertiser_id)
        if advertiser is None:
            raise NotFound(f"no advertiser {advertiser_id}")
        owner = self.intake.page_owner(sub.page_id)
        if owner is None or owner[0] != advertiser_id:
            raise SubmissionError(f"page {sub.page_id} is not one of this advertiser's pages")
        if not advertiser.payment_instruments:
            raise SubmissionError("add a payment method before submitting ads")
        unknown = image_store.missing(
            self.intake.engine, advertiser_id, sub.ad.creative.image_hashes
        )
        if unknown:  # an ad names only images its advertiser uploaded (POST /api/me/images)
            names = ", ".join(map(repr, unknown))
            raise errors.Invalid(f"image_hashes: this advertiser has uploaded no image {names}; "
                                 "upload images first with POST /api/me/images")  # fmt: skip
        sub = replace(sub, funder_name=self._as_verified(advertiser_id, sub.funder_name))
        ad_id = self.intake.insert_ad(
            sub.ad,
            advertiser_id=advertiser_id,
            page_id=sub.page_id,
            funder_name=sub.funder_name,
            budget_cents=sub.budget_cents,
            budget_currency=sub.budget_currency,
            actor=actor,
            declaration=sub.declaration,
        )
        for attempt in range(4):
            try:
                outcome = self._review(advertiser_id, advertiser, owner[1], sub.ad,
                                       sub.page_id, sub.funder_name, sub.declaration)  # fmt: skip
                self._record_first(ad_id, outcome)  # safe to repeat: only a first decision
                return ad_id, outcome
            except OperationalError as exc:  # the database went away (a restart): retry
                if attempt == 3 or is_disk_full(exc):
                    raise  # a 503; finish_interrupted reviews the ad later
                time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    def _as_verified(self, advertiser_id: int, name: str | None) -> str | None:
        """A "Paid for by" as its verified funder is written, when it names one (matching is
        case-folded): the library shows the funder as verified, not as typed."""
        if name:
            for a in self.intake.authorizations(advertiser_id=advertiser_id):
                verified = a.funder_name if a.funder_verified else None
                if verified and verified.casefold() == name.casefold():
                    return verified
        return name

    def _review(
        self,
        advertiser_id: int,
        advertiser: Advertiser,
        page_disabled: bool,
        ad: Ad,
        page_id: int,
        funder_name: str | None,
        declaration: SponsorDeclaration | None,
    ) -> ReviewOutcome:
        auths = {
            a.country: AuthorizationView(a.status, a.funder_name if a.funder_verified else None)
            for a in self.intake.authorizations(advertiser_id=advertiser_id)
        }
        inp = ReviewInput(
            text=ad.creative.text(),
            declared_political=ad.ad_type == AdType.POLITICAL_AND_ISSUE_ADS.value,
            countries=targeted_countries(ad),
            starts=ad.start_at or datetime.now(UTC),
            funder_name=funder_name,
            authorizations=auths,
            elections=self.elections.list(),
            advertiser_disabled=advertiser.disabled,
            page_disabled=page_disabled,
            advertiser_id=advertiser_id,
            page_id=page_id,
            stops=ad.stop_at,
            declaration=declaration,
            age_min=ad.targeting.age_min,
            interests=tuple(ad.targeting.interests),
            facts=Facts(
                payments=tuple(
                    (p.currency, p.billing_country) for p in advertiser.payment_instruments
                ),
                admin_countries=tuple(self.intake.admin_login_countries(page_id)),
            ),
            special_interests=self.declarations.interest_categories(),
            voting_ages=voting_ages(),
        )
        return review(inp, self._classifier(), self.screens)

    def _record_first(
        self, ad_id: int, outcome: ReviewOutcome, extra: Sequence[Reason] = ()
    ) -> bool:
        """Store the automatic review as the ad's first decision; False when it already had
        one (another process finished an interrupted submission first)."""
        try:
            self.intake.record_decision(
                ad_id,
                decision=outcome.decision,
                political=outcome.political,
                political_score=outcome.score,
                reasons=[r.as_json() for r in (*outcome.reasons, *extra)],
                findings=[_finding(f) for f in outcome.findings],
                actor="review",
                by_person=False,
                first=True,
            )
        except Conflict:
            return False
        return True

    def finish_interrupted(self, before: datetime) -> list[int]:
        """Review the submissions stored before ``before`` that have no decision (the server
        stopped between storing an ad and storing its review); their ids."""
        done = []
        for ad_id, advertiser_id, page_id in self.intake.undecided(before):
            ad = self.ads.get(ad_id)
            advertiser = self.intake.advertiser(advertiser_id)
            if ad is None or advertiser is None:
                continue
            owner = self.intake.page_owner(page_id)
            funder = ad.funder.name if ad.funder else None
            outcome = self._review(
                advertiser_id,
                advertiser,
                bool(owner and owner[1]),
                ad,
                page_id,
                funder,
                self.declarations.get(ad_id),
            )
            note = Reason(
                "review",
                "resumed",
                "reviewed when the server started again: it had stopped during the submission",
            )
            if self._record_first(ad_id, outcome, [note]):
                done.append(ad_id)
        return done

    def decide(
        self,
        ad_id: int,
        *,
        approve: bool,
        reason: str,
        actor: str,
        answers: int | None = None,
    ) -> DecisionRecord:
        """A person's decision on an ad. It answers one decision, which must still be the
        ad's latest when it is stored (``Conflict`` otherwise): ``answers`` names it (the
        held decision the person looked at, or the decision they mean to override); without
        it the ad must be held, and the decision answers the held one. So of two people
        deciding the same ad at once exactly one wins, and nobody overrides a decision they
        have not seen."""
        history = self.intake.decisions(ad_id)
        if not history:
            raise NotFound(f"no submitted ad {ad_id}")
        last = history[-1]
        if answers is None:
            if last.decision != "held":
                raise Conflict(ad_id, None, last)
            answers = last.id
        elif answers != last.id:
            raise Conflict(ad_id, answers, last)
        decision = "approved" if approve else "rejected"
        note = Reason(
            "person",
            "override" if last.decision in ("approved", "rejected") else "decided",
            # who decided stays with staff (the decision's actor and the audit log); the
            # advertiser reads that a person decided, and why
            f"{decision} by a reviewer: {reason}",
        )
        return self.intake.record_decision(
            ad_id,
            decision=decision,
            political=last.political,
            political_score=last.political_score,
            reasons=[*last.reasons, note.as_json()],
            findings=last.findings,
            actor=actor,
            by_person=True,
            reason=reason,
            answers=answers,
        )

    def authorizations(
        self, status: AuthorizationStatus | None = None
    ) -> list[AuthorizationRecord]:
        """Every advertiser's requests to run political ads (``status``: only those), for the
        reviewers, who see the identity document's reference."""
        return self.intake.authorizations(status=status)

    def decide_authorization(
        self, auth_id: int, *, approve: bool, reason: str, actor: str
    ) -> AuthorizationRecord:
        """Approve (which verifies the "Paid for by" name) or refuse a request; audited."""
        return self.intake.decide_authorization(auth_id, approve=approve, reason=reason,
                                                actor=actor)  # fmt: skip

    def union_elections(self, when: datetime | None = None) -> list[Election]:
        """The elections and referendums in Member States of the Union voting from ``when``
        (now) on, soonest first: what an EU sponsor's declaration may name."""
        return [e for e in upcoming(self.elections.list(), None, when or datetime.now(UTC))
                if e.country in EU_MEMBER_STATES]  # fmt: skip

    def decisions_for_advertiser(self, ad_id: int) -> list[DecisionRecord]:
        """An ad's decisions as its advertiser sees them (``rules.for_advertiser``)."""
        return [
            replace(d, reasons=for_advertiser(d.reasons, d.actor if d.by_person else None))
            for d in self.intake.decisions(ad_id)
        ]

    def queue(self, limit: int = 200) -> list[QueueItem]:
        out = []
        for ad_id, decision in self.intake.held(limit):
            ad = self.ads.get(ad_id)
            if ad is not None and ad.status == AdStatus.PENDING:
                out.append(QueueItem(ad, decision))
        return out

    # -- the special-category interests of art. 18 (TTPA) --------------------------------

    def interest_categories(self) -> dict[str, str]:
        """The interests review refuses in EU political ads, with the category each stands
        for: the shipped mapping with staff's changes over it."""
        return self.declarations.interest_categories()

    def set_interest_category(
        self, interest: str, category: str, *, actor: str, note: str | None = None
    ) -> tuple[str, str | None]:
        """Map ``interest`` to ``category`` (``none`` takes it out), audited; the interest as
        stored and its category before."""
        return self.declarations.set_interest(interest, category, actor=actor, note=note)


def _finding(f: Any) -> dict[str, Any]:
    return {"signal": f.signal, "explanation": f.explanation, "score": f.score, "hold": f.hold}
