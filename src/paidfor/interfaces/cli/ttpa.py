"""``paidfor ttpa``: the data the EU's political-advertising rules read (docs/ttpa.md): the
interests that stand for special categories of personal data (art. 18(1)(c) of Regulation
(EU) 2024/900), which staff correct here (every change audited), and the voting ages."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from paidfor.interfaces.cli.support import Commands, open_services, out

ttpa_app = typer.Typer(
    cls=Commands,
    help="The EU's political-advertising rules: special-category interests, voting ages.",
    no_args_is_help=True,
)


@ttpa_app.command("interests")
def interests_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON object")] = False,
) -> None:
    """The interests review refuses in EU political ads, with the category each stands for
    (the shipped ones with staff's changes)."""
    with open_services() as services:
        mapping = services.review.interest_categories()
    if as_json:
        typer.echo(json.dumps(dict(sorted(mapping.items()))))
        return
    table = Table(title="special-category interests (art. 18(1)(c))", box=box.SIMPLE_HEAD)
    table.add_column("interest")
    table.add_column("category")
    for interest, category in sorted(mapping.items()):
        table.add_row(interest, category)
    out.print(table)


@ttpa_app.command("interest-set")
def interest_set_cmd(
    interest: Annotated[
        str,
        typer.Option(
            "--interest", help="the interest, as advertisers target it (case does not matter)"
        ),
    ],
    category: Annotated[
        str,
        typer.Option(
            "--category",
            help="racial_or_ethnic_origin, "
            "political_opinions, religious_or_philosophical_beliefs, "
            "trade_union_membership, genetic_data, biometric_data, health, "
            "sex_life_or_sexual_orientation; none takes it out",
        ),
    ],
    actor: Annotated[str, typer.Option("--actor", help="who is making the change")] = "cli",
    reason: Annotated[str | None, typer.Option("--reason", help="why, for the audit log")] = None,
) -> None:
    """Map an interest to a special category, or take it out with ``none`` (audited)."""
    with open_services() as services:
        key, before = services.review.set_interest_category(
            interest, category, actor=actor, note=reason
        )
    out.print(f'"{key}": {before or "none"} -> {category}', highlight=False)


@ttpa_app.command("voting-ages")
def voting_ages_cmd() -> None:
    """Each Member State's voting age: a political ad is not targeted at people more than
    one year below it (art. 18(2))."""
    from paidfor.review.ttpa import voting_ages

    for country, age in sorted(voting_ages().items()):
        out.print(f"{country} {age}", highlight=False)
