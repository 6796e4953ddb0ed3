"""The spend order is written twice, once in Python (``library.ranges.spend_order``, which the
tantivy index's ``k_spend`` holds) and once in SQL (``library.store.spend_order_sql``, which
the database search sorts by): a property test that the two agree, on SQLite and PostgreSQL,
for any stored spend (a source's published lower bound or none, exact cents or none, exact
US-dollar cents or none, negative and past every bucket included).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select

from paidfor.library.ranges import (
    ORDER_DOLLARS,
    SPEND_EDGES,
    published_spend_lower,
    spend_order,
)
from paidfor.library.store import spend_order_sql
from paidfor.storage.models import AdRow

BIGINT = 2**63 - 1
amounts = st.one_of(
    st.none(),
    st.sampled_from([e * 100 for e in SPEND_EDGES]),  # exactly on an edge, in cents
    st.sampled_from([e * 100 - 1 for e in SPEND_EDGES]),  # a cent below it
    st.integers(-(10**6), 10**9),
    st.integers(0, 2**62),
)
lowers = st.one_of(
    st.none(),
    st.sampled_from(SPEND_EDGES),
    st.integers(-10, 10**4),
    st.integers(0, BIGINT),  # a source's bound of any size: 1500, 20000, 10**18...
)
rows = st.lists(st.tuples(lowers, amounts, amounts), min_size=1, max_size=25)


def python_order(lower: int | None, cents: int | None, usd_cents: int | None) -> int | None:
    return spend_order(published_spend_lower(lower, cents), usd_cents)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(found=rows)
def test_python_and_sql_agree(engine: Engine, found: list[tuple[Any, Any, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(AdRow))
        conn.execute(
            insert(AdRow),
            [
                {"source": "order-test", "external_id": str(n), "content_hash": "x",
                 "spend_lower": lower, "spend_cents": cents, "spend_usd_cents": usd}
                for n, (lower, cents, usd) in enumerate(found)
            ],
        )  # fmt: skip
        got = dict(
            conn.execute(select(AdRow.external_id, spend_order_sql()).select_from(AdRow)).all()
        )
    for n, row in enumerate(found):
        sql = got[str(n)]
        assert sql is None or float(sql).is_integer(), (row, sql)  # integer arithmetic
        want = python_order(*row)
        assert (None if sql is None else int(sql)) == want, (row, sql, want)


def test_the_order_is_ranges_first() -> None:
    """What the two agree on is the documented order: a higher published range first, then
    more dollars inside it, and past ``ORDER_DOLLARS`` a tie."""
    assert python_order(100, None, 49_900) > python_order(0, None, 9_900_000)  # type: ignore[operator]
    assert python_order(100, None, 20_000) > python_order(100, None, 10_000)  # type: ignore[operator]
    top = (ORDER_DOLLARS + 1) * 100
    assert python_order(10**6, None, top) == python_order(10**6, None, top * 5)
    assert python_order(None, None, 500) is None
