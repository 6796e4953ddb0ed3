"""Content coordination: which accounts post the same link, share the same post, reply to the
same post, or post the same (or similar) text within a few seconds of each other.

The networks are the ones of the coordination-network-toolkit (CNT, PyPI
``coordination-network-toolkit`` 1.5.2), computed with sorted numpy arrays instead of SQLite
self-joins. Its conventions are kept so that the edge sets compare equal:

* an edge is directed: ``(user_1, user_2, weight)`` where ``weight`` is the number of distinct
  messages of ``user_1`` that have at least one matching message of ``user_2`` (same key,
  ``t_2`` between ``t_1 - window`` and ``t_1 + window``, both ends included), so ``(a, b)`` and
  ``(b, a)`` are both present and their weights may differ;
* self-loops ``(a, a)`` are left out unless ``loops=True`` (CNT stores them and leaves them out
  of its exports by default); edges lighter than ``min_edge_weight`` are left out;
* kinds (CNT's name in brackets), reposts' own text and URLs never counting: ``co_link``
  (co_link: the same URL), ``co_share`` (co_retweet: the same ``repost_id``), ``co_reply``
  (co_reply: the same ``reply_id``), ``co_text`` (co_tweet: the same text once lowercased,
  without @mentions, whitespace collapsed), ``co_similar_text`` (co_similar_tweet: CNT's token
  sets, Jaccard >= ``similarity``, sets smaller than ``min_tokens`` similar to none).

``cnt_compat=True`` also reproduces three CNT quirks the default leaves out: the empty URL
(``urls`` split on single spaces: posts without links are co-linked on ``""``), the empty text
(mention-only posts co-tweet on ``""``), and a repeated ``message_id`` (CNT keeps the first row,
but in co_link a later row's URLs count too, under that row's user and time). See
docs/coordination.md. ``PostTable.of(posts)`` is the posts as arrays (CNT's preprocessed
database, in memory): make it once to ask for several kinds.

co_similar_text finds its candidates exactly (prefix filtering: two sets with Jaccard >= t
share a token among the first ``n - ceil(t n) + 1`` of each, rarest first), then decides with
the expression CNT evaluates, so it is equal to CNT too. MinHash LSH (datasketch) would miss
some pairs above the threshold, so it could not be.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

# NumPy (and ``regex``) are imported by the functions that compute: the command-line tool
# imports this module for its names on every run.
if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]

Kind = Literal["co_link", "co_share", "co_reply", "co_text", "co_similar_text"]
KINDS: tuple[Kind, ...] = ("co_link", "co_share", "co_reply", "co_text", "co_similar_text")
# The network type (and edge_type column) CNT gives each kind.
CNT_KIND: dict[str, str] = {
    "co_link": "co_link",
    "co_share": "co_retweet",
    "co_reply": "co_reply",
    "co_text": "co_tweet",
    "co_similar_text": "co_similar_tweet",
}
Edge = tuple[str, str, int]
PAIR_BUDGET = 1 << 23  # candidate pairs materialised at once


class Post(NamedTuple):
    """One message, whatever the layout it was read from. ``repost_id`` names the post this one
    shares verbatim (a retweet), ``reply_id`` the post it answers; ``timestamp`` is in seconds;
    ``urls`` as the reader split them (empty strings only in CNT-compatible reading)."""

    message_id: str
    user_id: str
    username: str
    repost_id: str | None
    reply_id: str | None
    message: str
    timestamp: float
    urls: tuple[str, ...]


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: the millions of tuples and sets made here form no
    cycles, but would set it off again and again (a quarter of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class PostTable:
    """Posts as arrays, one entry per post (rows with a repeated message_id included):
    codes of the user (in name order), message id, repost and reply (-1 for none), and one
    entry per URL occurrence (``url_row`` the post, ``url`` its code)."""

    users: list[str]
    user: IntArray
    message: IntArray
    first: npt.NDArray[np.bool_]  # the first post with its message_id
    ts: FloatArray
    repost: IntArray
    reply: IntArray
    url_row: IntArray
    url: IntArray
    empty_url: int  # the code of the URL "", -1 when there is none
    texts: list[str]

    @classmethod
    @no_gc()
    def of(cls, posts: Sequence[Post]) -> PostTable:
        import numpy as np

        columns: list[Sequence[Any]] = list(zip(*posts, strict=True)) or [()] * 8
        ids, user_ids, _, reposts, replies, texts, times, urls = columns
        user, users = _user_codes(user_ids)
        message = _codes(ids)[0]
        seen = np.maximum.accumulate(np.concatenate(([-1], message)))[:-1]
        counts = np.fromiter(map(len, urls), np.int64, len(urls))
        url, distinct = _codes(list(itertools.chain.from_iterable(urls)))
        if not np.isfinite(ts := np.array(times, dtype=np.float64)).all():
            raise ValueError("every timestamp must be a finite number of seconds")
        return cls(
            users, user, message, message > seen, ts,
            _codes(reposts, none=-1)[0], _codes(replies, none=-1)[0],
            np.repeat(np.arange(len(posts), dtype=np.int64), counts), url,
            distinct.index("") if "" in distinct else -1, list(texts),
        )  # fmt: skip


@functools.cache
def _patterns() -> tuple[Any, Any]:
    """CNT's tokenizer and @mention cleaner (coordination_network_toolkit/similarity.py). They
    need the ``regex`` package: ``re`` has no Unicode word boundaries nor ``\\p{Word_Break}``."""
    import regex

    tokenizer = regex.compile(
        r"\b\p{Word_Break=WSegSpace}*'?", flags=regex.WORD | regex.UNICODE | regex.V1
    )
    return tokenizer, regex.compile(r"@.*?(?=(?:\s|$))")


# CNT's tokens of ASCII text (Unicode word-break rules for ASCII): runs of [a-z0-9_], where
# ":.'" join letters and ",;.'" join digits; every other character is a token of its own,
# apostrophes after a break are dropped by CNT's split, whitespace by its ``.split()``.
# Checked against CNT's tokenizer in tests/coordination/test_edges.py.
_ASCII_WORD = re.compile(
    r"([a-z0-9_]+(?:(?:(?<=[a-z])[:.'](?=[a-z])|(?<=[0-9])[,;.'](?=[0-9]))[a-z0-9_]+)*)"
)
_ASCII_DROP = frozenset(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f'")


def normalise_text(text: str) -> str:
    """CNT's ``message_preprocessor``: lowercase, @mentions removed, whitespace collapsed."""
    text = text.lower()
    return " ".join((_patterns()[1].sub("", text) if "@" in text else text).split())


def token_set(text: str) -> frozenset[str]:
    """The set CNT's similarity compares: ``set(tokenize(text).split())``."""
    tokenizer, cleaner = _patterns()
    text = text.lower()
    if "@" in text:
        text = cleaner.sub("", text)
    if text.isascii():  # the same tokens, twice as fast as the Unicode tokenizer
        parts = _ASCII_WORD.split(text)
        return frozenset(parts[1::2]).union("".join(parts[0::2])).difference(_ASCII_DROP)
    # the whitespace-free pieces of every token: what " ".join(tokens).split() gives
    return frozenset(" ".join(tokenizer.split(text)).split())


@no_gc()
def coordination_edges(
    posts: Sequence[Post] | PostTable,
    kind: str,
    window: float,
    *,
    min_edge_weight: int = 1,
    similarity: float = 0.8,
    min_tokens: int = 1,
    cnt_compat: bool = False,
    loops: bool = False,
) -> list[Edge]:
    """The ``kind`` network of ``posts`` within ``window`` seconds, sorted by (user_1, user_2).

    ``similarity`` (0 < t <= 1) and ``min_tokens`` apply to co_similar_text only; CNT's CLI
    defaults are 0.8 and 1 (its Python API's are 0.9 and no minimum, which raises
    ZeroDivisionError on an empty token set)."""
    import numpy as np

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    if not window >= 0:
        raise ValueError(f"the window must be 0 seconds or more, not {window}")
    if not 0 < similarity <= 1:
        raise ValueError(f"the similarity threshold must be in (0, 1], not {similarity}")
    t = posts if isinstance(posts, PostTable) else PostTable.of(posts)
    if kind == "co_link":
        return _link_edges(t, window, cnt_compat, loops, min_edge_weight)
    rows = np.flatnonzero(t.first & (t.repost < 0))  # CNT's messages that are no reposts
    if kind == "co_share":
        rows = np.flatnonzero(t.first & (t.repost >= 0))
        key = t.repost[rows]
    elif kind == "co_reply":
        rows = rows[t.reply[rows] >= 0]
        key = t.reply[rows]
    elif kind == "co_text":
        key, texts = _codes([normalise_text(t.texts[r]) for r in rows.tolist()])
        if not cnt_compat and "" in texts:  # the empty text
            rows, key = rows[key != texts.index("")], key[key != texts.index("")]
    else:
        return _similar_edges(t, rows, window, similarity, min_tokens, loops, min_edge_weight)
    return _weighted(
        _window_pairs(key, t.ts[rows], window),
        np.arange(len(rows), dtype=np.int64),
        t.user[rows],
        t.user[rows],
        t.users,
        loops,
        min_edge_weight,
    )


def _codes(values: Sequence[Hashable], none: int | None = None) -> tuple[IntArray, list[Any]]:
    """Dense integer codes of ``values`` in order of first appearance, and the distinct values;
    with ``none``, None and "" are coded ``none`` and not listed."""
    import numpy as np

    index: defaultdict[Hashable, int] = defaultdict(itertools.count().__next__)
    if none is not None:
        index[None] = index[""] = none
    codes = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    return codes, [v for v, code in index.items() if code != none or none is None]


def _user_codes(users: Sequence[str]) -> tuple[IntArray, list[str]]:
    """Codes in the order of the names (code point order, SQLite's BINARY order of UTF-8), so
    that sorting codes sorts names."""
    import numpy as np

    names = sorted(set(users))
    index = {name: k for k, name in enumerate(names)}
    return np.fromiter(map(index.__getitem__, users), dtype=np.int64, count=len(users)), names


def _unique(a: IntArray, counts: bool = False) -> tuple[IntArray, IntArray]:
    """``np.unique`` by sorting (its hash table is slower on millions of wide codes)."""
    import numpy as np

    a = np.sort(a)
    first = np.flatnonzero(np.concatenate(([True], a[1:] != a[:-1]))) if len(a) else a
    n = np.diff(np.append(first, len(a))) if counts else first
    return a[first], n


def _link_edges(
    t: PostTable, window: float, cnt_compat: bool, loops: bool, min_w: int
) -> list[Edge]:
    """co_link over CNT's ``message_url`` rows: one per (message_id, url), first row wins, the
    URLs of reposts left out; a row keeps the user and time of the post it came from (in CNT a
    repeated message_id's row adds its URLs: compat mode only)."""
    import numpy as np

    keep = t.repost[t.url_row] < 0
    if not cnt_compat:
        keep &= t.first[t.url_row] & (t.url != t.empty_url)
    occurrence = np.flatnonzero(keep)
    row, url = t.url_row[occurrence], t.url[occurrence]
    pair = t.message[row] * np.int64(max(len(t.url), 1)) + url
    if not len(pair):
        return []
    order = np.argsort(pair, kind="stable")
    firsts = order[np.concatenate(([True], pair[order][1:] != pair[order][:-1]))]
    row, url = row[firsts], url[firsts]
    user = t.user[row]
    # a row stands for (user, message_id): one message_id can come with two users
    distinct, eid = np.unique(user * np.int64(max(len(t.message), 1)) + t.message[row],
                              return_inverse=True)  # fmt: skip
    eid_user = distinct // np.int64(max(len(t.message), 1))
    return _weighted(_window_pairs(url, t.ts[row], window), eid.reshape(-1), user, eid_user,
                     t.users, loops, min_w)  # fmt: skip


def _window_pairs(
    key: IntArray, ts: FloatArray, window: float, budget: int = PAIR_BUDGET
) -> Iterator[tuple[IntArray, IntArray]]:
    """Every (i, j), i != j, with ``key[i] == key[j]`` and ``ts[i] - window <= ts[j] <=
    ts[i] + window`` (evaluated in float64 like SQLite's ``between``), in chunks."""
    import numpy as np

    n = len(key)
    if n < 2:
        return
    order = np.lexsort((ts, key))
    k, t = key[order], ts[order]
    # Exact integer ranks of the times and of the window's ends make (key, time) one integer.
    distinct = np.unique(t)
    span = np.int64(len(distinct) + 1)
    comp = k * span + np.searchsorted(distinct, t)
    lo = np.searchsorted(comp, k * span + np.searchsorted(distinct, t - window, "left"))
    hi = np.searchsorted(comp, k * span + np.searchsorted(distinct, t + window, "right"))
    counts = hi - lo
    active = np.flatnonzero(counts > 1)  # rows that meet more than themselves
    if not len(active):
        return
    ends = np.cumsum(counts[active])
    cuts = np.searchsorted(ends, np.arange(budget, ends[-1], budget), "right")
    for part in np.split(active, np.unique(cuts)):
        if not len(part):
            continue
        c = counts[part]
        total = int(c.sum())
        first = np.repeat(part, c)
        offsets = np.cumsum(c) - c
        second = np.arange(total, dtype=np.int64) + np.repeat(lo[part] - offsets, c)
        keep = first != second
        yield order[first[keep]], order[second[keep]]


def _weighted(
    pairs: Iterable[tuple[IntArray, IntArray]],
    eid: IntArray,
    user: IntArray,
    eid_user: IntArray,
    names: list[Any],
    loops: bool,
    min_w: int,
) -> list[Edge]:
    """CNT's ``count(distinct e_1.message_id) ... group by e_1.user_id, e_2.user_id``: each
    row i stands for the message ``eid[i]`` of ``user[i]``; a pair (i, j) is one match."""
    import numpy as np

    n_users = np.int64(max(len(names), 1))
    parts = []
    for i, j in pairs:
        u2 = user[j]
        if not loops:
            keep = user[i] != u2
            i, u2 = i[keep], u2[keep]
        parts.append(_unique(eid[i] * n_users + u2)[0])
    if loops:  # every row matches itself
        parts.append(eid * n_users + user)
    if not parts:
        return []
    matched = _unique(np.concatenate(parts))[0]
    pair, weight = _unique(eid_user[matched // n_users] * n_users + matched % n_users, True)
    keep = weight >= min_w  # pairs come sorted, and codes sort as names do
    first = map(names.__getitem__, (pair[keep] // n_users).tolist())
    second = map(names.__getitem__, (pair[keep] % n_users).tolist())
    return list(zip(first, second, weight[keep].tolist(), strict=True))


def _similar_edges(
    t: PostTable, rows: IntArray, window: float, threshold: float, min_tokens: int, loops: bool,
    min_w: int,
) -> list[Edge]:  # fmt: skip
    """co_similar_text: candidates share a prefix token within the window; CNT's Jaccard
    expression decides."""
    import numpy as np

    sets = list(map(token_set, map(t.texts.__getitem__, rows.tolist())))
    sizes = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))
    keep = np.flatnonzero(sizes >= max(min_tokens, 1))  # smaller sets are similar to none
    rows, sizes, sets = rows[keep], sizes[keep], list(map(sets.__getitem__, keep.tolist()))
    users, ts = t.user[rows], t.ts[rows]
    ids, vocab = _codes(list(itertools.chain.from_iterable(sets)))
    owner = np.repeat(np.arange(len(sets), dtype=np.int64), sizes)
    rank = np.empty(len(vocab), dtype=np.int64)  # rarest token first
    rank[np.lexsort((np.arange(len(vocab)), np.bincount(ids, minlength=len(vocab))))] = np.arange(
        len(vocab), dtype=np.int64
    )
    order = np.lexsort((rank[ids], owner))
    position = np.arange(len(ids), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    # Overlap >= ceil(t * max(|A|, |B|)); the epsilon only lengthens prefixes (stays complete).
    prefix = sizes - np.ceil(threshold * sizes - 1e-9).astype(np.int64) + 1
    in_prefix = position < prefix[owner[order]]
    key, who = rank[ids[order]][in_prefix], owner[order][in_prefix]
    return _weighted(
        _verified(_window_pairs(key, ts[who], window), who, users, sets, threshold, loops),
        np.arange(len(sets), dtype=np.int64),
        users,
        users,
        t.users,
        loops,
        min_w,
    )


def _verified(
    pairs: Iterable[tuple[IntArray, IntArray]],
    who: IntArray,
    users: IntArray,
    sets: list[frozenset[str]],
    threshold: float,
    loops: bool,
) -> Iterator[tuple[IntArray, IntArray]]:
    """The directed message pairs among prefix-row pairs whose similarity reaches
    ``threshold``: ``len(a & b) / len(a | b) >= threshold``, as CNT computes it."""
    import numpy as np

    n = np.int64(max(len(sets), 1))
    codes = [np.empty(0, dtype=np.int64)]
    for i, j in pairs:
        a, b = who[i], who[j]
        keep = (a != b) & ((users[a] != users[b]) | loops)
        codes.append(_unique(a[keep] * n + b[keep])[0])
    directed = _unique(np.concatenate(codes))[0]
    a, b = directed // n, directed % n
    unordered, back = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_inverse=True)
    similar = np.fromiter(
        (
            _jaccard(sets[x], sets[y]) >= threshold
            for x, y in zip((unordered // n).tolist(), (unordered % n).tolist(), strict=True)
        ),
        dtype=bool,
        count=len(unordered),
    )
    ok = similar[back.reshape(-1)]
    yield a[ok], b[ok]


def _jaccard(x: frozenset[str], y: frozenset[str]) -> float:
    common = len(x & y)
    return common / (len(x) + len(y) - common)
