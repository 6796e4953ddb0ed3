"""The ``paidfor`` command: a thin layer over the services. A refusal a command lets through,
and a database that fails under it, is said and ends it with its exit code
(``support.Commands``, the one error wrapper; the codes: README, "Exit codes")."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from paidfor.errors import EXIT_FAILED, Invalid
from paidfor.interfaces.cli.audit import audit_app
from paidfor.interfaces.cli.coordination import coordination_app
from paidfor.interfaces.cli.disclosure import disclosure_app, keys_app
from paidfor.interfaces.cli.elections import election_app
from paidfor.interfaces.cli.exchange import exchange_app
from paidfor.interfaces.cli.integrity import cases_app, eval_app, integrity_app, networks_app
from paidfor.interfaces.cli.model import model_app
from paidfor.interfaces.cli.support import Commands, err, open_services, out
from paidfor.interfaces.cli.tokens import token_app
from paidfor.interfaces.cli.ttpa import ttpa_app
from paidfor.settings import (
    Settings,
    find_data_dir,
    get_settings,
    with_address,
    with_secret_key,
)

if TYPE_CHECKING:
    from paidfor.ingest.base import Source
    from paidfor.services import Services

app = typer.Typer(
    cls=Commands, help="paidfor: the open election-ad integrity platform.", no_args_is_help=True
)
db_app = typer.Typer(cls=Commands, help="Database schema.", no_args_is_help=True)
index_app = typer.Typer(
    cls=Commands, help="The search index beside the database.", no_args_is_help=True
)
# the command groups, in the order `paidfor --help` lists them
GROUPS = {
    "db": db_app, "index": index_app, "election": election_app, "audit": audit_app,
    "token": token_app, "model": model_app, "networks": networks_app, "cases": cases_app,
    "integrity": integrity_app, "eval": eval_app, "coordination": coordination_app,
    "exchange": exchange_app, "disclosure": disclosure_app, "keys": keys_app, "ttpa": ttpa_app,
}  # fmt: skip
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database named by PAIDFOR_DATABASE_URL."""
    url = get_settings().database_url
    with open_services(url):  # migrated as it opens
        pass
    out.print(f"database at head: {url}")


@app.command("import")
def import_(
    source: Annotated[
        str, typer.Argument(help="hpsci-ira, meta-archive, meta-report, google-report, native")
    ],
    files: Annotated[list[Path], typer.Argument(help="files to import", exists=False)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="parse and check, write nothing")
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="stop at the first bad row")] = False,
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="default: PAIDFOR_BATCH_SIZE, 2000")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    max_errors: Annotated[int, typer.Option(help="bad rows to list (all go to --json)")] = 20,
    parallel: Annotated[
        bool | None,
        typer.Option(
            "--parallel/--no-parallel",
            help="parse in a second process while writing (default: for 16 MiB and more, "
            "unless the file's first lines are stored unchanged)",
        ),
    ] = None,
    defer_indexes: Annotated[
        bool | None,
        typer.Option(
            "--defer-indexes/--keep-indexes",
            help="build the ads table's read indexes after the load instead of row by row "
            "(default: for ~50,000 rows and more, at least twice as many as the table holds)",
        ),
    ] = None,
) -> None:
    """Import FILES of format SOURCE. Idempotent: importing again changes nothing."""
    import_files(get_settings(), source, files, dry_run=dry_run, strict=strict,
                 batch_size=batch_size, as_json=as_json, max_errors=max_errors,
                 parallel=parallel, defer_indexes=defer_indexes)  # fmt: skip


def import_files(
    settings: Settings,
    source: str,
    files: list[Path],
    *,
    dry_run: bool = False,
    strict: bool = False,
    batch_size: int | None = None,
    as_json: bool = False,
    max_errors: int = 20,
    parallel: bool | None = None,
    defer_indexes: bool | None = None,
) -> None:
    """``paidfor import`` into the database of ``settings``."""
    from paidfor.ingest.registry import SOURCES

    if source not in SOURCES:
        raise Invalid(f"unknown source {source!r}; one of: {', '.join(SOURCES)}")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise Invalid(f"no such file: {', '.join(missing)}")
    # the search index is opened after the import, as it catches up: not in a process the
    # parallel import's parser starts from
    with open_services(settings.database_url, settings=settings) as services:
        changed = _import(services, settings, SOURCES[source](), files, dry_run=dry_run,
                          strict=strict, batch_size=batch_size, as_json=as_json,
                          max_errors=max_errors, parallel=parallel,
                          defer_indexes=defer_indexes)  # fmt: skip
    if changed:
        with open_services(settings.database_url, settings=settings, search_index=True) as s:
            _sync_index(s, full=False, quiet=as_json)


def _import(
    services: Services,
    settings: Settings,
    source: Source,
    files: list[Path],
    *,
    dry_run: bool,
    strict: bool,
    batch_size: int | None,
    as_json: bool,
    max_errors: int,
    parallel: bool | None,
    defer_indexes: bool | None,
) -> bool:
    """Import ``files`` and say what was done; whether anything changed (the search index
    then catches up)."""
    from paidfor.services import DatabaseUnavailable, database_trouble, operational_errors

    if TYPE_CHECKING:
        from paidfor.ingest.pipeline import ImportReport

    sizes = [f.stat().st_size for f in files]
    show = err.is_terminal and not as_json
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        console=err,
        disable=not show,
    )
    tasks = [
        progress.add_task(f.name, total=size, rows=0, rate=0.0, start=False)
        for f, size in zip(files, sizes, strict=True)
    ]
    import time

    t0 = time.perf_counter()

    def hook(index: int, consumed: int, rows: int) -> None:
        # the bar (and its thread) starts with the first figures, after the parsing processes,
        # which fork only from a process of one thread (pipeline.start_method); once started,
        # start does nothing
        progress.start()
        task = tasks[index]
        progress.start_task(task)
        elapsed = max(time.perf_counter() - t0, 1e-9)
        progress.update(task, completed=consumed, rows=rows, rate=rows / elapsed)

    synced: list[str] = []  # the search index brought up to date while the indexes were built

    def alongside(loaded: ImportReport) -> None:
        if loaded.counts.inserted + loaded.counts.updated:
            # the index alone, not migrated: another thread is building the set-aside indexes
            with open_services(settings.database_url, settings=settings, migrate=False,
                               search_index=True) as opened:  # fmt: skip
                _sync_index(opened, full=False, quiet=as_json, bar=False, said=synced)

    try:  # a bad row under --strict is ImportAborted, Invalid: exit 2
        try:
            report = services.imports.run(
                source,
                files,
                batch_size=batch_size or settings.batch_size,
                dry_run=dry_run,
                strict=strict,
                progress=hook,
                parallel=parallel,
                defer_indexes=defer_indexes,
                on_phase=lambda phase: err.print(f"{phase}…") if show else None,
                alongside_indexes=None if dry_run else alongside,
            )
        finally:
            progress.stop()
    except operational_errors() as exc:  # a full disk, a database that went away: exit 6
        raise DatabaseUnavailable(
            f"the import stopped: {database_trouble(exc)}; the batches before it were "
            "committed and the failed one rolled back: run the same import again when the "
            "database can take it (it is idempotent)"
        ) from exc
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        c = report.counts
        verb = "would import" if dry_run else "imported"
        out.print(
            f"{verb} {report.rows:,} rows from {len(files)} file(s) in {report.seconds:.1f}s "
            f"({report.rate:,.0f} rows/s): {c.inserted:,} new, {c.updated:,} updated, "
            f"{c.unchanged:,} unchanged, {len(report.errors):,} skipped"
        )
        if report.truth:
            out.print(
                f"{report.truth:,} ground-truth lines counted, not stored "
                "(`paidfor eval integrity --world FILE` reads them)"
            )
        for e in report.errors[:max_errors]:
            err.print(f"[yellow]skipped[/yellow] {e}")
        if len(report.errors) > max_errors:
            err.print(f"... and {len(report.errors) - max_errors} more (see --json)")
        for e in report.warnings[:max_errors]:
            err.print(f"[yellow]imported, but[/yellow] {e}")
        if len(report.warnings) > max_errors:
            err.print(f"... and {len(report.warnings) - max_errors} more warnings (see --json)")
    for line in synced:
        out.print(line)
    if report.errors and report.rows == 0:
        raise typer.Exit(EXIT_FAILED)
    # the search index catches up now, unless it did while the indexes were built
    return not dry_run and report.counts.inserted + report.counts.updated > 0 and not synced


def _sync_index(
    services: Services,
    *,
    full: bool,
    quiet: bool = False,
    bar: bool = True,
    said: list[str] | None = None,
) -> bool:
    """Bring the search index up to date with a progress bar (unless ``bar`` is False: while
    another one shows); False when there is none or another process is writing it (it then
    catches up on its own). ``said``: what it has to say goes there, not to the output."""
    from paidfor.services import IndexBusy

    index = services.index
    if index is None:
        return False
    pending = index.pending_changes()
    total = index.public_ads_in_database() if pending is None or full else pending
    progress = Progress(
        TextColumn("[bold]search index"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or not bar or not err.is_terminal,
    )
    task = progress.add_task("index", total=total or None)
    try:
        with progress:
            report = index.sync(full=full, progress=lambda n: progress.advance(task, n))
    except IndexBusy as exc:
        err.print(f"[yellow]{exc}[/yellow]; the search index will catch up on its own")
        return False
    if not quiet:
        how = "built" if report.full else "updated"
        line = (
            f"search index {how}: {report.indexed:,} public ads from {report.rows:,} rows "
            f"(at change {report.seq:,}) in {index.path}"
        )
        if said is not None:
            said.append(line)
        else:
            out.print(line)
    return True


@index_app.command("sync")
def index_sync(
    full: Annotated[bool, typer.Option("--full", help="rebuild from every row")] = False,
) -> None:
    """Bring the search index up to date with the database (what every search does too)."""
    with open_services(search_index=True) as services:
        synced = _sync_index(services, full=full)
    if not synced:
        raise typer.Exit(EXIT_FAILED)


@index_app.command("status")
def index_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Where the search index is, how far it has read and whether it agrees with the
    database."""
    with open_services(search_index=True) as services:
        index = services.index
        if index is None:
            err.print("no search index: searches are answered by the database")
            raise typer.Exit(EXIT_FAILED)
        pending = index.pending_changes()
        status = {
            "path": str(index.path),
            "indexed_change": index.state.seq if index.state else None,
            "pending_changes": pending,
            "documents": index.num_docs(),
            "public_ads_in_database": index.public_ads_in_database(),
        }
    status["in_step"] = pending == 0 and status["documents"] == status["public_ads_in_database"]
    if as_json:
        print(json.dumps(status, indent=2))
    else:
        for k, v in status.items():
            out.print(f"{k:24s} {v}")
    if not status["in_step"]:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Totals for the whole database: ads, spend per currency and in USD, impressions."""
    show_stats(get_settings().database_url, as_json)


def show_stats(database_url: str, as_json: bool = False) -> None:
    """``paidfor stats`` of the database at ``database_url``."""
    with open_services(database_url) as services:
        s = services.archive.stats()
    if as_json:
        print(json.dumps(s.as_json(), indent=2))
        return
    table = Table(title="paidfor database")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("ads", f"{s.ads:,}")
    for cur, amount in sorted(s.spend.items()):
        table.add_row(f"spend ({cur})", f"{amount:,.2f}")
    table.add_row("spend (USD at the ad's date)", f"{s.spend_usd:,.2f}")
    table.add_row("impressions", f"{s.impressions:,}")
    table.add_row("clicks", f"{s.clicks:,}")
    table.add_row("pages", f"{s.pages:,}")
    table.add_row("funders", f"{s.funders:,}")
    table.add_row("spend-report rows", f"{s.report_rows:,}")
    out.print(table)


# Where ``serve`` and ``demo`` listen: the options, else the settings (PAIDFOR_HOST/PORT).
HostOption = Annotated[
    str | None, typer.Option(help="address to listen on (default: PAIDFOR_HOST, 127.0.0.1)")
]
PortOption = Annotated[
    int | None, typer.Option(min=1, max=65535, help="default: PAIDFOR_PORT, 8000")
]


@app.command()
def serve(
    host: HostOption = None,
    port: PortOption = None,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the library and the API."""
    settings = get_settings()
    serve_app(settings, host or settings.host, port or settings.port, workers)


def serve_app(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """``paidfor serve``: the app of ``settings``, its database migrated first."""
    from paidfor.interfaces.http.api.serving import serve as run

    settings = with_secret_key(settings, host)  # refused on a public host without a key
    settings = with_address(settings, host, port)  # its links name where it listens
    with open_services(settings.database_url, settings=settings):
        pass  # migrated once, before the workers start
    run(settings, host, port, workers)


@app.command()
def demo(
    db: Annotated[Path, typer.Option(help="SQLite file for the demo (made anew)")] = Path(
        "paidfor-demo.db"
    ),
    data: Annotated[Path | None, typer.Option(help="the shared/data folder")] = None,
    host: HostOption = None,
    port: PortOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="import, then exit")] = False,
) -> None:
    """A fresh SQLite database with the IRA ads and the Meta report, served as ``serve`` does
    (on 127.0.0.1:8000 unless the options or PAIDFOR_HOST and PAIDFOR_PORT say otherwise)."""
    configured = get_settings()
    host, port = host or configured.host, port or configured.port
    folder = find_data_dir(data, configured)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{db}.index", ignore_errors=True)
    url = f"sqlite:///{db.resolve()}"
    # the settings, with the demo's database: passed to every step, the server too
    settings = configured.model_copy(update={"database_url": url})
    imports = [
        ("hpsci-ira", folder / "hpsci_ira_ads" / "ira_ads_clean.csv"),
        (
            "meta-report",
            folder / "meta_ad_library" / "report_US_last_7_days_2023-06-01_advertisers.csv",
        ),
        ("meta-archive", folder / "meta_ad_library" / "ads_archive_record_example.json"),
    ]
    for source, path in imports:
        out.print(f"[bold]paidfor import {source}[/bold] {path}")
        import_files(settings, source, [path])
    from paidfor.integrity.detection import IRA_SEEDS

    with open_services(url, settings=settings) as services:
        added = services.elections.load_defaults(actor="demo")
        out.print(f"[bold]paidfor election load-defaults[/bold]: {added} elections")
        seeds = " ".join(f"--seed {s!r}" for s in IRA_SEEDS)
        out.print(f"[bold]paidfor networks expand {seeds} --min-weight 0.3 --open-case[/bold]")
        with err.status("growing a network from three IRA pages"):
            case_id = services.integrity.open_seeded_case(IRA_SEEDS, min_weight=0.3, actor="demo")
    if case_id is not None:
        out.print(f"opened case {case_id}: see /staff/cases/{case_id} (investigators sign in)")
    show_stats(url)
    if no_serve:
        return
    out.print(f"[green]library on http://{host}:{port}/[/green] (Ctrl-C stops it)")
    serve_app(settings, host, port)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `paidfor stats --json | head`
        sys.exit(0)


if __name__ == "__main__":
    main()
