"""``paidfor token``: create (the token is printed once), list and revoke API tokens."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.errors import NotFound
from paidfor.interfaces.cli.support import Commands, err, open_services, out

token_app = typer.Typer(cls=Commands, help="API tokens and their roles.", no_args_is_help=True)


def cli_actor() -> str:
    """The audit actor for a command run here: ``cli:<os user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _service() -> Iterator[TokenService]:
    with open_services() as services:
        yield services.tokens


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@token_app.command("create")
def create(
    role: Annotated[
        str, typer.Option("--role", help="advertiser, reviewer, investigator, partner or admin")
    ],
    name: Annotated[str, typer.Option("--name", help="who or what uses the token")],
    advertiser: Annotated[
        int | None, typer.Option("--advertiser", help="the advertiser account (advertiser role)")
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", help="an exchange privacy group (partner role; repeatable)"),
    ] = None,
) -> None:
    """Create a token and print it once on stdout (an unknown role, a missing account...:
    ``Invalid``, exit 2)."""
    parsed = Role.parse(role)
    with _service() as tokens:
        token, who = tokens.create(
            parsed, name, advertiser_id=advertiser, actor=cli_actor(), groups=group
        )
    typer.echo(token)
    err.print(
        f"created token #{who.token_id} ({who.role.value}, {who.name!r}). "
        "Store it now: it will not be shown again."
    )


@token_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List tokens (never the tokens themselves): id, name, role, prefix and times."""
    with _service() as tokens:
        found = tokens.list()
    if as_json:
        typer.echo(json.dumps([t.as_json() for t in found], indent=2))
        return
    table = Table("id", "name", "role", "prefix", "created", "last used", "revoked")
    for t in found:
        table.add_row(
            str(t.id),
            t.name,
            t.role,
            f"{t.prefix}…",
            _when(t.created_at),
            _when(t.last_used_at),
            _when(t.revoked_at),
        )
    out.print(table)


@token_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="the token's id (see `paidfor token list`)")],
    reason: Annotated[str | None, typer.Option("--reason", help="why, for the audit log")] = None,
) -> None:
    """Revoke a token at once; its staff sessions end with it."""
    with _service() as tokens:
        before = tokens.find(token_id)
        done = tokens.revoke(token_id, cli_actor(), reason)
    if done is None:
        raise NotFound(f"there is no token #{token_id}")
    if before is not None and not before.active:
        typer.echo(f"token #{token_id} was already revoked at {_when(done.revoked_at)}")
        return
    typer.echo(f"revoked token #{token_id} ({done.role}, {done.name!r})")
