"""full-text search over creative text: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# No stemming on either side ("simple" / unicode61): the same query finds the same ads on both.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE ads_fts USING fts5(
        search_text, content='ads', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER ads_fts_ai AFTER INSERT ON ads BEGIN
        INSERT INTO ads_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER ads_fts_ad AFTER DELETE ON ads BEGIN
        INSERT INTO ads_fts(ads_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER ads_fts_au AFTER UPDATE OF search_text ON ads BEGIN
        INSERT INTO ads_fts(ads_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO ads_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ads_fts_au",
    "DROP TRIGGER IF EXISTS ads_fts_ad",
    "DROP TRIGGER IF EXISTS ads_fts_ai",
    "DROP TABLE IF EXISTS ads_fts",
]
PG_UP = [
    """ALTER TABLE ads ADD COLUMN search_tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_text, ''))) STORED""",
    "CREATE INDEX ix_ads_search_tsv ON ads USING gin (search_tsv)",
]
PG_DOWN = ["DROP INDEX IF EXISTS ix_ads_search_tsv", "ALTER TABLE ads DROP COLUMN search_tsv"]


def upgrade() -> None:
    for sql in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else PG_UP:
        op.execute(sql)


def downgrade() -> None:
    for sql in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else PG_DOWN:
        op.execute(sql)
