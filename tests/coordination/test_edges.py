"""Content coordination against the real coordination-network-toolkit (CNT 1.5.2): the same CSV
goes through CNT's own ``preprocess_csv_files`` and ``compute_*`` functions on a temporary
SQLite file and through ours, and the edge sets must be identical."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from paidfor.coordination.edges import (
    CNT_KIND,
    KINDS,
    Post,
    PostTable,
    coordination_edges,
    normalise_text,
    token_set,
)
from paidfor.coordination.files import (
    CNT_COLUMNS,
    LayoutError,
    read_posts,
    write_edges_csv,
    write_posts_csv,
)
from paidfor.interfaces.cli.coordination import coordination_app

from conftest import DATA

try:  # the peer, in the dev extra; CI must have it
    from coordination_network_toolkit import compute_networks as cnt_compute
    from coordination_network_toolkit.graph import get_edge_rows
    from coordination_network_toolkit.output import output_gephi_csv
    from coordination_network_toolkit.preprocess import preprocess_csv_files
    from coordination_network_toolkit.similarity import (
        get_similarity_fn_from_min_size,
        message_preprocessor,
        tokenize,
    )
except ImportError:
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("coordination-network-toolkit is not installed", allow_module_level=True)

TWEETS = DATA / "ira_twitter" / "tweets_sample.csv"
Row = tuple[str, str, str, str, str, str, str, str]
EdgeSet = set[tuple[str, str, int]]


def write_rows(path: Path, rows: Sequence[Row]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CNT_COLUMNS)
        writer.writerows(rows)
    return path


def cnt_db(csv_path: Path) -> str:
    db = str(csv_path.with_suffix(".db"))
    with contextlib.redirect_stdout(io.StringIO()):
        preprocess_csv_files(db, [str(csv_path)])
    return db


def cnt_edges(
    db: str,
    kind: str,
    window: float,
    min_weight: int = 1,
    loops: bool = False,
    similarity: float = 0.8,
    min_tokens: int = 1,
) -> EdgeSet:
    """CNT's network of ``kind`` as its export reads it (``graph.get_edge_rows``)."""
    common = {"min_edge_weight": min_weight, "n_threads": 1}
    with contextlib.redirect_stdout(io.StringIO()):
        if kind == "co_link":
            cnt_compute.compute_co_link_network(db, window, **common)
        elif kind == "co_share":
            cnt_compute.compute_co_retweet_parallel(db, window, **common)
        elif kind == "co_reply":
            cnt_compute.compute_co_reply_network(db, window, **common)
        elif kind == "co_text":
            cnt_compute.compute_co_tweet_network(db, window, **common)
        else:
            cnt_compute.compute_co_similar_tweet(
                db,
                window,
                similarity_threshold=similarity,
                similarity_function=get_similarity_fn_from_min_size(min_tokens),
                **common,
            )
    return {(a, b, w) for a, b, w, _ in get_edge_rows(db, CNT_KIND[kind], loops=loops)}


def ours(path: Path, kind: str, window: float, *, compat: bool = True, **kw: Any) -> EdgeSet:
    posts, errors = read_posts(path, "cnt", cnt_compat=compat)
    assert errors == []
    edges = coordination_edges(posts, kind, window, cnt_compat=compat, **kw)
    assert edges == sorted(edges, key=lambda e: (e[0], e[1]))
    assert len(set(edges)) == len(edges)
    return set(edges)


# -- random posts ------------------------------------------------------------------------

WORDS = [
    "Hello",
    "hello",
    "world",
    "@bob",
    "@Al_1",
    "foo,",
    "bar!",
    "",
    " ",
    "\t",
    "it's",
    "café",
    "東京",
    "x.y",
    "'q'",
    "BAZ",
    "#tag",
    "http://t.co/x",
    "a-b",
    "\r\n",
    "ß",
]
URLS = ["", "http://a", "http://b", "https://c/x?y=1", "http://a/"]
texts = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12),
)
times = st.one_of(
    st.integers(0, 240).map(str),
    st.integers(0, 960).map(lambda q: repr(q / 4)),
    st.integers(0, 5).map(lambda s: repr(1_500_000_000 + s * 0.1)),
)
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from([f"m{i}" for i in range(40)]),  # some ids repeat
        st.sampled_from(["u0", "u1", "u2", "u3", "U0", "ü"]),
        st.just("name"),
        st.sampled_from(["", "", "", "r1", "r2", " r3"]),
        st.sampled_from(["", "", "p1", "p2"]),
        texts,
        times,
        st.lists(st.sampled_from(URLS), max_size=3).map(" ".join),
    ),
    max_size=30,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=rows_strategy,
    window=st.sampled_from([0, 0.5, 1, 60]),
    min_weight=st.sampled_from([1, 2]),
    loops=st.booleans(),
    similarity=st.sampled_from([0.3, 0.5, 0.8, 1.0]),
    min_tokens=st.sampled_from([1, 3]),
)
def test_equal_to_cnt_on_random_posts(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[Row],
    window: float,
    min_weight: int,
    loops: bool,
    similarity: float,
    min_tokens: int,
) -> None:
    path = write_rows(tmp_path_factory.mktemp("cnt") / "posts.csv", rows)
    db = cnt_db(path)
    for kind in KINDS:
        kw: dict[str, Any] = {"min_edge_weight": min_weight, "loops": loops}
        extra = {"similarity": similarity, "min_tokens": min_tokens}
        if kind == "co_similar_text":
            kw |= extra
        theirs = cnt_edges(db, kind, window, min_weight, loops, similarity, min_tokens)
        assert ours(path, kind, window, **kw) == theirs, kind


@settings(max_examples=3000, deadline=None)
@given(
    text=st.one_of(
        st.text("abcxyz019 @_-'.,!#\t\n\u00a0\u3000ÄéСт東", max_size=30),
        # ASCII, where our own tokenizer stands in for CNT's: its joiners and spaces
        st.text("ab09_:.,;'\"!#-/ \t\n\r@A\x0b\x1c\x01\x7f", max_size=30),
        st.text(st.characters(max_codepoint=127), max_size=40),
        texts,
    )
)
def test_text_functions_are_cnts(text: str) -> None:
    assert normalise_text(text) == message_preprocessor(text)
    assert token_set(text) == set(tokenize(text).split())


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.tuples(
            st.sampled_from(["u0", "u1", "u2", "u3"]),
            st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=9, unique=True),
            st.integers(0, 20),
        ),
        max_size=25,
    ),
    threshold=st.sampled_from([0.1, 0.2, 0.25, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.7, 0.75, 0.8, 0.9]),
    min_tokens=st.integers(0, 4),
)
def test_similar_text_finds_every_pair(
    texts: list[tuple[str, list[str], int]], threshold: float, min_tokens: int
) -> None:
    """Prefix filtering misses nothing: the edges equal a brute force over every pair of posts
    within the window, decided by CNT's own similarity function."""
    posts = [
        Post(str(k), u, u, None, None, " ".join(words), float(t), ())
        for k, (u, words, t) in enumerate(texts)
    ]
    sim = get_similarity_fn_from_min_size(min_tokens)
    tokens = [tokenize(p.message) for p in posts]
    matched = {
        (p.user_id, p.message_id, q.user_id)
        for p, x in zip(posts, tokens, strict=True)
        for q, y in zip(posts, tokens, strict=True)
        if p.user_id != q.user_id and abs(p.timestamp - q.timestamp) <= 3 and sim(x, y) >= threshold
    }
    expected = Counter((u1, u2) for u1, _, u2 in matched)
    got = coordination_edges(
        posts, "co_similar_text", 3, similarity=threshold, min_tokens=min_tokens
    )
    assert {(a, b): w for a, b, w in got} == expected


def campaign_rows(n: int, seed: int) -> list[Row]:
    """A few thousand posts: background users posting at random, and three groups of six
    accounts that, at 40 moments, each re-post, link, reply to or write (nearly) the same thing
    within a few seconds; some rows without URLs, some mention-only texts and a few repeated
    message ids (CNT's quirks)."""
    rng = random.Random(seed)
    vocab = [f"w{k}" for k in range(300)]
    rows: list[Row] = []
    for k in range(n):
        group = rng.randrange(3) if rng.random() < 0.3 else None
        if group is None:
            user, t, base = f"u{rng.randrange(400)}", rng.randrange(0, 4000), rng
        else:
            moment = rng.randrange(40)
            user, t = f"g{group}_{rng.randrange(6)}", moment * 90 + rng.randrange(4)
            base = random.Random(moment * 10 + group)  # what the group posts at that moment
        what = base.random()
        repost = f"r{base.randrange(60)}" if what < 0.25 else ""
        reply = f"p{base.randrange(40)}" if 0.25 <= what < 0.45 else ""
        words = [base.choice(vocab) for _ in range(base.randrange(3, 12))]
        if rng.random() < 0.3:
            words[rng.randrange(len(words))] = rng.choice(vocab)
        text = " ".join(words) if rng.random() > 0.03 else "@someone"
        urls = " ".join(
            f"http://site{base.randrange(150)}/x" for _ in range(base.choice([0, 1, 2]))
        )
        message_id = f"m{k}" if rng.random() > 0.01 else f"m{rng.randrange(max(k, 1))}"
        rows.append((message_id, user, user, repost, reply, text, str(t), urls))
    return rows


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = write_rows(tmp_path_factory.mktemp("campaign") / "posts.csv", campaign_rows(3000, 7))
    return path, cnt_db(path)


@pytest.mark.parametrize("window", [1, 60])
@pytest.mark.parametrize("kind", KINDS)
def test_equal_to_cnt_on_a_campaign(campaign: tuple[Path, str], kind: str, window: int) -> None:
    path, db = campaign
    kw: dict[str, Any] = {"similarity": 0.6} if kind == "co_similar_text" else {}
    theirs = cnt_edges(db, kind, window, similarity=0.6)
    mine = ours(path, kind, window, **kw)
    assert mine == theirs
    assert len(theirs) > 20  # not trivially equal
    assert cnt_edges(db, kind, window, min_weight=3, similarity=0.6) == ours(
        path, kind, window, min_edge_weight=3, **kw
    )


def test_one_table_for_every_kind(campaign: tuple[Path, str]) -> None:
    """A PostTable made once answers every kind as the posts do (nothing in it is changed)."""
    posts, _ = read_posts(campaign[0], "cnt", cnt_compat=True)
    table = PostTable.of(posts)
    for compat in (True, False):
        for kind in KINDS:
            for window in (0, 60):
                expected = coordination_edges(posts, kind, window, cnt_compat=compat)
                assert coordination_edges(table, kind, window, cnt_compat=compat) == expected


def test_cnt_semantics_by_hand(tmp_path: Path) -> None:
    """Directed weights, inclusive window, self-loops, a repeated id's URLs, the empty URL."""
    rows: list[Row] = [
        ("1", "a", "a", "", "", "hello world", "0", "http://x"),
        ("2", "a", "a", "", "", "Hello @bob  world", "0", "http://x"),
        ("3", "b", "b", "", "", "hello world", "1", "http://x"),
        ("4", "c", "c", "", "", "foo", "100", ""),
        ("5", "d", "d", "", "", "bar", "100.5", ""),
        ("1", "e", "e", "", "", "dup", "2", "http://y http://x"),
        ("6", "f", "f", "", "", "z", "3", "http://y"),
    ]
    path = write_rows(tmp_path / "p.csv", rows)
    db = cnt_db(path)
    link = {("a", "b", 2), ("b", "a", 1), ("c", "d", 1), ("d", "c", 1), ("e", "f", 1),
            ("f", "e", 1)}  # fmt: skip
    assert cnt_edges(db, "co_link", 1) == link == ours(path, "co_link", 1)
    assert ("a", "a", 2) in ours(path, "co_link", 1, loops=True)
    # window 0.99: b's post at t=1 is out of a's reach, the empty URL pair too (0.5 apart: in)
    assert ours(path, "co_link", 0.99) == cnt_edges(db, "co_link", 0.99) == link - {
        ("a", "b", 2), ("b", "a", 1), ("e", "f", 1), ("f", "e", 1)}  # fmt: skip
    text = {("a", "b", 2), ("b", "a", 1)}
    assert cnt_edges(db, "co_text", 1) == text == ours(path, "co_text", 1)
    # the sensible default: no empty URL, the repeated id "1" (user e) dropped
    assert ours(path, "co_link", 1, compat=False) == {("a", "b", 2), ("b", "a", 1)}


def test_cnt_similarity_api_default_crashes_on_an_empty_token_set(tmp_path: Path) -> None:
    """CNT's Python API default (no minimum size) divides by zero on a mention-only post;
    its CLI default (min size 1) and we treat it as similar to nothing."""
    rows: list[Row] = [
        ("1", "a", "a", "", "", "@bob", "0", ""),
        ("2", "b", "b", "", "", "x y", "0", ""),
    ]
    db = cnt_db(write_rows(tmp_path / "p.csv", rows))
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(sqlite3.OperationalError):
        cnt_compute.compute_co_similar_tweet(db, 1, n_threads=1)
    db = cnt_db(write_rows(tmp_path / "fresh.csv", rows))  # the failed run's workers linger
    assert cnt_edges(db, "co_similar_text", 1, loops=True, min_tokens=1) == {("b", "b", 1)}
    assert ours(tmp_path / "p.csv", "co_similar_text", 1, loops=True, min_tokens=0) == {
        ("b", "b", 1)
    }


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["u0", "u1", "u2"]),
            st.sampled_from(["", "r1"]),
            st.sampled_from(["a b", "@x", " ", "a  b"]),
            st.integers(0, 30),
            st.lists(st.sampled_from(URLS), max_size=3).map(" ".join),
        ),
        max_size=25,
    ),
    window=st.sampled_from([0, 1, 10]),
)
def test_default_differs_from_compat_only_by_the_quirks(
    rows: list[tuple[str, str, str, int, str]], window: int
) -> None:
    """With unique ids, the default co_link is CNT's without the URL "" and the default co_text
    is CNT's without the empty text; nothing else changes."""
    compat = [
        Post(f"m{k}", u, u, r or None, None, text, float(t), tuple(urls.split(" ")))
        for k, (u, r, text, t, urls) in enumerate(rows)
    ]
    default = [
        Post(p.message_id, p.user_id, p.username, p.repost_id, None, p.message, p.timestamp,
             tuple(" ".join(p.urls).split()))
        for p in compat
    ]  # fmt: skip
    no_empty = [
        Post(p.message_id, p.user_id, p.username, p.repost_id, None, p.message, p.timestamp,
             tuple(u for u in p.urls if u))
        for p in compat
    ]  # fmt: skip
    assert coordination_edges(default, "co_link", window) == coordination_edges(
        no_empty, "co_link", window, cnt_compat=True
    )
    # the default also ignores an empty URL handed to it directly
    assert coordination_edges(compat, "co_link", window) == coordination_edges(
        default, "co_link", window
    )
    texts_only = [p for p in compat if p.message.strip() and p.message != "@x"]
    assert coordination_edges(compat, "co_text", window) == coordination_edges(
        texts_only, "co_text", window, cnt_compat=True
    )


def test_the_quirks_change_the_network() -> None:
    posts = [
        Post("1", "a", "a", None, None, "@x", 0.0, ("",)),
        Post("2", "b", "b", None, None, "@y", 5.0, ("",)),
        Post("3", "c", "c", None, None, "real words", 5.0, ("http://z",)),
        Post("3", "d", "d", None, None, "real words", 5.0, ("http://w",)),  # a repeated id
        Post("4", "e", "e", None, None, "real words", 6.0, ("http://z", "http://w")),
    ]
    both = {("a", "b", 1), ("b", "a", 1)}
    assert set(coordination_edges(posts, "co_link", 5, cnt_compat=True)) - set(
        coordination_edges(posts, "co_link", 5)
    ) == both | {("d", "e", 1), ("e", "d", 1)}
    assert (
        set(coordination_edges(posts, "co_text", 5, cnt_compat=True))
        - set(coordination_edges(posts, "co_text", 5))
        == both
    )


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        coordination_edges([], "co_post", 1)
    with pytest.raises(ValueError, match="window"):
        coordination_edges([], "co_link", -1)
    with pytest.raises(ValueError, match="similarity"):
        coordination_edges([], "co_similar_text", 1, similarity=0)
    with pytest.raises(ValueError, match="finite"):
        coordination_edges([Post("1", "a", "a", None, None, "x", float("nan"), ())], "co_text", 1)


def test_edge_csv_is_cnts_export_byte_for_byte(campaign: tuple[Path, str], tmp_path: Path) -> None:
    path, db = campaign
    cnt_edges(db, "co_share", 60)
    with contextlib.redirect_stdout(io.StringIO()):
        output_gephi_csv(db, "co_retweet", str(tmp_path / "cnt.csv"))
    posts, _ = read_posts(path, "cnt", cnt_compat=True)
    edges = coordination_edges(posts, "co_share", 60, cnt_compat=True)
    assert write_edges_csv(edges, tmp_path / "ours.csv", "co_share") == len(edges) > 0
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "cnt.csv").read_bytes()


def test_bad_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        ",".join(CNT_COLUMNS) + "\n1,a,a,,,hi,0,\n2,b,b,,,hi,soon,\n3,c\n4,d,d,,,hi,inf,\n"
        '5,e,e,,,"two\nlines",1,\n6,f,f,,,x,nan,\n7,g,g,,,hi,2,\n'
    )
    posts, errors = read_posts(path, "cnt")
    assert [p.message_id for p in posts] == ["1", "5", "7"]
    assert [str(e) for e in errors] == [
        f"{path}:3: timestamp 'soon' is not a number of seconds",
        f"{path}:4: 2 columns instead of 8",
        f"{path}:5: timestamp 'inf' is out of range",
        f"{path}:8: timestamp 'nan' is out of range",
    ]
    (tmp_path / "ira.csv").write_text(TWEETS_HEADER)
    with pytest.raises(LayoutError, match="not CNT's"):
        read_posts(tmp_path / "ira.csv", "cnt")
    with pytest.raises(LayoutError, match="IRA tweets layout"):
        read_posts(path, "ira538")


def test_reader_progress_and_byte_order_mark(campaign: tuple[Path, str], tmp_path: Path) -> None:
    done: list[int] = []
    posts, _ = read_posts(campaign[0], "cnt", progress=done.append)
    assert len(posts) == 3000 and len(done) > 1
    assert done == sorted(done) and done[-1] == campaign[0].stat().st_size
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + campaign[0].read_bytes())  # as Excel saves UTF-8
    assert read_posts(bom, "cnt")[0] == posts


TWEETS_HEADER = (
    "author_id,author,account_category,account_type,content,region,language,publish_date,"
    "harvested_date,following,followers,updates,post_type,retweet\n"
)


# -- the FiveThirtyEight IRA tweets ----------------------------------------------------------


@pytest.fixture(scope="module")
def tweets() -> list[Post]:
    if not TWEETS.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the shared data file is missing: {TWEETS}")
        pytest.skip(f"no {TWEETS}")
    posts, errors = read_posts(TWEETS, "ira538")
    assert errors == []
    return posts


def test_ira538_reader(tweets: list[Post]) -> None:
    assert len(tweets) == 4586
    assert len({p.message_id for p in tweets}) == 4586  # line numbers
    first = tweets[0]
    assert (first.message_id, first.user_id, first.timestamp) == ("2", "heron_andrea", 1455039540)
    assert first.repost_id == first.message  # post_type R: the retweeted text is the key
    assert first.urls == ("https://t.co/iAEQRdHqPO",)
    quotes = [p for p in tweets if p.message.startswith("#DogThanking Pray for the victims")]
    assert quotes and quotes[0].repost_id is None  # a quote tweet (Q) is not a repost
    manual = [p for p in tweets if p.message.startswith("RT @DrEricBruin: Grandpa.")]
    assert manual[0].repost_id == manual[0].message.removeprefix("RT @DrEricBruin: ")


def test_ira538_co_share_same_minute(tweets: list[Post]) -> None:
    """Checked by hand in the file: in the same minute, RegKaganova and Vld_Am retweeted the
    same Russian post (lines 2815, 3119, 2015-09-11 16:41); Sherman_Cn and Sound4Boyz the same
    #walmart #KochFarms post (lines 294, 644, 2015-11-26 22:38); tedsanderss and rockitjan the
    same "Thanks God that #turkey" post (lines 604, 758, 22:35). Nothing else."""
    pairs = {("RegKaganova", "Vld_Am"), ("Sherman_Cn", "Sound4Boyz"), ("rockitjan", "tedsanderss")}
    expected = {(a, b, 1) for x, y in pairs for a, b in ((x, y), (y, x))}
    assert set(coordination_edges(tweets, "co_share", 0)) == expected
    assert len(coordination_edges(tweets, "co_share", 3600)) > len(expected)


def test_ira538_co_text_and_similar_by_hand(tweets: list[Post]) -> None:
    """Sherman_Cn (line 280, 00:52) and rockitjan (line 747, 01:23) posted the same Koch Farms
    text 31 minutes (1,860 s) apart; agnesmltrT and adleestTT posted three identical headlines at
    2017-07-23 22:45, each with its own t.co link: Jaccard 18/22, 16/20 and 15/19."""
    pair = {("Sherman_Cn", "rockitjan", 1), ("rockitjan", "Sherman_Cn", 1)}
    assert pair <= set(coordination_edges(tweets, "co_text", 1860))
    assert not pair & set(coordination_edges(tweets, "co_text", 1859))
    assert coordination_edges(tweets, "co_text", 0) == []  # the links differ
    for threshold, weight in ((0.78, 3), (0.8, 2), (0.81, 1)):
        assert coordination_edges(tweets, "co_similar_text", 0, similarity=threshold) == [
            ("adleestTT", "agnesmltrT", weight),
            ("agnesmltrT", "adleestTT", weight),
        ]


@pytest.mark.parametrize("kind", ["co_link", "co_share", "co_text", "co_similar_text"])
def test_ira538_equal_to_cnt(tweets: list[Post], tmp_path: Path, kind: str) -> None:
    """The IRA sample written in CNT's layout gives CNT our networks; in that file a tweet
    without links has an empty urls cell, which CNT (and compat mode) reads as the URL ""."""
    path = tmp_path / "tweets.csv"
    write_posts_csv(tweets, path)
    db = cnt_db(path)
    theirs = cnt_edges(db, kind, 3600)
    assert theirs == ours(path, kind, 3600)
    default = set(coordination_edges(tweets, kind, 3600))
    if kind == "co_link":  # no two tweets share a link within the hour: all CNT's are ""
        assert default == set() and len(theirs) > 100
    else:
        assert theirs == default and theirs


# -- the command -----------------------------------------------------------------------------

runner = CliRunner()
app = typer.Typer()
app.add_typer(coordination_app, name="coordination")  # as paidfor.interfaces.cli.main registers it


def test_cli_writes_cnt_edge_csv(campaign: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = campaign
    out = tmp_path / "edges.csv"
    args = [
        "coordination",
        "edges",
        str(path),
        "--kind",
        "co_share",
        "--window",
        "60",
        "--out",
        str(out),
    ]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    posts, _ = read_posts(path, "cnt")
    edges = coordination_edges(posts, "co_share", 60)
    with open(out, newline="") as f:
        written = list(csv.reader(f))
    assert written[0] == ["source", "target", "weight", "edge_type"]
    assert written[1:] == [[a, b, str(w), "co_retweet"] for a, b, w in edges]
    assert f'"edges": {len(edges)}' in r.output
    r = runner.invoke(app, args[:-2])
    assert r.exit_code == 0 and f"{len(edges):,} edges" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "no such file: missing.csv"),
        (["{good}", "--layout", "tsv"], "unknown layout 'tsv'"),
        (["{good}", "--kind", "co_post"], "unknown kind 'co_post'"),
        (["{good}", "--layout", "ira538"], "not the FiveThirtyEight IRA tweets layout"),
        (["{bad}"], "no readable posts"),
        (["{good}", "--similarity", "1.5"], "--similarity in (0, 1]"),
        (["{latin1}"], "not UTF-8 text"),
        (["{huge}"], ":2: not a readable CSV (field larger than field limit"),
    ],
)
def test_cli_errors(tmp_path: Path, args: list[str], message: str) -> None:
    good = write_rows(tmp_path / "good.csv", [("1", "a", "a", "", "", "x", "0", "")])
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(CNT_COLUMNS) + "\n1,a,a,,,x,later,\n")
    latin1, huge = tmp_path / "latin1.csv", tmp_path / "huge.csv"
    latin1.write_bytes((",".join(CNT_COLUMNS) + "\n1,a,a,,,caf\xe9,0,\n").encode("latin-1"))
    huge.write_text(",".join(CNT_COLUMNS) + "\n1,a,a,,," + "x" * 200_000 + ",0,\n")
    args = [a.format(good=good, bad=bad, latin1=latin1, huge=huge) for a in args]
    r = runner.invoke(app, ["coordination", "edges", *args])
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    if "bad" in args[0]:
        assert f"skipped {bad}:2: timestamp 'later'" in r.output
