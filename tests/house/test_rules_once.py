"""A rule is written once (DESIGN.md): the public and active status sets and the ad types in
``domain.models`` (as SQL in ``storage.rules``), what counts as political in
``domain.models.political`` (as SQL in ``storage.rules.political_condition``). These walks
fail on a second definition in ``src/paidfor`` (migrations aside: frozen history)."""

from __future__ import annotations

import ast
from pathlib import Path

from paidfor.domain.models import ACTIVE_STATUSES, PUBLIC_STATUSES, AdStatus, political

ROOT = Path(__file__).resolve().parents[2] / "src" / "paidfor"
HOME = {ROOT / "domain" / "models.py"}
STATUS_NAMES = {str(s) for s in AdStatus}


def _sources() -> list[tuple[Path, ast.AST]]:
    return [
        (p, ast.parse(p.read_text(encoding="utf-8")))
        for p in sorted(ROOT.rglob("*.py"))
        if "migrations" not in p.parts
    ]


def test_no_ad_type_literal_outside_the_domain() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p, tree in _sources()
        if p not in HOME
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == "POLITICAL_AND_ISSUE_ADS"
    ]
    assert found == [], "use domain.models.AdType"


def _status_of(node: ast.expr) -> str | None:
    """The status an element names: ``"running"``, ``AdStatus.RUNNING`` or
    ``str(AdStatus.RUNNING)``."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and getattr(node.func, "id", "") == "str":
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "AdStatus":
        return node.attr.lower()
    return None


def test_a_status_set_is_found_however_it_is_written() -> None:
    tree = ast.parse(
        "a = (str(AdStatus.APPROVED), str(AdStatus.RUNNING))\n"
        "b = {AdStatus.STOPPED, AdStatus.REMOVED}\nc = ('approved', 'running')"
    )
    sets = [n for n in ast.walk(tree) if isinstance(n, ast.Tuple | ast.Set)]
    assert [{_status_of(e) for e in n.elts} for n in sets] == [
        {"approved", "running"}, {"stopped", "removed"}, {"approved", "running"}
    ]  # fmt: skip


def test_no_set_of_ad_statuses_outside_the_domain() -> None:
    """A literal tuple, list or set of two or more ad statuses is a status set written again."""
    found = []
    for p, tree in _sources():
        if p in HOME:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                values = {v for e in node.elts if (v := _status_of(e)) is not None}
                if len(values & STATUS_NAMES) >= 2 and values & {"running", "stopped"}:
                    found.append(f"{p.relative_to(ROOT)}:{node.lineno} {sorted(values)}")
    assert found == [], "use domain.models.PUBLIC_STATUSES / ACTIVE_STATUSES (storage.rules)"


def test_the_political_rule_in_sql_is_written_once() -> None:
    found = [
        str(p.relative_to(ROOT))
        for p, _ in _sources()
        if "is_political.is_(None)" in p.read_text(encoding="utf-8")
    ]
    assert found == ["storage/rules.py"]


def test_the_rules_themselves() -> None:
    assert ACTIVE_STATUSES < PUBLIC_STATUSES
    assert AdStatus.PENDING not in PUBLIC_STATUSES and AdStatus.REJECTED not in PUBLIC_STATUSES
    assert political(None, "POLITICAL_AND_ISSUE_ADS") and not political(None, "ALL")
    assert not political(False, "POLITICAL_AND_ISSUE_ADS") and political(True, "ALL")


def test_every_domain_type_is_used_outside_the_domain() -> None:
    """Dead vocabulary misleads: each class of domain.models is named by a module outside
    the domain package."""
    models = ROOT / "domain" / "models.py"
    names = {
        n.name
        for n in ast.parse(models.read_text(encoding="utf-8")).body
        if isinstance(n, ast.ClassDef)
    }
    used: set[str] = set()
    for p, tree in _sources():
        if "domain" in p.relative_to(ROOT).parts[:1]:
            continue
        used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert sorted(names - used) == []


def test_a_urls_host_and_site_are_read_in_one_place() -> None:
    """``domain.urls`` reads a URL's host and site; nobody else takes ``urlsplit(...).hostname``
    or defines a domain-of-a-URL function of its own (three used to mean three things: two
    hosts of one site shared a published indicator but not a landing-domain tie)."""
    home = ROOT / "domain" / "urls.py"
    found = []
    for p, tree in _sources():
        if p == home:
            continue
        for node in ast.walk(tree):
            chained = (
                isinstance(node, ast.Attribute)
                and node.attr == "hostname"
                and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", getattr(node.value.func, "attr", ""))
                == "urlsplit"
            )
            named = isinstance(node, ast.FunctionDef) and any(
                w in node.name
                for w in ("domain_of", "registrable", "canonical_domain", "host_of", "site_of")
            )
            if chained or named:
                found.append(f"{p.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}")
    assert found == [], "use paidfor.domain.urls (host_of, site_of, canonical_domain)"


def test_when_an_ad_started_is_written_once() -> None:
    """``Ad.started_at`` (``domain.models``) and ``storage.rules.started``: the delivery start,
    else the creation. Any ``start_at or created_at`` (or the reverse) elsewhere, in Python or
    as ``coalesce``, is the rule again: the hub and the disclosures once read it in opposite
    orders."""
    homes = {ROOT / "domain" / "models.py", ROOT / "storage" / "rules.py"}
    pair = {"start_at", "created_at"}
    found = []
    for p, tree in _sources():
        if p in homes:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
                names = {getattr(v, "attr", None) for v in node.values}
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "coalesce":
                names = {getattr(a, "attr", None) for a in node.args}
            else:
                continue
            if pair <= names:
                found.append(f"{p.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}")
    # integrity reads when an ad was *created* (created_at, else its start) for its minute
    # and creation-burst ties: another question, answered once in integrity.store
    assert found == ["integrity/store.py:360", "integrity/store.py:445"], found
