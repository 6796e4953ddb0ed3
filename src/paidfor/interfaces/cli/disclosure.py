"""``paidfor disclosure`` (request, approve or reject, build and verify packages) and
``paidfor keys`` (the signing key)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID

from paidfor.disclosure.keys import DEFAULT_KEY_PATH, generate, load_public
from paidfor.disclosure.manifest import verify
from paidfor.disclosure.service import (
    DisclosureRequest,
    DisclosureService,
    NoSuchRequest,
    Who,
    find_approved,
)
from paidfor.domain.ttpa import REFUSAL_GROUNDS, RequesterKind
from paidfor.errors import EXIT_FAILED, Invalid, PaidforError
from paidfor.interfaces.cli.support import Commands
from paidfor.settings import get_settings

disclosure_app = typer.Typer(
    cls=Commands, help="Disclosure packages for investigators.", no_args_is_help=True
)
keys_app = typer.Typer(
    cls=Commands, help="The key that signs disclosure packages.", no_args_is_help=True
)


@disclosure_app.command("verify")
def verify_cmd(
    package: Annotated[Path, typer.Argument(help="a package folder or its .zip")],
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="the signer's public key (PEM); without it only the key inside the package "
            "is used, which shows the package is intact but not who made it",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Check a package's signature and files; name every file changed, added or removed.

    Exit 0 when it holds, 1 when it does not, 2 when the path is not a package (or the key
    not a public key: ``DisclosureKeyError``, ``NotAPackage``)."""
    trusted = load_public(public_key) if public_key is not None else None
    report = verify(package, trusted)
    if as_json:
        typer.echo(report.as_json())
        raise typer.Exit(0 if report.ok else EXIT_FAILED)
    said: set[str] = set()
    for what, names in (
        ("changed", report.changed),
        ("added", report.added),
        ("removed", report.removed),
        ("refused", report.refused),
    ):
        for name in names:
            detail = next((p for p in report.problems if p.startswith(f"{name}: ")), None)
            if detail:
                said.add(detail)
            why = detail.removeprefix(f"{name}: ").removeprefix(what) if detail else ""
            why = why.strip(" ,")
            typer.echo(
                f"{what}: {name}"
                + (f" {why}" if why.startswith("(") else f" ({why})" if why else "")
            )
    for problem in report.problems:
        if problem not in said:
            typer.echo(f"problem: {problem}")
    for note in report.notes:
        typer.echo(f"note: {note}")
    if report.signer:
        typer.echo(f"signer's public key: {report.signer}")
    typer.echo(f"{report.path}: {report.verdict}")
    raise typer.Exit(0 if report.ok else EXIT_FAILED)


@keys_app.command("generate")
def keys_generate(
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="where to write the private key (default: PAIDFOR_DISCLOSURE_KEY, else "
            f"{DEFAULT_KEY_PATH}); the public key goes beside it as <path>.pub",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the paths as JSON")] = False,
) -> None:
    """Make the Ed25519 key pair that signs disclosure packages. Never overwrites a key."""
    configured = get_settings().disclosure_key
    target = out_path or (Path(configured) if configured else DEFAULT_KEY_PATH)
    try:  # a key there already is KeyExists, a Conflict (exit 5)
        private, public = generate(target)
    except OSError as exc:
        if isinstance(exc, PaidforError):
            raise
        raise Invalid(f"cannot write the key at {target}: {exc.strerror or exc}") from exc
    private, public = private.resolve(), public.resolve()
    if as_json:
        typer.echo(json.dumps({"private_key": str(private), "public_key": str(public)}))
        return
    typer.echo(f"private key: {private} (mode 0600; keep it secret, outside the database)")
    typer.echo(f"public key:  {public} (give it to recipients to verify packages)")
    if configured and Path(configured).expanduser().resolve() == private:
        typer.echo("PAIDFOR_DISCLOSURE_KEY already names it.")
    else:
        typer.echo(f"Set PAIDFOR_DISCLOSURE_KEY={private} to sign disclosure packages with it.")


# -- requests, decisions and builds (paidfor.disclosure.service) ------------------------------

Case = Annotated[int | None, typer.Option("--case", help="a case: its members' ads")]
Currency = Annotated[str | None, typer.Option("--currency", help="ads paid in, e.g. RUB")]
Since = Annotated[str | None, typer.Option("--since", help="created on or after (YYYY-MM-DD)")]
Until = Annotated[str | None, typer.Option("--until", help="created on or before (YYYY-MM-DD)")]
Country = Annotated[str | None, typer.Option("--country", help="targeted or reached, e.g. US")]
Funder = Annotated[str | None, typer.Option("--funder", help='the "Paid for by" name')]
PageIds = Annotated[list[int] | None, typer.Option("--page-id", help="repeatable")]
Source = Annotated[str | None, typer.Option("--source", help="an import source: hpsci-ira...")]
Status = Annotated[str | None, typer.Option("--status", help="removed, running, ...")]
Recipient = Annotated[str | None, typer.Option("--recipient", help="who receives it")]
Basis = Annotated[
    str | None,
    typer.Option("--legal-basis", help="congressional_request, subpoena, voluntary, "
                 "court_order, search_warrant (docs/disclosure.md), ttpa_competent_authority "
                 "or ttpa_interested_entity (docs/ttpa.md)"),
]  # fmt: skip
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
# Regulation (EU) 2024/900, arts. 16-17 (docs/ttpa.md): who asks, when it arrived, why it is
# refused; the service checks each (``DisclosureService.request``, ``decide``), as for the API
INTERESTED = ", ".join(k for k in RequesterKind if k is not RequesterKind.COMPETENT_AUTHORITY)
Kind = Annotated[
    str | None,
    typer.Option("--requester-kind",
                 help="who asks: competent_authority, with the legal basis "
                 f"ttpa_competent_authority (art. 16); {INTERESTED}, with "
                 "ttpa_interested_entity (art. 17)"),
]  # fmt: skip
Received = Annotated[
    str | None,
    typer.Option("--received-at",
                 help="when the request arrived, ISO 8601 with its time zone (e.g. "
                 "2026-11-30T09:00:00+01:00 or 2026-11-30T08:00:00Z); default now. The "
                 "deadline runs from it"),
]  # fmt: skip
Ground = Annotated[
    str | None,
    typer.Option("--ground", help="why a request under arts. 16-17 is refused (needed for "
                 "one): " + ", ".join(REFUSAL_GROUNDS)),
]  # fmt: skip


def received_at(value: str | None) -> datetime | None:
    """``--received-at`` as an aware time; Invalid (exit 2) for what is not one: the API
    takes only a date and time with its zone, and so does the command."""
    if value is None:
        return None
    wrong = Invalid(
        f"--received-at {value!r} is not a date and time with its time zone "
        "(ISO 8601, e.g. 2026-11-30T09:00:00+01:00 or 2026-11-30T08:00:00Z)"
    )
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise wrong from exc
    if moment.utcoffset() is None:
        raise wrong
    return moment


def _filters(**given: object) -> dict[str, object]:
    names = {"since": "date_min", "until": "date_max", "page_ids": "page_id"}
    return {names.get(k, k): v for k, v in given.items() if v not in (None, [], "")}


@contextmanager
def _service() -> Iterator[tuple[DisclosureService, Who]]:
    from paidfor.interfaces.cli.support import open_services
    from paidfor.interfaces.cli.tokens import cli_actor

    with open_services() as services:
        yield services.disclosure, Who(cli_actor())


def _say(req: DisclosureRequest, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(req.as_json(), indent=2))
        return
    typer.echo(f"disclosure #{req.id} ({req.scope()}) for {req.recipient} on "
               f"{req.legal_basis}: {req.status}")  # fmt: skip
    if req.deadline_rule:  # a request under Regulation (EU) 2024/900, arts. 16-17
        due = f"{req.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if req.due_at else "no time"
        typer.echo(f"  {str(req.requester_kind).replace('_', ' ')}: answer due {due} "
                   f"({req.deadline_rule})")  # fmt: skip
    if req.refusal_ground:
        typer.echo(f"  refused: {REFUSAL_GROUNDS.get(req.refusal_ground, req.refusal_ground)}")


@disclosure_app.command("request")
def request_cmd(
    recipient: Annotated[str, typer.Option("--recipient", help="who receives it")],
    legal_basis: Annotated[
        str, typer.Option("--legal-basis", help="see docs/disclosure.md; ttpa_competent_authority "
                          "or ttpa_interested_entity for arts. 16-17 (docs/ttpa.md)")
    ],
    purpose: Annotated[str, typer.Option("--purpose", help="why, in words")],
    case: Case = None, currency: Currency = None, since: Since = None, until: Until = None,
    country: Country = None, funder: Funder = None, page_ids: PageIds = None,
    source: Source = None, status: Status = None, requester_kind: Kind = None,
    received: Received = None, as_json: AsJson = False,
) -> None:  # fmt: skip
    """Ask for a disclosure package: a case's ads (--case) or the ads the filters select. A
    request under Regulation (EU) 2024/900 (--legal-basis ttpa_competent_authority, art. 16,
    or ttpa_interested_entity, art. 17) names its --requester-kind and may say when it was
    --received-at; its deadline is computed and shown."""
    when = received_at(received)
    with _service() as (service, me):
        req = service.request(
            me, recipient=recipient, legal_basis=legal_basis, purpose=purpose, case_id=case,
            filters=_filters(currency=currency, since=since, until=until, country=country,
                             funder=funder, page_ids=page_ids, source=source, status=status),
            requester_kind=requester_kind, received_at=when,
        )  # fmt: skip
    _say(req, as_json)
    if not as_json:
        typer.echo(f"an administrator approves it: paidfor disclosure approve {req.id} "
                   "--reason '...'")  # fmt: skip


def _decide(
    request_id: int, reason: str, approve: bool, as_json: bool, ground: str | None = None
) -> None:
    with _service() as (service, me):
        req = service.decide(me, request_id, approve=approve, reason=reason, ground=ground)
    _say(req, as_json)


@disclosure_app.command("approve")
def approve_cmd(
    request_id: Annotated[int, typer.Argument(help="the request")],
    reason: Annotated[str, typer.Option("--reason", help="why, in words")],
    as_json: AsJson = False,
) -> None:
    """Approve a request (an administrator who is not its requester)."""
    _decide(request_id, reason, True, as_json)


@disclosure_app.command("reject")
def reject_cmd(
    request_id: Annotated[int, typer.Argument(help="the request")],
    reason: Annotated[str, typer.Option("--reason", help="why, in words")],
    ground: Ground = None,
    as_json: AsJson = False,
) -> None:
    """Reject a request; one under Regulation (EU) 2024/900 (arts. 16-17) with its --ground
    beside the reason."""
    _decide(request_id, reason, False, as_json, ground)


@disclosure_app.command("list")
def list_cmd(as_json: AsJson = False) -> None:
    """Every disclosure request, newest first."""
    with _service() as (service, me):
        found = service.visible(me)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in found], indent=2))
        return
    for req in found:
        _say(req, False)


@disclosure_app.command("build")
def build_cmd(
    request_id: Annotated[
        int | None, typer.Option("--request", help="the approved request (or give its scope)")
    ] = None,
    recipient: Recipient = None, legal_basis: Basis = None,
    case: Case = None, currency: Currency = None, since: Since = None, until: Until = None,
    country: Country = None, funder: Funder = None, page_ids: PageIds = None,
    source: Source = None, status: Status = None,
    out: Annotated[Path | None, typer.Option("--out", help="the folder for the package")] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="the signing key (default PAIDFOR_DISCLOSURE_KEY)")
    ] = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Build the signed package of an approved request: by its id (--request), or by the same
    scope it was requested with (--case, or the filters such as --currency RUB)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from paidfor.disclosure.service import package_dir
    from paidfor.interfaces.cli.support import err

    settings = get_settings()
    with _service() as (service, me):
        if request_id is None:
            filters = _filters(
                currency=currency, since=since, until=until, country=country, funder=funder,
                page_ids=page_ids, source=source, status=status,
            )  # fmt: skip
            found = find_approved(service, me, case_id=case, filters=filters,
                                  recipient=recipient, legal_basis=legal_basis)  # fmt: skip
            if found is None:
                raise NoSuchRequest("no approved request of yours has exactly this scope; ask "
                                    "with `paidfor disclosure request` and have an "
                                    "administrator approve it")  # fmt: skip
            request_id = found.id
        bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                       console=err, disable=as_json or not err.is_terminal)  # fmt: skip
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task({"reading": "ads", "pdf": "PDF pages"}[stage],
                                            total=total)  # fmt: skip
            bar.update(tasks[stage], completed=done)

        with bar:
            result = service.build(
                me, request_id, out or package_dir(settings, settings.database_url),
                key or settings.disclosure_key, progress,
            )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
        return
    typer.echo(f"built {result.folder} ({result.ads:,} ads, {result.pages:,} PDF pages, "
               f"{len(result.files):,} files) and {result.zip_path}")  # fmt: skip
    typer.echo(f"MANIFEST.json sha256 {result.manifest_sha256}; left out: "
               + ", ".join(x.field for x in result.left_out))  # fmt: skip
