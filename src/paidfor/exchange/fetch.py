"""Fetching indicators from other members of the exchange into this server.

Two kinds of source:

- ``paidfor``: a privacy group on another paidfor server, read through its updates feed
  (``GET {url}/api/exchange/groups/{group}/updates?cursor=&limit=``) with a partner token of
  that server. Each page is applied with its cursor in one transaction, so a fetch stopped
  at any point resumes where the last applied page ended; tombstones delete.
- ``csv``: a file in the layout ``threatexchange dataset -P --csv`` writes
  (``signal_type,signal_str,collab,category,tags``), i.e. whatever any collaboration of the
  ``threatexchange`` library (ThreatExchange, NCMEC, StopNCII, a file...) has fetched. The
  file is the source's whole live set: what it no longer lists is deleted.

Values are checked and canonicalised exactly as for indicators added here
(``exchange.model.normalize_value``); an item this server cannot use (an unknown type, a bad
value) is skipped and counted, never stored.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from sqlalchemy import Engine

from paidfor.exchange.fetch_store import Applied, Fetched, FetchRepository, Source
from paidfor.exchange.model import (
    ExchangeError,
    Invalid,
    check_confidence,
    check_description,
    check_group_name,
    normalize_tags,
    normalize_value,
    parse_status,
    parse_time,
    parse_type,
)

if TYPE_CHECKING:  # httpx is imported to fetch: it brings its command line (Pygments, rich)
    import httpx

    from paidfor.exchange.consume import HuntReport

PAGE = 1000
TIMEOUT = 30.0
KINDS = ("paidfor", "csv")
# threatexchange's opinion categories (SignalOpinionCategory and its aggregate) as statuses
CATEGORY_STATUS = {
    "POSITIVE_CLASS": "MALICIOUS",
    "INVESTIGATION_SEED": "SUSPICIOUS",
    "NEGATIVE_CLASS": "NON_MALICIOUS",
    "DISPUTED": "UNKNOWN",
}


class FetchFailed(ExchangeError):
    """A source could not be read (unreachable, refused the token, answered nonsense)."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FetchReport:
    source: str
    applied: Applied = field(default_factory=Applied)
    skipped: int = 0
    pages: int = 0
    cursor: str | None = None
    error: str | None = None
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            **self.applied.as_json(),
            "skipped": self.skipped,
            "skipped_reasons": dict(self.skipped_reasons),
            "pages": self.pages,
            "cursor": self.cursor,
            "error": self.error,
        }


def check_source(
    name: str, kind: str, url: str, group: str | None, token: str | None
) -> dict[str, Any]:
    """The stored values of a new source, or Invalid saying what is wrong."""
    name = check_group_name(name)
    if kind not in KINDS:
        raise Invalid(f"unknown source kind {kind!r}; one of {', '.join(KINDS)}")
    if kind == "paidfor":
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(f"a paidfor source's url is its base URL (https://x.example): {url!r}")
        if group is None:
            raise Invalid("a paidfor source needs --group: the privacy group to read there")
        if not token:
            raise Invalid("a paidfor source needs a partner token of that server (--token)")
        return {
            "name": name,
            "kind": kind,
            "url": url.strip().rstrip("/"),
            "remote_group": check_group_name(group),
            "token": token.strip(),
        }
    path = Path(url).expanduser()
    if not path.is_file():
        raise Invalid(f"no such file: {url}")
    return {"name": name, "kind": kind, "url": str(path.resolve()), "remote_group": None}


def parse_item(raw: object) -> Fetched:
    """One item of a paidfor feed, checked; Invalid saying why not."""
    if not isinstance(raw, dict):
        raise Invalid("an item is not an object")
    kind = parse_type(raw.get("type"))
    value = normalize_value(kind, raw.get("value"))
    deleted = raw.get("should_delete")
    if not isinstance(deleted, bool):
        raise Invalid("should_delete is not true or false")
    expires = raw.get("expires_at")
    expires_at = parse_time(expires) if isinstance(expires, str) else None
    owner = raw.get("owner")
    return Fetched(
        type=kind.value,
        value=value,
        status=parse_status(raw.get("status", "UNKNOWN")).value,
        tags=normalize_tags(raw.get("tags") or []),
        confidence=check_confidence(raw.get("confidence", 50)),
        description=check_description(raw.get("description")),
        owner=str(owner)[:200] if owner is not None else None,
        remote_id=str(raw["id"])[:100] if raw.get("id") is not None else None,
        expires_at=expires_at,
        deleted=deleted,
    )


def read_feed(
    source: Source, client: httpx.Client, cursor: str | None, limit: int = PAGE
) -> Iterator[tuple[list[Any], str, bool]]:
    """The pages of a paidfor source's feed after ``cursor``: (items, next cursor, more)."""
    import httpx

    assert source.remote_group is not None
    url = f"{source.url}/api/exchange/groups/{quote(source.remote_group, safe='')}/updates"
    while True:
        try:
            answer = client.get(
                url,
                params={"cursor": cursor or "", "limit": limit},
                headers={"Authorization": f"Bearer {source.token}"},
            )
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{source.name}: cannot reach {source.url}: {exc}") from exc
        if answer.status_code != 200:
            raise FetchFailed(f"{source.name}: {source.url} answered {answer.status_code}: "
                              f"{_message(answer)}")  # fmt: skip
        try:
            body = answer.json()
            items, cursor, more = body["data"], body["cursor"], body["has_more"]
        except (ValueError, KeyError, TypeError) as exc:
            raise FetchFailed(f"{source.name}: not a paidfor updates feed at {url}") from exc
        if not isinstance(items, list) or not isinstance(cursor, str) or not isinstance(more, bool):
            raise FetchFailed(f"{source.name}: not a paidfor updates feed at {url}")
        yield items, cursor, more
        if not more:
            return


def _message(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200] or answer.reason_phrase


def read_csv(path: Path, report: FetchReport) -> list[Fetched]:
    """The live set a ``threatexchange dataset -P --csv`` file lists."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise FetchFailed(f"{report.source}: cannot read {path}: {exc.strerror}") from exc
    found: list[Fetched] = []
    with handle:
        reader = csv.DictReader(handle)
        needed = {"signal_type", "signal_str"}
        if reader.fieldnames is None or not needed <= set(reader.fieldnames):
            raise FetchFailed(
                f"{report.source}: {path} is not a threatexchange dataset CSV "
                "(no signal_type,signal_str header: `threatexchange dataset -P --csv` writes one)"
            )
        for row in reader:
            try:
                kind = parse_type(row.get("signal_type") or "")
                category = (row.get("category") or "").strip().upper()
                found.append(
                    Fetched(
                        type=kind.value,
                        value=normalize_value(kind, row.get("signal_str") or ""),
                        status=CATEGORY_STATUS.get(category, "UNKNOWN"),
                        tags=normalize_tags((row.get("tags") or "").split()),
                        owner=(row.get("collab") or None),
                        description=f"from collaboration {row.get('collab')!r}"
                        if row.get("collab")
                        else None,
                    )
                )
            except Invalid as exc:
                report.skip(str(exc).split(";")[0][:80])
    return found


def fetch(
    repo: FetchRepository,
    source: Source,
    *,
    actor: str,
    client: httpx.Client | None = None,
    limit: int = PAGE,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = _now,
) -> FetchReport:
    """Bring ``source``'s indicators up to date here; the report says what changed. A source
    that fails leaves what was already applied, and its error is stored on the source."""
    import httpx

    report = FetchReport(source.name, cursor=source.cursor)
    try:
        if source.kind == "csv":
            items = read_csv(Path(source.url), report)
            report.pages = 1
            report.applied = repo.apply(
                source, items, cursor=None, actor=actor, now=clock(), snapshot=True
            )
            if progress:
                progress(len(items))
            return report
        own = client is None
        http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        try:
            for raw_items, cursor, _more in read_feed(source, http, source.cursor, limit):
                items = []
                for raw in raw_items:
                    try:
                        items.append(parse_item(raw))
                    except Invalid as exc:
                        report.skip(str(exc).split(";")[0][:80])
                report.applied += repo.apply(source, items, cursor=cursor, actor=actor, now=clock())
                report.pages += 1
                report.cursor = cursor
                if progress:
                    progress(len(raw_items))
        finally:
            if own:
                http.close()
    except FetchFailed as exc:
        report.error = str(exc)
        repo.set_error(source, report.error, clock())
    return report


class Sources:
    """The exchange's sources as an operator keeps them (``paidfor exchange source`` and
    ``fetch``): add one (checked by ``check_source``), list them with how many indicators
    each gave, remove one with what it gave, fetch them, and retro-hunt the running ads
    after a change."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._repo = FetchRepository(engine)
        self._clock = clock

    def add(
        self, name: str, kind: str, url: str, group: str | None, token: str | None, actor: str
    ) -> Source:
        values = check_source(name, kind, url, group, token)
        return self._repo.add_source(values, actor, self._clock())

    def listing(self) -> list[tuple[Source, int]]:
        """Every source with the number of indicators fetched from it."""
        return [(s, self._repo.count(s)) for s in self._repo.sources()]

    def remove(self, name: str, actor: str) -> int:
        """Forget a source and everything fetched from it; how many indicators went."""
        return self._repo.remove_source(name, actor)

    def chosen(self, names: Sequence[str] | None) -> list[Source]:
        """The sources named (NotFound for an unknown one), or all of them."""
        return [self._repo.source(n) for n in names] if names else self._repo.sources()

    def fetch(
        self, source: Source, *, actor: str, progress: Callable[[int], None] | None = None
    ) -> FetchReport:
        return fetch(self._repo, source, actor=actor, progress=progress, clock=self._clock)

    def hunt(self, progress: Callable[[int], None] | None = None) -> HuntReport:
        """Check every running ad against the indicators now; hold the ones that match
        (its modules, with scikit-learn and SciPy, load only when it runs)."""
        from paidfor.exchange.consume import load_indicators, retro_hunt

        loaded = load_indicators(self._engine)
        return retro_hunt(self._engine, loaded.indicators, progress=progress)


__all__ = [
    "CATEGORY_STATUS",
    "KINDS",
    "FetchFailed",
    "FetchReport",
    "Sources",
    "check_source",
    "fetch",
    "parse_item",
    "read_csv",
    "read_feed",
]
