"""The vocabulary of the EU's political-advertising law: Regulation (EU) 2024/900 on the
transparency and targeting of political advertising (TTPA). No I/O; the rules are in
``review.ttpa``, the documentation in docs/ttpa.md.

- ``EU_MEMBER_STATES``: the Union the regulation applies to (ISO 3166-1 alpha-2; Greece is
  ``GR`` here, ``EL`` in EU documents).
- ``SponsorStatus``: who the sponsor declares it is, for art. 5(2): in the three months before
  an election or referendum, political advertising services linked to it go only to a citizen
  of the Union, a third-country national permanently resident in the Union with the right to
  vote in that election, or a legal person established in the Union not ultimately owned or
  controlled by a third-country person.
- ``SponsorDeclaration``: the sponsor's declaration of art. 7(1) with the information of art.
  9(1) the provider retains: that the service is political advertising, the election,
  referendum or legislative or regulatory process it is linked to, the sponsor's identity and
  contact, the entity ultimately controlling it, the payer where different, and whether the
  amounts come from public or private sources and from inside or outside the Union.
- ``RequesterKind``, ``REFUSAL_GROUNDS`` and ``response_deadline``: who asks for information
  (arts. 16-17), why a request may be refused, and when an answer is due, for requests and
  for notifications of possibly non-compliant ads (art. 15).
"""

from __future__ import annotations

import enum
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

#: The 27 Member States (ISO 3166-1 alpha-2).
EU_MEMBER_STATES: frozenset[str] = frozenset(
    {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
     "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
)  # fmt: skip

#: The currencies of the Member States (the euro and the eight national currencies still in
#: use): a card in any other currency is a fact the art. 5(2) contradiction check weighs.
EU_CURRENCIES: frozenset[str] = frozenset({"EUR", "BGN", "CZK", "DKK", "HUF", "PLN", "RON", "SEK"})


class SponsorStatus(enum.StrEnum):
    """What the sponsor declares it is (art. 5(2)(a)-(c), and everybody else)."""

    EU_CITIZEN = "eu_citizen"
    RESIDENT_VOTER = "third_country_resident_voter"
    EU_LEGAL_PERSON = "eu_legal_person"
    OTHER = "other"


#: The statuses art. 5(2) lets buy political advertising linked to an election or referendum
#: in the three months before it.
QUALIFYING_STATUSES: frozenset[SponsorStatus] = frozenset(
    {SponsorStatus.EU_CITIZEN, SponsorStatus.RESIDENT_VOTER, SponsorStatus.EU_LEGAL_PERSON}
)


class SponsorKind(enum.StrEnum):
    NATURAL_PERSON = "natural_person"
    LEGAL_PERSON = "legal_person"


class FundingSource(enum.StrEnum):
    """Whether the amounts paid come from public or private sources (art. 9(1)(c),
    art. 12(1)(d))."""

    PUBLIC = "public"
    PRIVATE = "private"
    BOTH = "public_and_private"


class FundingOrigin(enum.StrEnum):
    """Whether the amounts paid come from inside or outside the Union (art. 9(1)(c),
    art. 12(1)(d))."""

    INSIDE = "inside_union"
    OUTSIDE = "outside_union"
    BOTH = "inside_and_outside_union"


@dataclass(frozen=True)
class SponsorDeclaration:
    """A sponsor's declaration for one ad (art. 7(1); what art. 9(1) retains).

    Public, on the label and the transparency notice (arts. 11-12): the sponsor's name and
    email, a legal person's postal address, country and registration number, the controlling
    entity's and the payer's names, the linked election or process and the funding's source
    and origin. Private to staff: a natural person's postal address, the controlling
    entity's and the payer's contact details, and the declared ``status``."""

    status: SponsorStatus
    sponsor_kind: SponsorKind
    sponsor_name: str
    sponsor_email: str
    sponsor_address: str
    sponsor_country: str
    funding_source: FundingSource
    funding_origin: FundingOrigin
    political_advertising: bool = True  # art. 7(1): the sponsor says the ad is political
    sponsor_registration: str | None = None
    linked_election_id: int | None = None  # an election or referendum (``Election.id``)
    linked_process: str | None = None  # a legislative or regulatory process, in words
    controller_name: str | None = None  # the entity ultimately controlling the sponsor
    controller_email: str | None = None
    controller_address: str | None = None
    payer_name: str | None = None  # who pays, where it is not the sponsor
    payer_email: str | None = None
    payer_address: str | None = None
    declared_by: str | None = None
    declared_at: datetime | None = None
    ad_id: int | None = None

    @property
    def qualifies(self) -> bool:
        """Whether the declared status lets the sponsor buy political advertising in the
        three months before an election (art. 5(2))."""
        return self.status in QUALIFYING_STATUSES


# -- notifications and requests for information (arts. 15-17) ---------------------------------


class RequesterKind(enum.StrEnum):
    """Who asks a provider of political advertising services for information: a competent
    authority (art. 16), or an interested entity of art. 17(1): a vetted researcher (art.
    40(8) of Regulation (EU) 2022/2065), a member of a civil-society organisation whose
    statutory objectives are to protect and promote the public interest, a political actor,
    a national or international election observer, or a journalist."""

    COMPETENT_AUTHORITY = "competent_authority"
    VETTED_RESEARCHER = "vetted_researcher"
    CIVIL_SOCIETY = "civil_society"
    POLITICAL_ACTOR = "political_actor"
    ELECTION_OBSERVER = "election_observer"
    JOURNALIST = "journalist"


#: What a refusal of an art. 17 request may rest on (art. 17: a reasoned response); the
#: reason itself is always written out beside it.
REFUSAL_GROUNDS: dict[str, str] = {
    "manifestly_unfounded": "the request is manifestly unfounded",
    "excessive": "the request is excessive, in particular because it is repetitive",
    "not_eligible": "the requester is not one of the entities art. 16 or 17 names, or did "
    "not show it",
    "not_held": "the information asked for is not held by this provider",
    "other": "another reason, written out",
}

#: Where a vote in the Union is this close after a request or notification arrives, the
#: election period's shorter deadline applies.
ELECTION_PERIOD = timedelta(days=31)


@dataclass(frozen=True)
class Deadline:
    """When an answer is due (``due`` None: no fixed time, only the article's standard) and
    the rule that says so, with its article."""

    due: datetime | None
    rule: str


def _month_after(moment: datetime) -> datetime:
    """The same day and time one calendar month later (the last day of a shorter month)."""
    year, month = (moment.year + (moment.month == 12), moment.month % 12 + 1)
    day = min(moment.day, monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def in_election_period(received: datetime, votes: Iterable[date]) -> date | None:
    """The first vote in ``votes`` within ``ELECTION_PERIOD`` after ``received`` (the day of
    receipt included), or None."""
    start = received.date()
    near = sorted(v for v in votes if start <= v <= start + ELECTION_PERIOD)
    return near[0] if near else None


def response_deadline(what: str, received: datetime, votes: Iterable[date] = ()) -> Deadline:
    """The deadline of an answer, one rule for every kind (docs/ttpa.md gives the articles;
    check them against the Official Journal's text before relying on them):

    - ``notification`` (art. 15): processed in a timely, diligent and objective manner, and
      within 48 hours when received in the month before an election or referendum;
    - ``competent_authority`` (art. 16): within one month of receipt, and within 48 hours
      when received in the month before an election or referendum;
    - an interested entity (art. 17, any other ``RequesterKind``): best efforts to answer,
      or to give a reasoned response, within one month of receipt.

    ``votes`` are the dates of the elections and referendums concerned (those of the Member
    States the ad or request concerns)."""
    vote = in_election_period(received, votes)
    if what == "notification":
        if vote is not None:
            return Deadline(received + timedelta(hours=48),
                            f"art. 15: within 48 hours, the vote of {vote.isoformat()} being "
                            "less than a month away")  # fmt: skip
        return Deadline(None, "art. 15: in a timely, diligent and objective manner")
    kind = RequesterKind(what)
    if kind is RequesterKind.COMPETENT_AUTHORITY:
        if vote is not None:
            return Deadline(received + timedelta(hours=48),
                            f"art. 16: within 48 hours, the vote of {vote.isoformat()} being "
                            "less than a month away")  # fmt: skip
        return Deadline(_month_after(received), "art. 16: within one month of receipt")
    return Deadline(_month_after(received),
                    "art. 17: best efforts within one month of receipt, or a reasoned "
                    "response")  # fmt: skip
