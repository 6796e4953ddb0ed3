"""What every ``paidfor`` sub-command shares: the consoles and opening the database."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy import Engine

from paidfor.settings import get_settings

# soft_wrap: a line longer than the terminal (or than 80 columns, into a pipe or a file) stays
# one line, so a file path in a message is never broken in two
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def open_engine(url: str | None = None) -> Engine:
    """The database of ``url`` (default PAIDFOR_DATABASE_URL), migrated; exit 2 with a clear
    message when it cannot be opened."""
    from sqlalchemy.exc import OperationalError

    from paidfor.storage.db import open_database

    target = url or get_settings().database_url
    try:
        return open_database(target)
    except OperationalError as exc:
        err.print(f"[red]cannot open the database {target}:[/red] {exc.orig}", highlight=False)
        raise typer.Exit(2) from exc
