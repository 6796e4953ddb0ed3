"""Declared and concealed coordination, on small worlds built by hand: a declared agency's
clients are not a network and the same clients undeclared are a cluster; a household shares a
device and is never reported; accounts that buy ads for each other's pages are two actors and
are reported; a confirmation by a foreign-linked account explains nothing; a chapter that
names its organisation and carries its staff is a claimed affiliation, one that only borrows
the name is not; ``removed_creative`` ignores an account's own removed ads."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import igraph as ig
import pytest

from paidfor.integrity import networks
from paidfor.integrity.model import AdminProfile, EntityKey, PaymentProfile, Profile, Relationship
from paidfor.integrity.networks import (
    _lone_actors_joined,
    actors,
    analyse,
    cluster_links,
    clusters,
    find,
)
from paidfor.integrity.signals import RemovedCreative
from paidfor.integrity.store import AdText, World

T0 = datetime(2024, 1, 1, tzinfo=UTC)
POPULAR = ("secure.actblue.com", "youtube.com", "change.org", "gofundme.com")


class Builder:
    """A world of ``n`` ordinary advertisers (an account with its own page, own card and
    device, a carrier IP and a popular domain), to which a test adds its own actors."""

    def __init__(self, n: int = 300, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.world = World()
        self.next_id = 1
        self.next_ad = 1
        for i in range(n):
            self.actor(
                f"Campaign {i}",
                admin=AdminProfile(
                    self.next_id,
                    f"Admin {i}",
                    "en_US",
                    ["US"],
                    [f"dev-{i}"],
                    [f"carrier-{self.rng.randrange(8)}"],
                ),
                card=f"card-{i}",
                text=f"vote for candidate {i} on election day in district {i} {self.rng.random()}",
                domain=self.rng.choice(POPULAR),
                created=T0 - timedelta(days=self.rng.randrange(30, 3000)),
            )

    def actor(
        self,
        name: str,
        *,
        admin: AdminProfile,
        card: str | None,
        text: str,
        domain: str,
        created: datetime,
        currency: str = "USD",
        billing: str = "US",
        interests: tuple[str, ...] = ("local news", "community"),
        page_name: str | None = None,
        started: datetime | None = None,
    ) -> tuple[EntityKey, EntityKey]:
        """An account with its own page, one political ad on it."""
        acc = EntityKey("advertiser", self.next_id)
        page = EntityKey("page", self.next_id)
        self.next_id += 1
        pay = [PaymentProfile(currency, billing, card)]
        a = Profile(acc, name, "US", created, "en_US", payments=pay, admins=[admin])
        p = Profile(page, page_name or name, "US", created, admins=[admin])
        a.owned, p.owned = {page}, {acc}
        self.world.profiles[acc], self.world.profiles[page] = a, p
        self.world.external[acc] = ("test", str(acc.id))
        self.world.external[page] = ("page", str(page.id))
        self.ad(acc, page, text, domain, started or created + timedelta(days=400), interests)
        return acc, page

    def ad(
        self,
        acc: EntityKey,
        page: EntityKey,
        text: str,
        domain: str,
        when: datetime,
        interests: tuple[str, ...] = ("local news", "community"),
        removed: bool = False,
    ) -> int:
        ad_id = self.next_ad
        self.next_ad += 1
        for key in (acc, page):
            p = self.world.profiles[key]
            p.ads += 1
            p.political_ads += 1
            p.ad_ids.append(ad_id)
            p.ad_created.append(when)
            p.targeted_countries.add("US")
            p.interests |= set(interests)
            p.targeting_signatures.add("|".join(sorted(interests)))
            p.landing_domains.add(domain)
            if p.first_political_at is None or when < p.first_political_at:
                p.first_political_at = when
            if removed:
                p.flagged, p.flagged_at = "ads removed", when
        self.world.profiles[acc].linked.add(page)
        self.world.profiles[page].linked.add(acc)
        self.world.ads.append(AdText(ad_id, "test", str(ad_id), text, (acc, page), removed, when))
        return ad_id

    def relate(self, a: EntityKey, b: EntityKey, relation: str, status: str) -> None:
        rid = len(self.world.relationships) + 1
        self.world.relationships.append(Relationship(rid, a, b, relation, status))


def agency_world(status: str | None) -> tuple[World, list[EntityKey]]:
    b = Builder()
    staff = AdminProfile(9000, "Agency Staff", "en_US", ["US"], ["agency-pc"], ["agency-office"])
    agency, _ = b.actor(
        "Stone Media Group", admin=staff, card="agency-card", text="we run campaigns",
        domain="stonemedia.example", created=T0 - timedelta(days=3000),
    )  # fmt: skip
    clients = []
    for i in range(6):
        acc, _page = b.actor(
            f"Friends of Client {i}",
            admin=staff,
            card="agency-card" if i % 2 else f"client-card-{i}",
            text=f"paid for by friends of client {i} vote on november fifth for a better "
            "county and stronger schools and safer streets",
            domain=f"client{i}.example",
            created=T0 - timedelta(days=200 + 30 * i),
        )
        clients.append(acc)
        if status is not None:
            b.relate(acc, agency, "managed_by", status)
    return b.world, clients


def _clustered(world: World, keys: list[EntityKey]) -> bool:
    a = analyse(world)
    inside = set(keys)
    return any(len(inside & {a.table.entities[i] for i in comp}) >= 2 for comp in clusters(a))


def test_declared_agency_clients_are_no_cluster_and_undeclared_ones_are() -> None:
    world, clients = agency_world("confirmed")
    assert not _clustered(world, clients)
    assert not {m.key for n in find(analyse(world)) for m in n.members} & set(clients)
    world, clients = agency_world("declared")  # only one side said so: explains nothing
    assert _clustered(world, clients)
    world, clients = agency_world(None)
    assert _clustered(world, clients)


def test_a_foreign_linked_account_cannot_vouch_for_its_clients() -> None:
    world, clients = agency_world("confirmed")
    agency = next(k for k, p in world.profiles.items() if p.name == "Stone Media Group")
    world.profiles[agency].payments = [PaymentProfile("RUB", "RU", "agency-card")]
    a = analyse(world)
    assert not a.declared.explaining
    assert {why for _, why in a.declared.not_explaining} == {
        "the related account is not established (payment_country)"
    }
    assert _clustered(world, clients)


def test_a_household_sharing_a_device_and_an_ip_is_never_reported() -> None:
    b = Builder()
    home = AdminProfile(9100, "Pat", "en_US", ["US"], ["family-laptop"], ["home-ip"])
    other = AdminProfile(9101, "Sam", "en_US", ["US"], ["family-laptop"], ["home-ip"])
    first, _ = b.actor("Pat for School Board", admin=home, card="pat-card",
                       text="pat will fix the schools budget", domain="pat.example",
                       created=T0 - timedelta(days=60))  # fmt: skip
    second, _ = b.actor("Sam for Sheriff", admin=other, card="sam-card",
                        text="sam will keep the county safe at night", domain="sam.example",
                        created=T0 - timedelta(days=90))  # fmt: skip
    assert _clustered(b.world, [first, second])  # tied beyond chance...
    found = {m.key for n in find(analyse(b.world)) for m in n.members}
    assert not found & {first, second}  # ...but no shared message: never reported


def test_accounts_buying_for_each_others_pages_are_two_actors_and_reported() -> None:
    b = Builder()
    op = AdminProfile(9200, "Ivan", "ru", ["RU"], ["op-device"], ["op-office"])
    op2 = AdminProfile(9201, "Olga", "ru", ["RU"], ["op-device"], ["op-office-2"])
    text = "they are lying to you about the border share before they delete this"
    hot = ("immigration", "border security", "patriotism")
    a_acc, a_page = b.actor("Heartland Voice", admin=op, card="rub-card", text=text,
                            domain="heartland-news.example", created=T0, currency="RUB",
                            billing="RU", interests=hot,
                            started=T0 + timedelta(days=5))  # fmt: skip
    b_acc, b_page = b.actor("Texas Truth", admin=op2, card="other-card", text=text + " now",
                            domain="heartland-news.example", created=T0, interests=hot,
                            started=T0 + timedelta(days=6))  # fmt: skip
    b.ad(a_acc, b_page, text, "heartland-news.example", T0 + timedelta(days=7), hot)
    b.ad(b_acc, a_page, text, "heartland-news.example", T0 + timedelta(days=8), hot)
    a = analyse(b.world)
    assert actors(a, [a_acc, a_page, b_acc, b_page]) == 2
    found = {m.key for n in find(a) for m in n.members}
    assert {a_acc, b_acc} <= found


def test_a_chapter_naming_its_organisation_with_its_staff_is_a_claimed_affiliation() -> None:
    b = Builder()
    staff = AdminProfile(9300, "HQ Digital", "en_US", ["US"], ["hq-pc"], ["hq-office"])
    hq, _ = b.actor("Family Policy Alliance", admin=staff, card="hq-card",
                    text="stand for families", domain="fpa.example",
                    created=T0 - timedelta(days=4000))  # fmt: skip
    own = AdminProfile(9301, "Kansas Lead", "en_US", ["US"], ["ks-pc"], ["ks-ip"])
    chapter, _ = b.actor("Family Policy Alliance Kansas", admin=staff, card="ks-card",
                         text="stand for kansas families", domain="fpa.example",
                         created=T0 - timedelta(days=20))  # fmt: skip
    borrower, _ = b.actor("Family Policy Alliance Ohio", admin=own, card="oh-card",
                          text="stand for ohio families", domain="fpa.example",
                          created=T0 - timedelta(days=20))  # fmt: skip
    a = analyse(b.world)
    claimed = {(c, p) for c, p, _ in a.declared.claimed}
    assert (a.actor[chapter], a.actor[hq]) in claimed
    assert not any(c == a.actor[borrower] for c, _ in claimed)


def test_removed_creative_ignores_the_accounts_own_removed_ads() -> None:
    b = Builder(n=20)
    admin = AdminProfile(9400, "Jo", "en_US", ["US"], ["jo-pc"], ["jo-ip"])
    text = "the mayor has betrayed every family in this city and must resign before winter"
    acc, page = b.actor("Jo for Mayor", admin=admin, card="jo-card", text=text,
                        domain="jo.example", created=T0)  # fmt: skip
    b.ad(acc, page, text + " now", "jo.example", T0 + timedelta(days=500), removed=True)
    copier_admin = AdminProfile(9401, "Kim", "en_US", ["US"], ["kim-pc"], ["kim-ip"])
    copier, _ = b.actor("Kim Copies", admin=copier_admin, card="kim-card", text=text + "!",
                        domain="kim.example", created=T0)  # fmt: skip
    a = analyse(b.world)
    signal = RemovedCreative()
    for key in (acc, page):
        assert signal.evaluate(b.world.profiles[key], a.context) is None
    hit = signal.evaluate(b.world.profiles[copier], a.context)
    assert hit is not None and "similar to removed ad" in hit.evidence


def test_a_reported_network_shows_the_ties_its_declared_relationships_explain() -> None:
    """Two declared clients of one agency are also run from a foreign operator's device,
    which signs in to three accounts of its own: the network is reported through the
    operator, and the clients' agency tie is shown as explained, never counted."""
    world, clients = agency_world("confirmed")
    op = AdminProfile(9500, "Ivan", "ru", ["RU"], ["op-device"], ["op-office"])
    text = "they are lying to you about the border share before they delete this"
    b = Builder(n=0)
    b.world, b.next_id, b.next_ad = world, 9600, 9600
    own = [
        b.actor(f"Heartland Voice {i}", admin=op, card=f"rub-{i}", text=text,
                domain="heartland.example", created=T0, currency="RUB", billing="RU")[0]
        for i in range(3)
    ]  # fmt: skip
    for key in clients[:2]:
        world.profiles[key].admins.append(op)
        world.profiles[key].payments.append(PaymentProfile("RUB", "RU", f"rub-{key.id}"))
        b.ad(key, min(world.profiles[key].owned), text, "heartland.example", T0)
    nets = find(analyse(world))
    (net,) = [n for n in nets if {m.key for m in n.members} >= {*own, *clients[:2]}]
    explained = {frozenset((x.a, x.b)) for x in net.explained}
    assert frozenset(clients[:2]) in explained
    assert not explained & {frozenset((x.a, x.b)) for x in net.links}
    assert {r["relation"] for r in net.declared} == {"managed_by"}


def test_the_vouching_agencys_own_staff_on_undeclared_clients_ties_nobody() -> None:
    """Two clients declared the agency, four did not; all six carry the agency's staff admin.
    The admin is the vouching agency's own: the four are tied to a known agency, not to a
    hidden operator. A device that only two of the declared clients carry with four strangers
    is not the family's and still ties them."""
    world, clients = agency_world(None)
    b_rel = [Relationship(i + 1, c, _named(world, "Stone Media Group"), "managed_by",
                          "confirmed") for i, c in enumerate(clients[:2])]  # fmt: skip
    world.relationships = b_rel
    strangers = []
    for i in range(4):
        key = EntityKey("advertiser", 8000 + i)
        admin = AdminProfile(8100 + i, f"Stranger {i}", "en_US", ["US"], ["op-device"], [])
        world.profiles[key] = Profile(key, f"Stranger {i}", "US", T0, "en_US", admins=[admin])
        strangers.append(key)
    for c in clients[:2]:
        world.profiles[c].admins.append(
            AdminProfile(8200 + c.id, "Helper", "en_US", ["US"], ["op-device"], [])
        )
    a = analyse(world)
    staff = (
        "admin",
        next(x for x in a.carried[clients[0]] if x[0] == "admin" and "Agency" in x[1])[1],
    )
    assert staff in a.infrastructure
    assert ("device", "op-device") not in a.infrastructure
    assert not {m.key for n in find(a) for m in n.members} & set(clients)


def _named(world: World, name: str) -> EntityKey:
    return next(k for k, p in world.profiles.items() if p.name == name and k.type == "advertiser")


def test_a_claim_needs_more_than_the_same_name_and_two_new_accounts_need_a_check() -> None:
    b = Builder()
    staff = AdminProfile(9500, "Op", "en_US", ["US"], ["op-pc"], ["op-ip"])
    young = T0 - timedelta(days=10)
    parent, _ = b.actor("Patriots United", admin=staff, card="op-card", text="stand up",
                        domain="pu.example", created=young,
                        started=young + timedelta(days=3))  # fmt: skip
    twin, _ = b.actor("Patriots United", admin=staff, card="twin-card", text="stand up now",
                      domain="pu.example", created=young,
                      started=young + timedelta(days=4))  # fmt: skip
    chapter, _ = b.actor("Patriots United Ohio", admin=staff, card="oh-card",
                         text="stand up ohio", domain="pu.example", created=young,
                         started=young + timedelta(days=5))  # fmt: skip
    a = analyse(b.world)
    assert "account_age" in {f.signal for f in a.risk[parent][1]}  # both young...
    assert not a.declared.claimed  # ...and nobody checked the parent; the twin is no chapter
    other = EntityKey("advertiser", 1)  # staff verified a relationship with the parent
    b.relate(other, parent, "member_of", "verified")
    a = analyse(b.world)
    claimed = {(c, p) for c, p, _ in a.declared.claimed}
    assert (a.actor[chapter], a.actor[parent]) in claimed
    assert not any(a.actor[twin] in pair for pair in claimed)


def _operation(b: Builder, hot: tuple[str, ...]) -> list[EntityKey]:
    """Four "local" voices run from one device abroad, one message, one audience."""
    text = "they are lying to you about the border share before they delete this"
    out = []
    for i in range(4):
        op = AdminProfile(9300 + i, f"Operator {i}", "ru", ["RU"], ["op-device"], [f"op-{i}"])
        acc, _page = b.actor(f"Voice of County {i}", admin=op, card=f"rub-card-{i}",
                             text=f"{text} {i}", domain="heartland-news.example", created=T0,
                             currency="RUB", billing="RU", interests=hot,
                             started=T0 + timedelta(days=5 + i))  # fmt: skip
        out.append(acc)
    return out


def test_an_untrusted_actor_carrying_the_networks_fingerprint_is_attached() -> None:
    b = Builder()
    hot = ("immigration", "border security", "patriotism", "heritage")
    operation = _operation(b, hot)
    common = ("gun rights", "hunting")  # an audience many legitimate campaigns share too
    for i in range(20):
        admin = AdminProfile(9400 + i, f"Hunter {i}", "en_US", ["US"], [f"h-{i}"], ["rural-isp"])
        b.actor(f"Sportsmen for District {i}", admin=admin, card=f"h-card-{i}",
                text=f"protect our hunting heritage in district {i} {b.rng.random()}",
                domain=f"sportsmen{i}.example", created=T0 - timedelta(days=900),
                interests=common)  # fmt: skip
    for acc in operation[:2]:  # two of the operation's voices aim at that audience too
        page = next(iter(b.world.profiles[acc].owned))
        b.ad(acc, page, "stand up for your rights", "heartland-news.example", T0, common)

    def sleeper(name: str, admin_id: int, interests: tuple[str, ...], **pay: str) -> EntityKey:
        admin = AdminProfile(admin_id, name, "en_US", ["US"], [f"d-{admin_id}"], [f"i-{admin_id}"])
        acc, _ = b.actor(name, admin=admin, card=f"card-{admin_id}", text=f"{name} speaks up",
                         domain=f"{admin_id}.example", created=T0 - timedelta(days=2000),
                         interests=interests, started=T0 + timedelta(days=60),
                         **pay)  # fmt: skip
        return acc

    # an old account paying from abroad, tied only by the network's exact interest set
    hidden = sleeper("Proud Patriots of Ohio", 9500, hot, currency="RUB", billing="RU")
    # the same interest set, paid at home: a legitimate group of the same cause
    cause = sleeper("Ohio Heritage Society", 9501, hot)
    # paying from abroad, but sharing only an audience most of whose carriers are strangers
    stranger = sleeper("Expat Hunters Abroad", 9502, common, currency="EUR", billing="DE")

    a = analyse(b.world)
    together = [{a.table.entities[i] for i in comp} for comp in clusters(a)]
    assert not any(hidden in c and c & set(operation) for c in together)  # no kept link to it
    networks = find(a)
    net = next(n for n in networks if set(operation) <= {m.key for m in n.members})
    roles = {m.key: m.role for n in networks for m in n.members}
    assert roles[hidden] == "attached"
    assert cause not in roles and stranger not in roles
    attached = next(m for m in net.members if m.key == hidden)
    assert attached.rank >= 0.2 and "payment_country" in {f.signal for f in attached.findings}
    evidence = {e.kind for link in net.links if hidden in (link.a, link.b) for e in link.evidence}
    assert evidence == {"targeting"}
    assert "1 more actors attached" in net.summary


def test_leiden_never_leaves_one_actor_alone_in_a_split_component() -> None:
    # parts 0 and 1 are two actors each; part 2 is one actor (an account and its page) tied
    # to part 0 by one device (0.9) and to part 1 by an address (0.5)
    g = ig.Graph(n=6, edges=[(0, 1), (2, 3), (4, 5), (4, 0), (5, 2)])
    g.es["weight"] = [1.0, 1.0, 2.0, 0.9, 0.5]
    joined = _lone_actors_joined(g, [0, 0, 1, 1, 2, 2], [0, 1, 2, 3, 4, 4])
    assert joined == [0, 0, 1, 1, 0, 0]
    # a part of two actors stays where Leiden put it, and a lone part with no tie out stays
    assert _lone_actors_joined(g, [0, 0, 1, 1, 2, 2], [0, 1, 2, 3, 4, 5]) == [0, 0, 1, 1, 2, 2]
    alone = ig.Graph(n=4, edges=[(0, 1), (2, 3)])
    alone.es["weight"] = [1.0, 1.0]
    assert _lone_actors_joined(alone, [0, 0, 1, 1], [0, 1, 2, 2]) == [0, 0, 1, 1]


def test_an_actor_tied_by_the_operators_device_stays_with_the_operation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = Builder()
    hot = ("immigration", "border security", "patriotism", "heritage")
    operators = []
    for i in range(3):
        op = AdminProfile(9300 + i, f"Operator {i}", "en_US", ["US"], ["op-device"], [f"op-{i}"])
        acc, _ = b.actor(f"Voice of County {i}", admin=op, card=f"card-op-{i}",
                         text=f"they are lying to you about the border share this {i}",
                         domain="heartland-news.example", created=T0, interests=hot,
                         started=T0 + timedelta(days=5 + i))  # fmt: skip
        operators.append(acc)
    # an old account with three pages of its own, one admin on the operator's device
    old = AdminProfile(9900, "Old Friend", "en_US", ["US"], ["op-device"], ["home-9900"])
    sleeper, _ = b.actor("Proud Patriots of Ohio", admin=old, card="card-sl",
                         text="ohio first always", domain="ohio-patriots.example",
                         created=T0 - timedelta(days=2000), interests=("ohio news",),
                         started=T0 + timedelta(days=60))  # fmt: skip
    for j in range(3):
        page = EntityKey("page", 5000 + j)
        b.world.profiles[page] = Profile(page, f"Ohio Page {j}", "US", T0, admins=[old])
        b.world.profiles[page].owned = {sleeper}
        b.world.profiles[sleeper].owned.add(page)
        b.world.external[page] = ("page", str(page.id))
        b.ad(sleeper, page, "ohio first always", "ohio-patriots.example", T0, ("ohio news",))
    monkeypatch.setattr(networks, "LEIDEN_ABOVE", 1)  # split every component, however small
    a = analyse(b.world)
    together = [{a.table.entities[i] for i in comp} for comp in clusters(a)]
    assert any({sleeper, *operators} <= c for c in together)
    # Leiden alone cuts the sleeper's own account and pages away as an actor alone
    split = [{a.table.entities[i] for i in c} for c in cluster_links(a.projection, a.kept)]
    assert not any({sleeper, operators[0]} <= c for c in split)
