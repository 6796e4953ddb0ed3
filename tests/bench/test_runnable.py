"""Every benchmark runs as committed (issue: "every benchmark runnable as committed"): each
script under ``bench/`` runs to the end at a tiny size and writes its results where it is
told, never over the recorded results or the shipped models. The figures of such runs mean
nothing; that the scripts run, with the arguments BENCHMARKS.md gives, is what is held.

A script that breaks at a small size (an empty sample, a draw larger than its population) is
broken for whoever tries it first on a laptop, so the sizes here are the smallest each takes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
DATA = Path(os.environ.get("PAIDFOR_DATA_DIR", ROOT.parent / "shared" / "data"))

# script, its arguments ({out}: the results file in the test's directory), the keys its
# results must have. Sizes differ between scripts that cache generated data in bench/work/,
# so that two of them running at once never share a file.
RUNS: list[tuple[str, list[str], list[str]]] = [
    ("generate.py", ["--ads", "120", "--out", "{out}"], []),
    ("world.py", ["--seed", "3", "--advertisers", "40", "--out", "{out}"], []),
    ("world_cycle.py", ["--seed", "3", "--advertisers", "40", "--out", "{out}"], []),
    ("world_data.py", ["--out", "{out}"], []),
    ("coordination.py", ["--posts", "400", "--out", "{out}"], ["results", "all_identical"]),
    ("exchange.py", ["--indicators", "200", "--probes", "10", "--peer-sizes", "100",
                     "--peer-probes", "5", "--out", "{out}"], ["results", "all_agree"]),
    ("exchange_sync.py", ["--indicators", "150", "--out", "{out}"], ["rows", "agreement"]),
    ("calibrate_networks.py", ["--seeds", "3", "--advertisers", "40", "--out", "{out}",
                               "--risk-out", "{dir}/risk_model.json"], ["weights", "threshold"]),
    ("integrity_eval.py", ["--families", "world", "--seeds", "3", "--advertisers", "40",
                           "--out", "{out}"], ["families"]),
    ("ira_networks.py", ["--data", str(DATA), "--advertisers", "60", "--out", "{out}"],
     ["find", "expand"]),
    ("integrity.py", ["--entities", "1500", "--flagged", "60", "--indicators", "500",
                      "--advertisers", "30", "--runs", "1", "--out", "{out}"],
     ["detection", "screening"]),
    ("profile_ingest.py", ["--ads", "300", "--out", "{out}"], ["cpu_us_per_ad"]),
    ("ingest.py", ["--sizes", "250", "--repeat", "1", "--out", "{out}"], ["results"]),
    # search_cpu.py reads the database search.py made: one run, both in turn
    ("search.py", ["--ads", "320", "--requests", "3", "--rounds", "1", "--warmup", "1",
                   "--budget", "5", "--out", "{out}"], ["summary", "runs"]),
    ("load.py", ["--ads", "260", "--seconds", "2", "--clients", "2", "--workers", "1",
                 "--think", "0", "--backend", "sqlite", "--out", "{out}"], ["results"]),
]  # fmt: skip

# What a run must leave alone: the recorded results and the models the package ships.
KEPT = sorted(
    [*(BENCH / "results").glob("*.json"), *(ROOT / "src" / "paidfor" / "integrity").glob("*.json")]
)


def _digests() -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in KEPT if p.is_file()}


def test_every_script_has_a_run_here() -> None:
    """A new benchmark gets a run in this file (``families.py`` is a module the others use)."""
    scripts = {p.name for p in BENCH.glob("*.py")} - {"families.py"}
    covered = {name for name, _, _ in RUNS} | {"search_cpu.py"}  # with search.py
    assert scripts <= covered, f"no run for {sorted(scripts - covered)}"


@pytest.mark.parametrize(("script", "args", "keys"), RUNS, ids=[r[0] for r in RUNS])
def test_the_benchmark_runs_as_committed(
    script: str, args: list[str], keys: list[str], tmp_path: Path
) -> None:
    out = tmp_path / (Path(script).stem + (".json" if keys else ".out"))
    argv = [a.format(out=out, dir=tmp_path) for a in args]
    before = _digests()
    run = subprocess.run(
        [sys.executable, str(BENCH / script), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert run.returncode == 0, f"{script} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert out.is_file() and out.stat().st_size > 0, f"{script} wrote nothing to {out}"
    if keys:
        results = json.loads(out.read_text())
        missing = [k for k in keys if k not in results]
        assert not missing, f"{script}'s results lack {missing}"
    if script == "search.py":
        cpu = tmp_path / "search_cpu.json"
        run = subprocess.run(
            [sys.executable, str(BENCH / "search_cpu.py"), "--ads", "320", "--requests", "3",
             "--out", str(cpu)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )  # fmt: skip
        assert run.returncode == 0, f"search_cpu.py failed:\n{run.stdout[-3000:]}{run.stderr}"
        assert json.loads(cpu.read_text())["results"]
    assert _digests() == before, f"{script} wrote over recorded results or a shipped model"
