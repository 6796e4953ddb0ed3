"""``paidfor audit``: check the hash-chained audit log and read its newest events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from paidfor.errors import EXIT_FAILED
from paidfor.interfaces.cli.support import Commands, open_services, out

if TYPE_CHECKING:
    from paidfor.domain import AuditEvent

audit_app = typer.Typer(
    cls=Commands,
    help="The append-only audit log: verify its hash chain, list its events.",
    no_args_is_help=True,
)


def describe(event: AuditEvent) -> str:
    """``ID (action, target_type target_id, at)``: how an event is named in messages."""
    at = event.at.isoformat() if event.at else "?"
    return f"{event.id} ({event.action}, {event.target_type} {event.target_id}, {at})"


@audit_app.command("verify")
def verify_cmd(
    as_json: Annotated[
        bool,
        typer.Option("--json", help="print {intact, events, head, broken} as JSON"),
    ] = False,
) -> None:
    """Check every event's hash and link; exit 1 naming the first broken event."""
    with open_services() as services:
        result = services.audit.check()
    if as_json:
        typer.echo(json.dumps(result.as_json(), default=str))
    elif result.broken is None:
        head = f"; head {result.head}" if result.head else ""
        out.print(
            f"audit chain intact: {result.events:,} events{head}", highlight=False, soft_wrap=True
        )
    else:
        out.print(
            f"audit chain broken at event {describe(result.broken)}: {result.detail} "
            f"({result.events:,} events before it check out)",
            highlight=False,
            soft_wrap=True,
        )
    if result.broken is not None:
        raise typer.Exit(EXIT_FAILED)


@audit_app.command("list")
def list_cmd(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="events to show")] = 50,
    action: Annotated[
        str | None,
        typer.Option("--action", help="only actions starting with this, e.g. election."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """The newest events, newest first: when, who, what, on what, and why."""
    with open_services() as services:
        events = services.audit.events(limit=limit, action_prefix=action)
    if as_json:
        typer.echo(json.dumps([e.as_json() for e in events], default=str))
        return
    if not events:
        out.print("no audit events")
        return
    table = Table(title=f"newest {len(events)} audit events, newest first", box=box.SIMPLE_HEAD)
    table.add_column("id", justify="right")
    table.add_column("at (UTC)", no_wrap=True)
    for column in ("actor", "action", "target", "reason"):
        table.add_column(column)
    for e in events:
        at = e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else ""
        target = f"{e.target_type} {e.target_id}"
        table.add_row(str(e.id), at, e.actor, e.action, target, e.reason or "")
    out.print(table)
