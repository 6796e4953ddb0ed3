"""The ``threatexchange`` bridge (``paidfor.exchange.tx_extension``) against a real paidfor app
served by uvicorn on loopback, on SQLite and PostgreSQL: paging the feed with small pages,
tombstones, the paidfor types the library has no signal type for, an unchanged feed giving
an equal checkpoint, credentials and refusals, reactions reported back, and (hypothesis) any
mix of adds, updates and deletes mirrored through ``fetch_iter`` + ``naive_fetch_merge`` ending
with exactly the group's live url/raw_text/pdq indicators."""

from __future__ import annotations

import contextlib
import pickle
import socket
from collections.abc import Iterator
from dataclasses import dataclass, fields
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback import app_on_loopback
from sqlalchemy import Engine
from threatexchange.exchanges import auth
from threatexchange.exchanges.fetch_state import (
    FetchDelta,
    SignalOpinion,
    SignalOpinionCategory,
)
from threatexchange.exchanges.impl.fb_threatexchange_api import (
    FBThreatExchangeSignalExchangeAPI,
)
from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest
from threatexchange.interface_validation import SignalExchangeAPIMapping
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.raw_text import RawTextSignal
from threatexchange.signal_type.url import URLSignal

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.model import Conflict, Member
from paidfor.exchange.service import ExchangeService
from paidfor.exchange.tx_extension import (
    TX_MANIFEST,
    PaidforCheckpoint,
    PaidforCollabConfig,
    PaidforCredentials,
    PaidforExchangeError,
    PaidforIndicatorRecord,
    PaidforSignalExchangeAPI,
)
from paidfor.interfaces.http.api.app import create_app
from paidfor.settings import Settings

PDQ_A = "f" * 64
PDQ_B = "0" * 63 + "1"
ALL_TYPES = [URLSignal, RawTextSignal, PdqSignal]
SERIAL = count()
Key = tuple[str, str]


def serve(db_url: str, tmp_path: Path) -> Iterator[str]:
    """``create_app(db_url)`` served by uvicorn on a free 127.0.0.1 port, in a thread."""
    settings = Settings(index_dir=str(tmp_path / "index"), search_index=False, secret_key="k" * 20)
    with app_on_loopback(create_app(db_url, settings)) as url:
        yield url


@pytest.fixture
def server(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield from serve(db_url, tmp_path)


@dataclass
class World:
    base: str
    service: ExchangeService
    acme: Member  # a partner in "shared"
    staff: Member
    tokens: dict[str, str]

    def api(
        self, who: str = "acme", group: str = "shared", page_size: int = 1000
    ) -> PaidforSignalExchangeAPI:
        collab = PaidforCollabConfig(base_url=self.base, privacy_group=group, name="c")
        return PaidforSignalExchangeAPI(collab, self.tokens[who], page_size=page_size)

    def add(
        self,
        type: str,
        value: str,
        *,
        by: Member | None = None,
        group: str = "shared",
        status: str = "MALICIOUS",
        tags: list[str] | None = None,
        confidence: int = 80,
    ) -> int:
        view = self.service.add(
            by or self.acme,
            type=type,
            value=value,
            group=group,
            status=status,
            tags=tags or [],
            confidence=confidence,
        )
        return view.id

    def live(self, group: str = "shared") -> dict[Key, tuple[int, str, list[str], int, str]]:
        """The group's live indicators of the three library types, as the bridge keys them."""
        return {
            (v.type, v.value): (v.id, v.status, list(v.tags), v.confidence, v.owner)
            for v in self.service.indicators(self.staff, group)
            if v.type in ("url", "raw_text", "pdq")
        }


@pytest.fixture
def world(server: str, engine: Engine) -> World:
    service = ExchangeService(engine)
    for name in ("shared", "other"):
        service.create_group(name, None, "test")
    tokens: dict[str, str] = {}
    acme: Member | None = None
    for label, role, groups in [
        ("acme", Role.PARTNER, ["shared"]),
        ("globex", Role.PARTNER, ["other"]),
        ("investigator", Role.INVESTIGATOR, None),
        ("reviewer", Role.REVIEWER, None),
    ]:
        token, who = TokenService(engine).create(role, label, groups=groups)
        tokens[label] = token
        if label == "acme":
            assert who.token_id is not None
            acme = service.partner(who.token_id, who.name, who.actor)
    assert acme is not None
    return World(server, service, acme, service.staff("test:staff"), tokens)


def fetch(
    api: PaidforSignalExchangeAPI,
    checkpoint: PaidforCheckpoint | None = None,
    held: dict[Key, PaidforIndicatorRecord] | None = None,
) -> tuple[list[FetchDelta[Any, Any, Any]], dict[Key, PaidforIndicatorRecord]]:
    """Run ``fetch_iter`` to its end and merge every delta the way the CLI's store does."""
    held = {} if held is None else held
    deltas = list(api.fetch_iter(ALL_TYPES, checkpoint))
    for delta in deltas:
        assert isinstance(delta.checkpoint, PaidforCheckpoint)
        PaidforSignalExchangeAPI.naive_fetch_merge(held, delta.updates)
    return deltas, held


def as_live(held: dict[Key, PaidforIndicatorRecord]) -> dict[Key, tuple[Any, ...]]:
    return {k: (r.indicator_id, r.status, r.tags, r.confidence, r.owner) for k, r in held.items()}


# -- the extension as the library sees it --------------------------------------------------


def test_the_manifest_loads_and_fits_beside_the_built_in_apis() -> None:
    loaded = ThreatExchangeExtensionManifest.load_from_module_name("paidfor.exchange.tx_extension")
    assert loaded is TX_MANIFEST and TX_MANIFEST.apis == (PaidforSignalExchangeAPI,)
    assert TX_MANIFEST.signal_types == ()  # the library's own url, raw_text and pdq
    mapping = SignalExchangeAPIMapping(
        [PaidforSignalExchangeAPI, FBThreatExchangeSignalExchangeAPI, StaticSampleSignalExchangeAPI]
    )
    assert mapping.api_by_name["paidfor"] is PaidforSignalExchangeAPI
    config = PaidforSignalExchangeAPI.get_config_cls()
    # ``config collab edit`` builds its flags from these: real types, not strings
    assert [(f.name, f.type, f.init) for f in fields(config)] == [
        ("base_url", str, True),
        ("privacy_group", str, True),
        ("name", str, True),
        ("api", str, False),
        ("enabled", bool, True),
    ]
    assert config(base_url="u", privacy_group="g", name="n").api == "paidfor"
    assert PaidforSignalExchangeAPI.get_credential_cls() is PaidforCredentials
    assert PaidforSignalExchangeAPI.get_checkpoint_cls() is PaidforCheckpoint
    assert PaidforSignalExchangeAPI.get_record_cls() is PaidforIndicatorRecord


def test_records_carry_the_indicator_and_map_status_to_opinions() -> None:
    item = {
        "id": 7,
        "type": "url",
        "value": "https://x.example/",
        "status": "MALICIOUS",
        "tags": ["ira", "election_interference"],
        "confidence": 90,
        "owner": "acme",
        "should_delete": False,
    }
    record = PaidforIndicatorRecord.from_indicator(item)
    assert record == PaidforIndicatorRecord(
        7, "MALICIOUS", ["election_interference", "ira"], 90, "acme"
    )
    expect = {
        "MALICIOUS": SignalOpinionCategory.POSITIVE_CLASS,
        "NON_MALICIOUS": SignalOpinionCategory.NEGATIVE_CLASS,
        "SUSPICIOUS": SignalOpinionCategory.INVESTIGATION_SEED,
        "UNKNOWN": SignalOpinionCategory.INVESTIGATION_SEED,
    }
    for status, category in expect.items():
        got = PaidforIndicatorRecord.from_indicator({**item, "status": status})
        assert got is not None
        assert got.get_as_opinions() == [
            SignalOpinion(False, category, {"ira", "election_interference"})
        ]
        assert str(got).split(" ")[0] == category.name
    assert PaidforIndicatorRecord.from_indicator({**item, "should_delete": True}) is None
    # the CLI pickles checkpoints and records into its state and indices
    delta = FetchDelta({("url", "https://x.example/"): record}, PaidforCheckpoint("41"))
    assert pickle.loads(pickle.dumps(delta)) == delta


def test_credentials_come_from_the_environment_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PAIDFOR_EXCHANGE_TOKEN", raising=False)
    collab = PaidforCollabConfig(base_url="http://127.0.0.1:9", privacy_group="g", name="c")
    with pytest.raises(auth.SignalExchangeAPIMissingAuthException) as missing:
        PaidforSignalExchangeAPI.for_collab(collab)
    assert "populating an environment variable called PAIDFOR_EXCHANGE_TOKEN" in (
        missing.value.pretty_str()
    )
    assert "~/.paidfor_exchange_token" in missing.value.pretty_str()
    (tmp_path / ".paidfor_exchange_token").write_text("pf_fromfile\n")
    assert PaidforSignalExchangeAPI.for_collab(collab).token == "pf_fromfile"
    monkeypatch.setenv("PAIDFOR_EXCHANGE_TOKEN", " pf_fromenv ")
    assert PaidforSignalExchangeAPI.for_collab(collab).token == "pf_fromenv"
    monkeypatch.setenv("PAIDFOR_EXCHANGE_TOKEN", "not a token")
    with pytest.raises(auth.SignalExchangeAPIInvalidAuthException) as bad:
        PaidforSignalExchangeAPI.for_collab(collab)
    assert bad.value.message == "Invalid credentials from environment variable " + (
        "PAIDFOR_EXCHANGE_TOKEN"
    )
    given_creds = PaidforCredentials("pf_given")
    assert PaidforSignalExchangeAPI.for_collab(collab, given_creds).token == "pf_given"


# -- against a served paidfor ---------------------------------------------------------------


def test_paging_with_small_pages_skips_types_the_library_lacks(world: World) -> None:
    ids = {
        "url": world.add("url", "https://bad.example/x", tags=["ira", "election_interference"]),
        "domain": world.add("domain", "bad.example"),
        "raw_text": world.add(
            "raw_text", "Buy cheap pills now", status="NON_MALICIOUS", confidence=10
        ),
        "payment_fingerprint": world.add("payment_fingerprint", "card:abc123"),
        "pdq_a": world.add("pdq", PDQ_A.upper(), status="SUSPICIOUS", by=world.staff),
        "page_id": world.add("page_id", "1234"),
        "pdq_b": world.add("pdq", PDQ_B, status="UNKNOWN"),
        "account_id": world.add("account_id", "acct-9"),
    }
    deltas, held = fetch(world.api(page_size=3))
    assert len(deltas) == 3  # 8 items, 3 a page
    assert [len(d.updates) for d in deltas] == [2, 1, 1]  # domain, fingerprint, ids skipped
    cursors = [int(d.checkpoint.cursor) for d in deltas]
    assert cursors == sorted(set(cursors)) and cursors[0] > 0
    assert held == {
        ("url", "https://bad.example/x"): PaidforIndicatorRecord(
            ids["url"], "MALICIOUS", ["election_interference", "ira"], 80, "acme"
        ),
        ("raw_text", "Buy cheap pills now"): PaidforIndicatorRecord(
            ids["raw_text"], "NON_MALICIOUS", [], 10, "acme"
        ),
        ("pdq", PDQ_A): PaidforIndicatorRecord(ids["pdq_a"], "SUSPICIOUS", [], 80, "paidfor"),
        ("pdq", PDQ_B): PaidforIndicatorRecord(ids["pdq_b"], "UNKNOWN", [], 80, "acme"),
    }
    assert as_live(held) == world.live()
    by_type = PaidforSignalExchangeAPI.naive_convert_to_signal_type(
        ALL_TYPES, world.api().collab, held
    )
    assert {s: sorted(v) for s, v in by_type.items()} == {
        URLSignal: ["https://bad.example/x"],
        RawTextSignal: ["Buy cheap pills now"],
        PdqSignal: [PDQ_B, PDQ_A],
    }
    # the same feed in one page gives the same mirror and the same last cursor
    whole, same = fetch(world.api())
    assert len(whole) == 1 and same == held and whole[0].checkpoint == deltas[-1].checkpoint

    # only a skipped type changes: the cursor still moves past it
    world.add("domain", "other.example")
    later, held = fetch(world.api(page_size=3), deltas[-1].checkpoint, held)
    assert [d.updates for d in later] == [{}]
    assert int(later[0].checkpoint.cursor) > cursors[-1]
    assert as_live(held) == world.live()


def test_an_unchanged_feed_gives_the_same_checkpoint(world: World) -> None:
    first, held = fetch(world.api())
    assert first == [FetchDelta({}, PaidforCheckpoint("0"))]  # empty group: still one delta
    world.add("url", "https://bad.example/x")
    second, held = fetch(world.api(), first[0].checkpoint, held)
    assert len(second) == 1 and list(second[0].updates) == [("url", "https://bad.example/x")]
    for _ in range(2):
        again, held = fetch(world.api(page_size=1), second[0].checkpoint, held)
        # what the CLI's store takes as a no-op: no updates, an equal checkpoint
        assert again == [FetchDelta({}, second[0].checkpoint)]
    assert as_live(held) == world.live()


def test_tombstones_remove_and_a_key_can_come_back(world: World) -> None:
    url = world.add("url", "https://bad.example/x")
    keep = world.add("url", "https://bad.example/keep")
    deltas, held = fetch(world.api())
    world.service.delete(world.acme, url)
    later, held = fetch(world.api(), deltas[-1].checkpoint, held)
    assert later[0].updates == {("url", "https://bad.example/x"): None}
    assert list(held) == [("url", "https://bad.example/keep")]
    # deleted and added again with a new id, and an update, all in one page
    again = world.add("url", "https://bad.example/x", status="SUSPICIOUS")
    world.service.delete(world.acme, again)
    back = world.add("url", "https://bad.example/x", tags=["ira"])
    world.service.update(world.acme, keep, {"status": "NON_MALICIOUS"})
    last, held = fetch(world.api(), later[-1].checkpoint, held)
    assert len(last) == 1
    assert held[("url", "https://bad.example/x")].indicator_id == back
    assert held[("url", "https://bad.example/keep")].get_as_opinions()[0].category is (
        SignalOpinionCategory.NEGATIVE_CLASS
    )
    assert as_live(held) == world.live()
    # a fresh client from the start sees no tombstoned key at all
    assert as_live(fetch(world.api(page_size=2))[1]) == world.live()


def test_refusals_name_the_status_and_the_server_message(world: World) -> None:
    cases = [
        (world.api(), "pf_not-a-real-token", 401, "the token is not valid or has been revoked"),
        (world.api(who="reviewer"), None, 403, "this token's role is reviewer"),
        (world.api(group="other"), None, 404, "no privacy group named 'other'"),
    ]
    for api, token, status, message in cases:
        if token is not None:
            api.token = token
        with pytest.raises(PaidforExchangeError) as err:
            fetch(api)
        text = str(err.value)
        assert err.value.status == status and f"(HTTP {status})" in text, text
        assert message in text and world.base in text
        if status in (401, 403):
            assert "refused the token in PAIDFOR_EXCHANGE_TOKEN for privacy group 'shared'" in text
    # nothing listens on the port: a clear error too, not a hang
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    dead = PaidforSignalExchangeAPI(
        PaidforCollabConfig(base_url=f"http://127.0.0.1:{port}", privacy_group="g", name="c"),
        world.tokens["acme"],
    )
    with pytest.raises(PaidforExchangeError, match=f"127.0.0.1:{port} unreachable"):
        fetch(dead)


def test_opinions_reported_back_become_reactions(world: World) -> None:
    url = world.add("url", "https://bad.example/x", by=world.staff)
    text = world.add("raw_text", "vote on wednesday", by=world.staff)
    world.add("url", "https://bad.example/y", group="other", by=world.staff)
    api = world.api()
    api.report_opinion(
        URLSignal,
        "https://bad.example/x",
        SignalOpinion(True, SignalOpinionCategory.POSITIVE_CLASS, {"ira"}),
    )
    api.report_opinion(
        RawTextSignal,
        "vote on wednesday",
        SignalOpinion(True, SignalOpinionCategory.NEGATIVE_CLASS, set()),
    )
    with pytest.raises(NotImplementedError, match="INVESTIGATION_SEED"):
        api.report_opinion(
            URLSignal,
            "https://bad.example/x",
            SignalOpinion(True, SignalOpinionCategory.INVESTIGATION_SEED, set()),
        )
    with pytest.raises(PaidforExchangeError, match="no live url indicator"):
        api.report_opinion(
            URLSignal,
            "https://bad.example/y",  # another group's
            SignalOpinion(True, SignalOpinionCategory.POSITIVE_CLASS, set()),
        )
    reactions = {v.id: v.reactions for v in world.service.indicators(world.staff, "shared")}
    assert reactions == {url: {"SAW_THIS_TOO": 1}, text: {"DISAGREE_WITH_TAGS": 1}}
    # and the feed carries the reaction's new stamp: the record is refreshed, not duplicated
    _, held = fetch(api)
    assert as_live(held) == world.live()


# -- any history mirrors exactly ------------------------------------------------------------

VALUES = {
    "url": ["https://bad.example/a", "https://bad.example/b"],
    "raw_text": ["buy cheap pills now", "Vote on Wednesday!"],
    "pdq": [PDQ_A, PDQ_B],
    "domain": ["bad.example"],
    "page_id": ["1234"],
}
OP = st.one_of(
    st.tuples(
        st.just("add"),
        st.sampled_from(sorted(VALUES)),
        st.integers(0, 1),
        st.sampled_from(["MALICIOUS", "SUSPICIOUS", "NON_MALICIOUS", "UNKNOWN"]),
    ),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("update"), st.integers(0, 50), st.integers(0, 100)),
    st.tuples(st.just("sync"), st.integers(1, 4)),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(OP, max_size=25), page=st.integers(1, 5))
def test_any_history_mirrors_the_live_set(world: World, ops: list[Any], page: int) -> None:
    group = f"h{next(SERIAL)}"
    world.service.create_group(group, None, "test")
    api = world.api(who="investigator", group=group)
    checkpoint: PaidforCheckpoint | None = None
    held: dict[Key, PaidforIndicatorRecord] = {}
    ids: list[int] = []
    for op in ops:
        if op[0] == "add":
            _, kind, n, status = op
            value = VALUES[kind][n % len(VALUES[kind])]
            with contextlib.suppress(Conflict):  # the key is live already
                ids.append(
                    world.add(kind, value, by=world.staff, group=group, status=status, tags=[kind])
                )
        elif op[0] in ("delete", "update") and ids:
            target = ids[op[1] % len(ids)]
            if target not in {v.id for v in world.service.indicators(world.staff, group)}:
                continue
            if op[0] == "delete":
                world.service.delete(world.staff, target)
            else:
                world.service.update(world.staff, target, {"confidence": op[2]})
        elif op[0] == "sync":
            api.page_size = op[1]
            deltas, held = fetch(api, checkpoint, held)
            checkpoint = deltas[-1].checkpoint
            assert as_live(held) == world.live(group)
    api.page_size = page
    deltas, held = fetch(api, checkpoint, held)
    assert as_live(held) == world.live(group)
    again, _ = fetch(api, deltas[-1].checkpoint, dict(held))
    assert again == [FetchDelta({}, deltas[-1].checkpoint)]
    # and from scratch, in one go
    assert as_live(fetch(world.api(who="investigator", group=group))[1]) == world.live(group)
