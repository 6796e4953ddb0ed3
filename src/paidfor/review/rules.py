"""The review of a submitted ad, as rules over plain values: no database, no web.

Steps, each giving reasons a person can read (``Reason``):

1. **classification**: is this a political or issue ad? The advertiser's declaration (the
   political-and-issue category) makes it political; so does the classifier's score at or above
   its threshold. An undeclared ad the classifier is unsure of (``UNSURE`` ≤ score < threshold)
   is held for a person.
2. **political rules**, for a political ad: the advertiser is authorized in every targeted
   country, the "Paid for by" funder is the one verified in that authorization, the disclaimer
   is present, and no election blackout covers the ad's start in a targeted country. Aimed
   at a Member State of the Union, the EU's rules too (``review.ttpa``, Regulation (EU)
   2024/900): the sponsor's declaration (art. 7), the three months before a vote (art. 5(2)),
   the targeting limits (art. 18), and a declared EU status the account's payment and admins
   contradict held for a person.
3. **integrity screening**: the screens installed (``IntegrityScreen``); each finding that asks
   for it holds the ad for a person. With none installed this step says so.
4. **decision**: rejected when any reason rejects, else held when any holds, else approved.

A disabled advertiser or page is rejected before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from paidfor.domain import AuthorizationStatus, Election
from paidfor.domain.ttpa import SponsorDeclaration
from paidfor.review import ttpa
from paidfor.review.elections import blackout

Decision = Literal["approved", "rejected", "held"]
Effect = Literal["reject", "hold", "note"]
UNSURE = 0.35  # scores from here up to the threshold hold an undeclared ad for a person


class Classifier(Protocol):
    threshold: float

    def score(self, text: str) -> float: ...

    def strongest_terms(self, text: str, political: bool = True, k: int = 3) -> list[str]: ...


@dataclass(frozen=True)
class Reason:
    step: str  # classification, political, integrity, account
    code: str  # stable, for programs: "not_authorized", "blackout", ...
    message: str  # for people
    effect: Effect = "note"

    def as_json(self) -> dict[str, str]:
        return {
            "step": self.step,
            "code": self.code,
            "message": self.message,
            "effect": self.effect,
        }


@dataclass(frozen=True)
class AuthorizationView:
    """An advertiser's authorization in one country, with its verified funder's name."""

    status: AuthorizationStatus
    funder_name: str | None = None


@dataclass(frozen=True)
class ReviewInput:
    text: str
    declared_political: bool
    countries: tuple[str, ...]  # the targeted countries (ISO codes)
    starts: datetime  # when the ad is to start (UTC)
    funder_name: str | None  # the "Paid for by" disclaimer
    authorizations: Mapping[str, AuthorizationView] = field(default_factory=dict)
    elections: Sequence[Election] = ()
    advertiser_disabled: bool = False
    page_disabled: bool = False
    advertiser_id: int | None = None  # for the integrity screens, which look them up
    page_id: int | None = None
    # the EU's rules (review.ttpa)
    stops: datetime | None = None  # when the ad is to stop (UTC); None: open-ended
    declaration: SponsorDeclaration | None = None
    age_min: int | None = None
    interests: tuple[str, ...] = ()
    facts: ttpa.Facts = field(default_factory=ttpa.Facts)
    special_interests: Mapping[str, str] = field(default_factory=dict)  # interest -> category
    voting_ages: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """What an integrity screen found: a named signal with its explanation."""

    signal: str
    explanation: str
    score: float = 0.0
    hold: bool = True


class IntegrityScreen(Protocol):
    name: str

    def screen(self, inp: ReviewInput) -> list[Finding]: ...


@dataclass(frozen=True)
class ReviewOutcome:
    decision: Decision
    political: bool
    score: float
    reasons: tuple[Reason, ...]
    findings: tuple[Finding, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "political": self.political,
            "political_score": round(self.score, 4),
            "reasons": [r.as_json() for r in self.reasons],
        }


INTEGRITY_HOLD = {
    "step": "integrity",
    "code": "integrity_review",
    "message": "our integrity checks ask a person to look at this ad before it runs",
    "effect": "hold",
}


def for_advertiser(
    reasons: Sequence[Mapping[str, Any]], person: str | None = None
) -> list[dict[str, Any]]:
    """The reasons an advertiser may read. Integrity findings stay with the integrity team
    (naming the signal that caught an operation teaches it to evade); a hold they caused
    becomes one plain sentence. A person's decision says that a reviewer decided and why,
    never who: ``person``, the staff member who decided (their audit name), is replaced by
    "a reviewer" wherever a reason names it (decisions stored before reasons stopped
    naming the reviewer did)."""
    out = [dict(r) for r in reasons if r.get("step") != "integrity"]
    if person:
        for r in out:
            if isinstance(r.get("message"), str):
                r["message"] = r["message"].replace(person, "a reviewer")
    if any(r.get("step") == "integrity" and r.get("effect") == "hold" for r in reasons):
        out.append(dict(INTEGRITY_HOLD))
    return out


def classify(inp: ReviewInput, model: Classifier) -> tuple[bool, float, list[Reason]]:
    score = model.score(inp.text)
    threshold = model.threshold
    terms = ", ".join(model.strongest_terms(inp.text, political=score >= threshold)) or "none"
    if inp.declared_political:
        return (
            True,
            score,
            [
                Reason(
                    "classification",
                    "declared_political",
                    f"declared a political or issue ad (classifier score {score:.2f})",
                )
            ],
        )
    if score >= threshold:
        return (
            True,
            score,
            [
                Reason(
                    "classification",
                    "classified_political",
                    f"not declared political, but the classifier scores it {score:.2f} "
                    f"(threshold {threshold:.2f}; strongest terms: {terms}): the political-ad "
                    "rules apply",
                )
            ],
        )
    if score >= UNSURE:
        return (
            False,
            score,
            [
                Reason(
                    "classification",
                    "unsure",
                    f"the classifier is unsure whether this is a political ad (score {score:.2f}, "
                    f"threshold {threshold:.2f}; strongest terms: {terms}): a person decides",
                    "hold",
                )
            ],
        )
    return (
        False,
        score,
        [
            Reason(
                "classification",
                "commercial",
                f"a commercial ad (political score {score:.2f} below {threshold:.2f}): no "
                "authorization needed",
            )
        ],
    )


def political_rules(inp: ReviewInput) -> list[Reason]:
    out: list[Reason] = []
    if not inp.countries:
        out.append(
            Reason(
                "political",
                "no_country",
                "a political ad must target at least one country",
                "reject",
            )
        )
    disclaimer = (inp.funder_name or "").strip()
    if not disclaimer:
        out.append(
            Reason(
                "political",
                "no_disclaimer",
                'a political ad needs a "Paid for by" disclaimer naming who paid for it',
                "reject",
            )
        )
    for country in inp.countries:
        auth = inp.authorizations.get(country)
        if auth is None or auth.status != AuthorizationStatus.APPROVED:
            state = (
                "it has not asked for authorization there"
                if auth is None
                else f"its authorization there is {auth.status}"
            )
            out.append(
                Reason(
                    "political",
                    "not_authorized",
                    f"the advertiser is not authorized to run political ads in {country} "
                    f"({state}); ask for authorization first",
                    "reject",
                )
            )
        elif disclaimer and (auth.funder_name or "").casefold() != disclaimer.casefold():
            out.append(
                Reason(
                    "political",
                    "funder_mismatch",
                    f'"Paid for by {disclaimer}" is not the verified funder of the advertiser\'s '
                    f'authorization in {country} ("{auth.funder_name}")',
                    "reject",
                )
            )
        election = blackout(inp.elections, country, inp.starts)
        if election is not None:
            out.append(
                Reason(
                    "political",
                    "blackout",
                    f"{country} is in the {election.blackout_days}-day blackout before "
                    f"{election.name} ({election.date.isoformat()}): no new political ads "
                    "start then",
                    "reject",
                )
            )
    if not out:
        where = ", ".join(inp.countries)
        out.append(
            Reason(
                "political",
                "authorized",
                f'authorized in {where}; "Paid for by {disclaimer}" is the verified funder; '
                "no election blackout applies",
            )
        )
    return out


def ttpa_rules(inp: ReviewInput) -> list[ttpa.Check]:
    """The EU's rules for a political ad (``review.ttpa``); none for one aimed outside it."""
    return [
        *ttpa.declaration_checks(
            inp.countries, inp.declaration, inp.elections, inp.starts, inp.stops
        ),
        *ttpa.targeting_checks(
            inp.countries, inp.age_min, inp.interests, inp.special_interests, inp.voting_ages
        ),
        *ttpa.contradiction_checks(inp.countries, inp.declaration, inp.facts),
    ]


def review(
    inp: ReviewInput, model: Classifier, screens: Sequence[IntegrityScreen] = ()
) -> ReviewOutcome:
    """Run every step; see the module's docstring."""
    reasons: list[Reason] = []
    if inp.advertiser_disabled:
        reasons.append(
            Reason("account", "advertiser_disabled", "the advertiser is disabled", "reject")
        )
    if inp.page_disabled:
        reasons.append(Reason("account", "page_disabled", "the page is disabled", "reject"))
    political, score, found = classify(inp, model)
    reasons.extend(found)
    if political:
        reasons.extend(political_rules(inp))
        reasons.extend(Reason(c.step, c.code, c.message, c.effect) for c in ttpa_rules(inp))
    findings: list[Finding] = []
    if not screens:
        reasons.append(
            Reason(
                "integrity",
                "not_installed",
                "no integrity screening is installed yet; nothing was checked here",
            )
        )
    for screen in screens:
        for f in screen.screen(inp):
            findings.append(f)
            reasons.append(
                Reason("integrity", f.signal, f.explanation, "hold" if f.hold else "note")
            )
    decision: Decision = "approved"
    if any(r.effect == "reject" for r in reasons):
        decision = "rejected"
    elif any(r.effect == "hold" for r in reasons):
        decision = "held"
    return ReviewOutcome(decision, political, score, tuple(reasons), tuple(findings))
