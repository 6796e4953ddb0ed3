"""What every ``paidfor`` sub-command shares: the consoles, opening the database, and the one
error wrapper, ``Commands``: a refusal a command lets through (``paidfor.errors``) is said on
stderr in one line and ends the command with the refusal's exit code; so does a database
that fails under it (``DatabaseUnavailable``, exit 6). The codes: README, "Exit codes"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from paidfor.errors import PaidforError
from paidfor.settings import Settings, get_settings

if TYPE_CHECKING:
    from paidfor.services import Services

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
    3 for no such thing...), however it is reached (``paidfor``, or ``CliRunner``). A
    database that fails under a command (a full disk, a server gone) is the refusal
    ``DatabaseUnavailable``: one line, exit 6, no traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click.Context
        from paidfor.services import DatabaseUnavailable, database_trouble, operational_errors

        refusal: PaidforError
        try:
            return super().invoke(ctx)
        except PaidforError as exc:
            refusal = exc
        except operational_errors() as exc:
            refusal = DatabaseUnavailable(database_trouble(exc))
            refusal.__cause__ = exc
        say_error(refusal)
        raise typer.Exit(refusal.exit_code) from refusal


@contextmanager
def open_services(
    url: str | None = None,
    *,
    settings: Settings | None = None,
    search_index: bool = False,
    migrate: bool = True,
) -> Iterator[Services]:
    """The services of the database at ``url`` (default PAIDFOR_DATABASE_URL), migrated
    (``DatabaseUnavailable``, exit 6, when it cannot be opened), closed when the command is
    done. ``settings``: the command's own (default: the environment's). ``search_index``:
    open the search index too (a command that searches, imports or syncs it). ``migrate``
    False: open the database as it is (while an import builds its set-aside indexes).
    """
    from paidfor.services import Services

    services = Services.open(
        settings or get_settings(), url, migrate=migrate, search_index=search_index
    )
    try:
        yield services
    finally:
        services.close()
