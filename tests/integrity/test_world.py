"""The synthetic world generator (paidfor.eval.world, docs/world.md): deterministic, in the
format of docs/formats.md ("Worlds"), with complete ground truth, careful networks that stay
careful, every network leaking only what it declares, the hard negatives present, legitimate
coordination declared in relationship records, every legitimate entity in a population group,
and removed ads on both sides."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from paidfor.domain.serialize import ad_from_json, world_record_from_json
from paidfor.domain.targeting import Targeting
from paidfor.eval.world import CIB, World, build, generate, write
from paidfor.eval.world.networks import ALLOWED, FOREIGN, ORIGINS, STYLES, TRACES, plan
from paidfor.eval.world.population import (
    DATA,
    GROUPS,
    NEWS_DOMAINS,
    NOW,
    POPULAR_DOMAINS,
    REMOVAL_REASONS,
)

ROOT = Path(__file__).resolve().parents[2]
DIVISIVE_INTERESTS = {
    "Immigration", "Border security", "Second Amendment", "Gun rights", "Black Lives Matter",
    "Christianity", "Police", "Police brutality", "Islam", "LGBT community", "Patriotism",
}  # fmt: skip


class Loaded:
    """A world's records, indexed, with the generator's own view of who is in a network."""

    def __init__(self, world: World, records: list[dict[str, Any]]) -> None:
        self.world = world
        self.records = records
        self.by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in records:
            self.by_kind[rec["kind"]].append(rec)
        self.admins = {r["external_id"]: r for r in self.by_kind["admin"]}
        self.accounts = {r["external_id"]: r for r in self.by_kind["advertiser"]}
        self.pages = {r["external_id"]: r for r in self.by_kind["page"]}
        self.network_of: dict[tuple[str, str], str] = {}
        for net in world.networks:
            for acc in net.accounts:
                self.network_of[("advertiser", acc.ext)] = net.name
            for page in net.pages:
                self.network_of[("page", page.ext)] = net.name
        self.ads_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for ad in self.by_kind["ad"]:
            self.ads_of[ad["advertiser"]["external_id"]].append(ad)
        self.legit_accounts = [a for k, a in self.accounts.items()
                               if ("advertiser", k) not in self.network_of]  # fmt: skip
        self.legit_pages = [p for k, p in self.pages.items() if ("page", k) not in self.network_of]
        self.legit_admins: set[str] = set()
        for ent in self.legit_accounts + self.legit_pages:
            self.legit_admins.update(ent["admins"])
        self.group = {(r["entity"], r["external_id"]): r["group"]
                      for r in self.by_kind["population"]}  # fmt: skip

    def in_group(self, group: str) -> list[dict[str, Any]]:
        return [a for a in self.legit_accounts
                if self.group[("advertiser", a["external_id"])] == group]  # fmt: skip

    def members(self, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        net = next(n for n in self.world.networks if n.name == name)
        return [self.accounts[a.ext] for a in net.accounts], [self.pages[p.ext] for p in net.pages]


def _load(seed: int, advertisers: int, networks: int) -> Loaded:
    world = build(seed, advertisers, networks)
    return Loaded(world, list(world.records()))


@pytest.fixture(scope="module")
def small() -> Loaded:
    return _load(5, 400, 6)


@pytest.fixture(scope="module")
def full() -> Loaded:
    return _load(3, 3000, 12)


# -- determinism ---------------------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    import random

    random.seed(1)
    a = write(tmp_path / "a.jsonl", seed=11, advertisers=300, networks=5)
    random.seed(2)  # global state must not matter
    b = write(tmp_path / "b.jsonl", seed=11, advertisers=300, networks=5)
    c = write(tmp_path / "c.jsonl", seed=12, advertisers=300, networks=5)
    assert a.bytes == b.bytes > 0
    assert _digest(a.path) == _digest(b.path)
    assert _digest(a.path) != _digest(c.path)
    # generate() yields exactly what write() writes
    lines = (tmp_path / "a.jsonl").read_bytes().splitlines()
    assert lines == [orjson.dumps(r) for r in generate(11, 300, 5)]


def test_bytes_do_not_depend_on_hash_seed(tmp_path: Path) -> None:
    code = (
        "import sys; from paidfor.eval.world import write; "
        "write(sys.argv[1], seed=4, advertisers=150, networks=3)"
    )
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"w{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, cwd=ROOT)
        digests.append(_digest(out))
    assert digests[0] == digests[1]


# -- format ------------------------------------------------------------------------------------


def _has_offset(value: str) -> bool:
    return datetime.fromisoformat(value).utcoffset() is not None


def test_every_line_is_json_in_the_documented_shape(tmp_path: Path) -> None:
    path = write(tmp_path / "w.jsonl", seed=8, advertisers=400, networks=6).path
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert records and all(isinstance(r, dict) for r in records)
    kinds = Counter(r["kind"] for r in records)
    assert set(kinds) == {"admin", "advertiser", "page", "relationship", "ad", "truth",
                          "population"}  # fmt: skip
    assert all(r["source"] == "world" for r in records)
    for kind in ("admin", "advertiser", "page", "relationship", "ad"):
        ids = [r["external_id"] for r in records if r["kind"] == kind]
        assert len(ids) == len(set(ids)), f"{kind} ids repeat"
        assert all(ids), kind
    admins = {r["external_id"] for r in records if r["kind"] == "admin"}
    accounts = {r["external_id"]: r for r in records if r["kind"] == "advertiser"}
    pages = {r["external_id"]: r for r in records if r["kind"] == "page"}
    keys = set(Targeting().to_dict())
    for r in records:  # nothing happens after the world's "now"
        for key in ("created_at", "start_at", "stop_at", "declared_at"):
            assert r.get(key) is None or datetime.fromisoformat(r[key]) <= NOW, r
    for r in records:
        if r["kind"] != "ad":  # the importer's own reader accepts it (or does not know it yet)
            try:
                world_record_from_json(r)
            except ValueError as e:
                if "unknown record kind" not in str(e) or r["kind"] not in (
                    "relationship", "population"
                ):  # fmt: skip
                    raise
        if r["kind"] == "admin":
            assert set(r) >= {"name", "language", "login_countries", "devices", "ips"}
            assert r["login_countries"] and all(re.fullmatch(r"[A-Z]{2}", c)
                                                for c in r["login_countries"])  # fmt: skip
            assert r["devices"] and r["ips"]
        elif r["kind"] == "advertiser":
            assert _has_offset(r["created_at"])
            assert r["admins"] and set(r["admins"]) <= admins
            assert r["payment_instruments"]
            for p in r["payment_instruments"]:
                assert set(p) == {"currency", "billing_country", "card_fingerprint"}
        elif r["kind"] == "page":
            assert _has_offset(r["created_at"])
            assert r["admins"] and set(r["admins"]) <= admins
            assert r["owner"] in accounts
            assert r["url"] == f"https://www.facebook.com/{r['external_id']}"
        elif r["kind"] == "ad":
            ad = ad_from_json(r)  # the importer's own reader accepts it
            assert ad.delivery.spend is not None and ad.delivery.spend >= 0
            assert r["advertiser"]["external_id"] in accounts
            assert r["advertiser"]["name"] == accounts[r["advertiser"]["external_id"]]["name"]
            page = pages[r["page"]["external_id"]]
            assert r["page"]["kind"] == "page" and r["page"]["name"] == page["name"]
            for key in ("created_at", "start_at"):
                assert _has_offset(r[key])
            assert r["start_at"] >= r["created_at"]
            assert _has_offset(r["page"]["created_at"])
            spend = r["delivery"]["spend"]
            assert isinstance(spend, str) and re.fullmatch(r"\d+\.\d\d", spend)
            for share in r["delivery"]["demographic_distribution"]:
                assert isinstance(share["percentage"], str)
            assert isinstance(r["delivery"]["impressions"], int)
            assert r["delivery"]["currency"] == r["advertiser"]["payment_instruments"][0][
                "currency"]  # fmt: skip
            assert set(r["targeting"]) == keys and r["targeting"]["locations"]
            if r["status"] == "removed":
                assert r["removal_reason"] and r["stop_at"] and r["is_political"]
                assert r["start_at"] <= r["stop_at"]
            else:
                assert r["status"] == "running"
                assert r["removal_reason"] is None and r["stop_at"] is None
            assert r["ad_type"] == ("POLITICAL_AND_ISSUE_ADS" if r["is_political"] else "ALL")
            assert r["creative"]["bodies"][0] and r["creative"]["landing_url"].startswith(
                "https://"
            )
        elif r["kind"] == "relationship":
            assert set(r) == {"kind", "source", "external_id", "advertiser", "relation",
                              "related", "status", "declared_at"}  # fmt: skip
            assert r["advertiser"] in accounts and r["related"] in accounts
            assert r["advertiser"] != r["related"]
            assert r["relation"] in ("managed_by", "member_of")
            assert r["status"] in ("declared", "confirmed", "verified", "refused")
            assert _has_offset(r["declared_at"])
        elif r["kind"] == "population":
            assert set(r) == {"kind", "source", "entity", "external_id", "group"}
            assert r["entity"] in ("advertiser", "page") and r["group"] in GROUPS
            assert r["external_id"] in (accounts if r["entity"] == "advertiser" else pages)
        else:
            assert set(r) == {"kind", "source", "entity", "external_id", "network", "style"}
            assert r["entity"] in ("advertiser", "page")
            assert r["external_id"] in (accounts if r["entity"] == "advertiser" else pages)


def test_ads_per_account(small: Loaded) -> None:
    for ext, acc in small.accounts.items():
        political = [a for a in small.ads_of[ext] if a["is_political"]]
        if ("advertiser", ext) in small.network_of:
            assert 5 <= len(political) <= 40
        else:
            assert 1 <= len(political) <= 30
        times = [a["created_at"] for a in small.ads_of[ext]]
        assert times == sorted(times)
        assert min(times) >= acc["created_at"]
    counts = Counter(len(small.ads_of[a["external_id"]]) for a in small.legit_accounts)
    assert counts[1] > counts[10] > 0  # a long tail, like the report's "Number of ads"


# -- ground truth --------------------------------------------------------------------------------


def test_truth_covers_every_network_entity_and_nothing_else(small: Loaded, full: Loaded) -> None:
    for w in (small, full):
        truth = {(t["entity"], t["external_id"]): (t["network"], t["style"])
                 for t in w.by_kind["truth"]}  # fmt: skip
        assert len(truth) == len(w.by_kind["truth"])
        assert {k: v[0] for k, v in truth.items()} == w.network_of
        styles = {n.name: n.style for n in w.world.networks}
        assert all(styles[net] == style for net, style in truth.values())
        for net in w.world.networks:
            assert 3 <= net.size <= 60 and len(net.accounts) >= 2
            assert (1 if net.style == "small_op" else 2) <= len(net.traces) <= 4
    assert {n.style for n in full.world.networks} == set(STYLES)
    sizes = sorted(n.size for n in full.world.networks)
    assert sizes[0] <= 5 and sizes[-1] >= 40


def test_no_trace_type_is_in_every_network() -> None:
    import random

    for seed in range(200):
        for k in (2, 3, 12):
            planned = plan(random.Random(seed), k)
            for trace in TRACES:
                assert not all(trace in traces for _, _, traces in planned), (seed, k, trace)
            for style, size, traces in planned:
                if style in ("careless", "slow_launch"):
                    assert set(traces) & set(FOREIGN)
                    assert "creation_burst" not in traces or style == "careless"
                if style == "careful":
                    assert not set(traces) & set(FOREIGN)
                if style == "sleeper":
                    assert sorted(traces) == ["same_interests", "shared_device"]
                if style == "small_op":
                    assert 3 <= size <= 4
                    assert len(set(traces) & set(ALLOWED["small_op"])) == 1


def _foreign_marks(w: Loaded, accounts: list[dict[str, Any]], pages: list[dict[str, Any]],
                   origin: str) -> list[str]:  # fmt: skip
    """Every foreign trace in these entities' records, their admins and their ads."""
    lang, currency, billing, _ = ORIGINS[origin]
    marks = []
    for acc in accounts:
        for p in acc["payment_instruments"]:
            if p["currency"] in ("RUB", currency) and p["billing_country"] != "US":
                marks.append(f"{acc['external_id']} pays {p['currency']}/{p['billing_country']}")
            if p["billing_country"] in ("RU", billing):
                marks.append(f"{acc['external_id']} billed in {p['billing_country']}")
        if acc["language"] in ("ru", lang):
            marks.append(f"{acc['external_id']} language {acc['language']}")
        for ad in w.ads_of[acc["external_id"]]:
            if ad["delivery"]["currency"] == "RUB":
                marks.append(f"{ad['external_id']} spends RUB")
            if any(loc["country"] == "RU" for loc in ad["targeting"]["locations"]):
                marks.append(f"{ad['external_id']} targets RU")
    for ext in {a for e in accounts + pages for a in e["admins"]}:
        adm = w.admins[ext]
        if {"RU", origin} & set(adm["login_countries"]):
            marks.append(f"{ext} logs in from {adm['login_countries']}")
        if adm["language"] in ("ru", lang):
            marks.append(f"{ext} language {adm['language']}")
    return marks


def test_careful_networks_leave_no_foreign_trace(small: Loaded, full: Loaded) -> None:
    careful = 0
    for w in (small, full):
        for net in w.world.networks:
            accounts, pages = w.members(net.name)
            marks = _foreign_marks(w, accounts, pages, net.origin)
            if net.style == "careful" or not set(net.traces) & set(FOREIGN):
                careful += net.style == "careful"
                assert marks == [], (net.name, net.style, marks[:5])
            else:  # a declared foreign trace really is in the data
                assert marks, (net.name, net.traces)
    assert careful >= 3


def _leaks(w: Loaded, name: str) -> set[str]:
    """Which cross-entity traces a network's records actually show."""
    accounts, pages = w.members(name)
    ids = {a["external_id"] for a in accounts}
    found: set[str] = set()
    cards = Counter(p["card_fingerprint"] for a in accounts for p in a["payment_instruments"])
    if any(n >= 2 for n in cards.values()):
        found.add("shared_card")
    # an admin on two "households" (an account with the pages it owns) is a shared admin
    household: dict[str, set[str]] = defaultdict(set)
    for a in accounts:
        for adm in a["admins"]:
            household[adm].add(a["external_id"])
    for p in pages:
        for adm in p["admins"]:
            household[adm].add(p["owner"])
    if any(len(h) >= 2 for h in household.values()):
        found.add("shared_admin")
    devices = Counter(d for adm in household for d in set(w.admins[adm]["devices"]))
    if any(n >= 2 for n in devices.values()):
        found.add("shared_device")
    legit_domains = {
        ad["creative"]["landing_url"].split("/")[2]
        for a in w.legit_accounts
        for ad in w.ads_of[a["external_id"]]
    }
    if len(w.accounts) < 1000:  # a small world: legitimate use of every news site is not certain
        legit_domains.update(NEWS_DOMAINS, POPULAR_DOMAINS)
    users: dict[str, set[str]] = defaultdict(set)
    for ext in ids:
        for ad in w.ads_of[ext]:
            users[ad["creative"]["landing_url"].split("/")[2]].add(ext)
    if any(len(u) >= 2 and d not in legit_domains for d, u in users.items()):
        found.add("own_domain")
    return found


def test_networks_leak_what_they_declare_and_no_more(small: Loaded, full: Loaded) -> None:
    checked: Counter[str] = Counter()
    for w in (small, full):
        for net in w.world.networks:
            declared = set(net.traces) & {"shared_card", "shared_admin", "shared_device",
                                          "own_domain"}  # fmt: skip
            assert _leaks(w, net.name) == declared, (net.name, net.style, net.traces)
            checked.update(declared)
            if "creation_burst" in net.traces:
                accounts, pages = w.members(net.name)
                times = sorted(datetime.fromisoformat(e["created_at"]) for e in accounts + pages)
                close = max(
                    sum(1 for t in times if start <= t <= start + timedelta(days=5))
                    for start in times
                )
                assert close >= max(2, len(times) / 10), net.name
    assert len(checked) == 4  # every kind of leak was exercised


def test_near_duplicate_text_is_shared_across_accounts(full: Loaded) -> None:
    def shingles(text: str) -> set[str]:
        words = re.findall(r"[a-z']+", text.lower())
        return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}

    def best_overlap(a: str, b: str) -> float:
        sa = [shingles(ad["creative"]["bodies"][0]) for ad in full.ads_of[a][:10]]
        sb = [shingles(ad["creative"]["bodies"][0]) for ad in full.ads_of[b][:10]]
        return max(len(x & y) / max(1, len(x | y)) for x in sa for y in sb)

    dup = [n for n in full.world.networks if "near_duplicate_text" in n.traces]
    assert dup
    for net in dup:
        users = [a.ext for a in net.accounts if sum(b.voice is a.voice for b in net.accounts) >= 2]
        assert len(users) >= 2, net.name
        assert best_overlap(users[0], users[1]) >= 0.5, net.name
    # unrelated legitimate accounts do not read alike
    legit = [
        a["external_id"] for a in full.legit_accounts if len(full.ads_of[a["external_id"]]) > 3
    ]
    pairs = list(zip(legit[:40], legit[40:80], strict=True))
    assert sum(best_overlap(a, b) >= 0.5 for a, b in pairs) <= 4


# -- hard negatives ------------------------------------------------------------------------------


def test_hard_negatives_exist(full: Loaded) -> None:
    w = full
    legit_page_admins = Counter(a for p in w.legit_pages for a in p["admins"])
    assert legit_page_admins.most_common(1)[0][1] >= 10  # an agency admin

    ip_users = Counter(ip for ext in w.legit_admins for ip in set(w.admins[ext]["ips"]))
    assert ip_users.most_common(1)[0][1] >= 100  # carrier-grade NAT

    domain_users: dict[str, set[str]] = defaultdict(set)
    for a in w.legit_accounts:
        for ad in w.ads_of[a["external_id"]]:
            domain_users[ad["creative"]["landing_url"].split("/")[2]].add(a["external_id"])
    for popular in ("secure.actblue.com", "secure.winred.com", "www.youtube.com"):
        assert popular in POPULAR_DOMAINS and len(domain_users[popular]) >= 50
    assert any(len(domain_users[d]) >= 5 for d in NEWS_DOMAINS)

    days = Counter(a["created_at"][:10] for a in w.legit_accounts)
    assert days.most_common(1)[0][1] >= 15  # a filing-deadline burst

    cards = Counter(p["card_fingerprint"] for a in w.legit_accounts
                    for p in a["payment_instruments"])  # fmt: skip
    assert cards.most_common(1)[0][1] >= 10  # an agency's card

    device_users: dict[str, set[str]] = defaultdict(set)
    for ext in w.legit_admins:
        for d in w.admins[ext]["devices"]:
            device_users[d].add(ext)
    assert sum(1 for u in device_users.values() if 2 <= len(u) <= 4) >= 20  # families, offices

    legit = [w.admins[e] for e in sorted(w.legit_admins)]
    travellers = [
        a for a in legit if "US" in a["login_countries"] and len(a["login_countries"]) > 1
    ]
    assert len(travellers) >= 100
    assert sum(1 for a in legit if a["language"] == "ru") >= 20
    assert sum(1 for a in legit if "RU" in a["login_countries"]) >= 3

    abroad = [a for a in w.legit_accounts if a["country"] != "US"]
    assert len(abroad) >= 50
    assert {p["currency"] for a in abroad for p in a["payment_instruments"]} >= {
        "EUR",
        "GBP",
        "CAD",
    }

    def countries(acc: dict[str, Any]) -> set[str]:
        ads = w.ads_of[acc["external_id"]]
        return {loc["country"] for ad in ads for loc in ad["targeting"]["locations"]}

    assert any(countries(a) == {a["country"], "US"} for a in abroad)

    net_ips = {ip for n in w.world.networks for adm in n.admins for ip in adm.ips}
    assert sum(1 for ip, n in ip_users.items() if ip in net_ips and n >= 10) >= 3  # VPN exits

    divisive = sum(
        any(set(ad["targeting"]["interests"]) & DIVISIVE_INTERESTS for ad in w.ads_of[ext])
        for ext in (a["external_id"] for a in w.legit_accounts)
    )
    assert divisive >= 50

    names = [a["name"] for a in w.legit_accounts]
    assert len(set(names)) >= 0.9 * len(names)


def test_identifiers_say_nothing_about_networks(full: Loaded) -> None:
    numbers = sorted(int(ext.split("-")[1]) for kind, ext in full.network_of
                     if kind == "advertiser")  # fmt: skip
    total = len(full.accounts)
    # spread over the whole range, not appended at the end
    assert numbers[0] < total * 0.2 and numbers[-1] > total * 0.8


def test_population_csv_is_derived_from_the_report() -> None:
    text = DATA.read_text(encoding="utf-8")
    first, header = text.splitlines()[:2]
    assert first.startswith("#") and "report_US_last_7_days_2023-06-01_advertisers.csv" in first
    assert header == "page_name,disclaimer,kind,spend_usd,ads"
    assert DATA.stat().st_size <= 400_000
    assert len(text.splitlines()) > 3000


# -- declared relationships, population groups, removed ads -----------------------------------


def test_relationships_declare_legitimate_coordination(small: Loaded, full: Loaded) -> None:
    for w in (small, full):
        rels = w.by_kind["relationship"]
        assert rels
        for r in rels:
            ends = [("advertiser", r["advertiser"]), ("advertiser", r["related"])]
            assert all(e[1] in w.accounts for e in ends)
            declared = datetime.fromisoformat(r["declared_at"])
            assert all(declared > datetime.fromisoformat(w.accounts[e[1]]["created_at"])
                       for e in ends)  # fmt: skip
            nets = {w.network_of.get(e) for e in ends}
            if nets == {None}:  # legitimate on both sides
                groups = [w.group[e] for e in ends]
                assert "household" not in groups
                if r["relation"] == "managed_by":
                    assert groups[1] == "agency"
            else:  # a network's fake tie: among its own accounts, confirmed by itself
                assert len(nets) == 1 and None not in nets, r
                net = next(n for n in w.world.networks if n.name in nets)
                assert net.style == "careful" and r["relation"] == "member_of"
                assert r["status"] in ("declared", "confirmed")
    rels = full.by_kind["relationship"]
    kinds = Counter((full.group[("advertiser", r["advertiser"])], r["relation"]) for r in rels
                    if ("advertiser", r["advertiser"]) in full.group)  # fmt: skip
    assert kinds[("chapter", "member_of")] >= 20
    assert kinds[("county_committee", "member_of")] >= 5
    assert kinds[("party_candidate", "member_of")] >= 5
    statuses = Counter(r["status"] for r in rels)
    assert statuses["declared"] and statuses["confirmed"] and statuses["verified"]
    # three agency clients in four declare; most declarations are confirmed or verified
    agencies = {a["external_id"] for a in full.in_group("agency")}
    assert len(agencies) >= 5
    clients = {a.ext for acc in full.world.accounts if "agency_client" in acc.tags
               for a in [acc]}  # fmt: skip
    managed = [r for r in rels if r["relation"] == "managed_by"]
    assert {r["related"] for r in managed} <= agencies
    assert 0.6 <= len({r["advertiser"] for r in managed}) / len(clients) <= 0.9
    confirmed = sum(r["status"] in ("confirmed", "verified") for r in managed) / len(managed)
    assert 0.7 <= confirmed <= 0.95
    assert any(n.relationships for n in full.world.networks)


def test_population_covers_every_legitimate_entity_and_no_network_member(
    small: Loaded, full: Loaded
) -> None:
    for w in (small, full):
        population = w.by_kind["population"]
        keys = [(r["entity"], r["external_id"]) for r in population]
        assert len(keys) == len(set(keys))
        legit = {("advertiser", a["external_id"]) for a in w.legit_accounts} | {
            ("page", p["external_id"]) for p in w.legit_pages
        }
        assert set(keys) == legit
        assert not set(keys) & set(w.network_of)
    groups = Counter(full.group.values())
    for group in ("agency", "agency_client", "chapter", "national_org", "party_committee",
                  "household", "county_committee", "coalition", "government_template",
                  "same_cause", "removed_history", "abroad", "independent"):  # fmt: skip
        assert groups[group] > 0, group
    # a page is in its owner's group
    for p in full.legit_pages:
        assert full.group[("page", p["external_id"])] == full.group[("advertiser", p["owner"])]


def test_removed_ads_on_both_sides(full: Loaded) -> None:
    removed_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ad in full.by_kind["ad"]:
        if ad["status"] == "removed":
            removed_of[ad["advertiser"]["external_id"]].append(ad)
    legit = [a["external_id"] for a in full.legit_accounts if a["external_id"] in removed_of]
    assert 0.015 * len(full.legit_accounts) <= len(legit) <= 0.04 * len(full.legit_accounts)
    for ext in legit:
        assert 1 <= len(removed_of[ext]) <= 3
        assert all(ad["removal_reason"] in REMOVAL_REASONS for ad in removed_of[ext])
    hit = 0
    for net in full.world.networks:
        ads = [ad for a in net.accounts for ad in removed_of.get(a.ext, [])]
        if not ads:
            continue
        hit += 1
        assert 1 <= len(ads) <= 5
        for ad in ads:
            assert ad["removal_reason"] == CIB
            assert datetime.fromisoformat(ad["stop_at"]) <= NOW - timedelta(days=30)
    assert hit == round(len(full.world.networks) / 3)
    # a legitimate account with removed ads shares infrastructure with others now and then
    assert any("agency_client" in a.tags or "household" in a.tags
               for a in full.world.accounts if a.ext in legit)  # fmt: skip


# -- the new network styles ----------------------------------------------------------------------


def _political(w: Loaded, ext: str) -> list[dict[str, Any]]:
    return [ad for ad in w.ads_of[ext] if ad["is_political"]]


def test_sleepers_wake_weeks_apart_with_one_interest_fingerprint(full: Loaded) -> None:
    sleepers = [n for n in full.world.networks if n.style == "sleeper"]
    assert sleepers
    for net in sleepers:
        accounts, pages = full.members(net.name)
        for e in accounts + pages:
            age = NOW - datetime.fromisoformat(e["created_at"])
            assert timedelta(days=2 * 365) <= age <= timedelta(days=8 * 365 + 2)
        firsts = sorted(min(ad["created_at"] for ad in _political(full, a["external_id"]))
                        for a in accounts)  # fmt: skip
        spread = datetime.fromisoformat(firsts[-1]) - datetime.fromisoformat(firsts[0])
        assert timedelta(days=14) <= spread <= timedelta(days=58), net.name
        fingerprints = {tuple(ad["targeting"]["interests"]) for a in accounts
                        for ad in _political(full, a["external_id"])}  # fmt: skip
        assert len(fingerprints) == 1 and len(next(iter(fingerprints))) >= 4
        for a in accounts:  # a harmless commercial history first
            commercial = [ad for ad in full.ads_of[a["external_id"]] if not ad["is_political"]]
            assert len(commercial) >= 3
            assert not any(set(ad["targeting"]["interests"]) & DIVISIVE_INTERESTS
                           for ad in commercial)  # fmt: skip


def test_slow_launch_opens_pages_one_by_one(full: Loaded) -> None:
    slow = [n for n in full.world.networks if n.style == "slow_launch"]
    assert slow
    for net in slow:
        accounts, pages = full.members(net.name)
        opened = sorted(datetime.fromisoformat(p["created_at"]) for p in pages)
        assert opened[-1] - opened[0] >= timedelta(days=60)
        days = Counter(t.date() for t in opened)
        assert max(days.values()) <= max(2, len(pages) // 10)  # no burst
        firsts = sorted(min(ad["created_at"] for ad in _political(full, a["external_id"]))
                        for a in accounts)  # fmt: skip
        gaps = [datetime.fromisoformat(b) - datetime.fromisoformat(a)
                for a, b in itertools.pairwise(firsts)]  # fmt: skip
        assert sum(gaps, timedelta()) / len(gaps) >= timedelta(days=5)
        # most members show a foreign trace (a page: its admins', or its paying owner's)
        marked = {a["external_id"] for a in accounts if _foreign_marks(full, [a], [], net.origin)}
        page_marked = sum(p["owner"] in marked or bool(_foreign_marks(full, [], [p], net.origin))
                          for p in pages)  # fmt: skip
        assert (len(marked) + page_marked) / (len(accounts) + len(pages)) >= 0.5, net.name


def test_small_operations_buy_ads_for_each_other(full: Loaded) -> None:
    small_ops = [n for n in full.world.networks if n.style == "small_op"]
    assert small_ops
    for net in small_ops:
        accounts, pages = full.members(net.name)
        assert len(accounts) == 2 and 1 <= len(pages) <= 2
        owner = {p["external_id"]: p["owner"] for p in pages}
        crossed = [a["external_id"] for a in accounts
                   if any(owner[ad["page"]["external_id"]] != a["external_id"]
                          for ad in full.ads_of[a["external_id"]])]  # fmt: skip
        assert len(crossed) >= 1 if len(pages) == 1 else len(crossed) == 2
        assert len(_leaks(full, net.name) & {"shared_device", "shared_card"}) == 1


# -- the new hard negatives ----------------------------------------------------------------------


def _domains(w: Loaded, ext: str) -> set[str]:
    return {ad["creative"]["landing_url"].split("/")[2] for ad in _political(w, ext)}


def _by_domain(w: Loaded, group: str) -> dict[str, list[dict[str, Any]]]:
    """The group's accounts by the landing domain they share (the one most of them use)."""
    domains = {a["external_id"]: _domains(w, a["external_id"]) for a in w.in_group(group)}
    users = Counter(d for ds in domains.values() for d in ds)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in w.in_group(group):
        out[max(sorted(domains[a["external_id"]]), key=users.__getitem__)].append(a)
    return out


def test_county_committees_share_staff_domain_template_and_week(full: Loaded) -> None:
    committees = _by_domain(full, "county_committee")
    assert committees and all(len(c) >= 10 for c in committees.values())
    for members in committees.values():
        admins = Counter(adm for a in members for adm in a["admins"])
        assert admins.most_common(1)[0][1] == len(members)  # the party's staff on every one
        firsts = sorted(datetime.fromisoformat(_political(full, a["external_id"])[0]["created_at"])
                        for a in members)  # fmt: skip
        assert firsts[-1] - firsts[0] <= timedelta(days=8)  # one launch week
        # one template: with the county taken out, committees' texts coincide
        texts: Counter[str] = Counter()
        for a in members:
            county = a["name"].split(" County")[0].split(" of ")[-1]
            texts.update({ad["creative"]["bodies"][0].split(" #")[0].replace(county, "X")
                          for ad in _political(full, a["external_id"])})  # fmt: skip
        assert texts.most_common(1)[0][1] >= 3


def test_coalitions_offices_and_same_cause_groups(full: Loaded) -> None:
    for members in _by_domain(full, "coalition").values():
        assert 5 <= len(members) <= 13
        images = {ad["creative"]["image_hashes"][0] for a in members
                  for ad in _political(full, a["external_id"])}  # fmt: skip
        assert len(images) <= 4  # shared creatives
        interests = {tuple(ad["targeting"]["interests"]) for a in members
                     for ad in _political(full, a["external_id"])}  # fmt: skip
        assert len(interests) == 1
    offices = _by_domain(full, "government_template")
    assert offices
    for domain, members in offices.items():
        assert domain.endswith(".gov") and len(members) >= 5
    causes = _by_domain(full, "same_cause")
    assert causes
    for members in causes.values():
        assert len(members) >= 5
        interests = {tuple(ad["targeting"]["interests"]) for a in members
                     for ad in _political(full, a["external_id"])}  # fmt: skip
        assert len(interests) == 1
        # unrelated: no admin, device or card in common
        admins = [set(a["admins"]) for a in members]
        assert sum(len(x) for x in admins) == len(set().union(*admins))
        devices = [d for x in admins for adm in x for d in full.admins[adm]["devices"]]
        assert len(devices) == len(set(devices))
        cards = [p["card_fingerprint"] for a in members for p in a["payment_instruments"]]
        assert len(cards) == len(set(cards))


def test_households_share_a_device_and_declare_nothing(full: Loaded) -> None:
    tagged = {a.ext for a in full.world.accounts if "household" in a.tags}
    households = [full.accounts[ext] for ext in sorted(tagged)]
    assert len(households) >= 20 and len(full.in_group("household")) >= 20
    users: dict[str, set[str]] = defaultdict(set)  # device -> household accounts
    ip_users: dict[str, set[str]] = defaultdict(set)
    for a in households:
        for adm in a["admins"]:
            for d in full.admins[adm]["devices"]:
                users[d].add(a["external_id"])
            for ip in full.admins[adm]["ips"]:
                ip_users[ip].add(a["external_id"])
    shared = {d: u for d, u in users.items() if len(u) >= 2}
    assert all(len(u) <= 4 for u in shared.values())
    assert {a["external_id"] for a in households} <= set().union(*shared.values())
    # some share both the device and the home line
    assert sum(any(u <= ip_users[ip] for ip in ip_users if len(ip_users[ip]) < 10)
               for u in shared.values()) >= 5  # fmt: skip
    named = {r[k] for r in full.by_kind["relationship"] for k in ("advertiser", "related")}
    assert not named & {a["external_id"] for a in households}
