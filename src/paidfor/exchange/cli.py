"""``paidfor exchange``: privacy groups and indicators, acting as paidfor itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from paidfor.auth.cli import cli_actor
from paidfor.cli_support import err, open_engine, out
from paidfor.exchange.model import ExchangeError, Member
from paidfor.exchange.service import ExchangeService

exchange_app = typer.Typer(help="The threat-indicator exchange.", no_args_is_help=True)
group_app = typer.Typer(help="Privacy groups.", no_args_is_help=True)
indicator_app = typer.Typer(help="Threat indicators.", no_args_is_help=True)
exchange_app.add_typer(group_app, name="group")
exchange_app.add_typer(indicator_app, name="indicator")


@contextmanager
def _service() -> Iterator[tuple[ExchangeService, Member]]:
    engine = open_engine()
    try:
        service = ExchangeService(engine)
        yield service, service.staff(cli_actor())
    except ExchangeError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2 if isinstance(exc, ValueError) else 1) from exc
    finally:
        engine.dispose()


@group_app.command("create")
def group_create(
    name: Annotated[str, typer.Argument(help="the group's name")],
    description: Annotated[str | None, typer.Option("--description")] = None,
) -> None:
    """Create a privacy group."""
    with _service() as (service, _):
        group = service.create_group(name, description, cli_actor())
    typer.echo(f"created privacy group #{group.id} {group.name!r}")


@group_app.command("list")
def group_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List the privacy groups."""
    with _service() as (service, me):
        found = service.groups(me)
    if as_json:
        typer.echo(json.dumps([g.as_json() for g in found], indent=2))
        return
    table = Table("id", "name", "description", "created by")
    for g in found:
        table.add_row(str(g.id), g.name, g.description or "", g.created_by)
    out.print(table)


@indicator_app.command("add")
def indicator_add(
    type_: Annotated[str, typer.Option("--type", help="url, domain, raw_text, pdq, ...")],
    value: Annotated[str, typer.Option("--value")],
    group: Annotated[str, typer.Option("--group")],
    status: Annotated[str, typer.Option("--status")] = "UNKNOWN",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="repeatable")] = None,
    confidence: Annotated[int, typer.Option("--confidence", help="0-100")] = 50,
    description: Annotated[str | None, typer.Option("--description")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="ISO 8601 time")] = None,
) -> None:
    """Add an indicator to a group, owned by paidfor."""
    try:
        expires_at = datetime.fromisoformat(expires) if expires else None
    except ValueError as exc:
        err.print(f"[red]error:[/red] --expires is not an ISO 8601 time: {expires!r}")
        raise typer.Exit(2) from exc
    with _service() as (service, me):
        view = service.add(me, type=type_, value=value, group=group, status=status,
                           tags=tag or [], confidence=confidence, description=description,
                           expires_at=expires_at)  # fmt: skip
    typer.echo(f"added indicator #{view.id} ({view.type}) to {view.group!r}")


@indicator_app.command("list")
def indicator_list(
    group: Annotated[str, typer.Option("--group")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """A group's live indicators."""
    with _service() as (service, me):
        found = service.indicators(me, group)
        now = service.clock()
    if as_json:
        typer.echo(json.dumps([v.as_json(now) for v in found], indent=2))
        return
    table = Table("id", "type", "value", "status", "tags", "confidence", "owner", "reactions")
    for v in found:
        reactions = ", ".join(f"{k} {n}" for k, n in v.reactions.items())
        table.add_row(str(v.id), v.type, v.value[:80], v.status, " ".join(v.tags),
                      str(v.confidence), v.owner, reactions)  # fmt: skip
    out.print(table)


@indicator_app.command("delete")
def indicator_delete(
    indicator_id: Annotated[int, typer.Argument(help="the indicator's id")],
) -> None:
    """Delete an indicator paidfor owns (members see a tombstone)."""
    with _service() as (service, me):
        view = service.delete(me, indicator_id)
    typer.echo(f"deleted indicator #{view.id}")
