"""Cycle worlds: a second, independently written family of synthetic integrity worlds
(docs/world-cycle.md) over a 2025-2026 US midterm cycle.

Contract: ``generate(seed, advertisers=, operations=)`` yields the JSON records of one world in
file order (admins, advertisers, pages and ads account by account, then relationship,
population and truth lines); ``write`` writes them as JSON lines with orjson and returns a
``Summary``. Only ``random.Random(seed)`` is used, so the same seed and sizes give the same
bytes. Nothing is imported from ``paidfor.integrity``: this family judges its detector.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import orjson

from paidfor.eval.cycle import crowd, styles
from paidfor.eval.cycle.infra import Fabric
from paidfor.eval.cycle.model import World, number
from paidfor.eval.cycle.records import records

__all__ = ["OperationSummary", "Summary", "build", "generate", "write"]


def build(seed: int, *, advertisers: int = 2500, operations: int = 10) -> World:
    """The world's objects (before they become records)."""
    if advertisers < 1 or operations < 0:
        raise ValueError("advertisers must be >= 1 and operations >= 0")
    rng = Random(seed)
    fab = Fabric(rng)
    world = World(seed)
    crowd.legitimate(fab, world, advertisers)
    styles.plant(fab, world, operations)
    number(rng, world)
    return world


def generate(
    seed: int, *, advertisers: int = 2500, operations: int = 10
) -> Iterator[dict[str, Any]]:
    """The records of one world, in file order."""
    yield from records(build(seed, advertisers=advertisers, operations=operations))


@dataclass(frozen=True)
class OperationSummary:
    name: str
    style: str
    members: int
    accounts: int
    pages: int
    traces: tuple[str, ...]


@dataclass
class Summary:
    path: Path
    bytes: int
    records: dict[str, int]
    operations: list[OperationSummary]
    groups: dict[str, int] = field(default_factory=dict)  # legitimate advertisers by group


def write(path: str | Path, seed: int, *, advertisers: int = 2500, operations: int = 10) -> Summary:
    """Write one world as JSON lines; the counts by kind, the operations and the size."""
    path = Path(path)
    world = build(seed, advertisers=advertisers, operations=operations)
    kinds: Counter[str] = Counter()
    size = 0
    with path.open("wb") as out:
        chunk: list[bytes] = []
        for rec in records(world):
            kinds[rec["kind"]] += 1
            chunk.append(orjson.dumps(rec) + b"\n")
            if len(chunk) >= 4096:
                data = b"".join(chunk)
                size += len(data)
                out.write(data)
                chunk = []
        data = b"".join(chunk)
        size += len(data)
        out.write(data)
    groups = Counter(a.group for a in world.accounts if a.operation is None)
    ops = [
        OperationSummary(
            op.name, op.style, op.members, len(op.accounts), len(op.pages), tuple(op.traces)
        )
        for op in world.operations
    ]
    return Summary(path, size, dict(kinds), ops, dict(sorted(groups.items())))
