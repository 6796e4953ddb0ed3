"""``paidfor eval integrity``: import a world (a file, or one generated from a seed) into a
fresh SQLite database with the ordinary native importer, run the detection as it runs in
production, and score it against the world's ground truth (docs/formats.md, "Worlds").

Scores: precision, recall and F1 over network members (accounts and pages), the same per ad
(an ad is flagged when its account or page is), and recall per network style with the F1 of
each style against all false positives; the false positives by legitimate group (a world's
optional ``population`` records) and the share of legitimate entities in declared
coordination (a confirmed or verified relationship) that were reported.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from paidfor.domain.serialize import world_record_from_json
from paidfor.domain.world import EXPLAINING_STATUSES, PopulationRecord, TruthRecord
from paidfor.errors import Invalid
from paidfor.integrity.model import EntityKey
from paidfor.integrity.networks import analyse, find
from paidfor.integrity.store import World, load_world


def read_truth(path: Path) -> list[TruthRecord]:
    return [r for r in read_labels(path) if isinstance(r, TruthRecord)]


def read_labels(path: Path) -> list[TruthRecord | PopulationRecord]:
    """A world's ``truth`` and ``population`` records (evaluation only; never stored);
    ``Invalid`` naming the line for one that cannot be read."""
    out: list[TruthRecord | PopulationRecord] = []
    with open(path, "rb") as f:
        for line, raw in enumerate(f, 1):
            if b'"truth"' not in raw and b'"population"' not in raw:
                continue
            try:
                obj = orjson.loads(raw)
                if isinstance(obj, dict) and obj.get("kind") in ("truth", "population"):
                    rec = world_record_from_json(obj)
                    assert isinstance(rec, TruthRecord | PopulationRecord)
                    out.append(rec)
            except ValueError as exc:  # not JSON, or not a record
                raise Invalid(f"{path}:{line}: {exc}") from None
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


@dataclass
class Labels:
    """A world's labels resolved to its entities."""

    style_of: dict[EntityKey, str] = field(default_factory=dict)  # network member -> style
    group_of: dict[EntityKey, str] = field(default_factory=dict)  # legitimate -> its group
    ad_truth: set[tuple[str, str]] = field(default_factory=set)  # (source, external_id)
    unknown: int = 0  # truth lines naming nothing in the world


def resolve(world: World, labels: Sequence[TruthRecord | PopulationRecord]) -> Labels:
    by_external: dict[tuple[str, str | None, str | None], EntityKey] = {}
    for key, (a, b) in world.external.items():
        by_external[(key.type, a, b)] = key
    out = Labels()
    for t in labels:
        if isinstance(t, TruthRecord) and t.entity == "ad":
            out.ad_truth.add((t.source, t.external_id))
            continue
        ref = (t.source, t.external_id) if t.entity == "advertiser" else ("page", t.external_id)
        found = by_external.get((t.entity, *ref))
        if isinstance(t, PopulationRecord):
            if found is not None:
                out.group_of[found] = t.group
        elif found is None:
            out.unknown += 1
        else:
            out.style_of[found] = t.style or "unknown"
    return out


def score(
    world: World,
    labels: Sequence[TruthRecord | PopulationRecord],
    flagged: set[EntityKey],
) -> dict[str, Any]:
    resolved = resolve(world, labels)
    style_of, group_of = resolved.style_of, resolved.group_of
    ad_truth, unknown = resolved.ad_truth, resolved.unknown
    members = set(style_of)
    tp = len(members & flagged)
    result: dict[str, Any] = _prf(tp, len(flagged - members), len(members - flagged))
    fp = len(flagged - members)
    styles: dict[str, Any] = {}
    for style in sorted(set(style_of.values())):
        these = {k for k, s in style_of.items() if s == style}
        styles[style] = _prf(len(these & flagged), fp, len(these - flagged))
    result["by_style"] = styles
    bad_ads = {
        ad.id
        for ad in world.ads
        if (ad.source, ad.external_id) in ad_truth or any(o in members for o in ad.owners)
    }
    hit_ads = {ad.id for ad in world.ads if any(o in flagged for o in ad.owners)}
    result["ads"] = _prf(len(bad_ads & hit_ads), len(hit_ads - bad_ads), len(bad_ads - hit_ads))
    result["entities"] = len(world.profiles)
    result["network_members"] = len(members)
    result["false_positives_by_group"] = _by_group(flagged - members, group_of)
    declared = declared_coordination(world) - members
    result["declared_coordination"] = {
        "entities": len(declared),
        "reported": len(declared & flagged),
        "share_reported": round(len(declared & flagged) / len(declared), 4) if declared else 0.0,
    }
    if unknown:
        result["truth_not_found"] = unknown
    return result


def _by_group(fps: set[EntityKey], group_of: dict[EntityKey, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in fps:
        g = group_of.get(k, "unlabelled")
        out[g] = out.get(g, 0) + 1
    return dict(sorted(out.items(), key=lambda x: (-x[1], x[0])))


def declared_coordination(world: World) -> set[EntityKey]:
    """The accounts on either side of a confirmed or verified relationship, and their pages."""
    accounts = {
        k
        for r in world.relationships
        if r.status in EXPLAINING_STATUSES
        for k in (r.advertiser, r.related)
    }
    out = set(accounts)
    for key, p in world.profiles.items():
        if key.type == "page" and p.owned & accounts:
            out.add(key)
    return out


def import_world(path: Path, *, progress: Callable[[str], None] | None = None) -> World:
    """Import ``path`` into a temporary SQLite database with the native importer and read it
    back as the detection reads production data."""
    from paidfor.ingest.native import Native
    from paidfor.ingest.pipeline import run_import
    from paidfor.storage.db import make_engine, migrate

    say = progress or (lambda _: None)
    with tempfile.TemporaryDirectory(prefix="paidfor-eval-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'world.db'}")
        try:
            migrate(engine)
            say("importing the world")
            report = run_import(engine, Native(), [path], parallel=False)
            if report.errors:
                first = "; ".join(str(e) for e in report.errors[:3])
                raise Invalid(f"{len(report.errors)} bad records in {path}: {first}")
            return load_world(engine)
        finally:
            engine.dispose()


def evaluate_file(path: Path, *, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Import ``path`` into a temporary database and score the detection on it."""
    say = progress or (lambda _: None)
    labels = read_labels(path)
    if not any(isinstance(t, TruthRecord) for t in labels):
        raise Invalid(f'{path} has no ground truth (no record of kind "truth")')
    started = time.perf_counter()
    world = import_world(path, progress=progress)
    imported = time.perf_counter()
    say("detecting")
    analysis = analyse(world)
    networks = find(analysis)
    flagged = {m.key for n in networks for m in n.members}
    result = score(world, labels, flagged)
    result["networks_found"] = len(networks)
    result["link_threshold"] = round(analysis.tau, 4)
    result["seconds"] = {
        "import": round(imported - started, 2),
        "detect": round(time.perf_counter() - imported, 2),
    }
    return result


def _write_world(path: Path, seed: int, advertisers: int, networks: int) -> None:
    from paidfor.eval.world import write

    write(path, seed, advertisers=advertisers, networks=networks)


def _write_cycle(path: Path, seed: int, advertisers: int, networks: int) -> None:
    from paidfor.eval.cycle import write

    write(path, seed, advertisers=advertisers, operations=networks)


# The generated families of worlds (docs/world.md, docs/world-cycle.md): name -> a writer of
# (path, seed, advertisers, networks). The detection is fitted on one and reported on both.
FAMILIES: dict[str, Callable[[Path, int, int, int], None]] = {
    "world": _write_world,
    "cycle": _write_cycle,
}


def evaluate_seed(
    seed: int,
    *,
    family: str = "world",
    advertisers: int = 3000,
    networks: int = 12,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    if family not in FAMILIES:
        raise Invalid(f"no world family {family!r} (one of {', '.join(FAMILIES)})")
    with tempfile.TemporaryDirectory(prefix="paidfor-world-") as tmp:
        path = Path(tmp) / f"{family}-{seed}.jsonl"
        if progress:
            progress(f"generating {family} world {seed}")
        FAMILIES[family](path, seed, advertisers, networks)
        result = evaluate_file(path, progress=progress)
    result["seed"] = seed
    result["family"] = family
    return result
