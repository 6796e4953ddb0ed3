"""The targeting annex of a transparency notice (art. 19(1)(c)-(e) of Regulation (EU) 2024/900,
which art. 12(1) brings into the notice of a targeted ad): what the sponsor chose, derived from
the ad's stored targeting (``domain.targeting.Targeting``) and its recorded delivery, never
invented. Where paidfor does not know a value it says so (``None`` in the JSON, with a sentence
saying why). Pure: no database, no web.

What it publishes, and why it may: art. 19(1)(c) asks for the groups of recipients targeted and
the parameters used "with the same level of detail as used for the targeting", the categories
of personal data, the techniques, the period and the number of recipients. So the places, ages,
genders, languages, interests and behaviours of a targeted EU political ad are public in its
notice (they stay private for every other ad, as DESIGN.md says). Two things are left out, with
the reason in the annex: the names of custom audiences (the sponsor's own labels for lists of
people, which can themselves name people; the annex gives their number and the category of data)
and connection targeting's page names beyond their number.

The platform's internal policy on these techniques (art. 19(1)(a)) is a page of its own,
``TARGETING_POLICY_PATH``, that every annex links (art. 19(1)(e)).
"""

from __future__ import annotations

from typing import Any

from paidfor.domain import Ad
from paidfor.domain.targeting import Location, Targeting

TARGETING_POLICY_PATH = "/ttpa/targeting-policy"

#: The category of personal data each targeting field uses (art. 19(1)(c)).
DATA_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("locations", "location (where a person is or lives, as the platform knows it)"),
    ("age", "age"),
    ("genders", "gender"),
    ("languages", "language"),
    ("interests", "interests the platform inferred from a person's activity on it"),
    ("behaviors", "behaviours the platform inferred from a person's activity on it"),
    ("custom_audiences", "membership of a list the sponsor supplied (a custom audience)"),
    ("connections", "connections to pages (who follows or likes them)"),
)

TECHNIQUE = (
    "Targeting: the sponsor chose the criteria listed here, and only people the platform "
    "holds as matching all of them (and none of the exclusions) could be shown the ad."
)
DELIVERY_UNKNOWN = (
    "Ad delivery: among the people targeted, the platform's delivery system chooses whom to "
    "show the ad to. paidfor, which keeps this notice, does not run that system and does not "
    "know its parameters; the targeting policy linked below says what the platform's does."
)
RIGHTS = (
    "You can ask the platform, as the controller of your personal data, whether it used your "
    "data to show you this advertisement, for a copy of that data, to correct or erase it, and "
    "object to its use for political advertising, and you can withdraw a consent you gave "
    "(Regulation (EU) 2016/679, arts. 7 and 15-21; Regulation (EU) 2024/900, art. 19(1)(c)). "
    "The targeting policy linked below says how to reach the platform. You can also complain "
    "to the data protection authority of your Member State."
)
AUDIENCE_NAMES_WITHHELD = (
    "The names of custom audiences are the sponsor's own labels for lists of people and are "
    "not published; their number and the category of data are."
)


def _place(loc: Location) -> str:
    parts = [p for p in (loc.city, loc.region, loc.country) if p]
    where = ", ".join(parts)
    return f"{where} (+{loc.radius_km} km)" if loc.radius_km else where


def _ages(t: Targeting) -> str | None:
    if t.age_min is None and t.age_max is None:
        return None
    if t.age_max is None:
        return f"{t.age_min} and over"
    return f"{t.age_min or 13} to {t.age_max}"


def _fields_used(t: Targeting) -> set[str]:
    used = {
        "locations": any(loc.region or loc.city for loc in t.locations)
        or bool(t.excluded_locations),
        "age": t.age_min is not None or t.age_max is not None,
        "genders": bool(t.genders),
        "languages": bool(t.languages),
        "interests": bool(t.interests),
        "behaviors": bool(t.behaviors or t.excluded_behaviors),
        "custom_audiences": bool(t.custom_audiences),
        "connections": bool(t.connections or t.friends_of_connections or t.excluded_connections),
    }
    return {k for k, v in used.items() if v}


def annex_of(ad: Ad) -> dict[str, Any]:
    """The annex of ``ad`` (valid against ``ANNEX_SCHEMA``): the groups targeted, the categories
    of data and the parameters, the techniques, the period, the number of recipients, how to
    exercise one's rights, and the link to the targeting policy."""
    t = ad.targeting
    used = _fields_used(t)
    words = dict(DATA_CATEGORIES)
    ages = _ages(t)
    groups = [f"people in {', '.join(_place(loc) for loc in t.locations) or 'no place given'}"]
    if ages:
        groups.append(f"aged {ages}")
    if t.genders:
        groups.append(f"gender: {', '.join(t.genders)}")
    if t.languages:
        groups.append(f"speaking {', '.join(t.languages)}")
    if t.interests or t.behaviors:
        groups.append(f"interested in or doing: {', '.join([*t.interests, *t.behaviors])}")
    if t.custom_audiences:
        groups.append(f"on {len(t.custom_audiences)} list(s) the sponsor supplied")
    d = ad.delivery
    impressions = d.impressions
    size = d.estimated_audience_size
    if impressions is None:
        recipients_text = "No delivery recorded yet: the number of recipients is not known."
    else:
        recipients_text = (
            f"Shown {impressions} times (impressions recorded for its delivery). The platform "
            "reports impressions, not distinct people: the number of people it reached is not "
            "known to paidfor and is at most that."
        )
    return {
        "groups": groups,
        "personal_data_categories": [words[k] for k, _ in DATA_CATEGORIES if k in used],
        "parameters": {
            "locations": [_place(loc) for loc in t.locations],
            "excluded_locations": [_place(loc) for loc in t.excluded_locations],
            "age_min": t.age_min,
            "age_max": t.age_max,
            "genders": list(t.genders),
            "languages": list(t.languages),
            "interests": list(t.interests),
            "behaviors": list(t.behaviors),
            "excluded_behaviors": list(t.excluded_behaviors),
            "custom_audiences": len(t.custom_audiences),
            "connections": len(t.connections) + len(t.friends_of_connections),
            "excluded_connections": len(t.excluded_connections),
        },
        "withheld": AUDIENCE_NAMES_WITHHELD if t.custom_audiences else None,
        "techniques": [TECHNIQUE, DELIVERY_UNKNOWN],
        "period": {
            "start": ad.start_at.date().isoformat() if ad.start_at else None,
            "end": ad.stop_at.date().isoformat() if ad.stop_at else None,
        },
        "recipients": {
            "impressions": impressions,
            "people_reached": None,
            "estimated_audience": None
            if size is None
            else {"lower_bound": size.lower, "upper_bound": size.upper},
            "text": recipients_text,
        },
        "rights": RIGHTS,
        "policy_url": TARGETING_POLICY_PATH,
    }


_TEXT = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_AGE = {"type": ["integer", "null"]}

#: The JSON Schema of ``annex_of``'s answer (a part of the notice's schema).
ANNEX_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["groups", "personal_data_categories", "parameters", "withheld", "techniques",
                 "period", "recipients", "rights", "policy_url"],
    "properties": {
        "groups": _STRINGS,
        "personal_data_categories": _STRINGS,
        "parameters": {
            "type": "object",
            "required": ["locations", "excluded_locations", "age_min", "age_max", "genders",
                         "languages", "interests", "behaviors", "excluded_behaviors",
                         "custom_audiences", "connections", "excluded_connections"],
            "properties": {
                "locations": _STRINGS, "excluded_locations": _STRINGS,
                "age_min": _AGE, "age_max": _AGE,
                "genders": _STRINGS, "languages": _STRINGS, "interests": _STRINGS,
                "behaviors": _STRINGS, "excluded_behaviors": _STRINGS,
                "custom_audiences": {"type": "integer", "minimum": 0},
                "connections": {"type": "integer", "minimum": 0},
                "excluded_connections": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": False,
        },
        "withheld": _TEXT,
        "techniques": _STRINGS,
        "period": {
            "type": "object",
            "required": ["start", "end"],
            "properties": {"start": _TEXT, "end": _TEXT},
            "additionalProperties": False,
        },
        "recipients": {
            "type": "object",
            "required": ["impressions", "people_reached", "estimated_audience", "text"],
            "properties": {
                "impressions": {"type": ["integer", "null"]},
                "people_reached": {"type": "null"},
                "estimated_audience": {
                    "type": ["object", "null"],
                    "required": ["lower_bound", "upper_bound"],
                    "properties": {"lower_bound": {"type": "integer"},
                                   "upper_bound": {"type": ["integer", "null"]}},
                    "additionalProperties": False,
                },
                "text": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "rights": {"type": "string"},
        "policy_url": {"const": TARGETING_POLICY_PATH},
    },
    "additionalProperties": False,
}  # fmt: skip
