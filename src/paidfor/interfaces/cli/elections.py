"""``paidfor election``: add, list and load the elections the political-ad rules use."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from paidfor.domain import Election
from paidfor.interfaces.cli.support import Commands, open_services, out

election_app = typer.Typer(
    cls=Commands,
    help="Elections: their dates and political-ad rules (authorization, blackout days).",
    no_args_is_help=True,
)


def _rules(election: Election) -> str:
    auth = "authorization required" if election.authorization_required else "no authorization"
    if election.blackout_days <= 0:
        return f"{auth}, no blackout"
    return f"{auth}, blackout {election.blackout_days} days before the vote and on the day"


@election_app.command("add")
def add_cmd(
    country: Annotated[str, typer.Option("--country", help="ISO 3166-1 alpha-2 code, e.g. US")],
    name: Annotated[str, typer.Option("--name", help="the election's name, unique per country")],
    vote_date: Annotated[str, typer.Option("--date", help="the vote day, YYYY-MM-DD")],
    authorization_required: Annotated[
        bool,
        typer.Option(
            "--authorization-required/--no-authorization-required",
            help="political ads aimed at the country need an authorized advertiser",
        ),
    ] = True,
    blackout_days: Annotated[
        int,
        typer.Option(
            "--blackout-days",
            help="no political ads on the vote day and this many days before it (0: none; "
            "at most 60)",
        ),
    ] = 0,
    level: Annotated[
        str,
        typer.Option(
            "--level",
            help="eu, national, regional or local (Regulation (EU) 2024/900 covers all four)",
        ),
    ] = "national",
    source_url: Annotated[
        str | None,
        typer.Option("--source-url", help="the public page the date comes from (http or https)"),
    ] = None,
    actor: Annotated[str, typer.Option("--actor", help="who is making the change")] = "cli",
    reason: Annotated[str | None, typer.Option("--reason", help="why, for the audit log")] = None,
) -> None:
    """Add an election, or update the one of that country and name (audited either way)."""
    from paidfor.review.elections import make_election

    election = make_election(  # Invalid for a bad code, date or name: exit 2
        country,
        name,
        vote_date,
        authorization_required=authorization_required,
        blackout_days=blackout_days,
        level=level,
        source_url=source_url,
    )
    with open_services() as services:
        stored, outcome = services.elections.save(election, actor=actor, reason=reason)
    out.print(
        f"{outcome} election {stored.id}: {stored.country} {stored.name} ({stored.level}) on "
        f"{stored.date.isoformat()} ({_rules(stored)})",
        highlight=False,
        soft_wrap=True,
    )


@election_app.command("list")
def list_cmd(
    country: Annotated[
        str | None, typer.Option("--country", help="only this country (alpha-2 code)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """The stored elections, by vote date."""
    from paidfor.review.elections import normalize_country

    if country is not None:
        country = normalize_country(country)
    with open_services() as services:
        elections = services.elections.list(country)
    if as_json:
        typer.echo(json.dumps([e.as_json() for e in elections]))
        return
    if not elections:
        out.print("no elections (load the shipped ones with: paidfor election load-defaults)")
        return
    table = Table(
        title="elections",
        box=box.SIMPLE_HEAD,
        caption="blackout: days before the vote (and the vote day) with no political ads",
    )
    table.add_column("id", justify="right")
    table.add_column("country")
    table.add_column("name (level, when not national)")
    table.add_column("vote date", no_wrap=True)
    table.add_column("authorization")
    table.add_column("blackout", justify="right")
    for e in elections:
        auth = "yes" if e.authorization_required else "no"
        name = e.name if e.level == "national" else f"{e.name} ({e.level})"
        table.add_row(str(e.id), e.country, name, e.date.isoformat(), auth, str(e.blackout_days))
    out.print(table)


@election_app.command("load-defaults")
def load_defaults_cmd(
    actor: Annotated[str, typer.Option("--actor", help="who is loading them")] = "system",
) -> None:
    """Store the shipped elections the database lacks (those already stored are kept)."""
    from paidfor.review.elections import default_elections

    shipped = len(default_elections())
    with open_services() as services:
        added = services.elections.load_defaults(actor=actor)
    out.print(
        f"shipped elections: {shipped}; added {added}, already stored {shipped - added}",
        highlight=False,
    )
