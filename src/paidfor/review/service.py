"""The review service: a submitted ad goes through ``review.rules`` and the decision is stored
with its reasons; held ads wait in the queue for a person, whose decision (an override when it
goes against the automatic one) is stored and audited the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from paidfor.domain import Ad, AdStatus
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
from paidfor.storage.election_repo import ElectionRepository
from paidfor.storage.intake_repo import DecisionRecord, IntakeRepository, NotFound
from paidfor.storage.repo import AdRepository


class SubmissionError(ValueError):
    """The submission cannot be taken at all (not the caller's page, no payment method)."""


@dataclass(frozen=True)
class Submission:
    ad: Ad  # creative, targeting, schedule, platforms, languages, declared ad_type
    page_id: int
    funder_name: str | None
    budget_cents: int | None = None
    budget_currency: str | None = None


@dataclass(frozen=True)
class QueueItem:
    ad: Ad
    decision: DecisionRecord


@lru_cache(maxsize=1)
def political_classifier() -> Classifier:
    """The shipped political-ad model, loaded once on first use."""
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
    ) -> None:
        self.intake = intake
        self.elections = elections
        self.ads = ads
        self._classifier = classifier
        self.screens = list(screens)

    def submit(
        self, advertiser_id: int, sub: Submission, *, actor: str
    ) -> tuple[int, ReviewOutcome]:
        """Store the ad, review it, store the decision; the ad's id and the outcome."""
        advertiser = self.intake.advertiser(advertiser_id)
        if advertiser is None:
            raise NotFound(f"no advertiser {advertiser_id}")
        owner = self.intake.page_owner(sub.page_id)
        if owner is None or owner[0] != advertiser_id:
            raise SubmissionError(f"page {sub.page_id} is not one of this advertiser's pages")
        if not advertiser.payment_instruments:
            raise SubmissionError("add a payment method before submitting ads")
        ad_id = self.intake.insert_ad(
            sub.ad,
            advertiser_id=advertiser_id,
            page_id=sub.page_id,
            funder_name=sub.funder_name,
            budget_cents=sub.budget_cents,
            budget_currency=sub.budget_currency,
            actor=actor,
        )
        auths = {
            a.country: AuthorizationView(a.status, a.funder_name if a.funder_verified else None)
            for a in self.intake.authorizations(advertiser_id=advertiser_id)
        }
        inp = ReviewInput(
            text=sub.ad.creative.text(),
            declared_political=sub.ad.ad_type == "POLITICAL_AND_ISSUE_ADS",
            countries=targeted_countries(sub.ad),
            starts=sub.ad.start_at or datetime.now(UTC),
            funder_name=sub.funder_name,
            authorizations=auths,
            elections=self.elections.list(),
            advertiser_disabled=advertiser.disabled,
            page_disabled=owner[1],
            advertiser_id=advertiser_id,
            page_id=sub.page_id,
        )
        outcome = review(inp, self._classifier(), self.screens)
        self.intake.record_decision(
            ad_id,
            decision=outcome.decision,
            political=outcome.political,
            political_score=outcome.score,
            reasons=[r.as_json() for r in outcome.reasons],
            findings=[_finding(f) for f in outcome.findings],
            actor="review",
            by_person=False,
        )
        return ad_id, outcome

    def decide(self, ad_id: int, *, approve: bool, reason: str, actor: str) -> DecisionRecord:
        """A reviewer's decision on an ad (held, or overriding an automatic one)."""
        history = self.intake.decisions(ad_id)
        if not history:
            raise NotFound(f"no submitted ad {ad_id}")
        last = history[-1]
        decision = "approved" if approve else "rejected"
        note = Reason(
            "person",
            "override" if last.decision in ("approved", "rejected") else "decided",
            f"{decision} by {actor}: {reason}",
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
        )

    def decisions_for_advertiser(self, ad_id: int) -> list[DecisionRecord]:
        """An ad's decisions as its advertiser sees them (``rules.for_advertiser``)."""
        return [replace(d, reasons=for_advertiser(d.reasons)) for d in self.intake.decisions(ad_id)]

    def queue(self, limit: int = 200) -> list[QueueItem]:
        out = []
        for ad_id, decision in self.intake.held(limit):
            ad = self.ads.get(ad_id)
            if ad is not None and ad.status == AdStatus.PENDING:
                out.append(QueueItem(ad, decision))
        return out


def _finding(f: Any) -> dict[str, Any]:
    return {"signal": f.signal, "explanation": f.explanation, "score": f.score, "hold": f.hold}
