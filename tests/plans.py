"""What SQLite plans for the queries a block of code runs: for tests that a query asks an
index instead of reading a whole table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine


@contextmanager
def sqlite_plans(engine: Engine, table: str = "ads") -> Iterator[list[str]]:
    """The ``EXPLAIN QUERY PLAN`` lines of every SELECT naming ``table`` run meanwhile (none
    on another database)."""
    plans: list[str] = []
    if engine.dialect.name != "sqlite":
        yield plans
        return

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if table in statement and statement.lstrip().upper().startswith("SELECT"):
            found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans.extend(str(r[-1]) for r in found)

    sa.event.listen(engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        sa.event.remove(engine, "before_cursor_execute", explain)


def scans(plans: list[str], table: str = "ads") -> list[str]:
    """The plan lines that read every row of ``table``."""
    return [p for p in plans if p == f"SCAN {table}" or p.startswith(f"SCAN {table} ")]
