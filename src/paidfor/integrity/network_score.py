"""How likely a cluster of actors is a concealed operation rather than legitimate
coordination: the cluster's features, counted over *actors* (an account with the pages it
owns), and the logistic rule that combines them (``network_model.json``, fitted by
bench/calibrate_networks.py on one family of generated worlds and reported on another).

What the features measure, and why they should hold beyond the worlds they were fitted on:

- ``control``: the share of actors tied to another actor of the cluster by what only an
  operator shares: a payment card, an admin, a device. Independent voices do not sign in from
  one device or pay with one card; organisations that do (an agency, a party and its county
  committees) can say so, and declared ties are never counted here (``relations``).
- ``audience``: the share of actors tied to another by aiming at the same people: the same
  exact set of interests in their targeting.
- ``content``: the share of actors tied to another by what they say: a near-duplicate text,
  ads created in the same minute, an uncommon landing domain.
- ``control_and_audience``, ``control_and_content``: both on one actor; ``concealed``: an
  operator's tie and either message tie on one actor. A household or an office shares a
  device but not a message; a cause's groups share a message and an audience but not a
  device; an agency's clients share its staff and some boilerplate but each speaks to its
  own voters; an operation runs several "independent" voices at one audience.
- ``many_faces``: the share of actors that speak through three or more pages of their own
  under names that are not the account's: one operator behind several public identities,
  the persona farms of coordinated inauthentic behaviour. Campaigns and organisations speak
  under their own name.
- ``made_together``: the share of actors created within days of two or more others they are
  tied to (the ``creation_burst`` signal): accounts an operator opened in one sitting.

**Foreign money** (``foreign_money``): a cluster most of whose actors pay from abroad for
ads that share one message is reported whatever the fitted weights say: that is the IRA's
case, and the law's line, not a generator's.

**The gate.** Before any weight, a cluster is a candidate only when its actors share a
message (an audience or content tie) *and* something shows concealment: an operator's tie no
declaration explains, a foreign trace, or accounts made together; or when one operator's
card, admin or device is on actors most of which show foreign traces. Coordination without a
shared message (a household, an office) and a shared message without any concealment (a
cause's groups, a coalition, a government template) are never reported, whatever a fitted
weight would say: that rule is not fitted, so it holds on worlds nobody fitted it on.
- ``foreign_payment``: the share of actors paying in a currency, or billed in a country,
  foreign to every country they target: the IRA's roubles. ``foreign_people``: the share
  whose admins sign in only from abroad or whose language settings are spoken in none of
  the targeted countries; weaker, since staff travel and expats advertise at home too.
  ``foreign`` (either; the gate reads it).
- ``enforcement``: the share of actors tied to what was enforced on before or shared as a
  threat: infrastructure of flagged entities, copies of removed ads, threat indicators.
- ``mean_risk`` (shown, not weighed): the mean of each actor's highest entity risk
  (``integrity.risk``). It is itself fitted on one family of worlds, and its largest weight
  (divisive targeting while young) describes new issue campaigns as much as operations, so
  the cluster rule weighs the parts it needs one by one instead.
- ``young``, ``divisive``, ``activation``, ``burst``: how many actors were young at their first
  political ad, target divisive interests, started political ads or were created within
  ``BURST_DAYS`` of the cluster's median actor. They describe campaigns as much as operations,
  so they carry less weight than concealment.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from paidfor.integrity.model import CONTROL_KINDS, EntityKey, Profile, SignalResult
from paidfor.integrity.places import DIVISIVE
from paidfor.integrity.relations import FOREIGN_SIGNALS, Declared

BURST_DAYS = 7
FACES = 3  # pages under other names than the account's, from which an actor has "many faces"
AUDIENCE_KINDS = frozenset({"targeting"})
CONTENT_KINDS = frozenset({"creative", "ad_minute", "domain"})
TIE_KINDS = CONTROL_KINDS | AUDIENCE_KINDS | CONTENT_KINDS
FEATURES = (
    "foreign_payment",
    "foreign_people",
    "enforcement",
    "control_and_audience",
    "control_and_content",
    "many_faces",
    "made_together",
    "young",
    "divisive",
    "activation",
)
PEOPLE_SIGNALS = frozenset({"admin_location", "language"})
ENFORCEMENT_SIGNALS = frozenset({"shared_infrastructure", "removed_creative", "threat_indicator"})
# Hand-set until bench/calibrate_networks.py ships network_model.json.
DEFAULT_MODEL: dict[str, Any] = {
    "bias": -6.0,
    "weights": {"control_and_audience": 4.0, "foreign_payment": 4.0, "young": 1.0},
    "threshold": 0.5,
}


def network_features(
    keys: Sequence[EntityKey],
    *,
    profiles: Mapping[EntityKey, Profile],
    risk: Mapping[EntityKey, tuple[float, list[SignalResult]]],
    carried: Mapping[EntityKey, set[tuple[str, str]]],
    df: Mapping[tuple[str, str], int],
    actor: Mapping[EntityKey, EntityKey],
    declared: Declared,
    max_shared: int,
    muted: Collection[tuple[str, str]] = (),
) -> dict[str, float]:
    """The features of the module's docstring for the cluster ``keys``."""
    groups: dict[EntityKey, list[EntityKey]] = {}
    for k in keys:
        groups.setdefault(actor.get(k, k), []).append(k)
    actors = sorted(groups)
    n = len(actors)
    family = {a: _family(groups[a], profiles, declared) for a in actors}
    carriers: dict[tuple[str, str], set[EntityKey]] = {}
    for a in actors:
        for k in groups[a]:
            for attr in carried.get(k, ()):
                useful = attr[0] in TIE_KINDS and 2 <= df.get(attr, 0) <= max_shared
                if useful and attr not in muted:
                    carriers.setdefault(attr, set()).add(a)
    tied: dict[str, set[EntityKey]] = {"control": set(), "audience": set(), "content": set()}
    for attr, who in carriers.items():
        if len(who) < 2:
            continue
        kind = (
            "control"
            if attr[0] in CONTROL_KINDS
            else "audience"
            if attr[0] in AUDIENCE_KINDS
            else "content"
        )
        for a in who:
            # a tie to an actor of another (or no) declared family
            if any(b != a and (family[a] is None or family[b] != family[a]) for b in who):
                tied[kind].add(a)
    control, audience, content = tied["control"], tied["audience"], tied["content"]
    signals = {a: {f.signal for k in groups[a] for f in risk[k][1]} for a in actors}
    started = [_first(groups[a], profiles, "first_political_at") for a in actors]
    created = [_first(groups[a], profiles, "created_at") for a in actors]
    return {
        "mean_risk": statistics.fmean(max(risk[k][0] for k in groups[a]) for a in actors),
        "foreign": sum(bool(signals[a] & FOREIGN_SIGNALS) for a in actors) / n,
        "foreign_payment": sum("payment_country" in signals[a] for a in actors) / n,
        "foreign_people": sum(bool(signals[a] & PEOPLE_SIGNALS) for a in actors) / n,
        "enforcement": sum(bool(signals[a] & ENFORCEMENT_SIGNALS) for a in actors) / n,
        "control": len(control) / n,
        "audience": len(audience) / n,
        "content": len(content) / n,
        "control_and_audience": len(control & audience) / n,
        "control_and_content": len(control & content) / n,
        "concealed": len(control & (audience | content)) / n,
        "made_together": sum("creation_burst" in signals[a] for a in actors) / n,
        "many_faces": sum(_faces(groups[a], profiles) >= FACES for a in actors) / n,
        "young": sum("account_age" in signals[a] for a in actors) / n,
        "divisive": sum(any(_divisive(profiles[k]) for k in groups[a]) for a in actors) / n,
        "activation": _together(started),
        "burst": _together(created),
    }


def _faces(keys: list[EntityKey], profiles: Mapping[EntityKey, Profile]) -> int:
    """How many differently named pages an actor owns, not counting pages under its
    account's own name."""
    accounts = [profiles[k].name.casefold() for k in keys if k.type == "advertiser"]
    names = {
        profiles[k].name.casefold()
        for k in keys
        if k.type == "page" and not any(a and a in profiles[k].name.casefold() for a in accounts)
    }
    return len(names)


def _family(keys: list[EntityKey], profiles: Mapping[EntityKey, Profile], d: Declared) -> Any:
    for k in keys:
        f = d.family_of(k, profiles)
        if f is not None:
            return f
    return None


def _first(keys: list[EntityKey], profiles: Mapping[EntityKey, Profile], what: str) -> Any:
    known = [m for k in keys if (m := getattr(profiles[k], what)) is not None]
    return min(known) if known else None


def _together(moments: Sequence[datetime | None]) -> float:
    """The share of the actors whose moment is within BURST_DAYS of the median one."""
    known = sorted(m for m in moments if m is not None)
    if len(known) < 2:
        return 0.0
    mid = known[len(known) // 2]
    return sum(abs((m - mid).days) <= BURST_DAYS for m in known) / len(moments)


def _divisive(p: Profile) -> bool:
    return any(w in i for i in p.interests for w in DIVISIVE)


def candidate(features: Mapping[str, float]) -> bool:
    """The gate of the module's docstring."""
    message = features["audience"] > 0 or features["content"] > 0
    concealment = (
        features["concealed"] > 0 or features["foreign"] > 0 or features["made_together"] > 0
    )
    # one operator's card, admin or device on accounts most of which are run from abroad
    foreign_operator = features["control"] > 0 and features["foreign"] > 0.5
    return (message and concealment) or foreign_operator


def foreign_money(features: Mapping[str, float]) -> bool:
    """Most actors pay from abroad of every country they target, and they share a message:
    foreign money behind coordinated political ads, which the law forbids outright (52 U.S.C.
    § 30121 in the US; in the three months before an EU election, Regulation (EU) 2024/900
    art. 5(2)). Reported whatever the fitted weights say."""
    message = features["audience"] > 0 or features["content"] > 0
    return message and features["foreign_payment"] > 0.5


def network_score(features: Mapping[str, float]) -> float:
    """0 for a cluster the gate stops, else the fitted logistic rule (at least the threshold
    for foreign money behind one message: ``foreign_money``)."""
    if not candidate(features):
        return 0.0
    model = network_model()
    z = model["bias"] + sum(model["weights"].get(k, 0.0) * features.get(k, 0.0) for k in FEATURES)
    score = 1.0 / (1.0 + math.exp(-z))
    return max(score, float(model["threshold"])) if foreign_money(features) else score


@cache
def network_model() -> dict[str, Any]:
    """The cluster-score rule: bias, weights and threshold, as calibrated by
    bench/calibrate_networks.py (``network_model.json``), or the hand-set defaults."""
    path = Path(__file__).with_name("network_model.json")
    if path.is_file():
        model = json.loads(path.read_text())
        if set(model.get("weights", {})) <= set(FEATURES):
            return dict(model)
    return DEFAULT_MODEL
