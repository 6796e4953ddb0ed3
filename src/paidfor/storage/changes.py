"""The change counter behind the search index (``library.index_store``).

Whatever writes ``ads`` stamps the rows it inserts or changes with :func:`next_search_seq`,
inside its own transaction: the bulk writer once a batch, and :func:`touch_ads` for any later
change of a stored ad (a review decision, a removal). The counter's row stays locked until the
transaction commits, so stamps become visible in commit order and an index that has read
every row up to stamp N has missed nothing below it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, update

from paidfor.storage.models import AdRow, SearchStateRow


def next_search_seq(conn: Connection) -> int:
    """Take the next stamp (in the caller's transaction)."""
    stmt = (
        update(SearchStateRow)
        .where(SearchStateRow.id == 1)
        .values(seq=SearchStateRow.seq + 1)
        .returning(SearchStateRow.seq)
    )
    return int(conn.execute(stmt).scalar_one())


def touch_ads(conn: Connection, ad_ids: Iterable[int]) -> int:
    """Mark ``ad_ids`` changed, so the search index picks them up; the stamp used."""
    seq = next_search_seq(conn)
    ids = list(ad_ids)
    for start in range(0, len(ids), 5000):
        conn.execute(
            update(AdRow).where(AdRow.id.in_(ids[start : start + 5000])).values(search_seq=seq)
        )
    return seq


def current_state(conn: Connection) -> tuple[int, str]:
    """The last stamp handed out and committed (as this connection sees it), and the
    database's epoch."""
    # Read before every search: plain SQL, no statement to build.
    seq, epoch = conn.exec_driver_sql("SELECT seq, epoch FROM search_state WHERE id = 1").one()
    return int(seq), str(epoch)
