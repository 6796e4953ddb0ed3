"""Generated worlds for the integrity benchmarks, read once and kept: a family's world of one
seed is written, imported with the native importer into a temporary SQLite database and read
back with ``load_world`` (as production reads it), then pickled under bench/work/worlds/ with
its labels, keyed by the family, seed, size and a hash of the generator's code (a changed
generator makes new worlds).

    from families import loaded
    world, labels = loaded("cycle", 7)
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from pathlib import Path

from paidfor.domain.world import PopulationRecord, TruthRecord
from paidfor.eval.integrity import FAMILIES, import_world, read_labels, resolve
from paidfor.integrity.model import EntityKey
from paidfor.integrity.store import World

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench/work/worlds"
SOURCES = {
    "world": [ROOT / "src/paidfor/eval/world"],
    "cycle": [ROOT / "src/paidfor/eval/cycle"],
}
Labels = list[TruthRecord | PopulationRecord]  # as read_labels reads them


def _code_hash(family: str) -> str:
    h = hashlib.sha256()
    for folder in SOURCES.get(family, []):
        for f in sorted(folder.glob("*.py")):
            h.update(f.read_bytes())
    # how a world is imported and read back: the rows' mapping (its landing site), the URL
    # rules and the integrity store
    for module in ("integrity/store.py", "storage/mapping.py", "domain/urls.py"):
        h.update((ROOT / "src/paidfor" / module).read_bytes())
    return h.hexdigest()[:12]


def loaded(
    family: str, seed: int, *, advertisers: int | None = None, networks: int | None = None
) -> tuple[World, Labels]:
    advertisers = advertisers or (3000 if family == "world" else 2500)
    networks = networks or (12 if family == "world" else 10)
    key = f"{family}-{seed}-{advertisers}-{networks}-{_code_hash(family)}.pkl"
    path = CACHE / key
    if path.is_file():
        with open(path, "rb") as f:
            world, labels = pickle.load(f)
        return world, labels
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "world.jsonl"
        FAMILIES[family](file, seed, advertisers, networks)
        labels = read_labels(file)
        world = import_world(file)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump((world, labels), f)
    return world, labels


def members_of(world: World, labels: Labels) -> dict[EntityKey, str]:
    """Each planted network member's style."""
    return resolve(world, labels).style_of
