"""The cycle worlds (paidfor.eval.cycle, docs/world-cycle.md): deterministic, in the format of
docs/formats.md ("Worlds"), every reference resolved, every style planted, truth only for
operation members, and the legitimate groups shaped as documented (sleepers old and spread,
households sharing a device without ties, chapters and agency clients declaring ties)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from paidfor.domain.serialize import ad_from_json, world_record_from_json
from paidfor.eval.cycle import build, generate, write
from paidfor.eval.cycle.styles import STYLES

SMALL = {"advertisers": 400, "operations": 5}


@pytest.fixture(scope="module")
def small() -> list[dict[str, Any]]:
    return list(generate(11, **SMALL))


def _digest(path: Path, seed: int) -> str:
    write(path, seed, **SMALL)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _by_kind(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        out[rec["kind"]].append(rec)
    return out


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = _digest(tmp_path / "a.jsonl", 5)
    assert _digest(tmp_path / "b.jsonl", 5) == first
    assert _digest(tmp_path / "c.jsonl", 6) != first


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from paidfor.eval.cycle import write; "
        "write(sys.argv[1], 5, advertisers=150, operations=5)"
    )
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"h{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env)
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_write_summarises_what_it_wrote(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    summary = write(path, 11, **SMALL)
    lines = path.read_bytes().splitlines()
    assert summary.bytes == path.stat().st_size
    assert sum(summary.records.values()) == len(lines)
    assert Counter(orjson.loads(line)["kind"] for line in lines) == Counter(summary.records)
    assert {op.style for op in summary.operations} == set(STYLES)
    for op in summary.operations:
        assert op.members == op.accounts + op.pages and 3 <= op.members <= 80
        assert op.accounts >= 2


def test_every_record_parses(small: list[dict[str, Any]]) -> None:
    skipped = set()
    for rec in small:
        if rec["kind"] == "ad":
            ad = ad_from_json(rec)
            assert ad.advertiser is not None and ad.page is not None
            assert ad.ad_type == ("POLITICAL_AND_ISSUE_ADS" if ad.is_political else "ALL")
            assert (ad.funder is not None) == bool(ad.is_political)
            continue
        try:
            world_record_from_json(rec)
        except ValueError as exc:
            if "unknown record kind" not in str(exc) or rec["kind"] not in (
                "relationship",
                "population",
            ):
                raise
            skipped.add(rec["kind"])
    if skipped:
        pytest.skip(f"the importer does not know {sorted(skipped)} yet")


def test_every_reference_names_a_record(small: list[dict[str, Any]]) -> None:
    kinds = _by_kind(small)
    admins = {r["external_id"] for r in kinds["admin"]}
    accounts = {r["external_id"] for r in kinds["advertiser"]}
    pages = {r["external_id"] for r in kinds["page"]}
    assert all(r["source"] == "cycle" for r in small)
    for kind in ("admin", "advertiser", "page", "ad", "relationship"):
        ids = [r["external_id"] for r in kinds[kind]]
        assert len(ids) == len(set(ids)), kind
    for acc in kinds["advertiser"]:
        assert acc["admins"] and set(acc["admins"]) <= admins
    for page in kinds["page"]:
        assert page["admins"] and set(page["admins"]) <= admins
        assert page["owner"] in accounts
    for ad in kinds["ad"]:
        assert ad["advertiser"]["external_id"] in accounts
        assert ad["page"]["external_id"] in pages
    for tie in kinds["relationship"]:
        assert tie["advertiser"] in accounts and tie["related"] in accounts
        assert tie["advertiser"] != tie["related"]
    for rec in kinds["truth"] + kinds["population"]:
        assert rec["external_id"] in (accounts if rec["entity"] == "advertiser" else pages)
    assert not any(
        _when(a["created_at"]) > datetime.fromisoformat("2026-11-01T00:00:00+00:00")
        for a in kinds["ad"]
    )


def test_truth_only_for_operation_members_population_for_the_rest(
    small: list[dict[str, Any]],
) -> None:
    kinds = _by_kind(small)
    truth = {(r["entity"], r["external_id"]) for r in kinds["truth"]}
    labelled = {(r["entity"], r["external_id"]) for r in kinds["population"]}
    everyone = {("advertiser", r["external_id"]) for r in kinds["advertiser"]}
    everyone |= {("page", r["external_id"]) for r in kinds["page"]}
    assert truth and not truth & labelled
    assert truth | labelled == everyone
    assert len(labelled) == len(kinds["population"])
    world = build(11, **SMALL)
    members = {a.ident for op in world.operations for a in op.accounts}
    assert {i for e, i in truth if e == "advertiser"} == members
    groups = Counter(r["group"] for r in kinds["population"] if r["entity"] == "advertiser")
    for group in ("independent", "chapter", "county_committee", "agency_client", "household"):
        assert groups[group] > 0, group


def test_each_style_in_the_default_world() -> None:
    world = build(1)
    assert len(world.operations) == 10
    assert {op.style for op in world.operations} == set(STYLES)
    traces = [set(op.traces) for op in world.operations]
    assert not set.intersection(*traces), "no trace is leaked by every operation"


def test_sleeper_cells_are_old_and_wake_weeks_apart(small: list[dict[str, Any]]) -> None:
    kinds = _by_kind(small)
    sleepers = {
        r["external_id"]
        for r in kinds["truth"]
        if r["style"] == "sleeper_cell" and r["entity"] == "advertiser"
    }
    assert len(sleepers) >= 2
    born = {a["external_id"]: _when(a["created_at"]) for a in kinds["advertiser"]}
    first: dict[str, datetime] = {}
    harmless: Counter[str] = Counter()
    for ad in kinds["ad"]:
        who = ad["advertiser"]["external_id"]
        if who in sleepers and ad["is_political"]:
            at = _when(ad["created_at"])
            first[who] = min(first.get(who, at), at)
        elif who in sleepers:
            harmless[who] += 1
    assert set(first) == sleepers and set(harmless) == sleepers
    for who in sleepers:
        assert first[who] - born[who] >= timedelta(days=2 * 365)
    assert max(first.values()) - min(first.values()) >= timedelta(days=14)


def test_households_share_a_device_and_declare_nothing(small: list[dict[str, Any]]) -> None:
    kinds = _by_kind(small)
    households = {
        r["external_id"]
        for r in kinds["population"]
        if r["group"] == "household" and r["entity"] == "advertiser"
    }
    assert households
    devices = {a["external_id"]: set(a["devices"]) for a in kinds["admin"]}
    seen: Counter[str] = Counter()
    for acc in kinds["advertiser"]:
        if acc["external_id"] in households:
            for device in set().union(*(devices[a] for a in acc["admins"])):
                seen[device] += 1
    assert any(n >= 2 for n in seen.values())
    tied = {t["advertiser"] for t in kinds["relationship"]} | {
        t["related"] for t in kinds["relationship"]
    }
    assert not households & tied


def test_chapters_and_agency_clients_declare_ties(small: list[dict[str, Any]]) -> None:
    kinds = _by_kind(small)
    group = {
        r["external_id"]: r["group"] for r in kinds["population"] if r["entity"] == "advertiser"
    }
    ties = Counter(
        (group.get(t["advertiser"]), t["relation"], group.get(t["related"]))
        for t in kinds["relationship"]
    )
    assert ties[("chapter", "member_of", "national_office")] > 0
    assert ties[("agency_client", "managed_by", "agency")] > 0
    assert ties[("county_committee", "member_of", "state_party")] > 0
    chapters = sum(1 for g in group.values() if g == "chapter")
    declared = ties[("chapter", "member_of", "national_office")]
    assert 0.5 * chapters <= declared < chapters
    statuses = Counter(t["status"] for t in kinds["relationship"])
    assert statuses["confirmed"] + statuses["verified"] > statuses["declared"] > 0


def test_franchises_leave_no_foreign_trace() -> None:
    world = build(1)
    for op in world.operations:
        if op.style != "franchise":
            continue
        for acc in op.accounts:
            assert all(c.currency == "USD" and c.billing == "US" for c in acc.cards)
            for person in acc.staff + [p for page in acc.pages for p in page.staff]:
                assert person.countries == ["US"] and person.language == "en_US"
