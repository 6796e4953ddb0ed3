"""PostgreSQL's full-text index over an expression, not a stored column: ads.search_tsv (a
generated tsvector, 0002) is dropped and ix_ads_search_tsv indexes
``to_tsvector('simple', ...)`` of the search text itself.

The generated column was computed row by row on every insert, in an import's critical path,
and stored beside the text (about 520 bytes an ad, a fifth of the table); over the expression
the vectors are computed once, when the index is built (after a large load: storage.bulk),
and the one query that uses them (storage.repo) names the same expression.

The expression also splits the words 'simple' kept glued to ASCII punctuation
('example.com', '3.5', 'a@b.org', '<police>' taken for a tag): every ASCII punctuation mark
but the underscore becomes a space before the parser sees the text, so the database finds a
word where the query's words (``search_words``: ``\\w+``), FTS5 and the tantivy index do.

The values TOAST compresses (an ad's JSON and text: a row of about 2.5 KB goes over
PostgreSQL's 2 KB threshold) are compressed with lz4 instead of pglz where the server has
it (PostgreSQL 14 and later, built with lz4): pglz_compress was the costliest single
function of an import's server process. Values already stored keep their compression; both
are read alike.

SQLite keeps its FTS5 table: nothing to do there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As storage.bulk.PG_SEARCH_VECTOR is today (a migration keeps the DDL of its day; the two
# are held equal by tests/storage/test_bulk.py).
_VECTOR = (
    "to_tsvector('simple'::regconfig, "
    "regexp_replace(coalesce(search_text, ''), '[!-/:-@[-^`{-~]+', ' ', 'g'))"
)
PG_UP = [
    "DROP INDEX IF EXISTS ix_ads_search_tsv",
    "ALTER TABLE ads DROP COLUMN IF EXISTS search_tsv",
    f"CREATE INDEX ix_ads_search_tsv ON ads USING gin ({_VECTOR})",
]
# As 0002 made them.
PG_DOWN = [
    "DROP INDEX IF EXISTS ix_ads_search_tsv",
    """ALTER TABLE ads ADD COLUMN search_tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_text, ''))) STORED""",
    "CREATE INDEX ix_ads_search_tsv ON ads USING gin (search_tsv)",
]


# The columns of ads whose values can be large enough to be compressed.
_COMPRESSED = (
    "creative", "targeting", "search_text", "demographic_distribution", "delivery_by_region",
    "reached_countries", "platforms", "languages", "risk_explanations", "landing_url",
    "snapshot_url", "removal_reason",
)  # fmt: skip
_HAS_LZ4 = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"


def _compression(method: str) -> None:
    if op.get_bind().exec_driver_sql(_HAS_LZ4).scalar():
        op.execute(
            "ALTER TABLE ads "
            + ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in _COMPRESSED)
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in PG_UP:
            op.execute(sql)
        _compression("lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _compression("default")
        for sql in PG_DOWN:
            op.execute(sql)
