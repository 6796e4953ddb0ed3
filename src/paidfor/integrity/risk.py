"""The risk score: the signals' scores combined by a logistic rule,

    risk = 1 / (1 + exp(-(BIAS + Σ WEIGHTS[signal] × score))),

so that risk reads as the chance that the entity belongs to a foreign operation. The weights
are the log-odds each signal adds at full strength; BIAS is the log-odds of an entity with no
finding. They were calibrated on generated worlds (docs/integrity.md gives the table of
predicted against observed rates); a foreign currency or foreign-only admins alone bring an
entity to about even odds, either with anything else above the hold threshold.
"""

from __future__ import annotations

import math

from paidfor.integrity.model import Profile, SignalResult
from paidfor.integrity.signals import SIGNALS, Context

BIAS = -4.0
WEIGHTS: dict[str, float] = {
    "payment_country": 4.0,
    "admin_location": 3.5,
    "language": 1.0,
    "account_age": 1.5,
    "shared_infrastructure": 4.5,
    "removed_creative": 3.0,
    "threat_indicator": 5.0,
    "divisive_targeting": 1.5,
}
HOLD_AT = 0.6  # the review holds a submission at or above this risk for a person


def combine(findings: list[SignalResult]) -> float:
    z = BIAS + sum(WEIGHTS.get(f.signal, 0.0) * f.score for f in findings)
    return 1.0 / (1.0 + math.exp(-z))


def assess(profile: Profile, ctx: Context) -> tuple[float, list[SignalResult]]:
    """The entity's risk and the findings behind it, strongest first."""
    findings = [f for s in SIGNALS if (f := s.evaluate(profile, ctx)) is not None]
    findings.sort(key=lambda f: -WEIGHTS.get(f.signal, 0.0) * f.score)
    return combine(findings), findings
