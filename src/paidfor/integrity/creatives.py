"""Near-duplicate ad texts with MinHash LSH (datasketch): clusters of ads whose word
3-shingles have an estimated Jaccard similarity of at least ``threshold``, and an index of
removed ads that a new ad's text is looked up in.

LSH proposes candidates at a lower similarity (``CANDIDATE``) and every candidate is checked
on the exact Jaccard similarity of the shingle sets, so the estimate's noise neither adds nor
(much) loses pairs. Texts of fewer than ``MIN_WORDS`` words are left out: "Vote!" is not
evidence of anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from paidfor.integrity.unionfind import UnionFind

if TYPE_CHECKING:  # datasketch is imported when first used: it pulls SciPy in (half a second)
    from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
THRESHOLD = 0.7  # exact Jaccard similarity of the shingle sets
CANDIDATE = 0.5  # the LSH's threshold: candidates are then checked exactly
MIN_WORDS = 6
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def shingles(text: str, k: int = 3) -> list[bytes]:
    words = _WORD.findall(text.casefold())
    if len(words) < MIN_WORDS:
        return []
    return sorted({" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)})


def jaccard(a: frozenset[bytes], b: frozenset[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


@cache
def _empty() -> MinHash:
    """A MinHash with no shingles: its permutations, drawn once instead of per batch."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM)


def _lsh() -> MinHashLSH:
    from datasketch import MinHashLSH

    return MinHashLSH(threshold=CANDIDATE, num_perm=NUM_PERM)


def _minhashes(texts: Sequence[list[bytes]]) -> list[MinHash]:
    out = []
    empty = _empty()
    for sh in texts:
        mh = empty.copy()
        mh.update_batch(sh)
        out.append(mh)
    return out


def cluster(texts: Iterable[tuple[int, str]], threshold: float = THRESHOLD) -> dict[int, int]:
    """``{item id: cluster id}`` for items in a cluster of two or more near-duplicates (the
    cluster id is the smallest item id in it)."""
    by_text: dict[tuple[bytes, ...], list[int]] = {}
    for item, text in texts:
        sh = shingles(text)
        if sh:
            by_text.setdefault(tuple(sh), []).append(item)
    keys = list(by_text)
    if not keys:
        return {}
    hashes = _minhashes([list(k) for k in keys])
    sets = [frozenset(k) for k in keys]
    lsh = _lsh()
    uf: UnionFind[int] = UnionFind()
    for i, mh in enumerate(hashes):
        for j in lsh.query(mh):
            if jaccard(sets[i], sets[j]) >= threshold:
                uf.union(i, j)
        lsh.insert(i, mh)
    groups: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(uf.find(i), []).extend(by_text[key])
    out: dict[int, int] = {}
    for items in groups.values():
        if len(items) >= 2:
            head = min(items)
            for item in items:
                out[item] = head
    return out


@dataclass(frozen=True, slots=True)
class Match:
    item: int
    similarity: float


class NearDuplicateIndex:
    """Texts (of removed ads) to look a new text up in."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh: MinHashLSH | None = None  # made with the first text (an empty index is common)
        self._hashes: dict[int, MinHash] = {}
        self._sets: dict[int, frozenset[bytes]] = {}

    def __len__(self) -> int:
        return len(self._hashes)

    def add_many(self, items: Iterable[tuple[int, str]]) -> None:
        pending = [(item, shingles(text)) for item, text in items]
        pending = [(item, sh) for item, sh in pending if sh and item not in self._hashes]
        if not pending:
            return
        if self._lsh is None:
            self._lsh = _lsh()
        with self._lsh.insertion_session() as session:
            for (item, sh), mh in zip(pending, _minhashes([sh for _, sh in pending]), strict=True):
                self._hashes[item] = mh
                self._sets[item] = frozenset(sh)
                session.insert(item, mh)

    def lookup(self, text: str) -> list[Match]:
        return self.lookup_many([text])[0]

    def lookup_many(self, texts: Sequence[str]) -> list[list[Match]]:
        """``lookup`` for each text, hashing them all in one batch."""
        out: list[list[Match]] = [[] for _ in texts]
        if self._lsh is None or not self._hashes:
            return out
        sets = [shingles(t) for t in texts]
        todo = [i for i, sh in enumerate(sets) if sh]
        for i, mh in zip(todo, _minhashes([sets[i] for i in todo]), strict=True):
            mine = frozenset(sets[i])
            found = [Match(j, jaccard(mine, self._sets[j])) for j in self._lsh.query(mh)]
            found = [m for m in found if m.similarity >= self.threshold]
            out[i] = sorted(found, key=lambda m: (-m.similarity, m.item))
        return out
