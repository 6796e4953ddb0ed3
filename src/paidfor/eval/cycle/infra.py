"""Contract: the shared infrastructure of a cycle world and the factories that use it.

A ``Fabric`` owns the world's generator and hands out device ids, card fingerprints and IP
addresses: unique home and office addresses, a few mobile-carrier NAT addresses shared by
hundreds of admins (Zipf weights), commercial VPN exits shared by legitimate users and some
operations, residential-proxy addresses and foreign addresses by country. ``person`` makes an
ordinary legitimate admin (a share of them behind carrier NAT or a VPN, travelling or living
abroad, or with a non-English language setting); ``account`` opens an advertiser with its own
card, staff and 1-3 pages. Nothing here decides what is coordinated: builders add the sharing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

from paidfor.eval.cycle import names
from paidfor.eval.cycle.model import NOW, Account, Card, Page, Person, between
from paidfor.eval.cycle.text import Voice

_FOREIGN_NETS = {
    "RU": ("95.165", "178.176", "188.162"),
    "BY": ("178.120", "93.84"),
    "KZ": ("2.132", "95.56"),
    "NL": ("145.53", "89.188"),
    "CH": ("178.197",),
    "SE": ("83.233",),
    "DE": ("91.64", "84.150"),
    "GB": ("81.2", "86.14"),
    "RO": ("89.46",),
    "CA": ("142.113", "24.114"),
    "MX": ("187.190",),
    "FR": ("90.84", "78.192"),
    "AU": ("101.160",),
    "IE": ("86.40",),
    "ES": ("88.27",),
    "UA": ("91.196",),
    "PH": ("112.198",),
    "NG": ("105.112",),
    "VN": ("113.161",),
    "AE": ("94.200",),
    "MK": ("77.28",),
    "GH": ("154.160",),
    "AM": ("46.70",),
}
_US_NETS = ("73", "98", "67", "24", "71", "108", "174", "76", "50", "68")


class Fabric:
    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.nat = [
            f"172.{rng.randint(56, 59)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            for _ in range(28)
        ]
        self.nat_weights = [1.0 / (i + 1) ** 1.1 for i in range(len(self.nat))]
        self.vpn = [
            f"{rng.choice(('185.220', '146.70', '193.32', '45.134'))}."
            f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            for _ in range(14)
        ]

    # -- identifiers -------------------------------------------------------------------------

    def device(self) -> str:
        return f"hw:{self.rng.getrandbits(52):013x}"

    def card(self, currency: str = "USD", billing: str = "US") -> Card:
        return Card(currency, billing, f"cf_{self.rng.getrandbits(64):016x}")

    def home_ip(self, country: str = "US") -> str:
        rng = self.rng
        if country == "US":
            net = rng.choice(_US_NETS)
            return f"{net}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
        prefix = rng.choice(_FOREIGN_NETS.get(country, ("41.0",)))
        return f"{prefix}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"

    def carrier_nat(self) -> str:
        return self.rng.choices(self.nat, self.nat_weights)[0]

    def vpn_exit(self) -> str:
        return self.rng.choice(self.vpn)

    def proxy_ip(self) -> str:
        """A residential-proxy address: looks like a US home line."""
        return self.home_ip("US")

    # -- people ------------------------------------------------------------------------------

    def person(
        self, *, country: str = "US", language: str | None = None, plain: bool = False
    ) -> Person:
        """An ordinary admin. ``plain`` skips the traits (NAT, VPN, travel, expat)."""
        rng = self.rng
        if language is None:
            language = "en_US"
            if country == "US" and not plain and rng.random() < 0.065:
                language = rng.choices(
                    [c for c, _ in names.EXPAT_WEIGHTS], [w for _, w in names.EXPAT_WEIGHTS]
                )[0]
        who = Person(
            names.person_name(rng, language),
            language,
            [country],
            [self.device() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))],
            [self.home_ip(country)],
        )
        if plain:
            return who
        if rng.random() < 0.45:
            who.ips.append(self.carrier_nat())
        if rng.random() < 0.10:
            who.ips.append(self.vpn_exit())
            if rng.random() < 0.3:
                who.countries.append(rng.choice(names.VPN_ABROAD))
        if country == "US" and rng.random() < 0.08:
            who.countries += rng.sample(names.TRAVEL, rng.choice((1, 1, 2)))
        if language in names.CULTURES and rng.random() < 0.3:
            home = names.CULTURES[language][2]
            who.countries.append(home)
            if rng.random() < 0.4:
                who.ips.append(self.home_ip(home))
        who.countries = list(dict.fromkeys(who.countries))
        return who

    # -- accounts ----------------------------------------------------------------------------

    def page(
        self,
        owner: Account,
        name: str,
        category: str,
        born: datetime,
        staff: list[Person] | None = None,
    ) -> Page:
        page = Page(
            name,
            category,
            min(born, NOW),
            list(staff or owner.staff),
            owner,
            owner.country,
            owner.ad_language,
        )
        owner.pages.append(page)
        return page

    def account(
        self,
        name: str,
        kind: str,
        born: datetime,
        voice: Voice,
        *,
        category: str,
        staff: list[Person] | None = None,
        pages: int | None = None,
        page_names: list[str] | None = None,
        country: str = "US",
        currency: str = "USD",
        language: str = "en_US",
    ) -> Account:
        """An account with its own card and staff, and 1-3 pages (the first named like it)."""
        rng = self.rng
        staff = staff or [
            self.person(country=country) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))
        ]
        acc = Account(
            name,
            kind,
            min(born, NOW),
            staff,
            [self.card(currency, country)],
            voice,
            country=country,
            language=language,
            funder=name,
            salt=rng.getrandbits(62),
        )
        n = rng.choices((1, 2, 3), (66, 26, 8))[0] if pages is None else pages
        if page_names and pages is None:
            n = len(page_names)
        titles = page_names or [name] + [
            f"{name} {rng.choice(('News', 'Team', 'Action', 'Updates', 'Volunteers'))}"
            for _ in range(n - 1)
        ]
        for i, title in enumerate(titles[:n] if n else []):
            page_born = (
                born - timedelta(days=rng.randint(0, 60))
                if i == 0
                else between(rng, born, born + timedelta(days=700))
            )
            crew = staff if rng.random() < 0.8 else staff[:1]
            self.page(acc, title, category, page_born, crew)
        return acc
