"""The redaction policy of disclosure packages.

What a package always holds: the ads with every field the platform has about them, private ones
included (targeting, delivery, review decisions, risk findings), the pages and advertiser
accounts that ran them, the payment summary (currency and billing country only), creatives, and
for a case its evidence. What it never holds: anything about the people who saw or clicked an
ad (paidfor stores only aggregate delivery, so there is none to leave out), card data (even the
keyed card fingerprint), identity documents, tokens and passwords.

Between the two are the columns marked personal in the data model
(``info={"personal": CATEGORY}`` in ``storage.models``): a package includes a category only
when the request's legal basis allows it, and the manifest lists every field left out and why.
Values of personal fields that other records quote (a shared device in a case's evidence, an
admin's name in a risk finding) are replaced everywhere in the package by a pseudonym such as
``[admin_network 3]``, the same within one package, so the evidence still shows what is
shared without saying what it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from paidfor import errors

# A context table with personal columns joins Base.metadata when its store is imported: this
# import makes sure the policy always sees the sponsor declarations' marks.
from paidfor.review import declaration_store, notification_store  # noqa: F401
from paidfor.storage.tables import marked_columns

POLICY_VERSION = "2026-11-23"

CATEGORIES: dict[str, str] = {
    "admin_identity": "who the page and account admins are: names, external ids, sign-in "
    "countries, language settings",
    "admin_network": "the admins' devices and IP addresses",
    "authorization_identity": "the legal name and country of residence given to be "
    "authorized for political ads",
    "payment_card": "card data (the keyed card fingerprint)",
    "identity_document": "references to identity documents",
    "sponsor_contact": "the email and postal addresses a sponsor declared for itself, the "
    "entity controlling it and its payer (art. 7 of Regulation (EU) 2024/900)",
    "notifier_contact": "the name and email of a person who notified an ad (art. 15 of "
    "Regulation (EU) 2024/900)",
}
NEVER = frozenset({"payment_card", "identity_document"})

LEGAL_BASES: dict[str, frozenset[str]] = {
    # what the platform gave the congressional committees in 2017: the ads, their targeting
    # and delivery, the pages; nobody's personal data
    "congressional_request": frozenset(),
    "subpoena": frozenset(),
    "voluntary": frozenset(),
    "court_order": frozenset({"admin_identity", "authorization_identity"}),
    "search_warrant": frozenset({"admin_identity", "admin_network", "authorization_identity"}),
    # Regulation (EU) 2024/900: a competent authority's request (art. 16) reaches the
    # information of arts. 9, 11 and 12, the sponsor's contact details included; an
    # interested entity's (art. 17: vetted researchers, civil society, political actors,
    # election observers, journalists) nobody's personal data
    "ttpa_competent_authority": frozenset({"sponsor_contact"}),
    "ttpa_interested_entity": frozenset(),
}
BASIS_WORDS = {
    "congressional_request": "a request of a legislative committee",
    "subpoena": "a subpoena",
    "voluntary": "a voluntary disclosure",
    "court_order": "a court order",
    "search_warrant": "a search warrant",
    "ttpa_competent_authority": "a competent authority's request (art. 16 of Regulation (EU) "
    "2024/900)",
    "ttpa_interested_entity": "an interested entity's request (art. 17 of Regulation (EU) "
    "2024/900)",
}


class PolicyError(errors.Invalid):
    """An unknown legal basis or category."""


def parse_basis(value: str) -> str:
    basis = value.strip().lower().replace("-", "_").replace(" ", "_")
    if basis not in LEGAL_BASES:
        raise PolicyError(f"unknown legal basis {value!r}; one of {', '.join(sorted(LEGAL_BASES))}")
    return basis


def allowed(basis: str) -> frozenset[str]:
    """The personal categories a package on ``basis`` includes (never card data or ids)."""
    return LEGAL_BASES[parse_basis(basis)] - NEVER


def personal_columns() -> dict[str, tuple[str, str]]:
    """Every column marked personal: ``"table.column"`` → (category, table)."""
    found: dict[str, tuple[str, str]] = {}
    for table, column, category in marked_columns("personal"):
        if category not in CATEGORIES:
            raise PolicyError(f"{table}.{column}: unknown category {category}")
        found[f"{table}.{column}"] = (category, table)
    return found


@dataclass(frozen=True)
class LeftOut:
    field: str  # "admins.name", "payment_instruments.card_fingerprint", ...
    category: str
    why: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "category": self.category, "why": self.why}


def left_out(basis: str) -> list[LeftOut]:
    """What a package on ``basis`` leaves out, field by field, with the reason."""
    ok = allowed(basis)
    out = []
    for name, (category, _) in sorted(personal_columns().items()):
        if category in ok:
            continue
        if category in NEVER:
            why = f"{CATEGORIES[category]}: never disclosed"
        else:
            why = (
                f"{CATEGORIES[category]}: personal data that {BASIS_WORDS[parse_basis(basis)]} "
                "does not allow"
            )
        out.append(LeftOut(name, category, why))
    out.append(
        LeftOut(
            "people who saw or clicked the ads",
            "audience",
            "paidfor keeps only aggregate delivery (impressions, clicks, ranges by age, "
            "gender and region); nothing about a person who saw or clicked an ad exists to "
            "disclose",
        )
    )
    return out


class Scrubber:
    """Replaces the values of withheld personal fields wherever they appear in text."""

    MIN_LENGTH = 4  # shorter values (a country code) identify nobody and are everywhere

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None

    def withhold(self, category: str, values: Iterable[Any]) -> None:
        for value in values:
            text = str(value).strip() if value is not None else ""
            if len(text) >= self.MIN_LENGTH and text not in self._names:
                n = self._counts.get(category, 0) + 1
                self._counts[category] = n
                self._names[text] = f"[{category} {n}]"
                self._pattern = None

    def pseudonym(self, value: str) -> str | None:
        return self._names.get(str(value).strip())

    def __len__(self) -> int:
        return len(self._names)

    def text(self, value: str) -> str:
        if not self._names or not value:
            return value
        if self._pattern is None:
            alternatives = sorted(self._names, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(a) for a in alternatives))
        return self._pattern.sub(lambda m: self._names[m.group(0)], value)

    def deep(self, value: Any) -> Any:
        """``value`` (JSON-like) with every string scrubbed, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


__all__ = [
    "BASIS_WORDS",
    "CATEGORIES",
    "LEGAL_BASES",
    "NEVER",
    "POLICY_VERSION",
    "LeftOut",
    "PolicyError",
    "Scrubber",
    "allowed",
    "left_out",
    "parse_basis",
    "personal_columns",
]
