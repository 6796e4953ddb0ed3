"""The legitimate population of a synthetic world (``paidfor.eval.world``), and the pieces
the planted networks are made of too (people, accounts, pages, address pools).

Advertisers are sampled from the Meta Ad Library Report of one US week
(``paidfor/data/world_population.csv``, derived by ``bench/world_data.py``): page names,
disclaimers, spend and ad counts, with names perturbed (a place added, a local chapter) so that
thousands of advertisers do not repeat, plus invented candidate campaigns. Around them, the hard
negatives a real platform sees (docs/world.md): agencies, carrier-grade NAT and VPN addresses,
popular landing domains, filing-deadline bursts, households sharing a device and a home line,
travellers, expats, advertisers abroad, chapters of national organisations, state parties'
county committees, ballot-measure coalitions, county offices on one state template, same-cause
groups, divisive issue ads, removed ads. Legitimate coordination is declared, most of the time,
in ``Relationship`` records (an agency's clients, chapters, committees); every legitimate
account carries the ``group`` of the hard negative it belongs to (``GROUPS``).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from random import Random

from paidfor.eval.world import text as wt

DATA = Path(__file__).resolve().parents[2] / "data" / "world_population.csv"
NOW = datetime(2024, 10, 31, 12, 0, tzinfo=UTC)
# Candidate filing deadlines: campaigns open accounts in bursts just before them.
DEADLINES = tuple(
    datetime(2023, m, d, tzinfo=UTC) if m > 6 else datetime(2024, m, d, tzinfo=UTC)
    for m, d in ((12, 11), (1, 2), (2, 1), (3, 8), (4, 4), (5, 28), (6, 10))
)
POPULAR_DOMAINS = ("secure.actblue.com", "secure.winred.com", "www.youtube.com", "www.change.org",
                   "www.gofundme.com", "www.eventbrite.com", "www.vote.org",
                   "actionnetwork.org")  # fmt: skip
NEWS_DOMAINS = ("www.nytimes.com", "www.foxnews.com", "www.washingtonpost.com", "www.cnn.com",
                "www.breitbart.com", "apnews.com", "www.usatoday.com", "www.dailywire.com",
                "www.npr.org", "nypost.com")  # fmt: skip
# The hard negative a legitimate account stands for, most specific first: an account tagged
# with several is reported under the first (``group``); untagged ones are "independent".
GROUPS = ("agency", "national_org", "chapter", "state_party", "county_committee", "coalition",
          "government_template", "same_cause", "party_committee", "removed_history",
          "household", "agency_client", "party_candidate", "abroad", "foreign_staff",
          "divisive_issue", "commercial_history", "independent")  # fmt: skip
REMOVAL_REASONS = ("misleading claim", "no disclaimer", "no disclaimer", "missing paid-for-by",
                   "prohibited content", "unverified advertiser")  # fmt: skip
TRAVEL = ("MX", "CA", "GB", "FR", "IT", "ES", "DE", "DO", "JP", "IL", "PR")
# Expats and foreign-born staff: (language setting, home country)
HOMES = (("es_LA", "MX"), ("es_LA", "MX"), ("es_LA", "CO"), ("ru", "RU"), ("ru", "RU"),
         ("ru", "UA"), ("uk", "UA"), ("zh_CN", "CN"), ("zh_TW", "TW"), ("vi", "VN"),
         ("ko", "KR"), ("ar", "LB"), ("fa", "IR"), ("pt_BR", "BR"), ("tl", "PH"),
         ("hi", "IN"))  # fmt: skip
LANGUAGE_NAMES = {
    "es_LA": "Spanish", "ru": "Russian", "uk": "Ukrainian", "zh_CN": "Chinese",
    "zh_TW": "Chinese", "vi": "Vietnamese", "ko": "Korean", "ar": "Arabic", "fa": "Persian",
    "pt_BR": "Portuguese", "tl": "Tagalog", "hi": "Hindi",
}  # fmt: skip


@dataclass(eq=False)
class Admin:
    name: str
    language: str = "en_US"
    login_countries: list[str] = field(default_factory=lambda: ["US"])
    devices: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    ext: str = ""


@dataclass
class Payment:
    currency: str
    billing_country: str
    fingerprint: str


@dataclass
class Targeting:
    """What an account's ads aim at; each ad draws from it."""

    countries: list[str]
    regions: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    ages: tuple[int, int | None] = (18, None)
    genders: list[str] = field(default_factory=list)
    fixed: bool = False  # every political ad targets all of ``interests`` (a fingerprint)


@dataclass(eq=False)
class Page:
    name: str
    country: str
    created_at: datetime
    category: str
    language: str = "en"
    admins: list[Admin] = field(default_factory=list)
    owner: Account | None = None
    ext: str = ""


@dataclass(eq=False)
class Account:
    name: str
    country: str
    created_at: datetime
    kind: str  # campaign, issue, news, business, government, party, union, chapter, abroad, network
    language: str = "en_US"
    payments: list[Payment] = field(default_factory=list)
    admins: list[Admin] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    funder: str | None = None
    n_ads: int = 1
    first_political: datetime = NOW
    nonpolitical: int = 0  # ads before the first political one (a business's history)
    spend_per_ad: float = 50.0  # in USD
    domains: list[str] = field(default_factory=list)  # landing domains, the first most often
    voice: wt.Voice | None = None
    alt_voice: wt.Voice | None = None  # a second voice some ads use (an agency's boilerplate)
    commercial_voice: wt.Voice | None = None  # what non-political ads say (else ``voice``)
    images: list[str] = field(default_factory=list)  # shared creatives (else the ads' own)
    targeting: Targeting = field(default_factory=lambda: Targeting(["US"]))
    network: str | None = None
    style: str | None = None
    tags: list[str] = field(default_factory=list)  # the hard negatives it belongs to (GROUPS)
    removed: int = 0  # how many of its political ads were removed
    removal_reason: str = ""
    ext: str = ""

    @property
    def group(self) -> str:
        """The hard negative a legitimate account is counted under (``population`` records)."""
        return next((g for g in GROUPS if g in self.tags), "independent")


@dataclass(eq=False)
class Relationship:
    """A declared tie: ``advertiser`` is ``managed_by`` the agency ``related`` or a
    ``member_of`` the organisation ``related``; ``status`` is declared (by this side only),
    confirmed (by the related side), verified (by staff) or refused."""

    advertiser: Account
    relation: str
    related: Account
    status: str
    declared_at: datetime
    ext: str = ""


class Tokens:
    """Unique opaque strings (devices, card fingerprints) and IP addresses: nothing is shared by
    accident, so every shared value in a world is shared on purpose."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def hex(self, prefix: str, bits: int = 48) -> str:
        while True:
            token = f"{prefix}-{self.rng.getrandbits(bits):0{bits // 4}x}"
            if token not in self.seen:
                self.seen.add(token)
                return token

    def ip(self, firsts: tuple[int, ...] = (24, 47, 50, 67, 68, 71, 73, 76, 98, 108, 174)) -> str:
        while True:
            r = self.rng
            token = (
                f"{r.choice(firsts)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
            )
            if token not in self.seen:
                self.seen.add(token)
                return token


@dataclass
class Pools:
    """Addresses many unrelated people share: mobile carriers' NAT and commercial VPN exits."""

    cgnat: list[str]
    cgnat_weights: list[float]
    vpn_us: list[str]  # VPN exits that geolocate to the US
    vpn_abroad: list[tuple[str, str]]  # (ip, country)

    @classmethod
    def make(cls, tokens: Tokens, advertisers: int) -> Pools:
        n = max(5, advertisers // 100)
        cgnat = [tokens.ip((172, 174, 107, 166)) for _ in range(n)]
        vpn_us = [tokens.ip((146, 185, 89, 37, 193, 45)) for _ in range(max(6, n // 3))]
        vpn_abroad = [(tokens.ip((185, 194, 91, 89)), c) for c in ("NL", "CH", "SE", "DE", "GB")]
        return cls(cgnat, [1 / (i + 1) for i in range(n)], vpn_us, vpn_abroad)

    def carrier(self, rng: Random) -> str:
        return rng.choices(self.cgnat, self.cgnat_weights)[0]


@dataclass
class Row:
    page: str
    disclaimer: str
    kind: str
    spend: float  # USD in the report's week
    ads: int


@lru_cache(maxsize=1)
def population_rows() -> tuple[Row, ...]:
    out: list[Row] = []
    with open(DATA, encoding="utf-8", newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        for rec in csv.DictReader(lines):
            spend = rec["spend_usd"]
            out.append(
                Row(rec["page_name"], rec["disclaimer"], rec["kind"],
                    50.0 if spend == "<=100" else float(spend), int(rec["ads"]))
            )  # fmt: skip
    return tuple(out)


def day_in(rng: Random, start: datetime, end: datetime) -> datetime:
    """A moment between start and end (whole seconds)."""
    span = max(1, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randrange(span))


def near(rng: Random, moment: datetime, hours: float) -> datetime:
    return moment + timedelta(seconds=int(rng.uniform(0, hours * 3600)))


def admin(rng: Random, tokens: Tokens, pools: Pools, name: str | None = None) -> Admin:
    """An ordinary US admin: 1-3 devices, a home line and/or a phone behind carrier NAT."""
    if name is None:
        first, last = wt.person(rng)
        name = f"{first} {last}"
    a = Admin(name, devices=[tokens.hex("dev") for _ in range(rng.choice((1, 1, 2, 2, 3)))])
    if rng.random() < 0.75:
        a.ips.append(tokens.ip())
    if not a.ips or rng.random() < 0.5:
        a.ips.append(pools.carrier(rng))
    return a


def _perturb(rng: Random, name: str, used: dict[str, int]) -> str:
    """The report's name the first time, then a local variant (a place, a chapter)."""
    n = used.get(name, 0)
    used[name] = n + 1
    if n == 0:
        return name
    state, city = wt.us_place(rng)
    pattern = rng.choice(("{n} - {c}", "{n} {s}", "{c} {n}", "{n} of {s}", "{n} ({c})",
                          "{n} {s} Chapter"))  # fmt: skip
    return pattern.format(n=name, c=city, s=state)


def _spend(rng: Random, row: Row | None) -> float:
    if row is None:
        return math.exp(rng.gauss(3.5, 1.2))
    per_ad = row.spend / max(1, row.ads)
    return max(1.0, per_ad * math.exp(rng.gauss(0, 0.5)))


def _n_ads(rng: Random, row: Row | None) -> int:
    base = row.ads if row is not None else int(math.exp(rng.gauss(1.0, 1.0)))
    return max(1, min(30, round(base * rng.uniform(0.6, 1.6))))


CATEGORIES = {
    "campaign": ("Politician", "Political Candidate", "Public Figure"),
    "issue": ("Nonprofit Organization", "Political Organization", "Community Organization",
              "Cause"),
    "news": ("News & Media Website", "Media/News Company", "Newspaper", "Broadcasting"),
    "business": ("Local Business", "Company", "Product/Service", "Shopping & Retail", "Brand"),
    "government": ("Government Organization", "Public Service", "Government Official"),
    "party": ("Political Party", "Political Organization"),
    "union": ("Labor Union", "Nonprofit Organization"),
}  # fmt: skip


@dataclass
class Population:
    accounts: list[Account] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    admins: list[Admin] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)


def status(rng: Random, declared: float = 0.15, refused: float = 0.0) -> str:
    """A declaration's status: ``declared`` (not confirmed) with probability ``declared``,
    ``refused`` with ``refused``, else confirmed by the related side or verified by staff."""
    roll = rng.random()
    if roll < refused:
        return "refused"
    if roll < refused + declared:
        return "declared"
    return "verified" if rng.random() < 0.3 else "confirmed"


def relate(rng: Random, acc: Account, relation: str, related: Account, state: str) -> Relationship:
    """``acc`` declares ``relation`` to ``related`` some time after both accounts existed."""
    start = max(acc.created_at, related.created_at) + timedelta(days=1)
    end = max(start + timedelta(days=1), NOW - timedelta(days=2))
    return Relationship(acc, relation, related, state, min(day_in(rng, start, end), NOW))


def dates(rng: Random, acc: Account, new: bool) -> None:
    """``created_at`` and ``first_political``: new campaigns open accounts in filing-deadline
    bursts (or any time in the cycle) and advertise within weeks; organisations are years old."""
    if new:
        if rng.random() < 0.55:
            acc.created_at = near(rng, rng.choice(DEADLINES) - timedelta(days=2), 60)
        else:
            acc.created_at = day_in(rng, datetime(2023, 6, 1, tzinfo=UTC), NOW - timedelta(60))
        delay = timedelta(days=rng.uniform(2, 45))
    else:
        acc.created_at = day_in(
            rng, datetime(2009, 1, 1, tzinfo=UTC), datetime(2022, 12, 31, tzinfo=UTC)
        )
        delay = timedelta(days=rng.uniform(30, 2500))
    latest = NOW - timedelta(days=rng.uniform(1, 20))
    acc.first_political = max(min(acc.created_at + delay, latest),
                              acc.created_at + timedelta(hours=2))  # fmt: skip


class LegitBuilder:
    """Builds the legitimate advertisers of one world: ``build(n)``."""

    def __init__(self, rng: Random, tokens: Tokens, pools: Pools) -> None:
        self.rng = rng
        self.tokens = tokens
        self.pools = pools
        self.pop = Population()
        self.used: dict[str, int] = {}

    def new_admin(self, name: str | None = None) -> Admin:
        a = admin(self.rng, self.tokens, self.pools, name)
        self.pop.admins.append(a)
        return a

    def card(self, currency: str = "USD", billing: str = "US") -> Payment:
        return Payment(currency, billing, self.tokens.hex("fp"))

    def add(self, acc: Account, page_names: list[str], category: str) -> Account:
        """Admins, cards and pages for ``acc``; adds it to the population."""
        r = self.rng
        if not acc.admins:
            n = r.choices((1, 2, 3), (55, 33, 12))[0]
            acc.admins = [self.new_admin() for _ in range(n)]
        if not acc.payments:
            acc.payments = [self.card()]
            if r.random() < 0.1:
                acc.payments.append(self.card())
        for i, name in enumerate(page_names):
            if i == 0 and acc.kind == "campaign" and r.random() < 0.5:
                created = acc.created_at - timedelta(days=r.uniform(0, 20))
            else:
                back = r.uniform(0, 200 if acc.kind == "campaign" else 1500)
                created = acc.created_at - timedelta(days=back)
            created = max(created, datetime(2008, 6, 1, tzinfo=UTC))
            language = "es" if name.endswith("en Español") else acc.language[:2]
            page = Page(name, acc.country, created, category, language, owner=acc)
            page.admins = list(acc.admins) if i == 0 else r.sample(acc.admins, 1)
            if r.random() < 0.15:
                page.admins.append(self.new_admin())
            acc.pages.append(page)
            self.pop.pages.append(page)
        self.pop.accounts.append(acc)
        return acc

    def campaign(self, row: Row | None) -> Account:
        r = self.rng
        state, city = wt.us_place(r)
        office = r.choice(wt.OFFICES)
        if row is None:
            first, last = wt.person(r)
            cand = f"{first} {last}"
            funder = r.choice(
                (f"Friends of {cand}", f"{last} for {office}", f"Committee to Elect {cand}",
                 f"{cand} for {state}", f"{cand} Campaign")
            )  # fmt: skip
            page = r.choice((cand, f"{cand} for {office}", f"{last} for {city} {office}",
                             f"Elect {cand}"))  # fmt: skip
        else:
            page = _perturb(r, row.page, self.used)
            funder = row.disclaimer or page
            cand = row.page.split(" for ")[0]
            first, _, last = cand.partition(" ")
            last = last or first
        acc = Account(funder, "US", NOW, "campaign", funder=funder)
        acc.n_ads, acc.spend_per_ad = _n_ads(r, row), _spend(r, row)
        dates(r, acc, new=r.random() < 0.6)
        issue = r.choice(wt.EVERYDAY + wt.DIVISIVE)
        statewide = "State" in office or office in ("Governor", "U.S. Senate", "Attorney General")
        tag = f"#{wt.slug(last).title()}For{wt.slug(office).title()}"
        ctx = wt.Context(
            state if statewide else city,
            city,
            issue,
            cand,
            first,
            last,
            office,
            funder=funder,
            hashtags=[tag, *r.sample(wt.ISSUES[issue][2], 1)],
        )
        acc.voice = wt.voice(r, "campaign", ctx)
        lean = r.choice(POPULAR_DOMAINS[:2])
        own = f"www.{wt.slug(cand)}.com" if r.random() < 0.5 else f"{wt.slug(last + office)}.org"
        acc.domains = [own, lean] if r.random() < 0.6 else [lean, own, "www.youtube.com"]
        if r.random() < 0.2:
            acc.domains.append(r.choice(NEWS_DOMAINS))  # press coverage
        acc.targeting = Targeting(
            ["US"],
            [state],
            [city] if r.random() < 0.4 and not statewide else [],
            r.sample(wt.GENERAL_INTERESTS, 1) if r.random() < 0.4 else [],
            ["Spanish"] if r.random() < 0.08 else [],
            r.choice(((18, None), (25, None), (35, None), (18, 65))),
        )
        extra = r.choices((0, 1, 2), (80, 15, 5))[0]
        pages = [page] + [
            f"{page} {s}" for s in r.sample(("Volunteers", "en Español", "HQ"), extra)
        ]
        return self.add(acc, pages, r.choice(CATEGORIES["campaign"]))

    def organisation(self, row: Row) -> Account:
        """An issue group, news outlet, business, government office, party or union from the
        report; issue groups speak about divisive issues about half the time."""
        r = self.rng
        state, city = wt.us_place(r)
        page = _perturb(r, row.page, self.used)
        suffix = page[len(row.page) :] if page.startswith(row.page) else ""
        name = (row.disclaimer + suffix) if row.disclaimer else page
        kind = row.kind if row.kind in CATEGORIES else "business"
        acc = Account(name, "US", NOW, kind, funder=(row.disclaimer + suffix) or None)
        acc.n_ads, acc.spend_per_ad = _n_ads(r, row), _spend(r, row)
        dates(r, acc, new=r.random() < 0.1)
        if kind == "business":
            acc.nonpolitical = r.randint(0, 12)
        divisive = kind in ("issue", "party", "news") and r.random() < 0.5
        issue = r.choice(wt.DIVISIVE if divisive else wt.EVERYDAY)
        ctx = wt.Context(
            r.choice((state, city)),
            city,
            issue,
            org=page,
            funder=acc.funder or "",
            hashtags=r.sample(wt.ISSUES[issue][2], min(2, len(wt.ISSUES[issue][2]))),
        )
        speech = "divisive" if divisive else ("issue" if kind in ("issue", "union") else "org")
        acc.voice = wt.voice(r, speech, ctx, bait=0.15)
        if divisive:
            acc.tags.append("divisive_issue")
        if acc.nonpolitical:
            acc.tags.append("commercial_history")
        own = f"www.{wt.slug(row.page)}." + ("gov" if kind == "government" else
                                             r.choice(("com", "org", "org", "net")))  # fmt: skip
        acc.domains = [own]
        if kind in ("issue", "party", "union"):
            acc.domains += r.sample(POPULAR_DOMAINS, r.randint(0, 2))
        if kind in ("issue", "party", "union", "news") and r.random() < 0.5:
            acc.domains += r.sample(NEWS_DOMAINS, r.randint(1, 3))  # sharing coverage
        elif kind == "business" and r.random() < 0.05:
            acc.domains.append(r.choice(NEWS_DOMAINS))
        if kind in ("business", "issue", "news") and r.random() < 0.15:
            acc.domains.insert(0, "www.facebook.com")  # no website: ads link to the page
        national = kind == "issue" and r.random() < 0.5
        extra = r.choice((0, 0, 1, 3))  # swing states besides its own
        interests = list(wt.ISSUES[issue][1][: r.randint(0, 3)])
        acc.targeting = Targeting(
            ["US"],
            [] if national else list(dict.fromkeys([state, *r.sample(wt.SWING_STATES, extra)])),
            [city] if kind in ("government", "business") and r.random() < 0.5 else [],
            interests,
            ["Spanish"] if r.random() < 0.05 else [],
            r.choice(((18, None), (25, 54), (18, 65), (45, None), (18, 45))),
            r.choice(([], [], [], ["female"], ["male"])),
        )
        if kind == "government":
            acc.targeting.regions = acc.targeting.regions[:1]
        extra = r.choices((0, 1), (88, 12))[0]
        pages = [page] + [f"{page} {city}" for _ in range(extra)]
        return self.add(acc, pages, r.choice(CATEGORIES[kind]))

    def chapters(self, row: Row, count: int) -> list[Account]:
        """A national organisation and its state chapters: one voice, one domain, often the
        headquarters' card and digital director, sometimes all opened on one day."""
        r = self.rng
        hq = self.organisation(row)
        hq.tags.append("national_org")
        director = hq.admins[0]
        rollout = near(r, hq.created_at + timedelta(days=r.uniform(30, 900)), 6)
        rollout = min(rollout, NOW - timedelta(days=r.uniform(90, 400)))
        out = [hq]
        states = r.sample([p for p in wt.US_PLACES], min(count, len(wt.US_PLACES)))
        same_day = r.random() < 0.4
        for state, cities in states:
            name = r.choice((f"{row.page} {state}", f"{state} {row.page}"))
            acc = Account(name, "US", NOW, "chapter", funder=hq.funder or name)
            acc.n_ads, acc.spend_per_ad = _n_ads(r, row), _spend(r, row)
            if same_day:
                acc.created_at = near(r, rollout, 10)
                acc.first_political = near(r, rollout + timedelta(days=r.uniform(3, 60)), 48)
            else:
                dates(r, acc, new=False)
            acc.voice, acc.domains = hq.voice, [hq.domains[0], *hq.domains[1:2]]
            t = hq.targeting
            acc.targeting = Targeting(["US"], [state], [r.choice(cities)] if r.random() < 0.3
                                      else [], list(t.interests), [], t.ages, [])  # fmt: skip
            if r.random() < 0.5:
                acc.payments = [hq.payments[0]]
            self.add(acc, [name], r.choice(CATEGORIES.get(hq.kind, CATEGORIES["issue"])))
            if r.random() < 0.5:
                acc.pages[0].admins.append(director)
            if r.random() < 0.3:
                hq.pages.append(acc.pages[0])  # headquarters runs ads on the chapter's page
            acc.tags.append("chapter")
            if r.random() < 0.8:
                state = status(r, declared=0.12, refused=0.03)
                self.pop.relationships.append(relate(r, acc, "member_of", hq, state))
            out.append(acc)
        return out

    def _images(self, k: int) -> list[str]:
        return [f"{self.rng.getrandbits(64):016x}" for _ in range(k)]

    def county_committees(self, count: int) -> list[Account]:
        """A state party and ``count`` county committees: the party's staff on every
        committee's account and page, the party's domain, one template with the county
        swapped, the same launch week, committees that are often years old; most declare they
        are ``member_of`` the state party."""
        r = self.rng
        state, cities = r.choice(wt.US_PLACES)
        party = r.choices(("Democratic", "Republican", "Libertarian", "Green"), (45, 45, 6, 4))[0]
        members = {"Democratic": "Democrats", "Republican": "Republicans"}.get(party, f"{party}s")
        name = r.choice((f"{state} {party} Party", f"{party} Party of {state}"))
        hq = Account(name, "US", NOW, "party", funder=name, tags=["state_party"])
        hq.n_ads, hq.spend_per_ad = min(30, _n_ads(r, None) + 2), _spend(r, None) * 3
        dates(r, hq, new=False)
        staff = [self.new_admin() for _ in range(r.randint(1, 3))]
        hq.admins = list(staff)
        short = {"Democratic": "dems", "Republican": "gop"}.get(party, wt.slug(party))
        domain = f"www.{wt.slug(state)}{short}.org"
        hq.domains = [domain, POPULAR_DOMAINS[0 if party == "Democratic" else 1]]
        tag = "#" + state.title().replace(" ", "") + members
        ctx = wt.Context(state, r.choice(cities), r.choice(wt.EVERYDAY), org=name, funder=name,
                         hashtags=[tag])  # fmt: skip
        hq.voice = wt.voice(r, "issue", ctx)
        hq.targeting = Targeting(["US"], [state])
        self.add(hq, [name], "Political Party")
        launch = day_in(r, datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 9, 1, tzinfo=UTC))
        bases, seed = wt.template_bases(r, wt.COMMITTEE_LINES, r.randint(2, 4)), r.getrandbits(32)
        titles = ["Find your polling place", "Volunteer", f"{state} {members}"]
        images = self._images(r.randint(1, 3))
        out = [hq]
        for county in r.sample(wt.COUNTIES, min(count, len(wt.COUNTIES))):
            cname = r.choice((f"{county} County {party} Party", f"{county} County {members}",
                              f"{party} Party of {county} County"))  # fmt: skip
            acc = Account(cname, "US", NOW, "party", funder=cname, tags=["county_committee"])
            acc.n_ads, acc.spend_per_ad = _n_ads(r, None), _spend(r, None) / 2
            acc.first_political = near(r, launch, 24 * 7)  # the same launch week
            if r.random() < 0.75:  # years old
                acc.created_at = day_in(r, datetime(2010, 1, 1, tzinfo=UTC),
                                        datetime(2022, 12, 31, tzinfo=UTC))  # fmt: skip
            else:
                acc.created_at = acc.first_political - timedelta(days=r.uniform(3, 40))
            city = r.choice(cities)
            c_ctx = wt.Context(f"{county} County", city, "economy", org=cname, funder=cname,
                               hashtags=[tag])  # fmt: skip
            acc.voice = wt.template(seed, bases, c_ctx, titles, county=county, party=party,
                                    members=members, state=state)  # fmt: skip
            acc.images, acc.domains = images, [domain]
            acc.targeting = Targeting(["US"], [state], [city] if r.random() < 0.5 else [])
            acc.admins = [self.new_admin(), staff[0]] + [a for a in staff[1:] if r.random() < 0.5]
            if r.random() < 0.3:
                acc.payments = [hq.payments[0]]
            self.add(acc, [cname], "Political Party")
            if r.random() < 0.7:
                state_ = status(r, declared=0.12, refused=0.02)
                self.pop.relationships.append(relate(r, acc, "member_of", hq, state_))
            out.append(acc)
        return out

    def coalition(self, count: int, measure: tuple[str, str, str, str]) -> list[Account]:
        """A ballot-measure coalition: a campaign committee and ``count`` member groups (issue
        groups, unions) years old, all landing on the campaign's domain with its creatives and
        one template, targeting the same interests from the same weeks; half of the members
        declare they are ``member_of`` the committee."""
        r = self.rng
        title, vote, issue, purpose = measure
        side = f"{vote} on {title}"
        state, cities = r.choice(wt.US_PLACES)
        domain = f"www.{wt.slug(side)}{wt.slug(state)}.com"
        launch = day_in(r, datetime(2024, 6, 15, tzinfo=UTC), datetime(2024, 9, 20, tzinfo=UTC))
        interests = list(wt.ISSUES[issue][1][: r.randint(2, 4)])
        images = self._images(r.randint(2, 4))
        bases = wt.template_bases(r, wt.MEASURE_LINES, r.randint(2, 4))
        tags = ["#" + "".join(w[:1].upper() + w[1:] for w in side.split())]
        titles = [f"Vote {side}", "Learn more", f"{side}: the facts"]
        lead_name = f"{state} {side} Coalition"
        lead = Account(lead_name, "US", NOW, "issue", funder=lead_name, tags=["coalition"])
        lead.created_at = launch - timedelta(days=r.uniform(30, 240))
        lead.first_political = near(r, launch, 48)
        lead.n_ads, lead.spend_per_ad = min(30, _n_ads(r, None) + 3), _spend(r, None) * 2
        rows = [row for row in population_rows() if row.kind in ("issue", "union")]
        seed = r.getrandbits(32)
        members: list[Account] = []
        for acc in [lead] + [self.organisation(r.choice(rows)) for _ in range(count)]:
            ctx = wt.Context(state, r.choice(cities), issue, org=acc.name, funder=acc.name,
                             hashtags=tags)  # fmt: skip
            acc.voice = wt.template(seed, bases, ctx, titles, vote=vote, measure=title,
                                    purpose=purpose)  # fmt: skip
            acc.images, acc.domains = images, [domain]
            acc.targeting = Targeting(["US"], [state], [], list(interests), [], (18, None),
                                      fixed=True)  # fmt: skip
            if acc is lead:
                self.add(lead, [lead_name], "Political Organization")
                continue
            acc.tags.append("coalition")
            acc.first_political = max(near(r, launch, 24 * 21), acc.created_at + timedelta(1))
            acc.nonpolitical = 0
            if r.random() < 0.5:
                state_ = status(r, declared=0.2)
                self.pop.relationships.append(relate(r, acc, "member_of", lead, state_))
            members.append(acc)
        return [lead, *members]

    def county_offices(self, count: int) -> list[Account]:
        """County election offices of one state using the state's template: the same notice
        with the county swapped, the state's .gov site, the same week; each office has its
        own staff and card, and none declares anything."""
        r = self.rng
        state, cities = r.choice(wt.US_PLACES)
        domain = r.choice((f"www.{wt.slug(state)}votes.gov", f"vote.{wt.slug(state)}.gov",
                           f"www.sos.{wt.slug(state)}.gov"))  # fmt: skip
        week = day_in(r, datetime(2024, 8, 15, tzinfo=UTC), datetime(2024, 10, 10, tzinfo=UTC))
        bases, seed = wt.template_bases(r, wt.CLERK_LINES, r.randint(2, 3)), r.getrandbits(32)
        titles = ["Check your registration", "Find your polling place", "Learn more"]
        images = self._images(r.randint(1, 2))
        out = []
        for county in r.sample(wt.COUNTIES, min(count, len(wt.COUNTIES))):
            office = r.choice(("County Clerk", "County Elections Office", "County Board of "
                               "Elections", "County Auditor"))  # fmt: skip
            name = f"{county} {office}"
            acc = Account(name, "US", NOW, "government", funder=name,
                          tags=["government_template"])  # fmt: skip
            acc.created_at = day_in(r, datetime(2009, 1, 1, tzinfo=UTC),
                                    datetime(2021, 12, 31, tzinfo=UTC))  # fmt: skip
            acc.first_political = near(r, week, 24 * 7)
            acc.n_ads, acc.spend_per_ad = r.randint(1, 6), _spend(r, None) / 2
            ctx = wt.Context(f"{county} County", r.choice(cities), "infrastructure", org=name,
                             funder=name)  # fmt: skip
            acc.voice = wt.template(seed, bases, ctx, titles, county=county, state=state)
            acc.images, acc.domains = images, [domain]
            acc.targeting = Targeting(["US"], [state], [], [], [], (18, None))
            self.add(acc, [name], r.choice(CATEGORIES["government"]))
            out.append(acc)
        return out

    def same_cause(self, count: int, cause: tuple[str, str, str]) -> list[Account]:
        """Unrelated groups that take up one cause: the same interest set on every ad, the
        same petition site, texts alike (one sentence bank, each group its own picks); no
        admin, device or card in common, nothing declared."""
        r = self.rng
        name_of, domain, issue = cause
        interests = r.sample([*wt.ISSUES[issue][1], *wt.GENERAL_INTERESTS[:4]], r.randint(3, 5))
        moment = day_in(r, datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 8, 15, tzinfo=UTC))
        titles = ["Sign the petition", "Add your name", name_of]
        out = []
        for _ in range(count):
            state, city = wt.us_place(r)
            pattern = r.choice(("{k} {c}", "{c} Neighbors for {k}", "{s} Families for {k}",
                                "Citizens for {k} - {c}", "{c} Action Network",
                                "{s} {k} Alliance", "{c} Community Voices"))  # fmt: skip
            name = _perturb(r, pattern.format(k=name_of, c=city, s=state), self.used)
            acc = Account(name, "US", NOW, "issue", funder=name, tags=["same_cause"])
            dates(r, acc, new=r.random() < 0.3)
            acc.first_political = max(acc.created_at + timedelta(hours=2),
                                      near(r, moment, 24 * 45))  # fmt: skip
            acc.n_ads, acc.spend_per_ad = _n_ads(r, None), _spend(r, None)
            ctx = wt.Context(r.choice((state, city)), city, issue, org=name, funder=name,
                             hashtags=r.sample(wt.ISSUES[issue][2], 1))  # fmt: skip
            bases = wt.template_bases(r, wt.CAUSE_LINES, r.randint(2, 4))
            acc.voice = wt.template(r.getrandbits(32), bases, ctx, titles, cause=name_of,
                                    cause_lower=name_of.lower())  # fmt: skip
            acc.domains = [domain]
            acc.targeting = Targeting(["US"], [state] if r.random() < 0.6 else [], [],
                                      list(interests), [], (18, None), fixed=True)  # fmt: skip
            self.add(acc, [name], r.choice(CATEGORIES["issue"]))
            out.append(acc)
        return out

    def abroad(self) -> Account:
        """An advertiser in another country paying in its own currency, targeting its own
        country (and now and then the US: diaspora voters)."""
        r = self.rng
        country, currency, language, parties, cities = r.choice(wt.ABROAD)
        city, party = r.choice(cities), r.choice(parties)
        first, last = wt.person(r)
        name = r.choice((f"{party} {city}", f"{first} {last} - {party}", f"{party} {country}"))
        acc = Account(name, country, NOW, "abroad", language, funder=name, tags=["abroad"])
        acc.n_ads, acc.spend_per_ad = _n_ads(r, None), _spend(r, None)
        dates(r, acc, new=r.random() < 0.3)
        acc.payments = [self.card(currency, country)]
        acc.admins = []
        for _ in range(r.choice((1, 1, 2))):
            a = self.new_admin(f"{first} {last}" if not acc.admins else None)
            a.language, a.login_countries = language, [country]
            a.ips = [self.tokens.ip((2, 5, 31, 62, 77, 78, 80, 81, 82, 86, 90, 91))]
            acc.admins.append(a)
        issue = r.choice(wt.EVERYDAY)
        ctx = wt.Context(city, city, issue, f"{first} {last}", first, last, "Parliament",
                         org=party, funder=name)  # fmt: skip
        acc.voice = wt.voice(r, "campaign" if " - " in name else "issue", ctx)
        tld = {"GB": "co.uk", "AU": "com.au"}.get(country, country.lower())
        acc.domains = [f"www.{wt.slug(name)}.{tld}"] + (["www.youtube.com"] * (r.random() < 0.3))
        countries = [country, "US"] if r.random() < 0.15 else [country]
        acc.targeting = Targeting(countries, [], [city] if r.random() < 0.5 else [],
                                  r.sample(wt.GENERAL_INTERESTS, r.randint(0, 2)))  # fmt: skip
        return self.add(acc, [name], r.choice(CATEGORIES["party"]))

    def agency(self, clients: list[Account]) -> Account:
        """A digital agency: its staff admin every client's account and pages from one office,
        its card pays for some clients, its boilerplate shows up in their ads. The agency has
        an account (and a page) of its own; three clients in four declare they are
        ``managed_by`` it, most of them confirmed by the agency."""
        r = self.rng
        last = wt.person(r)[1]
        office_ip = self.tokens.ip()
        office_device = self.tokens.hex("dev")
        staff = [self.new_admin() for _ in range(r.randint(2, 4))]
        for i, a in enumerate(staff):
            a.ips.append(office_ip)
            if i < 2:
                a.devices.append(office_device)
        agency_card = self.card()
        name = r.choice((f"{last} Strategies", f"{last} Digital", f"{last} & Partners",
                         f"{last} Media Group"))  # fmt: skip
        ctx = wt.Context("your community", r.choice(wt.us_place(r)), r.choice(wt.EVERYDAY),
                         org=name, funder=name)  # fmt: skip
        boilerplate = wt.voice(r, "org", ctx)
        agency = Account(name, "US", NOW, "agency", funder=name, tags=["agency"])
        dates(r, agency, new=False)
        agency.n_ads, agency.spend_per_ad = r.randint(1, 4), _spend(r, None)
        agency.admins, agency.payments = list(staff), [agency_card]
        agency.voice = boilerplate
        agency.domains = [f"www.{wt.slug(name)}.com"]
        agency.targeting = Targeting(["US"], [wt.us_place(r)[0]], [], ["Politics"])
        self.add(agency, [name], "Advertising/Marketing")
        for client in clients:
            helpers = [staff[0]] + [a for a in staff[1:] if r.random() < 0.4]
            client.admins += helpers
            for page in client.pages:
                page.admins += helpers
            if r.random() < 0.4:
                client.payments = [agency_card]
            if r.random() < 0.5:
                client.alt_voice = boilerplate
            client.tags.append("agency_client")
            if r.random() < 0.75:
                self.pop.relationships.append(
                    relate(r, client, "managed_by", agency, status(r, declared=0.15))
                )
        return agency

    def households(self, n_accounts: int) -> None:
        """Households and small offices: 2-4 unrelated campaigns or groups whose admins share a
        family or office device, most of them also the home (or office) line; none declares a
        relationship with another."""
        r = self.rng
        related = {id(x) for rel in self.pop.relationships for x in (rel.advertiser, rel.related)}
        pool = [a for a in self.pop.accounts if not a.tags and id(a) not in related
                and a.kind in ("campaign", "issue", "business", "union", "news")]  # fmt: skip
        pool = r.sample(pool, min(len(pool), n_accounts))
        i = 0
        while i + 1 < len(pool):
            size = r.randint(2, 4)
            group, i = pool[i : i + size], i + size
            device, home = self.tokens.hex("dev"), self.tokens.ip()
            shared_home = r.random() < 0.7
            for acc in group:
                person = acc.admins[0]
                person.devices.append(device)
                if shared_home:
                    person.ips.append(home)
                acc.tags.append("household")

    def quirks(self, admins: list[Admin]) -> None:
        """Travellers, expats and foreign-born staff, VPN users."""
        r = self.rng
        for a in admins:
            if a.login_countries != ["US"]:
                continue
            roll = r.random()
            if roll < 0.08:  # travellers
                for c in r.sample(TRAVEL, r.choice((1, 1, 2))):
                    a.login_countries.append(c)
                    a.ips.append(self.tokens.ip((5, 31, 41, 62, 80, 88, 177, 189, 200, 201)))
            elif roll < 0.15:  # expats, foreign-born staff
                a.language, home = r.choice(HOMES)
                if a.language in ("ru", "uk") and r.random() < 0.6:
                    a.name = " ".join(wt.russian_person(r))
                if r.random() < 0.35:
                    a.login_countries.append(home)
                    a.ips.append(self.tokens.ip((5, 31, 37, 46, 77, 95, 109, 178, 188, 213)))
            if r.random() < 0.12:  # VPN users
                if r.random() < 0.75:
                    a.ips.append(r.choice(self.pools.vpn_us))
                else:
                    ip, country = r.choice(self.pools.vpn_abroad)
                    a.ips.append(ip)
                    a.login_countries.append(country)

    def build(self, n: int) -> Population:
        r = self.rng
        rows = population_rows()
        n_abroad = round(n * 0.04)
        n_agencies = max(1, n // 250)
        orgs = [row for row in rows if row.kind in ("issue", "union", "party") and row.spend > 500]
        budget = n // 10
        for _ in range(max(1, n // 400)):
            size = min(r.randint(5, 20), budget - 1)
            if size < 2:
                break
            budget -= size + 1
            self.chapters(r.choice(orgs), size)
        # structured hard negatives: a few of each, within a twelfth of the world
        budget = n // 12
        measures = r.sample(wt.MEASURES, min(len(wt.MEASURES), max(1, round(n / 1000))))
        causes = r.sample(wt.CAUSES, min(len(wt.CAUSES), max(1, round(n / 1000))))
        plans: list[tuple[str, int]] = []
        plans += [("committees", r.randint(10, 30)) for _ in range(max(1, round(n / 1500)))]
        plans += [("coalition", r.randint(5, 12)) for _ in measures]
        plans += [("offices", r.randint(6, 15)) for _ in range(max(1, round(n / 1500)))]
        plans += [("cause", r.randint(5, 15)) for _ in causes]
        for what, size in plans:
            size = min(size, budget - 1)
            if size < (10 if what == "committees" else 5):
                continue
            budget -= size + 1
            if what == "committees":
                self.county_committees(size)
            elif what == "coalition":
                self.coalition(size, measures.pop())
            elif what == "offices":
                self.county_offices(size)
            else:
                self.same_cause(size, causes.pop())
        for _ in range(n_abroad):
            self.abroad()
        while len(self.pop.accounts) < n - n_agencies:
            row = r.choice(rows)
            if r.random() < 0.3:
                self.campaign(None)
            elif row.kind == "candidate":
                self.campaign(row)
            else:
                self.organisation(row)
        campaigns = [a for a in self.pop.accounts if a.kind == "campaign" and not a.tags]
        for party in [a for a in self.pop.accounts if a.kind == "party" and not a.tags]:
            party.tags.append("party_committee")
            for cand in r.sample(campaigns, min(len(campaigns), r.randint(1, 5))):
                party.pages.append(cand.pages[0])  # a party committee pays for candidates' ads
                cand.tags.append("party_candidate")
                if r.random() < 0.5:
                    state = status(r, declared=0.2)
                    self.pop.relationships.append(relate(r, cand, "member_of", party, state))
        us = [a for a in self.pop.accounts
              if a.kind in ("campaign", "issue", "party", "union") and not a.tags]  # fmt: skip
        r.shuffle(us)
        for _ in range(n_agencies):
            k = min(len(us), r.randint(10, 40))
            if k < 10:
                break
            self.agency(us[:k])
            us = us[k:]
        self.households(len(self.pop.accounts) // 30)
        self.quirks(self.pop.admins)
        for acc in r.sample(self.pop.accounts, round(len(self.pop.accounts) * 0.03)):
            acc.removed = r.randint(1, 3)
            acc.removal_reason = r.choice(REMOVAL_REASONS)
            acc.tags.append("removed_history")
        for acc in self.pop.accounts:
            staff = {(a.language, tuple(a.login_countries)) for a in acc.admins}
            if any(not lang.startswith("en") or set(c) - {"US"} for lang, c in staff):
                acc.tags.append("foreign_staff")  # expats, travellers, VPN exits abroad
        return self.pop
