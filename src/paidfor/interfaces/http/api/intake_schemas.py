"""The request bodies of the self-service and review API, with their checks, and their
conversion to domain objects. A body that breaks a rule is a 422 naming the field."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from paidfor.domain import (
    ActionKind,
    Ad,
    Admin,
    AdStatus,
    AuthorizationRequest,
    Creative,
    Delivery,
    Page,
    PaymentInstrument,
    Targeting,
)
from paidfor.domain.models import SUBMITTED_SOURCE, AdType
from paidfor.domain.targeting import Location
from paidfor.domain.text import clean_name
from paidfor.domain.ttpa import (
    FundingOrigin,
    FundingSource,
    SponsorDeclaration,
    SponsorKind,
    SponsorStatus,
)
from paidfor.interfaces.http.api.answers import BodyId
from paidfor.library.archive_params import PLATFORMS
from paidfor.review.service import Submission


def _country(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code) or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166 country code like US")
    return code


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code like USD")
    return code


def _language(value: str) -> str:
    code = value.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise ValueError(f"{value!r} is not a language code like en")
    return code


def _platform(value: str) -> str:
    if value.strip().upper() not in PLATFORMS:
        raise ValueError(f"{value!r} is not one of {', '.join(p.lower() for p in PLATFORMS)}")
    return value.strip().lower()


Country = Annotated[str, AfterValidator(_country)]
Currency = Annotated[str, AfterValidator(_currency)]
Language = Annotated[str, AfterValidator(_language)]
Platform = Annotated[str, AfterValidator(_platform)]
#: A name a person types: the one name rule (``domain.text.clean_name``: NFKC, no bidi
#: controls or invisible characters, something visible).
Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(clean_name)]
Text = Annotated[str, Field(min_length=1, max_length=5000)]
Why = Annotated[str, Field(min_length=3, max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AdvertiserIn(Body):
    name: Name
    country: Country


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


class PaymentIn(Body):
    """A card: its number is checked and turned into a keyed fingerprint at once; the number
    itself is never stored, logged or returned."""

    currency: Currency
    billing_country: Country
    card_number: Annotated[str, Field(min_length=12, max_length=23, repr=False)]

    @model_validator(mode="after")
    def _card(self) -> PaymentIn:
        digits = re.sub(r"[ -]", "", self.card_number)
        if not re.fullmatch(r"[0-9]{12,19}", digits) or not luhn_ok(digits):
            raise ValueError("card_number is not a valid card number")
        self.card_number = digits
        return self

    def to_domain(self, secret: str) -> PaymentInstrument:
        mac = hmac.new(secret.encode(), self.card_number.encode(), hashlib.sha256)
        return PaymentInstrument(
            currency=self.currency,
            billing_country=self.billing_country,
            card_fingerprint=mac.hexdigest(),
        )


class AdminIn(Body):
    name: Name
    login_countries: list[Country] = Field(default_factory=list, max_length=50)


class PageIn(Body):
    name: Name
    category: Annotated[str, Field(max_length=200)] | None = None
    country: Country
    language: Language | None = None
    admins: list[AdminIn] = Field(min_length=1, max_length=50)

    def to_domain(self) -> Page:
        return Page(
            name=self.name,
            category=self.category,
            country=self.country,
            language=self.language,
            admins=[Admin(a.name, list(a.login_countries)) for a in self.admins],
        )


class AuthorizationIn(Body):
    country: Country
    legal_name: Name
    residence_country: Country
    id_document_ref: Annotated[str, Field(min_length=3, max_length=200)]
    funder: Name  # the "Paid for by" name to be verified

    def to_domain(self) -> AuthorizationRequest:
        return AuthorizationRequest(
            country=self.country,
            legal_name=self.legal_name,
            residence_country=self.residence_country,
            id_document_ref=self.id_document_ref,
            funder_name=self.funder,
        )


class DecisionIn(Body):
    approve: bool
    reason: Why


class AdDecisionIn(DecisionIn):
    # The id of the decision this one answers: the held decision the reviewer looked at (may
    # be left out while the ad is held) or the decision to override (required then). It must
    # still be the ad's latest, else 409 (docs/review.md, "Two people, one ad").
    answers: BodyId | None = None


class LocationIn(Body):
    country: Country
    region: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(max_length=200)] | None = None


class TargetingIn(Body):
    locations: list[LocationIn] = Field(min_length=1, max_length=200)
    age_min: Annotated[int, Field(ge=13, le=65)] | None = None
    age_max: Annotated[int, Field(ge=13, le=65)] | None = None
    genders: list[Annotated[str, Field(pattern="^(male|female)$")]] = Field(
        default_factory=list, max_length=2
    )
    interests: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=200
    )
    custom_audiences: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=50
    )
    languages: list[Language] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _ages(self) -> TargetingIn:
        if self.age_min and self.age_max and self.age_min > self.age_max:
            raise ValueError("age_min is above age_max")
        return self

    def to_domain(self) -> Targeting:
        return Targeting(
            locations=[Location(loc.country, loc.region, loc.city) for loc in self.locations],
            age_min=self.age_min,
            age_max=self.age_max,
            genders=list(self.genders),
            interests=list(self.interests),
            custom_audiences=list(self.custom_audiences),
            languages=list(self.languages),
        )


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}", value):
        raise ValueError(f"{value!r} is not an email address")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Address = Annotated[str, Field(min_length=3, max_length=500)]


class DeclarationIn(Body):
    """The sponsor's declaration of art. 7(1) of Regulation (EU) 2024/900 (docs/ttpa.md):
    required for a political ad aimed at a Member State of the Union (review refuses one
    without it, ``ttpa_no_declaration``)."""

    political_advertising: bool = True  # that the ad is political advertising
    status: SponsorStatus  # art. 5(2): who the sponsor is
    sponsor_kind: SponsorKind
    sponsor_name: Name
    sponsor_email: Email
    sponsor_address: Address
    sponsor_country: Country  # where it lives or is established
    sponsor_registration: Annotated[str, Field(max_length=100)] | None = None
    funding_source: FundingSource  # public or private money
    funding_origin: FundingOrigin  # from inside or outside the Union
    linked_election_id: BodyId | None = None  # an election or referendum the platform knows
    linked_process: Annotated[str, Field(min_length=3, max_length=500)] | None = None
    controller_name: Name | None = None  # the entity ultimately controlling the sponsor
    controller_email: Email | None = None
    controller_address: Address | None = None
    payer_name: Name | None = None  # who pays, where it is not the sponsor
    payer_email: Email | None = None
    payer_address: Address | None = None

    @model_validator(mode="after")
    def _parties(self) -> DeclarationIn:
        for who in ("controller", "payer"):
            if getattr(self, f"{who}_name") is None and (
                getattr(self, f"{who}_email") or getattr(self, f"{who}_address")
            ):
                raise ValueError(f"{who}_name: name the {who} whose contact details are given")
        return self

    def to_domain(self) -> SponsorDeclaration:
        return SponsorDeclaration(**self.model_dump())


class AdIn(Body):
    page_id: BodyId
    bodies: list[Text] = Field(min_length=1, max_length=10)
    link_title: Annotated[str, Field(max_length=500)] | None = None
    link_caption: Annotated[str, Field(max_length=500)] | None = None
    link_description: Annotated[str, Field(max_length=2000)] | None = None
    landing_url: HttpUrl | None = None
    image_hashes: list[Annotated[str, Field(pattern="^[A-Za-z0-9_-]{6,128}$")]] = Field(
        default_factory=list, max_length=10
    )
    targeting: TargetingIn
    start: datetime
    stop: datetime | None = None
    budget: Annotated[Decimal, Field(gt=0, le=Decimal("100000000"), decimal_places=2)]
    currency: Currency
    paid_for_by: Name | None = None
    political: bool = False  # declared: a political or issue ad
    platforms: list[Platform] = Field(default_factory=lambda: ["facebook"], max_length=7)
    languages: list[Language] = Field(default_factory=list, max_length=20)
    declaration: DeclarationIn | None = None  # the sponsor's (Regulation (EU) 2024/900)

    @model_validator(mode="after")
    def _schedule(self) -> AdIn:
        for name in ("start", "stop"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                setattr(self, name, value.replace(tzinfo=UTC))
        if self.stop is not None and self.stop <= self.start:
            raise ValueError("stop is not after start")
        return self

    def submission(self) -> Submission:
        """What the review service takes: the ad, its page, funder and budget."""
        return Submission(
            ad=self.to_domain(),
            page_id=self.page_id,
            funder_name=self.paid_for_by,
            budget_cents=int(self.budget * 100),
            budget_currency=self.currency,
            declaration=self.declaration.to_domain() if self.declaration else None,
        )

    def to_domain(self) -> Ad:
        return Ad(
            source=SUBMITTED_SOURCE,
            external_id="",
            creative=Creative(
                bodies=list(self.bodies),
                link_titles=[self.link_title] if self.link_title else [],
                link_captions=[self.link_caption] if self.link_caption else [],
                link_descriptions=[self.link_description] if self.link_description else [],
                landing_url=str(self.landing_url) if self.landing_url else None,
                image_hashes=list(self.image_hashes),
            ),
            targeting=self.targeting.to_domain(),
            start_at=self.start,
            stop_at=self.stop,
            status=AdStatus.PENDING,
            ad_type=AdType.POLITICAL_AND_ISSUE_ADS.value if self.political else AdType.ALL.value,
            platforms=list(self.platforms),
            languages=list(self.languages),
        )


#: How far the shares of one delivery may add up past 1 (each part rounded to a percent).
SHARE_ROUNDING = Decimal("0.01")


class ShareIn(Body):
    percentage: Annotated[Decimal, Field(ge=0, le=1)]


class DemographicIn(ShareIn):
    age: Annotated[str, Field(pattern=r"^(13-17|18-24|25-34|35-44|45-54|55-64|65\+)$")]
    gender: Annotated[str, Field(pattern="^(male|female|unknown)$")]


class RegionIn(ShareIn):
    region: Annotated[str, Field(min_length=1, max_length=200)]


class DeliveryIn(Body):
    impressions: Annotated[int, Field(ge=0, le=10**12)]
    spend: Annotated[Decimal, Field(ge=0, le=Decimal("100000000"), decimal_places=2)]
    currency: Currency
    reached_countries: list[Country] = Field(default_factory=list, max_length=250)
    demographic_distribution: list[DemographicIn] = Field(default_factory=list, max_length=100)
    delivery_by_region: list[RegionIn] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _shares_add_up(self) -> DeliveryIn:
        """Each list shares out one delivery: its parts are each in 0..1 (the field's bound),
        name each group once, and add up to at most 1 (with ``SHARE_ROUNDING`` for parts
        rounded as they were published)."""
        for name, parts, key in (
            ("demographic_distribution", self.demographic_distribution,
             lambda d: (d.age, d.gender)),
            ("delivery_by_region", self.delivery_by_region, lambda r: r.region.casefold()),
        ):  # fmt: skip
            keys = [key(p) for p in parts]
            if len(set(keys)) != len(keys):
                raise ValueError(f"{name} names the same group twice")
            total = sum((p.percentage for p in parts), Decimal(0))
            if total > 1 + SHARE_ROUNDING:
                raise ValueError(
                    f"{name}'s percentages add up to {total}: shares of one delivery add up "
                    "to at most 1"
                )
        return self

    def to_domain(self) -> Delivery:
        return Delivery(
            impressions=self.impressions,
            spend=self.spend,
            currency=self.currency,
            reached_countries=list(self.reached_countries),
            demographic_distribution=[
                {"age": d.age, "gender": d.gender, "percentage": str(d.percentage)}
                for d in self.demographic_distribution
            ],
            delivery_by_region=[
                {"region": r.region, "percentage": str(r.percentage)}
                for r in self.delivery_by_region
            ],
        )


class EnforcementIn(Body):
    action: ActionKind
    targets: list[BodyId] = Field(min_length=1, max_length=500)
    reason: Why
