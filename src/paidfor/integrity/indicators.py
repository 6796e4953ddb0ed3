"""Threat indicators held in memory for screening: exact lookups by type (a landing domain,
a URL, a payment-card fingerprint, an ad text after normalising case and spaces, a page or
account id). The exchange fills one from the indicators it stores and fetches; screening asks
it through ``signals.IndicatorMatcher``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from paidfor.integrity.model import Profile
from paidfor.integrity.signals import IndicatorHit

_SPACE = re.compile(r"\s+")
TYPES = ("domain", "url", "payment_fingerprint", "raw_text", "page_id", "account_id")


def normal_text(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


@dataclass(frozen=True, slots=True)
class Indicator:
    type: str  # one of TYPES
    value: str
    description: str  # who shared it and why, for the explanation
    confidence: int = 50


class IndicatorSet:
    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        self._by: dict[str, dict[str, Indicator]] = {t: {} for t in TYPES}
        for ind in indicators:
            self.add(ind)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by.values())

    def add(self, ind: Indicator) -> None:
        if ind.type not in self._by:
            raise ValueError(f"unknown indicator type {ind.type!r}; one of {', '.join(TYPES)}")
        value = normal_text(ind.value) if ind.type == "raw_text" else ind.value.casefold()
        self._by[ind.type][value] = ind

    def match(self, profile: Profile, texts: Sequence[str]) -> list[IndicatorHit]:
        probes: list[tuple[str, str]] = [("domain", d.casefold()) for d in profile.landing_domains]
        probes += [
            ("payment_fingerprint", p.fingerprint.casefold())
            for p in profile.payments
            if p.fingerprint
        ]
        probes += [("raw_text", normal_text(t)) for t in texts]
        probes.append(
            ("account_id" if profile.key.type == "advertiser" else "page_id", str(profile.key.id))
        )
        hits = []
        for kind, value in probes:
            ind = self._by[kind].get(value)
            if ind is not None:
                hits.append(IndicatorHit(ind.description, f"{kind} {ind.value}", ind.confidence))
        return hits
