"""The risk score: the signals' scores combined by a logistic rule,

    risk = 1 / (1 + exp(-(BIAS + Σ WEIGHTS[signal] × score))),

so that risk reads as the chance that the entity belongs to a foreign operation. The weights
are the log-odds each signal adds at full strength; BIAS is the log-odds of an entity with no
finding. bench/calibrate_networks.py fits them by logistic regression on generated worlds
and ships them as ``risk_model.json`` (docs/integrity.md gives the table of predicted
against observed rates); the values below are the hand-set ones it starts from.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

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


@cache
def risk_model() -> dict[str, Any]:
    """BIAS and WEIGHTS as calibrated by bench/calibrate_networks.py (``risk_model.json``),
    or the hand-set values above when no calibration is shipped. A signal the calibration
    never saw fire (the threat indicators, before the exchange) keeps the effect of its
    hand-set weight: its weight is moved by as much as the bias moved, so that at full
    strength alone it gives the same risk as with the hand-set bias."""
    path = Path(__file__).with_name("risk_model.json")
    if not path.is_file():
        return {"bias": BIAS, "weights": WEIGHTS}
    model = json.loads(path.read_text())
    shift = BIAS - float(model["bias"])
    unseen = {k: w + shift for k, w in WEIGHTS.items() if k not in model["weights"]}
    return {"bias": model["bias"], "weights": {**unseen, **model["weights"]}}


def combine(findings: list[SignalResult]) -> float:
    model = risk_model()
    weights = model["weights"]
    z = model["bias"] + sum(weights.get(f.signal, 0.0) * f.score for f in findings)
    return 1.0 / (1.0 + math.exp(-z))


def assess(profile: Profile, ctx: Context) -> tuple[float, list[SignalResult]]:
    """The entity's risk and the findings behind it, strongest first."""
    findings = [f for s in SIGNALS if (f := s.evaluate(profile, ctx)) is not None]
    weights = risk_model()["weights"]
    findings.sort(key=lambda f: -weights.get(f.signal, 0.0) * f.score)
    return combine(findings), findings
