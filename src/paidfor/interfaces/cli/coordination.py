"""``paidfor coordination``: content-coordination networks of posts (co-link, co-share,
co-reply, co-text, co-similar-text), equal to the coordination-network-toolkit's edges."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from paidfor.coordination.edges import CNT_KIND, KINDS, coordination_edges
from paidfor.coordination.files import LAYOUTS, read_posts, write_edges_csv
from paidfor.errors import Invalid
from paidfor.interfaces.cli.support import Commands, err, out

coordination_app = typer.Typer(
    cls=Commands,
    help="Content coordination: accounts posting the same link, share, reply target or text "
    "within seconds of each other (the coordination-network-toolkit's networks).",
    no_args_is_help=True,
)
TOP = 20


@coordination_app.command("edges")
def edges_cmd(
    file: Annotated[Path, typer.Argument(help="the posts, a CSV file")],
    layout: Annotated[
        str, typer.Option("--layout", help=f"the file's layout: {' or '.join(LAYOUTS)}")
    ] = "cnt",
    kind: Annotated[str, typer.Option("--kind", help=f"one of {', '.join(KINDS)}")] = "co_link",
    window: Annotated[
        float,
        typer.Option(
            "--window",
            help="seconds between two posts that still count as coordinated (inclusive, "
            "either order); CNT's CLI default is 1",
        ),
    ] = 60.0,
    min_weight: Annotated[
        int,
        typer.Option("--min-weight", min=1, help="leave out lighter edges (CNT's CLI: 2)"),
    ] = 1,
    similarity: Annotated[
        float,
        typer.Option("--similarity", help="co_similar_text: Jaccard threshold in (0, 1]"),
    ] = 0.8,
    min_tokens: Annotated[
        int,
        typer.Option("--min-tokens", min=0, help="co_similar_text: shorter texts never match"),
    ] = 1,
    cnt_compat: Annotated[
        bool,
        typer.Option(
            "--cnt-compat",
            help="reproduce CNT's quirks: the empty URL, the empty text, repeated message ids",
        ),
    ] = False,
    loops: Annotated[bool, typer.Option("--loops", help="keep self-loops (user, user)")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write the edges here, CNT's edge CSV layout")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    max_errors: Annotated[int, typer.Option(help="skipped rows to list")] = 20,
) -> None:
    """Edges (user_1, user_2, weight) of FILE's KIND network: weight is how many of user_1's
    posts have a matching post of user_2 within the window; both directions are listed."""
    if not file.is_file():
        raise Invalid(f"no such file: {file}")
    if layout not in LAYOUTS:
        raise Invalid(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    if kind not in KINDS:
        raise Invalid(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    if not window >= 0 or not 0 < similarity <= 1:
        raise Invalid("--window must be >= 0 and --similarity in (0, 1]")
    show = err.is_terminal and not as_json
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        disable=not show,
    )
    t0 = time.perf_counter()
    with progress:
        task = progress.add_task(f"reading {file.name}", total=max(file.stat().st_size, 1))
        try:
            posts, errors = read_posts(
                file,
                layout,
                cnt_compat=cnt_compat,
                progress=lambda done: progress.update(task, completed=done),
            )
        except OSError as exc:  # a file it cannot read (a wrong layout is Invalid already)
            raise Invalid(str(exc)) from None
        progress.update(task, completed=file.stat().st_size)
        progress.add_task(f"computing {kind} over {len(posts):,} posts", total=None)
        edges = coordination_edges(posts, kind, window, min_edge_weight=min_weight,
                                   similarity=similarity, min_tokens=min_tokens,
                                   cnt_compat=cnt_compat, loops=loops)  # fmt: skip
    for e in errors[:max_errors]:
        err.print(f"skipped {e}", highlight=False, soft_wrap=True, markup=False)
    if len(errors) > max_errors:
        err.print(f"... and {len(errors) - max_errors} more skipped rows")
    if not posts:
        raise Invalid(f"{file}: no readable posts")
    if out_file is not None:
        write_edges_csv(edges, out_file, kind)
    summary: dict[str, Any] = {
        "file": str(file),
        "layout": layout,
        "kind": kind,
        "cnt_kind": CNT_KIND[kind],
        "window": window,
        "min_weight": min_weight,
        "cnt_compat": cnt_compat,
        "posts": len(posts),
        "skipped": len(errors),
        "edges": len(edges),
        "users": len({u for e in edges for u in e[:2]}),
        "seconds": round(time.perf_counter() - t0, 3),
        "out": str(out_file) if out_file else None,
        "heaviest": [list(e) for e in sorted(edges, key=lambda e: -e[2])[:TOP]],
    }
    if kind == "co_similar_text":
        summary |= {"similarity": similarity, "min_tokens": min_tokens}
    if as_json:
        typer.echo(json.dumps(summary))
        return
    out.print(
        f"{kind}: {len(edges):,} edges among {summary['users']:,} users from {len(posts):,} "
        f"posts ({len(errors):,} rows skipped) in {summary['seconds']:.1f}s"
        + (f"; written to {out_file}" if out_file else ""),
        highlight=False,
        soft_wrap=True,
    )
    if edges:
        table = Table(title=f"heaviest {min(TOP, len(edges))} edges", box=box.SIMPLE_HEAD)
        for column in ("user_1", "user_2", "weight"):
            table.add_column(column, justify="right" if column == "weight" else "left")
        for user_1, user_2, weight in summary["heaviest"]:
            table.add_row(user_1, user_2, str(weight))
        out.print(table)
