"""Alembic environment: runs on the connection ``paidfor.storage.db.migrate`` hands over,
or on ``sqlalchemy.url`` when called from the ``alembic`` command line.

The migrations are written by hand; ``target_metadata`` only matters to a comparison
(autogenerate). It holds the core tables of ``storage.models`` and a context's own tables
(``*_models`` beside its stores) once they are imported: compare with every one imported, as
``tests/storage/test_storage.py::test_the_models_match_the_migrations`` does."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from paidfor.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
