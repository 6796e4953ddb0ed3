"""``paidfor networks find|expand``, ``paidfor cases publish``, ``paidfor integrity rescore``
and ``paidfor eval integrity``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paidfor.errors import Invalid
from paidfor.integrity.model import EntityKey, Network
from paidfor.interfaces.cli.support import Commands, err, open_services, out

if TYPE_CHECKING:
    from paidfor.integrity.networks import Analysis
    from paidfor.services import Services

networks_app = typer.Typer(
    cls=Commands, help="Coordinated networks of accounts and pages.", no_args_is_help=True
)
integrity_app = typer.Typer(cls=Commands, help="Foreign-interference risk.", no_args_is_help=True)
eval_app = typer.Typer(
    cls=Commands, help="Measure the detection on a world with ground truth.", no_args_is_help=True
)
cases_app = typer.Typer(
    cls=Commands, help="Cases: networks under investigation.", no_args_is_help=True
)


@cases_app.callback()
def cases_cmd() -> None:
    """Cases: networks under investigation (``paidfor networks find --open-cases``)."""


Db = Annotated[str | None, typer.Option("--db", help="database URL (default: settings)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


def _analysis(services: Services) -> Analysis:
    from paidfor.integrity.networks import analyse

    with err.status("reading accounts, pages and ads"):
        world = services.integrity.world()
    with err.status(f"scoring {len(world.profiles):,} entities and linking them"):
        return analyse(world)


def _show(net: Network, limit: int = 15) -> None:
    out.print(f"[bold]{net.kind}[/bold] score {net.score:.2f}: {net.summary}", highlight=False)
    for m in net.members[:limit]:
        why = "; ".join(f.evidence for f in m.findings[:2]) or "no finding of its own"
        out.print(f"  {m.role:6} {m.key} {m.name!r} risk {m.risk:.2f}: {why}", highlight=False)
    if len(net.members) > limit:
        out.print(f"  ... and {len(net.members) - limit} more (see --json)")


def _open_cases(services: Services, nets: list[Network], actor: str) -> list[int]:
    return [services.cases.open_case(net, actor=actor) for net in nets]


@networks_app.command("find")
def find_cmd(
    db: Db = None,
    as_json: AsJson = False,
    open_cases: Annotated[
        bool, typer.Option("--open-cases", help="open a case for every network found")
    ] = False,
    actor: Annotated[str, typer.Option(help="who opens the cases (audit log)")] = "cli",
) -> None:
    """Find coordinated networks among all accounts and pages (members investigators marked
    legitimate are not raised again without new evidence)."""
    with open_services(db) as services:
        analysis = _analysis(services)
        found = services.integrity.detect(analysis)
        nets = found.networks
        cases = _open_cases(services, nets, actor) if open_cases else []
    if as_json:
        print(json.dumps({**found.as_json(), "cases": cases}, indent=1))
        return
    out.print(f"{len(nets)} networks (links kept at weight >= {analysis.tau:.2f})")
    for net in nets:
        _show(net, limit=5)
    if found.held_back:
        out.print(
            f"{len(found.held_back)} members marked legitimate before, with no new evidence, "
            "were left out"
        )
    if cases:
        out.print(f"opened cases {', '.join(map(str, cases))}")


@networks_app.command("mark")
def mark_cmd(
    case_id: Annotated[int, typer.Argument(help="the case the finding is in")],
    entity: Annotated[str, typer.Argument(help="the member: advertiser:ID or page:ID")],
    verdict: Annotated[str, typer.Option(help="confirmed or legitimate")],
    reason: Annotated[str, typer.Option(help="why (the audit log keeps it)")],
    relationship: Annotated[
        int | None, typer.Option(help="the declared relationship that explains it")
    ] = None,
    db: Db = None,
    actor: Annotated[str, typer.Option(help="who marks it (audit log)")] = "cli",
    as_json: AsJson = False,
) -> None:
    """Mark a member of a case confirmed, or legitimate coordination (not raised again
    without new evidence)."""
    # a bad entity or verdict is Invalid (exit 2), no such case or member NotFound (exit 3):
    # ``support.Commands`` says them
    key = EntityKey.parse(entity)
    with open_services(db) as services:
        made = services.cases.mark(
            case_id, key, verdict=verdict, reason=reason, actor=actor,
            relationship_id=relationship,
        )  # fmt: skip
    if as_json:
        print(json.dumps(made.as_json()))
    else:
        out.print(f"{made.entity} marked {made.verdict} on case {made.case_id} (mark {made.id})")


@networks_app.command("precision")
def precision_cmd(db: Db = None, as_json: AsJson = False) -> None:
    """Precision on reviewed findings, week by week: confirmed over all marked."""
    with open_services(db) as services:
        weeks = services.cases.precision()
    if as_json:
        print(json.dumps({"weeks": weeks}))
        return
    if not weeks:
        out.print("no finding has been marked yet")
    for w in weeks:
        out.print(
            f"{w['week']}: {w['confirmed']} confirmed, {w['legitimate']} legitimate, "
            f"precision {w['precision']:.2f}"
        )


def _seed(db_analysis, text: str) -> EntityKey:  # type: ignore[no-untyped-def]
    try:
        return EntityKey.parse(text)
    except Invalid:  # not advertiser:ID or page:ID: a name, then
        pass
    matches = [k for k, p in db_analysis.world.profiles.items() if p.name == text]
    if len(matches) != 1:
        what = "no" if not matches else f"{len(matches)}"
        raise typer.BadParameter(
            f"{what} account or page named {text!r}; give advertiser:ID or page:ID"
        )
    return matches[0]


@networks_app.command("expand")
def expand_cmd(
    seed: Annotated[
        list[str],
        typer.Option("--seed", help="a known bad entity: advertiser:ID, page:ID or an exact name"),
    ],
    limit: Annotated[int, typer.Option(min=0, help="at most this many members")] = 200,
    min_weight: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="keep links of at least this weight (default: the null model's)"
        ),
    ] = None,
    db: Db = None,
    as_json: AsJson = False,
    open_case: Annotated[bool, typer.Option("--open-case", help="open a case for it")] = False,
    actor: Annotated[str, typer.Option(help="who opens the case (audit log)")] = "cli",
) -> None:
    """Grow a network from known bad seeds, ranked, with the evidence of every link."""
    from paidfor.integrity.networks import expand

    with open_services(db) as services:
        analysis = _analysis(services)
        seeds = [_seed(analysis, s) for s in seed]
        net = expand(analysis, seeds, limit=limit, min_weight=min_weight)  # NotFound: exit 3
        cases = _open_cases(services, [net], actor) if open_case else []
    if as_json:
        print(json.dumps({"network": net.as_json(), "cases": cases}, indent=1))
        return
    _show(net, limit=30)
    for link in net.links[:20]:
        said = ", ".join(f"{e.kind} {e.value}" for e in link.evidence[:3])
        out.print(f"  link {link.a} - {link.b} ({link.weight:.2f}): {said}", highlight=False)
    if cases:
        out.print(f"opened case {cases[0]}")


@cases_app.command("publish")
def publish_cmd(
    case_id: Annotated[int, typer.Argument(help="the case, taken down")],
    group: Annotated[
        list[str], typer.Option("--group", help="a privacy group to share with (repeatable)")
    ],
    type_: Annotated[
        list[str] | None,
        typer.Option("--type", help="domain, url, raw_text or pdq (repeatable; default all)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="say what would be shared; write nothing")
    ] = False,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """Share a taken-down case's indicators (landing domains and URLs, ad texts, image PDQ
    hashes) with privacy groups of the exchange, as paidfor."""
    from paidfor.exchange.publish import TYPE_NAMES
    from paidfor.interfaces.cli.tokens import cli_actor

    # bad types are Invalid (exit 2), no such case or group NotFound (3), a case not taken
    # down a Conflict (5): ``support.Commands`` says them
    with open_services(db) as services:
        result = services.publisher.publish(
            case_id, group, cli_actor(), type_ or None, dry_run=dry_run
        )
    if as_json:
        print(json.dumps(result.as_json(), indent=1))
        return
    out.print(result.message(), highlight=False)
    for name, counts in result.groups.items():
        for t in result.types:
            out.print(
                f"  {name}: {TYPE_NAMES[t]} ({t}): {counts.shared[t]} "
                f"{'to share' if dry_run else 'shared'}, {counts.already_shared[t]} already",
                highlight=False,
            )


@integrity_app.command("rescore")
def rescore_cmd(db: Db = None, as_json: AsJson = False) -> None:
    """Score every account and page again and store the risk and its explanations."""
    from paidfor.integrity.risk import HOLD_AT

    with open_services(db) as services:
        written, high = services.integrity.rescore(_analysis(services), actor="cli")
    if as_json:
        print(json.dumps({"scored": written, "at_or_above_hold": high, "hold_at": HOLD_AT}))
    else:
        out.print(f"scored {written:,} accounts and pages; {high:,} at or above {HOLD_AT}")


@eval_app.command("integrity")
def eval_integrity_cmd(
    seed: Annotated[int | None, typer.Option(help="generate a world with this seed")] = None,
    world: Annotated[
        Path | None, typer.Option(help="a world file (docs/formats.md, Worlds)")
    ] = None,
    family: Annotated[
        str, typer.Option(help="the generator of --seed: world (docs/world.md) or cycle")
    ] = "world",
    advertisers: Annotated[int, typer.Option(min=10, help="size of a generated world")] = 3000,
    as_json: AsJson = False,
) -> None:
    """Precision, recall and F1 of the network detection over members and ads."""
    from paidfor.eval.integrity import evaluate_file, evaluate_seed

    if (seed is None) == (world is None):
        raise Invalid("give exactly one of --seed N or --world FILE")
    if world is not None and not world.is_file():
        raise Invalid(f"no such file: {world}")
    with err.status("evaluating") as status:  # a file without truth: Invalid, exit 2
        say = lambda text: status.update(text)  # noqa: E731
        if world is not None:
            result = evaluate_file(world, progress=say)
        else:
            assert seed is not None
            result = evaluate_seed(seed, family=family, advertisers=advertisers, progress=say)
    if as_json:
        print(json.dumps(result, indent=1))
        return
    out.print(
        f"members: precision {result['precision']:.3f} recall {result['recall']:.3f} "
        f"F1 {result['f1']:.3f}; ads: F1 {result['ads']['f1']:.3f}"
    )
    for style, r in result["by_style"].items():
        out.print(f"  {style}: recall {r['recall']:.3f}, F1 {r['f1']:.3f}")
    declared = result["declared_coordination"]
    out.print(
        f"legitimate entities in declared coordination: {declared['reported']:,} of "
        f"{declared['entities']:,} reported"
    )
    if result["false_positives_by_group"]:
        groups = ", ".join(f"{g} {n}" for g, n in result["false_positives_by_group"].items())
        out.print(f"false positives by group: {groups}")
