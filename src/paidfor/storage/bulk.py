"""Bulk loading: the secondary indexes of ``ads`` set aside during a large import.

Inserting rows at random places in four B-trees (and, on PostgreSQL, a GIN index) cost a bulk
import more than everything else put together once the table outgrew the cache: every batch
rewrote thousands of index pages. Building an index once over the loaded table is a sort, many
times cheaper. So a large import drops the indexes below, loads, and builds them again.

On SQLite the FTS5 index of the creative text is set aside the same way: its three triggers
are dropped, and afterwards the index is rebuilt from the table in one pass (FTS5's
``rebuild``), which costs a fraction of indexing row by row through the triggers. A missing
trigger is what says the index must be rebuilt.

On PostgreSQL the foreign keys of ``ads`` are set aside too: the server checked each new row's
page, funder and import run with a query of its own (3 of the 8.5 s the server took to copy
100,000 ads in), where adding a key back checks every row in one join. The writer stores an
ad's page, funder and advertiser in the ad's own transaction, so the rows loaded meanwhile
hold; adding the keys back proves it.

Nothing here can be left half-done for long: the drop is a committed transaction of its own,
the rebuild another, and :func:`ensure_indexes` (run by ``open_database``, so by every command
and by the server at start) creates whatever a killed import left missing, rebuilding the
FTS5 index when it creates its triggers again. The unique key that makes imports idempotent is
never dropped.
"""

from __future__ import annotations

from sqlalchemy import JSON, Connection, Engine, Index, Table, Text, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import AddConstraint, CreateIndex

from paidfor.storage.models import AdRow

ADS: Table = AdRow.__table__  # type: ignore[assignment]
# The indexes that only reads use (listing by page, funder, date and spend; finding by landing
# site, status and advertiser). ``ix_ads_search_seq`` stays: the search index's catch-up reads
# by it, and its keys arrive in order.
DEFERRED = (
    "ix_ads_page_created",
    "ix_ads_funder_created",
    "ix_ads_created",
    "ix_ads_spend",
    "ix_ads_landing_domain",
    "ix_ads_status",
    "ix_ads_advertiser_id",
)
# PostgreSQL's full-text vector of an ad (migration 0019, which creates its index the same way:
# held equal by tests/storage/test_bulk.py): not stored, so an insert does not compute it; the
# GIN index below is built over it, and the search (``storage.repo``) names it verbatim, which
# is how the planner knows to use the index. ASCII punctuation but the underscore becomes a
# space first, so 'example.com' or '3.5' are words apart, as ``search_words`` (``\w+``), FTS5
# and the tantivy index see them; 'simple' neither stems nor drops stop words.
PG_PUNCTUATION = "[!-/:-@[-^`{-~]+"  # ASCII punctuation but "_", which \w keeps
PG_SEARCH_VECTOR = (
    "to_tsvector('simple'::regconfig, "
    "regexp_replace(coalesce(search_text, ''), '" + PG_PUNCTUATION + "', ' ', 'g'))"
)


def pg_search_phrase(param: str) -> str:
    """The tsquery of the words in the bound parameter ``param`` as one phrase, their
    punctuation spaced out as in the indexed text: a word typed with a hyphen ("e-mail") is
    the phrase of its parts, as FTS5 and the tantivy index read it, never an "e-mail" token
    that the text, split at the hyphen, does not hold."""
    return f"phraseto_tsquery('simple', regexp_replace(:{param}, '{PG_PUNCTUATION}', ' ', 'g'))"


# PostgreSQL's full-text index; SQLite's FTS5 table stays in step via triggers.
PG_SEARCH_INDEX = "ix_ads_search_tsv"
PG_SEARCH_DDL = (
    f"CREATE INDEX IF NOT EXISTS {PG_SEARCH_INDEX} ON ads USING gin ({PG_SEARCH_VECTOR})"
)
# Below this many incoming rows an import keeps the indexes: rebuilding costs more than it saves.
MIN_ROWS = 50_000
# SQLite's FTS5 triggers (migration 0002, which creates them the same way: held equal by
# tests/storage/test_bulk.py); set aside and created again with the indexes.
FTS_TRIGGERS = {
    "ads_fts_ai": """CREATE TRIGGER ads_fts_ai AFTER INSERT ON ads BEGIN
        INSERT INTO ads_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "ads_fts_ad": """CREATE TRIGGER ads_fts_ad AFTER DELETE ON ads BEGIN
        INSERT INTO ads_fts(ads_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    "ads_fts_au": """CREATE TRIGGER ads_fts_au AFTER UPDATE OF search_text ON ads BEGIN
        INSERT INTO ads_fts(ads_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO ads_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
}
FTS_REBUILD = "INSERT INTO ads_fts(ads_fts) VALUES ('rebuild')"


def _name_triggers(table: str) -> dict[str, str]:
    """The triggers that keep ``{table}_name_fts`` (the names' trigrams, migration 0020,
    which creates them the same way: held equal by tests/storage/test_bulk.py) in step."""
    fts = f"{table}_name_fts"
    return {
        f"{fts}_ai": f"""CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, name) VALUES (new.id, new.name);
        END""",
        f"{fts}_ad": f"""CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, name) VALUES ('delete', old.id, old.name);
        END""",
        f"{fts}_au": f"""CREATE TRIGGER {fts}_au AFTER UPDATE OF name ON {table}
        WHEN old.name IS NOT new.name BEGIN
            INSERT INTO {fts}({fts}, rowid, name) VALUES ('delete', old.id, old.name);
            INSERT INTO {fts}(rowid, name) VALUES (new.id, new.name);
        END""",
    }


# Every FTS5 table, its triggers and its rebuild: the ads' (migration 0002) and the pages' and
# funders' trigram tables (0020; each new page cost 46 us of FTS5 work row by row), set aside
# together during a large first load.
FTS_TABLES: dict[str, tuple[dict[str, str], str]] = {
    "ads_fts": (FTS_TRIGGERS, FTS_REBUILD),
    **{
        f"{table}_name_fts": (
            _name_triggers(table),
            f"INSERT INTO {table}_name_fts({table}_name_fts) VALUES ('rebuild')",
        )
        for table in ("pages", "funders")
    },
}


def _model_indexes() -> list[Index]:
    by_name = {str(ix.name): ix for ix in ADS.indexes}
    return [by_name[name] for name in DEFERRED]


def _ddl(dialect: Dialect) -> dict[str, str]:
    """Index name -> its CREATE INDEX IF NOT EXISTS, in ``dialect``."""
    out = {
        str(ix.name): str(CreateIndex(ix, if_not_exists=True).compile(dialect=dialect))
        for ix in _model_indexes()
    }
    if dialect.name == "postgresql":
        out[PG_SEARCH_INDEX] = PG_SEARCH_DDL
    return out


def _foreign_keys(dialect: Dialect) -> dict[str, str]:
    """PostgreSQL: the foreign keys of ``ads``, name -> the ALTER TABLE that adds it."""
    if dialect.name != "postgresql":
        return {}
    return {
        str(fk.name): str(AddConstraint(fk).compile(dialect=dialect))
        for fk in sorted(ADS.foreign_key_constraints, key=lambda fk: str(fk.name))
    }


# What ANALYZE reads after a load on PostgreSQL: the columns that are not JSON or long text.
# The whole table also sampled the full-text vector's expression and the JSON, 5.4 of the
# post-load's 10.7 s at 100,000 ads against 0.8 s; autovacuum analyzes them once the load
# has committed.
_PG_ANALYZED = ", ".join(c.name for c in ADS.columns if not isinstance(c.type, JSON | Text))


def drop_foreign_keys(engine: Engine) -> list[str]:
    """Drop the foreign keys of ``ads`` on PostgreSQL (one transaction; nothing elsewhere:
    SQLite's checks are a look-up each); until ``ensure_indexes`` adds them back, the
    database does not check them; their names."""
    names = list(_foreign_keys(engine.dialect))
    if names:
        with engine.begin() as conn:
            for name in names:
                conn.exec_driver_sql(f"ALTER TABLE ads DROP CONSTRAINT IF EXISTS {name}")
    return names


def _fts_triggers(conn: Connection) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """SQLite's FTS5 triggers that this database should have (those of each FTS5 table it
    holds: a database before migration 0020 has no names' tables), name -> (its table, its
    DDL), and the triggers it has; one read of the schema."""
    tables: set[str] = set()
    present: set[str] = set()
    for kind, name in conn.exec_driver_sql(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')"
    ):
        (tables if kind == "table" else present).add(name)
    due = {
        name: (fts, ddl)
        for fts, (triggers, _) in FTS_TABLES.items()
        if fts in tables
        for name, ddl in triggers.items()
    }
    return due, present


def drop_indexes(engine: Engine) -> list[str]:
    """Drop the deferrable indexes of ``ads`` (one transaction); their names."""
    names = list(_ddl(engine.dialect))
    with engine.begin() as conn:
        for name in names:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    return names


def drop_fts_triggers(engine: Engine) -> list[str]:
    """Drop SQLite's FTS5 triggers, the ads' and the names' (one transaction; nothing
    elsewhere): until ``ensure_indexes`` creates them again and rebuilds the indexes, the
    FTS5 tables do not follow their tables; their names."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.begin() as conn:
        names = list(_fts_triggers(conn)[0])
        for name in names:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    return names


def _missing(conn: Connection) -> tuple[dict[str, str], list[str]]:
    """What this database lacks of what a large load sets aside, name -> the DDL that makes
    it (the deferrable indexes, SQLite's FTS5 triggers, PostgreSQL's foreign keys of
    ``ads``, in that order), and the FTS5 tables to rebuild because a trigger of theirs is
    missing; one read of the schema."""
    dialect = conn.dialect
    inspector = inspect(conn)
    present = {ix["name"] for ix in inspector.get_indexes("ads")}
    todo = {name: sql for name, sql in _ddl(dialect).items() if name not in present}
    rebuild: list[str] = []
    if dialect.name == "sqlite":
        due, triggers = _fts_triggers(conn)
        for name, (fts, sql) in due.items():
            if name not in triggers:
                todo[name] = sql
                if fts not in rebuild:
                    rebuild.append(fts)
    else:
        keys = {fk["name"] for fk in inspector.get_foreign_keys("ads")}
        todo.update((n, sql) for n, sql in _foreign_keys(dialect).items() if n not in keys)
    return todo, rebuild


def missing(engine: Engine) -> list[str]:
    """The deferrable indexes, FTS5 triggers (SQLite) and foreign keys of ``ads``
    (PostgreSQL) that are not there: what a load that set them aside and was killed left."""
    with engine.connect() as conn:
        return list(_missing(conn)[0])


def ensure_indexes(engine: Engine) -> list[str]:
    """Create whichever deferrable index, FTS5 trigger or foreign key is missing (one
    transaction; an FTS5 table rebuilt from its table when one of its triggers was), then
    refresh the planner's statistics of ``ads``, which a bulk load has made stale; their
    names. Every command and the server run it at start: with nothing missing it is one
    read of the schema on one connection."""
    if not missing(engine):
        return []
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        todo, rebuild = _missing(conn)  # again, in the transaction that mends it
        for sql in todo.values():
            conn.exec_driver_sql(sql)
        for fts in rebuild:
            conn.exec_driver_sql(FTS_TABLES[fts][1])  # its rebuild from its table
        if sqlite:  # a sample of each index is enough
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE ads" if sqlite else f"ANALYZE ads ({_PG_ANALYZED})")
    return list(todo)


def holds_ads(engine: Engine) -> bool:
    """Whether ``ads`` has any row."""
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM ads LIMIT 1").first() is not None


def worth_deferring(engine: Engine, expected_rows: int) -> bool:
    """A large import into a table at most half its size (a first load, say): build the
    indexes afterwards. Not for a re-import or a top-up of a big table, where most rows are
    unchanged or few and the rebuild would cost more than it saves."""
    if expected_rows < MIN_ROWS:
        return False
    with engine.connect() as conn:
        # An estimate is enough: the largest id, not count(*) over millions of rows.
        top = conn.exec_driver_sql("SELECT max(id) FROM ads").scalar()
    return expected_rows >= 2 * int(top or 0)
