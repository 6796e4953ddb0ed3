"""Signals explain themselves; the projection equals a brute-force count; the null model keeps
a card-and-device pair and drops links made only by a common attribute; detection on a small
generated world finds its networks; eval and expand work from the command line."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from paidfor.integrity.graph import (
    KIND_WEIGHT,
    MAX_SHARED,
    AttributeTable,
    attribute_weights,
    null_threshold,
    project,
)
from paidfor.integrity.model import AdminProfile, EntityKey, PaymentProfile, Profile
from paidfor.integrity.risk import HOLD_AT, assess
from paidfor.integrity.signals import Context
from paidfor.interfaces.cli.main import app

T0 = datetime(2016, 1, 1, tzinfo=UTC)


def _profile(i: int, **kw: object) -> Profile:
    p = Profile(EntityKey("advertiser", i), f"acc {i}", country="US", created_at=T0)
    for k, v in kw.items():
        setattr(p, k, v)
    return p


def test_a_careless_foreign_account_is_explained_and_a_local_one_is_not() -> None:
    ivan = AdminProfile(1, "Ivan", "ru", ["RU"], ["d1"], ["203.0.113.9"])
    foreign = _profile(
        1,
        payments=[PaymentProfile("RUB", "RU", "fp1")],
        admins=[ivan],
        targeted_countries={"US"},
        interests={"black lives matter"},
        first_political_at=T0 + timedelta(days=5),
    )
    risk, findings = assess(foreign, Context(n_entities=100))
    said = {f.signal: f.evidence for f in findings}
    assert said["payment_country"] == "paid in RUB, billing country RU; targets US"
    assert "Ivan signs in from RU" in said["admin_location"]
    assert "5 days later" in said["account_age"]
    assert "black lives matter" in said["divisive_targeting"]
    assert risk >= 0.99
    dana = AdminProfile(2, "Dana", "en_US", ["US", "MX"], ["d2"], ["198.51.100.1"])
    local = _profile(
        2,
        payments=[PaymentProfile("USD", "US", "fp2")],
        admins=[dana],
        targeted_countries={"US"},
        interests={"gun rights"},
        first_political_at=T0 + timedelta(days=400),
    )
    risk, findings = assess(local, Context(n_entities=100))
    assert findings == [] and risk < 0.05 < HOLD_AT


def test_sharing_a_card_with_a_removed_entity_names_it_and_a_big_isp_counts_little() -> None:
    p = _profile(3, payments=[PaymentProfile("USD", "US", "fp9")])
    p.admins = [AdminProfile(3, "A", None, ["US"], [], ["10.0.0.1"])]
    bad = EntityKey("page", 7)
    ctx = Context(
        n_entities=10_000,
        attr_df={("payment", "fp9"): 2, ("ip", "10.0.0.1"): 5_000},
        flagged_attrs={("payment", "fp9"): [bad], ("ip", "10.0.0.1"): [bad]},
        flagged={bad: ("Heart of Texas", "ads removed", T0)},
    )
    (finding,) = [f for f in assess(p, ctx)[1] if f.signal == "shared_infrastructure"]
    assert finding.score == 1.0
    assert finding.evidence.startswith(
        "shares the same payment card (fingerprint) (fp9) with page Heart of Texas "
        "(ads removed on 2016-01-01)"
    )
    only_ip = Context(**{**ctx.__dict__, "flagged_attrs": {("ip", "10.0.0.1"): [bad]}})
    (weak,) = [f for f in assess(p, only_ip)[1] if f.signal == "shared_infrastructure"]
    assert weak.score < 0.1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 11), st.sampled_from(sorted(KIND_WEIGHT)), st.integers(0, 5)),
        max_size=80,
    )
)
def test_projection_equals_a_brute_force_pair_count(links: list[tuple[int, str, int]]) -> None:
    carried: dict[EntityKey, set[tuple[str, str]]] = {
        EntityKey("page", i): set() for i in range(12)
    }
    for i, kind, v in links:
        carried[EntityKey("page", i)].add((kind, str(v)))
    table = AttributeTable.build(carried)
    proj = project(table)
    weights = dict(zip(table.attrs, attribute_weights(table), strict=True))
    expected: dict[tuple[int, int], float] = {}
    for (i, a), (j, b) in itertools.combinations(enumerate(table.entities), 2):
        w = sum(weights[x] for x in carried[a] & carried[b])
        if w > 0:
            expected[(i, j)] = w
    got = {
        (int(s), int(d)): float(w) for s, d, w in zip(proj.src, proj.dst, proj.weight, strict=True)
    }
    assert got.keys() == expected.keys()
    for pair, w in expected.items():
        assert math.isclose(got[pair], w, rel_tol=1e-9)


def test_the_null_model_keeps_coordination_and_drops_common_attributes() -> None:
    rng = np.random.default_rng(1)
    carried: dict[EntityKey, set[tuple[str, str]]] = {}
    for i in range(2000):
        attrs = {("ip", f"isp-{rng.integers(0, 40)}"), ("device", f"own-{i}")}
        if i < 600:
            attrs.add(("ip", "carrier-nat"))  # shared by 600: beyond MAX_SHARED
        carried[EntityKey("advertiser", i)] = attrs
    for i in range(2000, 2010):  # a network: cards and devices dealt among ten accounts
        carried[EntityKey("advertiser", i)] = {
            ("payment", f"card-{i % 3}"),
            ("device", f"dev-{i % 2}"),
            ("burst", "2016-05-01"),
            ("ip", f"isp-{i % 40}"),
        }
    table = AttributeTable.build(carried)
    assert table.df().max() > MAX_SHARED
    proj = project(table)
    tau = null_threshold(table, proj)
    kept = proj.weight >= tau
    members = {table.entities[int(x)].id for x in (*proj.src[kept], *proj.dst[kept])}
    assert members and members <= set(range(2000, 2010))
    # links made by a common IP alone (50 sharers each) exist, and none passes
    isp_only = proj.weight[(proj.src < 2000) & (proj.dst < 2000)]
    assert len(isp_only) > 1000 and (isp_only < tau).all()


@pytest.mark.parametrize(
    ("family", "floors"),
    [
        # floors under what these small worlds scored when written (see the comment below)
        ("world", {"precision": 0.85, "recall": 0.35}),
        ("cycle", {"precision": 0.85, "recall": 0.6}),
    ],
)
def test_eval_on_a_small_generated_world_finds_its_networks(
    family: str, floors: dict[str, float], tmp_path: Path
) -> None:
    from paidfor.eval.integrity import FAMILIES

    path = tmp_path / "world.jsonl"
    FAMILIES[family](path, 7, 600, 5)
    result = CliRunner().invoke(app, ["eval", "integrity", "--world", str(path), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["network_members"] > 0
    # written 2026-12-07: world precision 0.94 recall 0.43; cycle precision 1.0 recall 0.73;
    # neither reported a legitimate entity in declared coordination (110 and 143 of them)
    assert scores["precision"] >= floors["precision"], scores
    assert scores["recall"] >= floors["recall"], scores
    assert scores["declared_coordination"]["entities"] > 0
    assert scores["declared_coordination"]["share_reported"] <= 0.05, scores
    assert 0 < scores["ads"]["f1"] <= 1


def test_eval_refuses_a_file_without_truth_and_a_missing_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"kind": "admin", "source": "w", "external_id": "a"}\n')
    for args in (["--world", str(plain)], ["--world", str(tmp_path / "nope")], []):
        result = CliRunner().invoke(app, ["eval", "integrity", *args])
        assert result.exit_code == 2
    said = CliRunner().invoke(app, ["eval", "integrity", "--world", str(plain)]).output
    assert "no ground truth" in " ".join(said.split())


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A SQLite database the CLI uses (settings are cached: cleared before and after)."""
    from paidfor.settings import get_settings

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db)
    monkeypatch.setenv("PAIDFOR_INDEX_DIR", str(tmp_path / "idx"))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_expand_from_three_ira_pages_links_more_ira_pages(data_dir: Path, cli_db: str) -> None:
    runner = CliRunner()
    imported = runner.invoke(
        app, ["import", "hpsci-ira", str(data_dir / "hpsci_ira_ads" / "ira_ads_clean.csv")]
    )
    assert imported.exit_code == 0, imported.output
    seeds = ["Black Matters", "blackmattersus.mvmnt", "brownunitedfront"]
    args = ["networks", "expand", "--json"] + [x for s in seeds for x in ("--seed", s)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    net = json.loads(result.stdout)["network"]
    assert [m["role"] for m in net["members"][:3]] == ["seed"] * 3
    grown = [m for m in net["members"] if m["role"] == "member"]
    assert len(grown) >= 3
    assert all(
        any(f["evidence"] == "ads billed in RUB; targets US" for f in m["findings"]) for m in grown
    )
    kinds = {e["kind"] for link in net["links"] for e in link["evidence"]}
    assert kinds & {"ad_minute", "creative", "targeting"}
    unknown = runner.invoke(app, ["networks", "expand", "--seed", "No Such Page"])
    assert unknown.exit_code == 2 and "no account or page named" in unknown.output
    gone = runner.invoke(app, ["networks", "expand", "--seed", "page:999999999"])
    assert gone.exit_code == 3 and "no such entity: page:999999999" in gone.output


def test_threat_indicators_match_domains_cards_and_texts_exactly() -> None:
    from paidfor.integrity.indicators import Indicator, IndicatorSet

    inds = IndicatorSet(
        [
            Indicator("domain", "Evil.example", "indicator 1 from acme (MALICIOUS)", 90),
            Indicator("raw_text", "Stand  with TEXAS", "indicator 2 from acme", 60),
            Indicator("payment_fingerprint", "fp-7", "indicator 3 from acme", 70),
        ]
    )
    p = _profile(9, landing_domains={"evil.example"}, payments=[PaymentProfile("USD", "US")])
    ctx = Context(n_entities=10, indicators=inds, texts=lambda _: [(1, "stand with texas")])
    risk, findings = assess(p, ctx)
    (hit,) = [f for f in findings if f.signal == "threat_indicator"]
    assert hit.score == 0.9 and "domain Evil.example matches indicator 1" in hit.evidence
    assert "raw_text" in hit.evidence and risk >= HOLD_AT
    clean = _profile(10, landing_domains={"good.example"})
    other = Context(n_entities=10, indicators=inds, texts=lambda _: [(2, "stand with ohio")])
    assert not [f for f in assess(clean, other)[1] if f.signal == "threat_indicator"]
    with pytest.raises(ValueError, match="unknown indicator type"):
        inds.add(Indicator("galaxy", "x", "y"))


def test_find_opens_cases_and_rescore_stores_risk(tmp_path: Path, cli_db: str) -> None:
    from sqlalchemy import func, select

    from paidfor.eval.world import write
    from paidfor.storage.db import make_engine
    from paidfor.storage.models import AdvertiserRow, AuditEventRow, CaseMemberRow, CaseRow

    path = tmp_path / "world.jsonl"
    write(path, 7, advertisers=600, networks=5)
    db = cli_db
    runner = CliRunner()
    assert runner.invoke(app, ["import", "native", str(path)]).exit_code == 0
    found = runner.invoke(app, ["networks", "find", "--json", "--open-cases"])
    assert found.exit_code == 0, found.output
    body = json.loads(found.stdout)
    assert body["networks"] and len(body["cases"]) == len(body["networks"])
    for net in body["networks"]:
        assert net["links"] and all(link["evidence"] for link in net["links"])
    rescored = runner.invoke(app, ["integrity", "rescore", "--json"])
    assert rescored.exit_code == 0, rescored.output
    said = json.loads(rescored.stdout)
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CaseRow)) == len(body["cases"])
        members = conn.scalar(select(func.count()).select_from(CaseMemberRow))
        assert members == sum(len(n["members"]) for n in body["networks"])
        scored = conn.scalar(select(func.count()).where(AdvertiserRow.risk_score.is_not(None)))
        assert scored and said["scored"] >= scored
        high = conn.scalar(select(func.count()).where(AdvertiserRow.risk_score >= HOLD_AT))
        assert high and high <= said["at_or_above_hold"]
        actions = set(conn.scalars(select(AuditEventRow.action)))
        assert {"case_open", "integrity_rescore"} <= actions
    engine.dispose()
