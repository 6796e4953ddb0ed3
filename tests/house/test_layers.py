"""The import order of ../shared/DESIGN.md, held by walking every import in ``src/paidfor``:

    domain <- storage <- auth, ingest, library <- review <- integrity, coordination <- exchange
    <- disclosure <- eval <- services <- interfaces

A module may import its own package and the packages to its left, never one to its right;
no two packages import each other, however indirectly (a package cycle); and the ORM
(``storage.models``, the shared tables, and a context's own tables in ``*_models`` modules
beside its stores) is imported only by ``storage``, a context's store modules (``store.py``,
``*_store.py``) and the ORM itself: everything above them sees domain types. Imports under
``if TYPE_CHECKING:`` count too: a type is a dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import igraph as ig

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = SRC / "paidfor"
# the layer of each top-level package or module of paidfor (same number: the same layer)
LAYER = {
    "domain": 0,
    "settings": 0,
    "background": 0,
    "errors": 0,
    "data": 0,
    "storage": 1,
    "auth": 2,
    "ingest": 2,
    "library": 2,
    "review": 3,
    "integrity": 4,
    "coordination": 4,  # content coordination: files in, edges out; no database
    "exchange": 5,
    "disclosure": 6,
    "eval": 7,
    "services": 8,
    "interfaces": 9,
    "__main__": 10,
}


def imports() -> list[tuple[str, str, int]]:
    """(importing module, imported paidfor module, line) for every import in src/paidfor
    (migrations aside: they are the schema's history, frozen)."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        if ".migrations." in module:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against this module's package
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                names = [f"{target}.{a.name}" for a in node.names]
                out.extend((module, t, node.lineno) for t in [target, *names])
            elif isinstance(node, ast.Import):
                out.extend((module, a.name, node.lineno) for a in node.names)
    return [(m, t, line) for m, t, line in out if t == "paidfor" or t.startswith("paidfor.")]


def top(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def test_every_top_level_package_has_a_layer() -> None:
    found = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()}
    found = {f for f in found if not f.startswith((".", "__pycache__")) and f != "__init__"}
    assert found - set(LAYER) == set(), "give the new package a layer in DESIGN.md's order"


def test_nothing_imports_a_layer_to_its_right() -> None:
    wrong = sorted(
        f"{m}:{line} imports {t} ({top(m)} is layer {LAYER.get(top(m))}, {top(t)} is "
        f"{LAYER.get(top(t))})"
        for m, t, line in imports()
        if top(t) in LAYER and top(m) in LAYER and LAYER[top(t)] > LAYER[top(m)]
    )
    assert wrong == []


def test_no_package_cycle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for m, t, _ in imports():
        if top(t) != top(m) and top(t) in LAYER:
            edges[top(m)].add(top(t))
    names = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    index = {n: i for i, n in enumerate(names)}
    g = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a in edges for b in edges[a]],
                 directed=True)  # fmt: skip
    cycles = [sorted(names[i] for i in c) for c in g.connected_components("strong") if len(c) > 1]
    assert cycles == []


def _orm(target: str) -> bool:
    """``storage.models`` or any ``*_models`` module (``domain.models`` is the vocabulary, and
    ``review/models/`` holds the shipped classifier's files, not Python)."""
    leaf = target.rsplit(".", 1)[-1]
    return target == "paidfor.storage.models" or leaf.endswith("_models")


def _trusted(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return (
        module.startswith("paidfor.storage")
        or leaf == "store"
        or leaf.endswith("_store")
        or _orm(module)
    )


def test_the_orm_stays_in_storage_and_the_store_modules() -> None:
    leaks = sorted(
        f"{m}:{line} imports {t}" for m, t, line in imports() if _orm(t) and not _trusted(m)
    )
    assert leaks == [], "read and write through a store module"


def test_the_walk_sees_the_imports_it_judges() -> None:
    """The rules above hold only if the walk finds imports: a known one of each kind."""
    found = {(m, t) for m, t, _ in imports()}
    assert ("paidfor.interfaces.cli.main", "paidfor.settings") in found
    assert ("paidfor.integrity.store", "paidfor.storage.models") in found  # a trusted store
    assert ("paidfor.review.intake_store", "paidfor.review.intake_models") in found
    assert _orm("paidfor.review.intake_models") and not _orm("paidfor.domain.models")
    assert any(m == "paidfor.integrity.case_store" for m, _ in found)  # TYPE_CHECKING ones too
    assert LAYER["interfaces"] > LAYER["integrity"] > LAYER["storage"] > LAYER["domain"]


# storage/ is shared plumbing (DESIGN.md "Layers"): the engine and migrations, the core tables
# and their mapping to domain types, the rules written once in SQL, the change counter, bulk
# writing (with the import runs whose ids its rows carry: an ad's provenance, which the plain
# read of stored ads gives with the ad), the audit chain and the plain read of stored ads.
# Nothing else goes there.
PLUMBING = {
    "db", "models", "tables", "mapping", "rules", "repo", "changes",  # engine, tables, reads
    "bulk", "prepare", "writer", "entity_writer", "import_runs",  # bulk writing
    "audit", "audit_query",  # the audit chain
}  # fmt: skip


def test_storage_holds_shared_plumbing_only() -> None:
    storage = ROOT / "storage"
    modules = {p.stem for p in storage.glob("*.py")} - {"__init__"}
    packages = {p.name for p in storage.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert modules - PLUMBING == set(), (
        "a context's store goes beside its service (review/intake_store.py), its own tables "
        "beside the store (review/intake_models.py); storage/ is shared plumbing"
    )
    assert packages == {"migrations"}


def test_paths_next_to_moved_modules_still_point_at_their_files() -> None:
    """Modules that moved find what sits beside them: the repository, the population data,
    the templates."""
    from paidfor.eval.world.population import DATA
    from paidfor.interfaces.http.auth import TEMPLATES
    from paidfor.settings import Settings, find_data_dir

    assert (find_data_dir(None, Settings(data_dir=None)) / "hpsci_ira_ads").is_dir()
    assert DATA.is_file()
    assert (TEMPLATES / "base.html").is_file()


def _persistence(target: str) -> bool:
    """SQLAlchemy, storage/ or a context's store: what only services may hold."""
    leaf = target.rsplit(".", 1)[-1]
    return (
        target == "sqlalchemy"
        or target.startswith(("sqlalchemy.", "paidfor.storage"))
        or leaf == "store"
        or leaf.endswith("_store")
        or _orm(target)
    )


STORE_ATTRIBUTES = ("engine", "repo", "intake")


def reaches_in(module: str, source: str) -> list[str]:
    """Where the module ``module`` (its text ``source``) reaches past the services: an
        import of the persistence layer (its own rate-limit counter,
        ``interfaces.http.api.ratelimit_store``, aside) or a service's store: ``.engine``, ``.repo``
    or the review service's ``.intake``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.Attribute) and node.attr in STORE_ATTRIBUTES:
            found.append(f"{module}:{node.lineno} uses .{node.attr}")
        for t in targets:
            if _persistence(t) and not t.startswith("paidfor.interfaces."):
                found.append(f"{module}:{node.lineno} imports {t}")
    return sorted(set(found))


def interface_reaches() -> list[str]:
    found = []
    for path in sorted((ROOT / "interfaces").rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found += reaches_in(module, path.read_text(encoding="utf-8"))
    return found


def test_interfaces_receive_services_never_an_engine_or_a_repository() -> None:
    """DESIGN.md: interfaces parse input, call a service and render its result; only the
    composition root (``paidfor.services``) opens the database and wires the stores."""
    assert interface_reaches() == []


def test_the_interface_walk_sees_what_it_judges() -> None:
    """The rule above holds only if the walk finds such reaches where they are."""
    source = (
        "from sqlalchemy import Engine\n"
        "def f(service):\n"
        "    from paidfor.review.intake_store import IntakeRepository\n"
        "    import paidfor.storage.models\n"
        "    service.intake.advertiser(1)\n"
        "    return service.repo.engine\n"
        "from paidfor.services import Services\n"
        "from paidfor.interfaces.http.api.ratelimit_store import open_windows\n"
    )
    found = [r.split(" ", 1)[1] for r in reaches_in("m", source)]
    assert sorted(found) == sorted([
        "imports sqlalchemy", "imports sqlalchemy.Engine",
        "imports paidfor.review.intake_store",
        "imports paidfor.storage.models", "uses .repo", "uses .engine", "uses .intake",
    ])  # fmt: skip
    assert (ROOT / "interfaces" / "cli" / "main.py").is_file()  # the walk has files to read
