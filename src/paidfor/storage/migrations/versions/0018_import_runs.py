"""Provenance of imported records (issue 20): import_runs holds one row per file an import
read (the importer, the file's name as given without any path, its SHA-256 and size, when
the run started and finished, its status, and how many records it read, added, updated,
left unchanged and refused), and ads.import_run_id names the run that last wrote each ad.

A run is inserted (committed) before its first batch and finished after its last, so a run
killed half-way stays ``running`` with no finish time: its ads say they came from an
unfinished import. Existing ads keep ``import_run_id`` empty (their file was never recorded);
the next import that changes one fills it.

On SQLite the column is added with its reference inline (``ALTER TABLE ... ADD COLUMN ...
REFERENCES``, no copy of the table); going down copies ``ads`` (batch mode), which drops its
FTS5 triggers, so they are made again here as 0002 made them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# As 0002 made them (a migration keeps the DDL of its day).
_FTS_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS ads_fts_ai AFTER INSERT ON ads BEGIN
        INSERT INTO ads_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS ads_fts_ad AFTER DELETE ON ads BEGIN
        INSERT INTO ads_fts(ads_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS ads_fts_au AFTER UPDATE OF search_text ON ads BEGIN
        INSERT INTO ads_fts(ads_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO ads_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("added", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("unchanged", sa.BigInteger(), nullable=False),
        sa.Column("refused", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.add_column(
            "ads",
            sa.Column("import_run_id", BigId, sa.ForeignKey("import_runs.id"), nullable=True),
            inline_references=True,
        )
    else:
        op.add_column("ads", sa.Column("import_run_id", BigId, nullable=True))
        op.create_foreign_key(
            op.f("fk_ads_import_run_id_import_runs"), "ads", "import_runs",
            ["import_run_id"], ["id"],
        )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("ads") as batch:
            batch.drop_column("import_run_id")
        for ddl in _FTS_TRIGGERS:
            op.execute(ddl)
    else:
        op.drop_constraint(op.f("fk_ads_import_run_id_import_runs"), "ads", type_="foreignkey")
        op.drop_column("ads", "import_run_id")
    op.drop_table("import_runs")
