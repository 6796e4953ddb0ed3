"""The label and the transparency notice of a political ad in the Union (arts. 11-12 of
Regulation (EU) 2024/900; format and template: Commission Implementing Regulation (EU)
2025/1410), built as plain values from the ad, its sponsor's declaration and the election it
is linked to. No database, no web: ``review.transparency`` reads, the interfaces render.

The notice's sections 1-14 follow art. 12(1) in order: (a) the sponsor (1) and the entity
ultimately controlling it (2); (b) the payer (3); (c) the period (4); (d) the aggregated
amounts for the ad (5) and the campaign (6); (e) their source and origin (7); (f) the
methodology (8); (g) the linked election, referendum or process (9); (h) links to official
information on how to take part in the linked elections or referendums (10); then the European
repository, how to notify, suspension and targeting (11-14), in the order of the remaining
points, (i)-(l) (docs/ttpa.md says which points were checked against a copy of the text and
which wait for the Official Journal). ``NOTICE_SCHEMA`` is the JSON Schema of the
machine-readable notice (published at ``/api/ttpa/notice.schema.json``).

What it shows of a declaration is what arts. 11-12 ask for: the sponsor's name and email, an
organisation's postal address, country and registration number, the names of the entity
controlling it and of the payer, the linked election or process, and the money's source and
origin. A person's postal address, the other parties' contact details and the declared
status stay private (``domain.ttpa.SponsorDeclaration``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paidfor.domain import Ad, AdStatus, Election
from paidfor.domain.ttpa import SponsorDeclaration, SponsorKind
from paidfor.domain.urls import link_of
from paidfor.review.targeting_annex import ANNEX_SCHEMA, annex_of

LAW = "Regulation (EU) 2024/900"
#: 2: section 13 carries the targeting annex (art. 19), sections 10 and 11 their addresses.
#: 3: section 10 is art. 12(1)(h), links to official information on how to take part in the
#: linked elections; the repository, notify, suspended and targeting sections are now 11-14.
NOTICE_VERSION = 3
TEMPLATE = "Commission Implementing Regulation (EU) 2025/1410"
STATEMENT = "Political advertisement"  # art. 11(1)(a)
METHODOLOGY = (
    "The amount is the total the sponsor was charged for this advertisement on this platform: "
    "the spend recorded for its delivery, in the currency it was paid in, with no other "
    "benefits in kind (the platform takes none). The campaign is this advertisement alone: the "
    "platform keeps no campaign that groups advertisements. Updated whenever delivery is "
    "recorded."
)
REPOSITORY_FEED = "/api/ttpa/repository"
REPOSITORY = (
    "The European repository for online political advertisements (art. 13) is not yet open. "
    "This platform makes every transparency notice available for it in a machine-readable "
    "feed, in the format of this notice's JSON Schema, at the address given."
)
NOTIFY = (
    "Anyone can notify this platform, free of charge, that this political advertisement may "
    "break Regulation (EU) 2024/900, at the address given (art. 15). The notifier gets a "
    "receipt and can read the outcome with it."
)
# art. 12(1)(h): the page of each linked election is its ``source_url``, which an administrator
# sets to the official page on how to vote (docs/elections.md; no field of its own yet).
PARTICIPATION = (
    "Official information on how to take part in the election or referendum this political "
    "advertisement is linked to: the page recorded for each."
)
PARTICIPATION_MISSING = "No page of official information is recorded for {election}."
NOT_APPLICABLE = {
    "process": "Does not apply: the political advertisement is linked to a legislative or "
    "regulatory process, not to a specific election or referendum.",
    "none": "Does not apply: the political advertisement is not linked to a specific election "
    "or referendum.",
}

#: (number, key, title) of each section, in the order of art. 12(1), points (a) to (l).
SECTIONS: tuple[tuple[int, str, str], ...] = (
    (1, "sponsor", "The sponsor"),
    (2, "controller", "The entity ultimately controlling the sponsor"),
    (3, "payer", "The entity paying for the political advertisement"),
    (4, "period", "The period during which the political advertisement is intended to be "
                  "published, delivered or disseminated"),
    (5, "amounts", "The aggregated amounts and the aggregated value of other benefits "
                   "received by the providers of political advertising services for the "
                   "political advertisement"),
    (6, "campaign_amounts", "The aggregated amounts for the political advertising campaign"),
    (7, "funding", "The public or private source of the amounts and whether they come from "
                   "inside or outside the Union"),
    (8, "methodology", "The methodology used to calculate the amounts"),
    (9, "linked_to", "The election, referendum, legislative or regulatory process the "
                     "political advertisement is linked to"),
    (10, "participation", "Links to official information about how to take part in the "
                          "election or referendum the political advertisement is linked to"),
    (11, "repository", "The European repository for online political advertisements"),
    (12, "notify", "How to notify a political advertisement that may not comply"),
    (13, "suspended", "Whether the political advertisement was suspended or discontinued for "
                      "breaking Regulation (EU) 2024/900"),
    (14, "targeting", "Whether targeting or ad-delivery techniques were used"),
)  # fmt: skip

FUNDING_WORDS = {
    "public": "public sources",
    "private": "private sources",
    "public_and_private": "public and private sources",
    "inside_union": "inside the Union",
    "outside_union": "outside the Union",
    "inside_and_outside_union": "inside and outside the Union",
}


@dataclass(frozen=True)
class Label:
    """What art. 11(1) puts with every political ad in the Union: the statement, the sponsor
    (and the entity controlling it), the linked election or process, whether targeting or
    ad-delivery techniques were used, and where the notice is."""

    ad_id: int
    sponsor: str
    controller: str | None
    linked_to: str | None
    targeted: bool
    statement: str = STATEMENT

    @property
    def notice_url(self) -> str:
        return f"/ads/{self.ad_id}/notice"

    def as_json(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "sponsor": self.sponsor,
            "controller": self.controller,
            "linked_to": self.linked_to,
            "targeting_used": self.targeted,
            "notice_url": self.notice_url,
        }


def targeted(ad: Ad) -> bool:
    """Whether the ad was targeted with more than the countries it runs in (regions, cities,
    ages, genders, interests, audiences, languages): personal data used to choose who sees
    it (art. 11(1)(d), art. 19)."""
    t = ad.targeting
    narrower = any(loc.region or loc.city for loc in t.locations)
    return bool(narrower or t.age_min or t.age_max or t.genders or t.interests
                or t.custom_audiences or t.languages or t.behaviors)  # fmt: skip


def linked_to(decl: SponsorDeclaration, election: Election | None) -> str | None:
    if election is not None:
        return f"{election.name} ({election.country}, {election.date.isoformat()})"
    return decl.linked_process


def participation(decl: SponsorDeclaration, election: Election | None) -> dict[str, Any]:
    """Art. 12(1)(h): for an ad linked to a specific election or referendum, a link for each to
    official information on how to take part in it (the election's ``source_url``, when it is
    an http(s) link: ``domain.urls.link_of``); for one linked to a legislative or regulatory
    process only, or to nothing, it does not apply."""
    if election is None:
        why = "process" if decl.linked_process else "none"
        return {"applies": False, "text": NOT_APPLICABLE[why], "links": []}
    url = link_of(election.source_url)
    text = PARTICIPATION
    if url is None:
        text += " " + PARTICIPATION_MISSING.format(election=linked_to(decl, election))
    link = {"name": election.name, "country": election.country,
            "date": election.date.isoformat(), "url": url}  # fmt: skip
    return {"applies": True, "text": text, "links": [link]}


def label_of(ad: Ad, decl: SponsorDeclaration, election: Election | None) -> Label:
    assert ad.id is not None
    return Label(ad.id, decl.sponsor_name, decl.controller_name, linked_to(decl, election),
                 targeted(ad))  # fmt: skip


def _party(name: str | None, email: str | None = None, **more: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if email is not None:
        out["email"] = email
    out.update({k: v for k, v in more.items() if v is not None})
    return out


def notice_of(
    ad: Ad, decl: SponsorDeclaration, election: Election | None, url: str
) -> dict[str, Any]:
    """The transparency notice as JSON (valid against ``NOTICE_SCHEMA``); ``url`` is where it
    is published."""
    assert ad.id is not None
    organisation = decl.sponsor_kind == SponsorKind.LEGAL_PERSON
    sponsor = _party(
        decl.sponsor_name,
        decl.sponsor_email,
        postal_address=decl.sponsor_address if organisation else None,
        country=decl.sponsor_country,
        registration_number=decl.sponsor_registration if organisation else None,
    )
    spend = ad.delivery.spend if ad.delivery.spend is not None else Decimal(0)
    amount = {"total": f"{spend:.2f}", "currency": ad.delivery.currency or None}
    removed = ad.status == AdStatus.REMOVED
    values: dict[str, Any] = {
        "sponsor": sponsor,
        "controller": _party(decl.controller_name) if decl.controller_name else None,
        "payer": _party(decl.payer_name) if decl.payer_name else None,
        "period": {
            "start": ad.start_at.date().isoformat() if ad.start_at else None,
            "end": ad.stop_at.date().isoformat() if ad.stop_at else None,
        },
        "amounts": amount,
        "campaign_amounts": amount,
        "funding": {
            "source": decl.funding_source.value,
            "origin": decl.funding_origin.value,
            "text": f"From {FUNDING_WORDS[decl.funding_source.value]}, "
            f"{FUNDING_WORDS[decl.funding_origin.value]}.",
        },
        "methodology": METHODOLOGY,
        "linked_to": {
            "text": linked_to(decl, election),
            "election": None
            if election is None
            else {
                "name": election.name,
                "country": election.country,
                "date": election.date.isoformat(),
                "level": election.level,
            },
        },
        "participation": participation(decl, election),
        "repository": {"url": REPOSITORY_FEED, "text": REPOSITORY},
        "notify": {"url": f"/ads/{ad.id}/notify", "text": NOTIFY},
        "suspended": {
            "suspended_or_discontinued": removed,
            "reason": ad.removal_reason if removed else None,
        },
        "targeting": {
            "used": targeted(ad),
            "text": "Yes: the sponsor chose who sees it by criteria beyond the countries it "
            "runs in."
            if targeted(ad)
            else "No: it was shown in the countries it runs in, to no narrower audience.",
            # art. 19(1)(c)-(e), through art. 12(1): the annex of a targeted ad
            "annex": annex_of(ad) if targeted(ad) else None,
        },
    }
    return {
        "notice_version": NOTICE_VERSION,
        "regulation": LAW,
        "template": TEMPLATE,
        "ad_id": ad.id,
        "url": url,
        "label": label_of(ad, decl, election).as_json(),
        "sections": [
            {"number": n, "key": key, "title": title, "value": values[key]}
            for n, key, title in SECTIONS
        ],
    }


_TEXT = {"type": ["string", "null"]}
_PARTY = {
    "type": ["object", "null"],
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string"},
        "postal_address": {"type": "string"},
        "country": {"type": "string"},
        "registration_number": {"type": "string"},
    },
    "additionalProperties": False,
}
_AMOUNT = {
    "type": "object",
    "required": ["total", "currency"],
    "properties": {"total": {"type": "string"}, "currency": _TEXT},
    "additionalProperties": False,
}
_LINKED = {
    "type": "object",
    "required": ["url", "text"],
    "properties": {"url": _TEXT, "text": {"type": "string"}},
    "additionalProperties": False,
}
_VALUE: dict[str, Any] = {
    "sponsor": {**_PARTY, "type": "object", "required": ["name", "email", "country"]},
    "controller": _PARTY,
    "payer": _PARTY,
    "period": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {"start": _TEXT, "end": _TEXT},
        "additionalProperties": False,
    },
    "amounts": _AMOUNT,
    "campaign_amounts": _AMOUNT,
    "funding": {
        "type": "object",
        "required": ["source", "origin", "text"],
        "properties": {
            "source": {"enum": ["public", "private", "public_and_private"]},
            "origin": {"enum": ["inside_union", "outside_union", "inside_and_outside_union"]},
            "text": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "methodology": {"type": "string"},
    "linked_to": {
        "type": "object",
        "required": ["text", "election"],
        "properties": {
            "text": _TEXT,
            "election": {
                "type": ["object", "null"],
                "required": ["name", "country", "date", "level"],
                "properties": {
                    "name": {"type": "string"},
                    "country": {"type": "string"},
                    "date": {"type": "string"},
                    "level": {"enum": ["eu", "national", "regional", "local"]},
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
    "participation": {
        "type": "object",
        "required": ["applies", "text", "links"],
        "properties": {
            "applies": {"type": "boolean"},
            "text": {"type": "string"},
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "country", "date", "url"],
                    "properties": {
                        "name": {"type": "string"},
                        "country": {"type": "string"},
                        "date": {"type": "string"},
                        "url": {"type": ["string", "null"], "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"},
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
    "repository": _LINKED,
    "notify": _LINKED,
    "suspended": {
        "type": "object",
        "required": ["suspended_or_discontinued", "reason"],
        "properties": {"suspended_or_discontinued": {"type": "boolean"}, "reason": _TEXT},
        "additionalProperties": False,
    },
    "targeting": {
        "type": "object",
        "required": ["used", "text", "annex"],
        "properties": {
            "used": {"type": "boolean"},
            "text": {"type": "string"},
            "annex": ANNEX_SCHEMA,
        },
        "additionalProperties": False,
    },
}

#: The JSON Schema (draft 2020-12) of ``notice_of``'s answer.
NOTICE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "/api/ttpa/notice.schema.json",
    "title": "Transparency notice of a political advertisement (Regulation (EU) 2024/900, "
    "art. 12; Implementing Regulation (EU) 2025/1410)",
    "type": "object",
    "required": ["notice_version", "regulation", "template", "ad_id", "url", "label", "sections"],
    "properties": {
        "notice_version": {"const": NOTICE_VERSION},
        "regulation": {"const": LAW},
        "template": {"const": TEMPLATE},
        "ad_id": {"type": "integer"},
        "url": {"type": "string"},
        "label": {
            "type": "object",
            "required": [
                "statement",
                "sponsor",
                "controller",
                "linked_to",
                "targeting_used",
                "notice_url",
            ],
            "properties": {
                "statement": {"const": STATEMENT},
                "sponsor": {"type": "string"},
                "controller": _TEXT,
                "linked_to": _TEXT,
                "targeting_used": {"type": "boolean"},
                "notice_url": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "sections": {
            "type": "array",
            "prefixItems": [
                {
                    "type": "object",
                    "required": ["number", "key", "title", "value"],
                    "properties": {
                        "number": {"const": n},
                        "key": {"const": key},
                        "title": {"const": title},
                        "value": _VALUE[key],
                    },
                    "additionalProperties": False,
                }
                for n, key, title in SECTIONS
            ],
            "items": False,
            "minItems": len(SECTIONS),
        },
    },
    "additionalProperties": False,
}
