"""The bridge from Meta's ``threatexchange`` library (python-threatexchange 1.2.x) to a paidfor
server: an extension that lets the real ``threatexchange`` CLI, or anything built on the
library, mirror one privacy group of a paidfor exchange and match content against it.

::

    export PAIDFOR_EXCHANGE_TOKEN=pf_...        # a partner token of the group
    threatexchange config extensions add paidfor.exchange.tx_extension
    threatexchange config collab edit paidfor NAME --create \\
        --base-url https://paidfor.example --privacy-group GROUP
    threatexchange fetch
    threatexchange match text -- "some ad text"

``fetch`` pages the group's updates feed (``GET /api/exchange/groups/{group}/updates``) from
the stored cursor. Records are keyed ``(signal type, value)`` like every simple exchange of
the library; paidfor's ``url``, ``raw_text`` and ``pdq`` indicators become the library's own
``URLSignal``, ``RawTextSignal`` and ``PdqSignal``, other paidfor types (domain,
payment_fingerprint, page_id, account_id) have no signal type there and are skipped, and a
tombstone (``should_delete``) removes its key. The checkpoint is the feed's cursor only, so a
fetch with nothing new changes nothing. Status maps to the library's opinion categories:
MALICIOUS is POSITIVE_CLASS, NON_MALICIOUS NEGATIVE_CLASS, SUSPICIOUS and UNKNOWN
INVESTIGATION_SEED, with the indicator's tags.

The checkpoint and record classes are pickled into the CLI's state and indices, so they stay
module-level here under these names. No ``from __future__ import annotations`` in this
module: the CLI reads the collab config's field types at runtime to build its flags.
"""

import logging
import typing as t
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import requests
from threatexchange.exchanges import auth
from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.collab_config import CollaborationConfigWithDefaults
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPIWithSimpleUpdates
from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.raw_text import RawTextSignal
from threatexchange.signal_type.signal_base import SignalType
from threatexchange.signal_type.url import URLSignal

API_NAME = "paidfor"
TOKEN_ENV = "PAIDFOR_EXCHANGE_TOKEN"
TOKEN_FILE = "~/.paidfor_exchange_token"
PAGE_SIZE = 1000  # the feed's largest page
TIMEOUT = (10.0, 60.0)  # seconds to connect, to read an answer

log = logging.getLogger(__name__)

# paidfor indicator type -> the library's signal type (the names happen to be the same)
SIGNAL_TYPES: dict[str, type[SignalType]] = {
    "url": URLSignal,
    "raw_text": RawTextSignal,
    "pdq": PdqSignal,
}

CATEGORIES: dict[str, state.SignalOpinionCategory] = {
    "MALICIOUS": state.SignalOpinionCategory.POSITIVE_CLASS,
    "NON_MALICIOUS": state.SignalOpinionCategory.NEGATIVE_CLASS,
    "SUSPICIOUS": state.SignalOpinionCategory.INVESTIGATION_SEED,
    "UNKNOWN": state.SignalOpinionCategory.INVESTIGATION_SEED,
}

# an opinion reported back (``threatexchange label``) -> the paidfor reaction it posts
REACTIONS: dict[state.SignalOpinionCategory, str] = {
    state.SignalOpinionCategory.POSITIVE_CLASS: "SAW_THIS_TOO",
    state.SignalOpinionCategory.NEGATIVE_CLASS: "DISAGREE_WITH_TAGS",
}


class PaidforExchangeError(Exception):
    """The paidfor server refused or failed a call; the message names the status and the
    server's own words."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _PaidforCollabConfigRequiredFields:
    base_url: str = field(
        metadata={"help": "the paidfor server, e.g. https://paidfor.example", "metavar": "URL"}
    )
    privacy_group: str = field(
        metadata={"help": "the name of the paidfor privacy group to mirror", "metavar": "NAME"}
    )


@dataclass
class PaidforCollabConfig(CollaborationConfigWithDefaults, _PaidforCollabConfigRequiredFields):
    """One privacy group of one paidfor server."""

    api: str = field(init=False, default=API_NAME)


@dataclass
class PaidforCheckpoint(state.FetchCheckpointBase):
    """Where the feed was read to: its opaque cursor ("" is the start). No clock in it, so
    an unchanged feed gives an equal checkpoint and the CLI writes nothing."""

    cursor: str = ""


@dataclass
class PaidforIndicatorRecord(state.FetchedSignalMetadata):
    """A live paidfor indicator as the library keeps it."""

    indicator_id: int
    status: str
    tags: list[str] = field(default_factory=list)
    confidence: int = 50
    owner: str = ""

    @property
    def category(self) -> state.SignalOpinionCategory:
        return CATEGORIES.get(self.status, state.SignalOpinionCategory.INVESTIGATION_SEED)

    def get_as_opinions(self) -> Sequence[state.SignalOpinion]:
        return [state.SignalOpinion(False, self.category, set(self.tags))]

    @classmethod
    def from_indicator(cls, item: Mapping[str, t.Any]) -> "PaidforIndicatorRecord | None":
        """The record of one feed item, None for a tombstone."""
        if item.get("should_delete"):
            return None
        return cls(
            indicator_id=int(item["id"]),
            status=str(item.get("status") or "UNKNOWN"),
            tags=sorted(str(tag) for tag in item.get("tags") or ()),
            confidence=int(item.get("confidence", 50)),
            owner=str(item.get("owner") or ""),
        )


@dataclass
class PaidforCredentials(auth.CredentialHelper):
    """A paidfor token (``pf_...``): the environment variable PAIDFOR_EXCHANGE_TOKEN, else
    the file ~/.paidfor_exchange_token."""

    ENV_VARIABLE: t.ClassVar[str] = TOKEN_ENV
    FILE_NAME: t.ClassVar[str] = TOKEN_FILE

    token: str = field(metadata={"help": "a paidfor partner token of the privacy group"})

    @classmethod
    def _from_str(cls, s: str) -> "PaidforCredentials | None":
        return cls(s.strip())

    def _are_valid(self) -> bool:
        return self.token.startswith("pf_") and not any(c.isspace() for c in self.token)


PaidforDelta = state.FetchDelta[tuple[str, str], PaidforIndicatorRecord, PaidforCheckpoint]


class PaidforSignalExchangeAPI(
    auth.SignalExchangeWithAuth[PaidforCollabConfig, PaidforCredentials],
    SignalExchangeAPIWithSimpleUpdates[
        PaidforCollabConfig, PaidforCheckpoint, PaidforIndicatorRecord
    ],
):
    """A paidfor privacy group as a ThreatExchange collaboration."""

    def __init__(
        self,
        collab: PaidforCollabConfig,
        token: str,
        *,
        page_size: int = PAGE_SIZE,
        session: requests.Session | None = None,
    ) -> None:
        self.collab = collab
        self.token = token
        self.page_size = page_size
        self.session = session or requests.Session()

    @classmethod
    def get_name(cls) -> str:
        return API_NAME

    @staticmethod
    def get_config_cls() -> type[PaidforCollabConfig]:
        return PaidforCollabConfig

    @staticmethod
    def get_checkpoint_cls() -> type[PaidforCheckpoint]:
        return PaidforCheckpoint

    @staticmethod
    def get_record_cls() -> type[PaidforIndicatorRecord]:
        return PaidforIndicatorRecord

    @staticmethod
    def get_credential_cls() -> type[PaidforCredentials]:
        return PaidforCredentials

    @classmethod
    def for_collab(
        cls,
        collab: PaidforCollabConfig,
        credentials: PaidforCredentials | None = None,
    ) -> "PaidforSignalExchangeAPI":
        # CredentialHelper.get raises the library's Missing/InvalidAuth exceptions, which
        # the CLI turns into its own hint naming PAIDFOR_EXCHANGE_TOKEN (exit 2).
        creds = credentials or PaidforCredentials.get(cls)
        return cls(collab, creds.token)

    # -- HTTP -----------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.collab.base_url.rstrip("/") + path

    def _group_path(self) -> str:
        return "/api/exchange/groups/" + quote(self.collab.privacy_group, safe="")

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, t.Any] | None = None,
        body: Mapping[str, t.Any] | None = None,
    ) -> t.Any:
        url = self._url(path)
        try:
            resp = self.session.request(
                method,
                url,
                params=params,
                json=body,
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise self._fail(f"paidfor server {self.collab.base_url} unreachable: {exc}") from exc
        if resp.status_code >= 400:
            raise self._fail(self._refusal(resp), resp.status_code)
        try:
            return resp.json()
        except ValueError as exc:
            raise self._fail(f"paidfor server answered {method} {url} with no JSON") from exc

    def _refusal(self, resp: requests.Response) -> str:
        try:
            message = str(resp.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = resp.text.strip()[:300] or resp.reason or ""
        status = resp.status_code
        group = self.collab.privacy_group
        if status in (401, 403):
            what = f"refused the token in {TOKEN_ENV} for privacy group {group!r}"
        else:
            what = f"refused {resp.request.method} {resp.url}"
        return f"paidfor server {self.collab.base_url} {what} (HTTP {status}): {message}"

    @staticmethod
    def _fail(message: str, status: int | None = None) -> PaidforExchangeError:
        # The CLI swallows exceptions from fetch_iter into "failed to fetch!" and logs them
        # only with -v; log the reason at CRITICAL so that an operator always sees it.
        log.critical("%s", message)
        return PaidforExchangeError(message, status)

    # -- fetching -------------------------------------------------------------------------

    def fetch_iter(
        self,
        _supported_signal_types: Sequence[type[SignalType]],
        checkpoint: PaidforCheckpoint | None,
    ) -> Iterator[PaidforDelta]:
        """The feed from ``checkpoint`` (the start when None), one delta per page, to its end;
        at least one delta, with the same checkpoint when nothing changed."""
        cursor = checkpoint.cursor if checkpoint is not None else ""
        path = self._group_path() + "/updates"
        while True:
            params: dict[str, t.Any] = {"limit": self.page_size}
            if cursor:
                params["cursor"] = cursor
            page = self._call("GET", path, params=params)
            updates: dict[tuple[str, str], PaidforIndicatorRecord | None] = {}
            for item in page["data"]:
                s_type = SIGNAL_TYPES.get(item["type"])
                if s_type is None:
                    continue  # a paidfor type the library has no signal type for
                # seq order: a later item for the same key (delete, then add again) wins
                updates[s_type.get_name(), item["value"]] = PaidforIndicatorRecord.from_indicator(
                    item
                )
            new_cursor = str(page["cursor"])
            more = bool(page["has_more"])
            if more and new_cursor == cursor:
                raise self._fail(f"paidfor feed did not advance past cursor {cursor!r}")
            cursor = new_cursor
            yield state.FetchDelta(updates, PaidforCheckpoint(cursor))
            if not more:
                return

    # -- reporting back -------------------------------------------------------------------

    def find_indicator(self, s_type: type[SignalType], signal: str) -> dict[str, t.Any] | None:
        """The group's live indicator of this signal type and value, if any."""
        found = self._call("GET", self._group_path() + "/indicators")
        for item in found["data"]:
            kind = SIGNAL_TYPES.get(item["type"])
            if (
                kind is not None
                and kind.get_name() == s_type.get_name()
                and item["value"] == signal
            ):
                return dict(item)
        return None

    def report_opinion(
        self, s_type: type[SignalType], signal: str, opinion: state.SignalOpinion
    ) -> None:
        """React to the group's indicator: a positive opinion is SAW_THIS_TOO, a negative one
        DISAGREE_WITH_TAGS. paidfor takes no other reaction through this bridge, and adds no
        indicator here (use its API or CLI to add one)."""
        reaction = REACTIONS.get(opinion.category)
        if reaction is None:
            raise NotImplementedError(
                f"paidfor has no reaction for a {opinion.category.name} opinion; "
                "report POSITIVE_CLASS (SAW_THIS_TOO) or NEGATIVE_CLASS (DISAGREE_WITH_TAGS)"
            )
        item = self.find_indicator(s_type, signal)
        if item is None:
            raise PaidforExchangeError(
                f"privacy group {self.collab.privacy_group!r} has no live "
                f"{s_type.get_name()} indicator {signal[:100]!r} to react to"
            )
        self._call(
            "POST",
            f"/api/exchange/indicators/{int(item['id'])}/reactions",
            body={"reaction": reaction},
        )


TX_MANIFEST = ThreatExchangeExtensionManifest(apis=(PaidforSignalExchangeAPI,))
