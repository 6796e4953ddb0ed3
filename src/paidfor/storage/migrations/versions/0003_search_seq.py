"""change sequence for the search index: ads.search_seq and the search_state counter

Every write of ``ads`` stamps the rows it changes with the next value of
``search_state.seq``, taken in the same transaction. The counter row is locked until that
transaction commits, so values become visible in commit order, and the search index beside
the database catches up by reading ``search_seq > last value it indexed``. ``epoch`` names
this database, so an index built for another one is never taken for this one's.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:00:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ads", sa.Column("search_seq", sa.BigInteger(), nullable=True))
    op.create_index("ix_ads_search_seq", "ads", ["search_seq"])
    state = op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.String(32), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "seq": 0, "epoch": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("search_state")
    op.drop_index("ix_ads_search_seq", table_name="ads")
    op.execute("ALTER TABLE ads DROP COLUMN search_seq")  # native on SQLite 3.35+ too
