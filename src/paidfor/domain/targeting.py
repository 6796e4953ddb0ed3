"""Who an ad was aimed at. Private: only staff roles and disclosures see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Location:
    """A targeted place: a country, optionally narrowed to a region, city or postcode."""

    country: str
    region: str | None = None
    city: str | None = None
    radius_km: int | None = None
    raw: str | None = None


@dataclass
class Targeting:
    locations: list[Location] = field(default_factory=list)
    excluded_locations: list[Location] = field(default_factory=list)
    age_min: int | None = None
    age_max: int | None = None  # None with age_min set means "and over" (65+)
    genders: list[str] = field(default_factory=list)  # "male", "female"; empty = all
    languages: list[str] = field(default_factory=list)
    placements: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    behaviors: list[str] = field(default_factory=list)
    people_who_match: list[str] = field(default_factory=list)
    custom_audiences: list[str] = field(default_factory=list)
    excluded_connections: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)
    friends_of_connections: list[str] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)  # source text, field by field
    # detailed targeting excluded with "Exclude:" (e.g. Multicultural Affinity: Hispanic (US - All))
    excluded_behaviors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict. It shares the lists of this object (no deep copy: this runs
        once per imported ad, and dataclasses.asdict was the slowest step of an import)."""
        out = dict(self.__dict__)
        out["locations"] = [dict(loc.__dict__) for loc in self.locations]
        out["excluded_locations"] = [dict(loc.__dict__) for loc in self.excluded_locations]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Targeting:
        if not data:
            return cls()
        d = dict(data)
        for key in ("locations", "excluded_locations"):
            d[key] = [Location(**loc) for loc in d.get(key) or []]
        try:
            return cls(**d)
        except TypeError:  # a key this version does not know: keep the ones it does
            return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    @property
    def countries(self) -> list[str]:
        seen: dict[str, None] = {}
        for loc in self.locations:
            seen.setdefault(loc.country, None)
        return list(seen)
