"""One detection run over the database, as the CLI and the staff pages run it: read every
account and page (``load_world``), analyse, find the networks, and apply the investigators'
earlier verdicts (``integrity.marks``); ``DetectionRunner`` runs it in the background for the
staff pages and stores what it found."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from paidfor.background import BackgroundWork
from paidfor.integrity.detection_store import DetectionRepository
from paidfor.integrity.mark_store import MarkRepository
from paidfor.integrity.marks import apply_marks
from paidfor.integrity.model import EntityKey, Network
from paidfor.integrity.store import load_world

if TYPE_CHECKING:  # the analysis imports NumPy and igraph when it runs
    from paidfor.integrity.networks import Analysis


@dataclass
class Detection:
    networks: list[Network]
    analysis: Analysis
    held_back: dict[EntityKey, int] = field(default_factory=dict)
    raised_again: dict[EntityKey, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "networks": [n.as_json() for n in self.networks],
            "entities": len(self.analysis.world.profiles),
            "link_threshold": round(self.analysis.tau, 4),
            "held_back": {str(k): case for k, case in sorted(self.held_back.items())},
            "raised_again": {str(k): case for k, case in sorted(self.raised_again.items())},
            "seconds": round(self.seconds, 2),
        }


def detect(engine: Engine, analysis: Analysis | None = None) -> Detection:
    from paidfor.integrity.networks import analyse, find

    started = time.perf_counter()
    if analysis is None:
        analysis = analyse(load_world(engine))
    reviewed = apply_marks(find(analysis), MarkRepository(engine).latest(), analysis.actor)
    return Detection(
        reviewed.networks,
        analysis,
        reviewed.held_back,
        reviewed.raised_again,
        time.perf_counter() - started,
    )


class DetectionRunner:
    """Network detection started from the staff pages: one run at a time, in the background,
    its result stored (``integrity.detection_store``) so every worker shows the same latest run."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.runs = DetectionRepository(engine)
        self._work = BackgroundWork()

    def start(self, actor: str, *, wait: bool = False) -> int:
        """Start a run (audited); with ``wait``, run it here and return when done."""
        run_id = self.runs.start(actor)
        if wait or not self._work.start(self._run, run_id, name="paidfor-detection"):
            self._run(run_id)
        return run_id

    def _run(self, run_id: int) -> None:
        try:
            found = detect(self.engine)
        except Exception as exc:
            self.runs.finish(run_id, None, f"{type(exc).__name__}: {exc}")
            raise
        self.runs.finish(run_id, found.as_json())

    def close(self, timeout: float = 30.0) -> bool:
        return self._work.close(timeout)


IRA_SEEDS = ("Black Matters", "blackmattersus.mvmnt", "brownunitedfront")


def open_seeded_case(
    engine: Engine, names: tuple[str, ...], *, min_weight: float, actor: str
) -> int | None:
    """Grow a network from the pages or accounts named exactly ``names`` and open it as a
    case (``paidfor demo`` leaves the IRA pages found from three seeds); None when a name is
    not there or nothing is tied to the seeds."""
    from paidfor.integrity.cases import CaseService
    from paidfor.integrity.networks import analyse, expand

    analysis = analyse(load_world(engine))
    by_name: dict[str, list[EntityKey]] = {}
    for key, p in analysis.world.profiles.items():
        by_name.setdefault(p.name, []).append(key)
    seeds = [by_name[n][0] for n in names if len(by_name.get(n, ())) == 1]
    if len(seeds) != len(names):
        return None
    net = expand(analysis, seeds, min_weight=min_weight)
    if len(net.members) <= len(seeds):
        return None
    return CaseService(engine).open_case(net, actor)
