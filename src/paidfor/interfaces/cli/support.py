"""What every ``paidfor`` sub-command shares: the consoles, opening the database, and the one
error wrapper, ``Commands``: a refusal a command lets through (``paidfor.errors``) is said on
stderr in one line and ends the command with the refusal's exit code."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine
from typer.core import TyperGroup

from paidfor.errors import EXIT_USAGE, PaidforError
from paidfor.settings import get_settings

# soft_wrap: a line longer than the terminal (or than 80 columns, into a pipe or a file) stays
# one line, so a file path in a message is never broken in two
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def say_error(message: object) -> None:
    """``error: message`` on stderr (the message as it is: no markup, no emoji codes)."""
    err.print(Text.assemble(("error:", "red"), " ", str(message)), highlight=False)


class Commands(TyperGroup):
    """The ``paidfor`` command's group: runs a sub-command, and turns a refusal it lets
    through into its message and exit code (``PaidforError.exit_code``: 2 for bad input,
    3 for no such thing...), as ``main`` does around it, and ``CliRunner`` too."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click.Context
        try:
            return super().invoke(ctx)
        except PaidforError as exc:
            say_error(exc)
            raise typer.Exit(exc.exit_code) from exc


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
        raise typer.Exit(EXIT_USAGE) from exc
