"""``paidfor exchange``: privacy groups and indicators, acting as paidfor itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from paidfor.errors import EXIT_FAILED, Invalid
from paidfor.exchange.fetch import Sources
from paidfor.exchange.model import Member, parse_time
from paidfor.exchange.service import ExchangeService
from paidfor.interfaces.cli.support import Commands, err, open_services, out
from paidfor.interfaces.cli.tokens import cli_actor

if TYPE_CHECKING:  # the retro-hunt's modules load scikit-learn and SciPy: only when it runs
    from paidfor.exchange.consume import HuntReport

exchange_app = typer.Typer(
    cls=Commands, help="The threat-indicator exchange.", no_args_is_help=True
)
group_app = typer.Typer(cls=Commands, help="Privacy groups.", no_args_is_help=True)
indicator_app = typer.Typer(cls=Commands, help="Threat indicators.", no_args_is_help=True)
exchange_app.add_typer(group_app, name="group")
exchange_app.add_typer(indicator_app, name="indicator")


@contextmanager
def _service() -> Iterator[tuple[ExchangeService, Member]]:
    """The exchange as paidfor's staff. Its refusals go through to ``support.Commands``: a bad
    value exits 2, no such group, indicator or source 3, a name taken or a live indicator
    there already 5."""
    with open_services() as services:
        yield services.exchange, services.exchange.staff(cli_actor())


@contextmanager
def _sources() -> Iterator[Sources]:
    with open_services() as services:
        yield services.sources


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
    expires_at = parse_time(expires or None, "--expires")
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


# -- consuming: sources, fetch, retro-hunt ----------------------------------------------------

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON")]
source_app = typer.Typer(
    cls=Commands, help="Where indicators are fetched from.", no_args_is_help=True
)
exchange_app.add_typer(source_app, name="source")


def _bar(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        TextColumn("{task.completed:,} indicators"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )


@source_app.command("add")
def source_add(
    name: Annotated[str, typer.Argument(help="a name for the source")],
    url: Annotated[
        str | None, typer.Option("--url", help="another paidfor server's base URL")
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="its privacy group")] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="PAIDFOR_SOURCE_TOKEN", help="a partner token there"),
    ] = None,
    csv_file: Annotated[
        str | None,
        typer.Option("--csv", help="a `threatexchange dataset -P --csv` file instead"),
    ] = None,
) -> None:
    """Add a source: another paidfor server's group (--url, --group, --token) or a CSV."""
    if (url is None) == (csv_file is None):
        raise Invalid("give either --url (a paidfor server) or --csv (a file)")
    with _sources() as sources:
        kind = "csv" if csv_file else "paidfor"
        source = sources.add(name, kind, csv_file or url or "", group, token, cli_actor())
    where = source.url + (f" group {source.remote_group}" if source.remote_group else "")
    typer.echo(f"added source {source.name!r} ({source.kind}: {where})")


@source_app.command("list")
def source_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The sources, with their cursors and last errors (never their tokens)."""
    with _sources() as sources:
        found = sources.listing()
    if as_json:
        typer.echo(json.dumps([s.as_json() | {"indicators": n} for s, n in found], indent=2))
        return
    table = Table("name", "kind", "url", "group", "indicators", "cursor", "last fetch", "error")
    for s, n in found:
        when = s.last_fetch_at.isoformat(timespec="seconds") if s.last_fetch_at else ""
        table.add_row(s.name, s.kind, s.url, s.remote_group or "", f"{n:,}", s.cursor or "",
                      when, s.last_error or "")  # fmt: skip
    out.print(table)


@source_app.command("remove")
def source_remove(name: Annotated[str, typer.Argument(help="the source's name")]) -> None:
    """Forget a source and every indicator fetched from it."""
    with _sources() as sources:
        gone = sources.remove(name, cli_actor())
    typer.echo(f"removed source {name!r} and {gone:,} indicators fetched from it")


@exchange_app.command("fetch")
def fetch_command(
    source: Annotated[
        list[str] | None, typer.Option("--source", help="only these (repeatable)")
    ] = None,
    hunt: Annotated[
        bool, typer.Option("--hunt/--no-hunt", help="retro-hunt the running ads after a change")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Bring the indicators of every source (or those named) up to date; then, when anything
    changed, check the running ads against them (the retro-hunt)."""
    with _sources() as sources:
        chosen = sources.chosen(source)
        reports = []
        for s in chosen:
            if not s.enabled:
                continue
            bar = _bar(f"fetch {s.name}")
            task = bar.add_task(s.name, total=None)
            with bar:
                reports.append(
                    sources.fetch(s, actor=cli_actor(), progress=partial(bar.advance, task))
                )
        changed = sum(r.applied.changed for r in reports)
        hunted = _hunt(sources) if hunt and changed else None
    if as_json:
        answer = {"sources": [r.as_json() for r in reports], "hunt": hunted and hunted.as_json()}
        typer.echo(json.dumps(answer, indent=2))
    else:
        table = Table("source", "added", "updated", "deleted", "unchanged", "skipped", "cursor",
                      "state")  # fmt: skip
        for r in reports:
            a = r.applied
            table.add_row(r.source, f"{a.added:,}", f"{a.updated:,}", f"{a.deleted:,}",
                          f"{a.unchanged:,}", f"{r.skipped:,}", r.cursor or "",
                          "[red]failed[/red]" if r.error else "up to date")  # fmt: skip
        out.print(table)
        for r in reports:
            if r.error:
                err.print(f"[red]error:[/red] {r.error}", highlight=False, soft_wrap=True)
            for reason, n in r.skipped_reasons.items():
                err.print(f"{r.source}: skipped {n:,} ({reason})", highlight=False, soft_wrap=True)
        if not chosen:
            out.print("no sources: add one with `paidfor exchange source add`")
        if hunted is not None:
            _say_hunt(hunted)
    if any(r.error for r in reports):
        raise typer.Exit(EXIT_FAILED)


def _hunt(sources: Sources) -> HuntReport:
    bar = _bar("retro-hunt")
    task = bar.add_task("hunt", total=None)
    with bar:
        return sources.hunt(progress=lambda n: bar.advance(task, n))


def _say_hunt(report: HuntReport) -> None:
    out.print(
        f"retro-hunt: {report.ads_checked:,} running ads checked, {report.ads_matched:,} "
        f"match an indicator, {len(report.held):,} newly held for review"
        + (f" (ads {', '.join(map(str, report.held[:20]))})" if report.held else "")
    )


@exchange_app.command("hunt")
def hunt_command(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Check every running ad against the indicators now; hold the ones that match."""
    with _sources() as sources:
        report = _hunt(sources)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        _say_hunt(report)
