"""Planted foreign networks of a synthetic world (``paidfor.eval.world``): the ground truth.

Six styles (docs/world.md):

* ``careless``: a foreign operation that barely hides: RUB cards billed in Russia, admins
  signing in from Russia with a Russian language setting, pages that claim the US, accounts
  opened within days of each other, one or two shared devices;
* ``careful``: US dollars on US-billed intermediary cards (each reused by a few accounts, not
  all), US-looking admins signing in through the same commercial VPN exits some legitimate
  users have, en_US, accounts opened in one to three bursts, template ads with swapped words,
  a few domains of their own. Never a rouble, a Russian login or a Russian language setting;
* ``mixed``: part aged or bought accounts, part new ones, a foreign trace on one to three
  members only;
* ``sleeper``: accounts two to eight years old with a harmless commercial history whose
  political ads start weeks apart, tied only by one or two operator devices and one exact
  interest set on every political ad (``shared_device`` and ``same_interests``);
* ``slow_launch``: pages opened one by one over three to six months, accounts activated weeks
  apart, with a foreign trace on 60-90 % of the members;
* ``small_op``: two accounts and one or two pages, each account buying ads for the other's
  page, tied by one shared device or card.

Every network leaks a random two to four of ``TRACES`` (``careless`` and ``slow_launch`` always
at least one foreign one; sleepers and small operations exactly what is said above), and each
leak covers only part of its members, so no trace type finds every network. Some careful
networks also declare fake ``member_of`` ties among their own accounts, confirmed by another
of their accounts (``Network.relationships``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import TypeVar

from paidfor.eval.world import text as wt
from paidfor.eval.world.population import (
    NEWS_DOMAINS,
    NOW,
    Account,
    Admin,
    Page,
    Payment,
    Pools,
    Relationship,
    Targeting,
    Tokens,
    day_in,
    near,
    relate,
)

T = TypeVar("T")
STYLES = ("careless", "careful", "mixed", "sleeper", "slow_launch", "small_op")
TRACES = (
    "shared_device",  # admins sign in from one or two common devices
    "shared_card",  # a few cards each pay for several accounts
    "shared_admin",  # a few admins manage several accounts and pages
    "own_domain",  # ads land on a few domains of the network's own
    "creation_burst",  # accounts and pages opened within days
    "near_duplicate_text",  # one set of templates with swapped words, shared hashtags
    "foreign_login",  # admins sign in from the home country (from a few office addresses)
    "foreign_currency",  # cards in the home currency, billed at home
    "foreign_language",  # admins' and accounts' language setting is the home language
    "same_interests",  # every political ad of every account targets one exact interest list
)
FOREIGN = ("foreign_login", "foreign_currency", "foreign_language")
ALLOWED: dict[str, tuple[str, ...]] = {
    "careless": (*FOREIGN, "creation_burst", "shared_device", "shared_admin",
                 "near_duplicate_text", "shared_card"),
    "careful": ("shared_card", "shared_admin", "shared_device", "own_domain", "creation_burst",
                "near_duplicate_text"),
    "mixed": TRACES,
    "sleeper": ("shared_device", "same_interests"),  # always both, nothing else
    "slow_launch": (*FOREIGN, "shared_device", "shared_admin", "shared_card", "own_domain",
                    "near_duplicate_text"),
    "small_op": ("shared_device", "shared_card"),  # one of them, and perhaps one of SMALL_EXTRA
}  # fmt: skip
SMALL_EXTRA = ("near_duplicate_text", "own_domain", "foreign_login")
FIXED = ("sleeper", "small_op")  # styles whose traces plan() never trades away
# Styles with a foreign trace on most members (and always at least one foreign trace).
FOREIGN_SHARE = {"careless": (0.6, 1.0), "slow_launch": (0.6, 0.9)}
# How many of a network's admins sign in through the commercial VPN exits.
VPN_SHARE = {"careful": 0.85, "careless": 0.5, "mixed": 0.4, "sleeper": 0.3, "slow_launch": 0.5,
             "small_op": 0.5}  # fmt: skip
# home country: (language setting, currency, billing country, address blocks)
ORIGINS: dict[str, tuple[str, str, str, tuple[int, ...]]] = {
    "RU": ("ru", "RUB", "RU", (5, 31, 46, 77, 78, 95, 178, 188, 213)),
    "IR": ("fa", "EUR", "TR", (2, 5, 31, 37, 78, 85)),
    "CN": ("zh_CN", "USD", "HK", (1, 14, 27, 36, 39, 42, 58, 59)),
}
# What each theme's pages are called; "{s}" a state, "{c}" a city.
THEMES: dict[str, tuple[str, ...]] = {
    "race": ("Black Matters {c}", "Black Voices of {c}", "Woke {c}", "Our Roots Rising",
             "Black Unity {s}", "Melanin Magic {c}", "Black Sisters United", "Blacktivist {s}",
             "Black Excellence Daily", "Don't Shoot {c}"),
    "patriotism": ("Proud {s} Patriots", "Heartland Patriots", "Stars and Stripes Heritage",
                   "Veterans United {s}", "Being Patriotic {s}", "American Heritage Front",
                   "Silent Majority {s}", "Real Americans of {c}"),
    "immigration": ("Secure Borders {s}", "Stop the Invasion {s}", "Border Watch {c}",
                    "Immigrant Voices {c}", "Dreamers United {s}", "Stop Illegal Immigration {s}"),
    "religion": ("Army of Jesus {s}", "United Muslims of {s}", "Faith Over Fear {c}",
                 "Soldiers of Faith", "Praying Patriots {s}", "Christians of {c}"),
    "police": ("Back the Blue {s}", "Blue Lives {c}", "Cop Watch {c}", "Justice for Our Sons",
               "Police Accountability {s}", "Thin Blue Line {s}"),
    "guns": ("{s} Gun Owners", "2A Defenders {s}", "Armed and Free {s}", "Defend the Second {c}",
             "Moms Against Gun Violence {c}"),
    "lgbt": ("LGBT United {c}", "Rainbow Voices {s}", "Parents Defending Kids {s}",
             "Protect Our Kids {c}", "Proud and Queer {c}"),
    "abortion": ("{s} for Life", "Voices for Choice {c}", "Moms for Life {s}",
                 "Stand for Women {c}", "Bans Off {s}"),
}  # fmt: skip
CATEGORIES = ("Cause", "News & Media Website", "Political Organization",
              "Media/News Company", "Public Figure", "Community Organization")  # fmt: skip
SHOPS = ("{last} Home Goods", "{city} Pet Supply", "{last} Outfitters", "{city} Coffee Co.",
         "{last} Auto Detailing", "{last} & Sons Hardware", "{city} Fitness Studio",
         "{last} Boutique", "{city} Deals Daily", "{last} Garden Center")  # fmt: skip
DOMAIN_WORDS = ("patriot", "voice", "daily", "truth", "news", "unity", "heartland", "freedom",
                "black", "nation", "real", "roots", "report", "times", "wire", "today")  # fmt: skip


@dataclass(eq=False)
class Network:
    name: str
    style: str
    traces: list[str]
    origin: str
    accounts: list[Account] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    admins: list[Admin] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)  # fake declared ties

    @property
    def size(self) -> int:
        return len(self.accounts) + len(self.pages)


def plan(rng: Random, k: int) -> list[tuple[str, int, list[str]]]:
    """(style, size, traces) for k networks: styles in rotation, sizes from 3 to ~60
    (log-uniform, with one small and one large; a small operation has 3-4 members, a slow
    launch at least 6), 2-4 traces each (a small operation 1-2); no trace in every network."""
    rotation = ("careful", "careless", "mixed", "sleeper", "slow_launch", "small_op", "careful",
                "careless", "mixed", "sleeper", "careful", "slow_launch")  # fmt: skip
    styles = [rotation[i % len(rotation)] for i in range(k)]
    rng.shuffle(styles)
    sizes = [round(math.exp(rng.uniform(math.log(3), math.log(60)))) for _ in range(k)]
    free = [i for i, style in enumerate(styles) if style not in ("small_op", "slow_launch")]
    large = [i for i, style in enumerate(styles) if style != "small_op"]
    if free and len(large) >= 2:
        a = rng.choice(free)
        b = rng.choice([i for i in large if i != a])
        sizes[a], sizes[b] = rng.randint(3, 5), rng.randint(40, 60)
    out: list[tuple[str, int, list[str]]] = []
    for style, size in zip(styles, sizes, strict=True):
        if style == "slow_launch":
            size = max(size, rng.randint(6, 10))  # pages enough to open one by one
        if style == "small_op":
            size = rng.randint(3, 4)
            traces = [rng.choice(ALLOWED[style])]
            if rng.random() < 0.5:
                traces.append(rng.choice(SMALL_EXTRA))
        elif style == "sleeper":
            traces = list(ALLOWED[style])
        else:
            traces = rng.sample(_allowed(style, size), rng.randint(2, 4))
        if style in FOREIGN_SHARE and not set(traces) & set(FOREIGN):
            traces[0] = rng.choice(FOREIGN)
        out.append((style, size, traces))
    flexible = [i for i, (style, _, _) in enumerate(out) if style not in FIXED]
    changed = k >= 2 and bool(flexible)
    while changed:  # no trace type may find every network
        changed = False
        for trace in TRACES:
            if all(trace in t for _, _, t in out):
                style, size, victim = out[rng.choice(flexible)]
                spare = [t for t in _allowed(style, size) if t not in victim]
                last_foreign = not [t for t in victim if t in FOREIGN and t != trace]
                if style in FOREIGN_SHARE and trace in FOREIGN and last_foreign:
                    spare = [t for t in spare if t in FOREIGN]
                if spare:
                    victim[victim.index(trace)] = rng.choice(spare)
                else:
                    victim.remove(trace)
                changed = True
    return out


def _part(rng: Random, items: list[T], share: float) -> list[T]:
    """A random ``share`` of ``items``, at least two of them (a trace shared by one is none)."""
    return rng.sample(items, min(len(items), max(2, round(len(items) * share))))


def _allowed(style: str, size: int) -> list[str]:
    return [t for t in ALLOWED[style] if size >= 4 or t != "shared_card" or style == "small_op"]


class NetworkBuilder:
    def __init__(self, rng: Random, tokens: Tokens, pools: Pools) -> None:
        self.rng = rng
        self.tokens = tokens
        self.pools = pools
        self.theme: dict[int, str] = {}  # a page's theme, by id()
        self.tied = 0  # careful networks that declared fake ties so far

    def build(self, name: str, style: str, size: int, traces: list[str]) -> Network:
        r = self.rng
        origin = "RU" if style in ("careless", "sleeper") else r.choice(("RU", "RU", "IR", "CN"))
        net = Network(name, style, sorted(traces), origin)
        if style == "small_op":
            n_acc = 2
        elif style == "slow_launch":  # a few accounts, many pages opened one at a time
            n_acc = max(2, round(size * r.uniform(0.2, 0.35)))
        else:
            n_acc = max(2, round(size * r.uniform(0.35, 0.55)))
        n_pages = size - n_acc
        if n_pages == 0:
            n_acc, n_pages = size - 1, 1
        themes = r.sample(list(THEMES), r.choice((1, 1, 2)))
        states = r.sample([p[0] for p in wt.US_PLACES], r.randint(1, 3)) + r.sample(
            wt.SWING_STATES, r.randint(0, 3)
        )
        self._times(net, n_acc, n_pages)  # fills net.accounts/pages with dated shells
        self._people(net)
        self._money(net)
        self._names(net, themes)
        self._ads(net, themes, states)
        self._ties(net)
        return net

    # -- structure and time -------------------------------------------------------------------

    def _times(self, net: Network, n_acc: int, n_pages: int) -> None:
        if net.style == "sleeper":
            self._sleeper_times(net, n_acc, n_pages)
        elif net.style == "slow_launch":
            self._slow_times(net, n_acc, n_pages)
        else:
            self._usual_times(net, n_acc, n_pages)
        for i, page in enumerate(net.pages):
            page.owner = net.accounts[i % len(net.accounts)]
            page.owner.pages.append(page)
        for acc in net.accounts:
            if net.style == "small_op":  # buys ads for the other account's pages first
                acc.pages = [p for p in net.pages if p.owner is not acc] + acc.pages
            elif not acc.pages:  # runs ads for a page another account of the network owns
                acc.pages.append(self.rng.choice(net.pages))

    def _sleeper_times(self, net: Network, n_acc: int, n_pages: int) -> None:
        """Accounts and pages two to eight years old; political ads start weeks apart (the
        first and the last account 2-8 weeks from each other), after years of commercial ads."""
        r = self.rng
        wake = day_in(r, datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 8, 1, tzinfo=UTC))
        spread = timedelta(days=r.uniform(14, 56))
        for i in range(n_acc + n_pages):
            when = day_in(r, NOW - timedelta(days=8 * 365), NOW - timedelta(days=2 * 365))
            if i >= n_acc:
                net.pages.append(Page("", "US", when, r.choice(CATEGORIES)))
                continue
            acc = Account("", "US", when, "network", network=net.name, style=net.style)
            share = 0.0 if i == 0 else 1.0 if i == 1 else r.random()
            acc.first_political = min(near(r, wake + spread * share, 12), NOW - timedelta(1))
            acc.nonpolitical = r.randint(3, 12)  # a harmless commercial history
            net.accounts.append(acc)

    def _slow_times(self, net: Network, n_acc: int, n_pages: int) -> None:
        """Pages opened one by one over three to six months, accounts spread over the same
        months and each activated days to weeks after it was opened."""
        r = self.rng
        start = day_in(r, datetime(2023, 8, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
        window = timedelta(days=r.uniform(90, 180))
        for i in range(n_acc):
            when = start + window * (i / n_acc) + timedelta(hours=r.uniform(0, 72))
            acc = Account("", "US", when, "network", network=net.name, style=net.style)
            acc.first_political = min(when + timedelta(days=r.uniform(3, 14)),
                                      NOW - timedelta(days=1))  # fmt: skip
            net.accounts.append(acc)
        for j in range(n_pages):
            when = start + window * (j / n_pages) + timedelta(hours=r.uniform(0, 120))
            net.pages.append(Page("", "US", when, r.choice(CATEGORIES)))

    def _usual_times(self, net: Network, n_acc: int, n_pages: int) -> None:
        r = self.rng
        burst = "creation_burst" in net.traces
        wake = day_in(r, datetime(2023, 10, 1, tzinfo=UTC), datetime(2024, 8, 1, tzinfo=UTC))
        n_bursts = min(r.randint(1, 3), max(1, (n_acc + n_pages) // 6))
        bursts = [wake - timedelta(days=r.uniform(15, 90)) for _ in range(n_bursts)]
        if net.style == "careless":
            bursts = bursts[:1]
        in_burst = r.uniform(0.7, 1.0)

        def created(aged: bool, first: bool) -> datetime:
            if aged:
                return day_in(
                    r, datetime(2014, 1, 1, tzinfo=UTC), datetime(2020, 12, 31, tzinfo=UTC)
                )
            if first or (burst and r.random() < in_burst):
                return near(r, bursts[0] if first else r.choice(bursts), r.uniform(24, 96))
            return wake - timedelta(days=r.uniform(10, 240))

        for i in range(n_acc + n_pages):
            first = burst and i < 2  # a burst always holds the first two accounts
            aged = net.style == "mixed" and not first and r.random() < 0.5
            when = created(aged, first)
            if i < n_acc:
                acc = Account("", "US", when, "network", network=net.name, style=net.style)
                if aged:
                    acc.first_political = near(r, wake, 24 * 20)
                    acc.nonpolitical = r.randint(0, 10) if r.random() < 0.5 else 0
                else:
                    acc.first_political = max(when, wake) + timedelta(days=r.uniform(3, 50))
                acc.first_political = min(acc.first_political, NOW - timedelta(days=1))
                net.accounts.append(acc)
            else:
                net.pages.append(Page("", "US", when, r.choice(CATEGORIES)))

    def _some(self, items: list[Account], careless_share: tuple[float, float]) -> list[Account]:
        """The members a foreign trace touches: most of a careless or slow-launch network, one
        to three of the others."""
        r = self.rng
        if not items:
            return []
        if careless_share[0] > 0:
            k = max(1, math.ceil(len(items) * r.uniform(*careless_share)))
        else:
            k = min(len(items), r.randint(1, 3))
        return r.sample(items, k)

    # -- admins -----------------------------------------------------------------------------

    def _people(self, net: Network) -> None:
        r, tokens = self.rng, self.tokens
        lang, _, _, blocks = ORIGINS[net.origin]
        careless = net.style == "careless"
        share = FOREIGN_SHARE.get(net.style, (0.0, 0.0))
        vpn = self.pools.vpn_us  # the whole commercial range, as legitimate VPN users have it
        home_ips = [tokens.ip(blocks) for _ in range(r.randint(1, 3))]
        shared_devices = [tokens.hex("dev") for _ in range(r.choice((1, 2)))]

        def persona() -> Admin:
            first, last = wt.russian_person(r) if careless and r.random() < 0.5 else wt.person(r)
            a = Admin(f"{first} {last}", devices=[tokens.hex("dev")])
            if r.random() < 0.3:
                a.devices.append(tokens.hex("dev"))
            if r.random() < VPN_SHARE[net.style]:
                a.ips = r.sample(vpn, r.randint(1, 2))
            if not a.ips or r.random() < 0.4:
                a.ips.append(tokens.ip())  # a residential proxy, or a bought account's owner
            if net.style in ("mixed", "sleeper") and r.random() < 0.3:
                a.ips.append(self.pools.carrier(r))  # an aged account's old phone line
            net.admins.append(a)
            return a

        for acc in net.accounts:
            acc.admins = [persona() for _ in range(r.choice((1, 1, 2)))]
        for page in net.pages:
            owner = page.owner
            page.admins = list(owner.admins) if owner else []
            if r.random() < 0.4 or not page.admins:
                page.admins.append(persona())
        if "shared_admin" in net.traces:
            entities: list[Account | Page] = [*net.accounts, *net.pages]

            def home(ent: Account | Page) -> object:  # an account and the pages it owns
                return ent if isinstance(ent, Account) else ent.owner

            for _ in range(r.randint(1, 3)):
                operator = persona()
                chosen = r.sample(entities, r.randint(2, min(8, len(entities))))
                if len({id(home(e)) for e in chosen}) < 2:  # beyond one account's own pages
                    chosen.append(r.choice([e for e in entities if home(e) is not home(chosen[0])]))
                for ent in chosen:
                    if operator not in ent.admins:
                        ent.admins.append(operator)
        if "shared_device" in net.traces:
            if len(net.admins) < 2:
                net.pages[0].admins.append(persona())
            for i, a in enumerate(_part(r, net.admins, r.uniform(0.6, 1.0))):
                a.devices.append(shared_devices[0] if i < 2 else r.choice(shared_devices))
        if "foreign_login" in net.traces:
            touched = {id(a) for acc in self._some(net.accounts, share) for a in acc.admins}
            for a in net.admins:
                if id(a) in touched or (careless and r.random() < 0.5):
                    a.login_countries = [net.origin] if careless and r.random() < 0.6 else [
                        "US", net.origin]  # fmt: skip
                    a.ips.append(r.choice(home_ips))
        if "foreign_language" in net.traces:
            members = self._some(net.accounts, share)
            for acc in members:
                acc.language = lang
                for a in acc.admins:
                    a.language = lang

    # -- money ------------------------------------------------------------------------------

    def _money(self, net: Network) -> None:
        r, tokens = self.rng, self.tokens
        _, currency, billing, _ = ORIGINS[net.origin]
        for acc in net.accounts:
            acc.payments = [Payment("USD", "US", tokens.hex("fp"))]
        if "foreign_currency" in net.traces:
            share = FOREIGN_SHARE.get(net.style, (0.0, 0.0))
            for acc in self._some(net.accounts, share):
                acc.payments = [Payment(currency, billing, tokens.hex("fp"))]
        if "shared_card" in net.traces:
            pool = _part(r, net.accounts, r.uniform(0.5, 0.9))
            while len(pool) >= 2:
                k = min(len(pool), r.randint(2, 5))
                card = Payment("USD", "US", tokens.hex("fp"))
                for acc in pool[:k]:
                    if acc.payments[0].billing_country == "US":
                        acc.payments = [card]
                    else:  # keeps its foreign card too
                        acc.payments.append(card)
                pool = pool[k:]

    # -- names, text, targeting ---------------------------------------------------------------

    def _names(self, net: Network, themes: list[str]) -> None:
        r = self.rng
        used: set[str] = set()
        for page in net.pages:
            for _ in range(20):
                theme = r.choice(themes)
                state, city = wt.us_place(r)
                name = r.choice(THEMES[theme]).format(s=state, c=city)
                if name not in used:
                    break
            used.add(name)
            page.name = name
            self.theme[id(page)] = theme
        for acc in net.accounts:
            page_name = acc.pages[0].name
            if net.style == "careless":
                acc.name = r.choice((page_name, acc.admins[0].name))
                acc.funder = r.choice((None, page_name))
            elif net.style == "sleeper":  # a small business that turned to politics
                last, city = wt.person(r)[1], wt.us_place(r)[1]
                acc.name = r.choice(SHOPS).format(last=last, city=city)
                acc.funder = r.choice((page_name, f"{page_name} LLC", acc.name))
            else:
                first, last = wt.person(r)
                word = r.choice(("Media", "Digital", "Consulting", "Outreach", "Marketing"))
                acc.name = r.choice((f"{last} {word} LLC", f"{first} {last}", page_name))
                acc.funder = r.choice((page_name, acc.name, f"{page_name} LLC"))

    def _ads(self, net: Network, themes: list[str], states: list[str]) -> None:
        r = self.rng
        own = [f"{r.choice(DOMAIN_WORDS)}{r.choice(DOMAIN_WORDS)}{r.choice(('', 'usa', '24'))}."
               f"{r.choice(('com', 'com', 'news', 'info', 'org', 'net'))}"
               for _ in range(r.randint(1, 4))]  # fmt: skip
        issue = themes[0]
        tags = [wt.hashtag(r) for _ in range(r.randint(1, 3))]
        city = wt.us_place(r)[1]
        ctx = wt.Context(r.choice(states), city, issue, hashtags=tags)
        shared_voice = wt.voice(r, "network", ctx, bait=0.5)
        dup = "near_duplicate_text" in net.traces
        dup_users = {id(a) for a in _part(r, net.accounts, r.uniform(0.6, 1.0))} if dup else set()
        dom_users = {id(a) for a in _part(r, net.accounts, r.uniform(0.5, 1.0))}
        spend = math.exp(r.gauss(3.0 if net.style == "careless" else 4.0, 0.8))
        pool = [i for t in themes for i in wt.ISSUES[t][1]] + list(wt.GENERAL_INTERESTS[:3])
        fingerprint = r.sample(pool, min(len(pool), r.randint(4, 6)))
        for acc in net.accounts:
            acc.n_ads = r.randint(5, 40)
            acc.spend_per_ad = spend * math.exp(r.gauss(0, 0.4))
            theme = self.theme.get(id(acc.pages[0]), issue)
            if id(acc) in dup_users:
                acc.voice = shared_voice
            else:
                own_ctx = wt.Context(r.choice(states), city, theme, hashtags=r.sample(
                    wt.ISSUES[theme][2], 2))  # fmt: skip
                acc.voice = wt.voice(r, "network", own_ctx, bait=0.5)
            if "own_domain" in net.traces and id(acc) in dom_users:
                # the main site first (so two accounts surely land on one), then others
                acc.domains = [own[0], *r.sample(own[1:], r.randint(0, len(own) - 1))]
            else:
                acc.domains = ["www.facebook.com", r.choice(NEWS_DOMAINS),
                               r.choice(("www.youtube.com", "www.change.org"))]  # fmt: skip
            if acc.nonpolitical:  # a commercial history before politics
                shop = wt.Context(city, city, "economy", org=acc.name, funder=acc.name)
                acc.commercial_voice = wt.voice(r, "org", shop)
            interests = r.sample(wt.ISSUES[theme][1], r.randint(2, 4))
            if "same_interests" in net.traces:
                interests = list(fingerprint)
            acc.targeting = Targeting(
                ["US"],
                r.sample(states, r.randint(1, len(states))) if r.random() < 0.7 else [],
                [],
                interests,
                [],
                r.choice(((18, 45), (18, 65), (25, None), (18, None), (25, 54))),
                r.choice(([], [], ["female"], ["male"])),
                fixed="same_interests" in net.traces,
            )

    def _ties(self, net: Network) -> None:
        """Fake ties: the first careful network (and two in five of the others) has its
        accounts declare they are ``member_of`` one of its own, a made-up umbrella that
        confirms some of them itself."""
        r = self.rng
        if net.style != "careful" or (self.tied and r.random() >= 0.4):
            return
        self.tied += 1
        hub, *rest = r.sample(net.accounts, len(net.accounts))
        for acc in r.sample(rest, r.randint(1, min(4, len(rest)))):
            state = r.choice(("declared", "confirmed"))
            net.relationships.append(relate(r, acc, "member_of", hub, state))
