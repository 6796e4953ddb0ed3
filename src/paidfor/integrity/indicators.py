"""Threat indicators held in memory for screening. The exchange fills an ``IndicatorSet`` from
the indicators it stores and fetches; screening asks it through ``signals.IndicatorMatcher``.

How each type matches what is known of an entity (its ``Profile`` and its ad texts):

* ``raw_text``: the ``threatexchange`` library's own ``RawTextSignal`` semantics: both sides
  through its ``normalize_string`` (lowercase, accents and everything not alphanumeric
  dropped), then a match when the Levenshtein distance is at most 5% of the indicator's
  normalised length (so a normalised indicator shorter than 20 characters matches only
  exactly). Candidates come from a lossless filter, then each is decided by the library's
  own ``RawTextSignal.matches_str``; see ``_TextIndex``. One difference: where the library
  raises (``UnicodeEncodeError``: weighted_levenshtein takes ASCII only, so any non-ASCII
  normalised text within the length bound, Cyrillic, Greek, CJK...), the same unit-cost
  distance and threshold are computed here instead (``_text_matches``).
* ``url``: both sides canonicalised (``canonical_url``: scheme and host lowercased, default
  port and fragment dropped, trailing slashes ignored, an empty path is ``/``), then equal.
* ``domain``: the landing domains and the hosts of the landing URLs, and every parent domain
  of theirs (``evil.example`` matches ``www.evil.example``, not ``notevil.example``).
* ``pdq``: 64-hex PDQ image hashes within Hamming distance 31 (the library's
  ``PDQ_CONFIDENT_MATCH_THRESHOLD``), found by the library's own ``PDQIndex`` (faiss
  multi-index hashing), built when matching after changes.
* ``payment_fingerprint``, ``page_id``, ``account_id``: equal after case folding.

An indicator is identified by its type and value (``url`` and ``raw_text`` values as given,
the other types case-folded); adding one that is there replaces its description and
confidence, and ``remove(type, value)`` takes it out (the exchange mirrors deletions).
The fuzzy indexes use Python's ``hash`` and are for this process only: not for pickling.
"""

from __future__ import annotations

import re
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from weighted_levenshtein import lev

from paidfor.domain.urls import canonical_domain, host_of
from paidfor.integrity.model import Profile
from paidfor.integrity.signals import IndicatorHit

# NumPy and the threatexchange library (which brings faiss and Pillow with its PDQ index) are
# imported where they are used, so that importing this (every command does) costs none of it.
if TYPE_CHECKING:
    import numpy as np
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

_SPACE = re.compile(r"\s+")
_PDQ = re.compile(r"^[0-9a-f]{64}$")
TYPES = ("domain", "url", "payment_fingerprint", "raw_text", "pdq", "page_id", "account_id")
EXACT_TYPES = ("payment_fingerprint", "page_id", "account_id")
PDQ_THRESHOLD = 31  # the library's PDQ_CONFIDENT_MATCH_THRESHOLD, PDQIndex.get_match_threshold()
TEXT_PCT = 5.0  # RawTextSignal.matches_str's default pct_diff_threshold
SEGMENT = 10  # the length of the pieces of normalised text the text index looks up
DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_text(text: str) -> str:
    """Case and runs of spaces folded (kept for callers; raw_text matching uses the
    library's ``normalize_string``)."""
    return _SPACE.sub(" ", text.casefold()).strip()


def canonical_url(url: str) -> str:
    """``url`` in one form for comparison: scheme and host lowercased, the scheme's default
    port dropped (and an empty one), the fragment dropped, trailing slashes of the path
    ignored, an empty path ``/``; userinfo, path and query otherwise kept as given. What
    ``urlsplit`` cannot read (a bad port, a bad IPv6 host) is only stripped of surrounding
    spaces. Idempotent."""
    s = url.strip()
    try:
        parts = urlsplit(s)
        port = parts.port
    except ValueError:
        return s
    scheme = parts.scheme.lower()
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]") + 1
        host = hostport[:end]
    else:
        host = hostport.partition(":")[0]
    netloc = f"{userinfo}{at}{host.lower()}"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = parts.path.rstrip("/") or "/"
    if not netloc and path.startswith("//"):
        return s  # urlunsplit would read the path back as a host
    out = urlunsplit((scheme, netloc, path, parts.query, ""))
    return out if _reads_back(out) else s


def _reads_back(url: str) -> bool:
    """Whether ``url`` reads back into the parts it was made of (urlunsplit can produce
    strings that split differently, e.g. a scheme-less path with a colon)."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return False
    return urlunsplit(parts) == url and not parts.fragment


def _identity(kind: str, value: str) -> str:
    """The key an indicator is known by within its type."""
    if kind in ("url", "raw_text"):
        return value
    if kind == "domain":
        return canonical_domain(value)
    if kind == "pdq":
        pdq = value.strip().lower()
        if not _PDQ.match(pdq):
            raise ValueError(f"a pdq indicator is 64 hexadecimal digits, not {value[:80]!r}")
        return pdq
    return value.casefold()


@dataclass(frozen=True, slots=True)
class Indicator:
    type: str  # one of TYPES
    value: str
    description: str  # who shared it and why, for the explanation
    confidence: int = 50


# -- raw_text ---------------------------------------------------------------------------------


def _text_matches(signal: str, haystack: str) -> bool:
    """The library's decision, ``RawTextSignal.matches_str(signal, haystack)``. The library
    raises ``UnicodeEncodeError`` when it has to compute a distance between normalised
    strings that are not ASCII (weighted_levenshtein works on ASCII only); then the same
    distance and threshold are computed here (see ``_levenshtein``)."""
    from threatexchange.common import normalize_string
    from threatexchange.signal_type.raw_text import RawTextSignal

    try:
        return RawTextSignal.matches_str(signal, haystack, TEXT_PCT).match
    except UnicodeEncodeError:
        a, b = normalize_string(signal), normalize_string(haystack)
        max_distance = len(a) - len(a) * (100 - TEXT_PCT) / 100  # as matches_str computes
        if abs(len(a) - len(b)) > max_distance:
            return False
        return _levenshtein(a, b, int(max_distance)) <= max_distance


def _levenshtein(a: str, b: str, limit: int) -> int:
    """Unit-cost Levenshtein distance of any two strings (exact up to ``limit``, above it
    some number greater than ``limit``). With at most 127 distinct characters the strings
    are renamed onto ASCII 1-127 and given to weighted_levenshtein's ``lev`` (the distance
    depends only on which characters are equal); otherwise a banded dynamic programme."""
    alphabet = sorted(set(a) | set(b))
    if len(alphabet) <= 127:
        table = {ord(c): chr(i + 1) for i, c in enumerate(alphabet)}
        return int(lev(a.translate(table), b.translate(table)))
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > limit:
        return limit + 1
    big = limit + 1
    prev = {j: j for j in range(min(len(b), limit) + 1)}
    for i in range(1, len(a) + 1):
        cur: dict[int, int] = {}
        for j in range(max(0, i - limit), min(len(b), i + limit) + 1):
            if j == 0:
                cur[j] = i
                continue
            cost = prev.get(j - 1, big) + (a[i - 1] != b[j - 1])
            cur[j] = min(cost, prev.get(j, big) + 1, cur.get(j - 1, big) + 1)
        if min(cur.values()) > limit:
            return big
        prev = cur
    return min(prev.get(len(b), big), big)


_EXACT_TAG = 0x5DEECE66D1F0A3B  # xor-ed into the hash of a whole short text


def _text_keys(norm: str) -> tuple[list[int], int]:
    """The keys a normalised indicator text could be found by (piece ``i`` starts at
    ``i * SEGMENT``), and how many of them must be indexed. A text of n < 20 characters
    matches only its equal: one key, its whole hash. Otherwise up to k = n // 20 edits are
    allowed; its n // 10 disjoint pieces of ``SEGMENT`` characters are at least k + 1, an edit
    breaks at most one piece, so any k + 1 of them include one that appears unchanged in
    every text it matches (pigeonhole), shifted by at most k places.
    """
    n = len(norm)
    if n < 2 * SEGMENT:
        return [hash(norm) ^ _EXACT_TAG], 1
    return [hash(norm[i : i + SEGMENT]) for i in range(0, n - SEGMENT + 1, SEGMENT)], n // 20 + 1


def _probe_keys(norm: str) -> tuple[np.ndarray, np.ndarray]:
    """The keys a probe text looks up, and where each starts in it."""
    import numpy as np

    keys = [hash(norm) ^ _EXACT_TAG]
    if len(norm) >= 2 * SEGMENT - 1:  # the shortest that can match a 20-character one
        keys += [hash(norm[i : i + SEGMENT]) for i in range(len(norm) - SEGMENT + 1)]
        starts = np.arange(-1, len(norm) - SEGMENT + 1)
        starts[0] = 0
    else:
        starts = np.zeros(1, np.int64)
    return np.array(keys, np.int64), starts


class _TextIndex:
    """raw_text indicators, found as the library's ``LevenshteinLinearSearch`` would find them
    but without comparing against each one.

    Candidate generation is lossless (``_text_keys``): each indicator is filed under k + 1
    of its 10-character pieces (the rarest ones, to keep lists short) with where each
    starts, and a probe text looks up every 10-character window of its normalised form (and
    its whole hash, for the short ones). A candidate must be within the library's length
    bound and its piece within k places of where the probe has it. Then a candidate whose
    normalised text equals the probe's matches (distance 0); one whose character counts
    differ too much for k edits does not (the library's distance is at least half their L1
    difference); any other is decided by ``RawTextSignal.matches_str`` itself. MinHash LSH
    over shingles would miss some matches by chance, and answers must agree with the
    library; this filter misses none.

    The keys live in sorted numpy arrays (key, slot, normalised length, start); indicators
    added later go to a small dict until it grows to an eighth of the arrays, then
    everything is merged. Removal marks the slot dead; dead slots are dropped at the next
    merge, and renumbered when they outnumber the live ones.
    """

    def __init__(self) -> None:
        import numpy as np

        self.values: list[str | None] = []  # slot -> the indicator's value (None: removed)
        self.slot: dict[str, int] = {}
        self.lens = array("i")  # slot -> normalised length (-1 until indexed)
        self.whole = array("q")  # slot -> hash of the normalised text
        self.keys = np.empty(0, np.int64)
        self.slots = np.empty(0, np.int32)
        self.klens = np.empty(0, np.int32)
        self.kpos = np.empty(0, np.int32)
        self.delta: dict[int, list[tuple[int, int]]] = {}  # key -> (slot, start)
        self.delta_size = 0
        self.pending: list[int] = []
        self.dead = 0

    def __len__(self) -> int:
        return len(self.slot)

    def add(self, value: str) -> None:
        if value in self.slot:
            return
        self.slot[value] = len(self.values)
        self.pending.append(len(self.values))
        self.values.append(value)
        self.lens.append(-1)
        self.whole.append(0)

    def remove(self, value: str) -> bool:
        slot = self.slot.pop(value, None)
        if slot is None:
            return False
        self.values[slot] = None
        self.dead += 1
        return True

    def _too_dead(self) -> bool:
        return self.dead > max(10_000, len(self.slot))

    def _keys_of(self, batch: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The keys to index for these slots (key, slot, start), by batches to bound the
        memory it takes."""
        import numpy as np
        from threatexchange.common import normalize_string

        owners: list[int] = []
        flat: list[int] = []
        starts: list[int] = []
        need: list[int] = []
        for slot in batch:
            value = self.values[slot]
            if value is None:
                continue
            norm = normalize_string(value)
            self.lens[slot] = len(norm)
            self.whole[slot] = hash(norm)
            keys, k = _text_keys(norm)
            owners.extend([slot] * len(keys))
            flat.extend(keys)
            starts.extend(range(0, len(keys) * SEGMENT, SEGMENT))
            need.append(k)
        hashes = np.array(flat, np.int64)
        slots = np.array(owners, np.int32)
        pos = np.array(starts, np.int32)
        del flat, owners, starts
        if not hashes.size:
            return hashes, slots, pos
        # keep, of each text's pieces, the ``need`` rarest (in this batch and the index)
        _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        seen = counts[inverse]
        if self.keys.size:
            seen += np.searchsorted(self.keys, hashes, "right")
            seen -= np.searchsorted(self.keys, hashes, "left")
        order = np.lexsort((seen, slots))  # slots are grouped in order already
        first = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
        sizes = np.diff(np.r_[first, slots.size])
        rank = np.arange(slots.size) - np.repeat(first, sizes)
        keep = order[rank < np.repeat(np.array(need), sizes)]
        return hashes[keep], slots[keep], pos[keep]

    def build(self) -> None:
        import numpy as np

        if not self.pending and not self._too_dead():
            return
        parts = [
            self._keys_of(self.pending[i : i + 50_000]) for i in range(0, len(self.pending), 50_000)
        ]
        self.pending = []
        if parts:
            hashes = np.concatenate([p[0] for p in parts])
            slots = np.concatenate([p[1] for p in parts])
            pos = np.concatenate([p[2] for p in parts])
        else:
            hashes, slots, pos = self.keys[:0], self.slots[:0], self.kpos[:0]
        lens = np.array(self.lens, np.int32)[slots] if slots.size else np.empty(0, np.int32)
        if hashes.size + self.delta_size <= self.keys.size // 8 and not self._too_dead():
            for h, s, p in zip(hashes.tolist(), slots.tolist(), pos.tolist(), strict=True):
                self.delta.setdefault(h, []).append((s, p))
            self.delta_size += hashes.size
            return
        if self.delta:
            d_keys = [h for h, entries in self.delta.items() for _ in entries]
            d_slots = [s for entries in self.delta.values() for s, _ in entries]
            d_pos = [p for entries in self.delta.values() for _, p in entries]
            hashes = np.concatenate([hashes, np.array(d_keys, np.int64)])
            slots = np.concatenate([slots, np.array(d_slots, np.int32)])
            pos = np.concatenate([pos, np.array(d_pos, np.int32)])
            lens = np.concatenate([lens, np.array(self.lens, np.int32)[d_slots]])
        all_keys = np.concatenate([self.keys, hashes])
        all_slots = np.concatenate([self.slots, slots])
        all_lens = np.concatenate([self.klens, lens])
        all_pos = np.concatenate([self.kpos, pos])
        if self.dead:
            alive = np.array([v is not None for v in self.values], bool)[all_slots]
            all_keys, all_slots = all_keys[alive], all_slots[alive]
            all_lens, all_pos = all_lens[alive], all_pos[alive]
        order = np.argsort(all_keys, kind="stable")
        self.keys, self.slots = all_keys[order], all_slots[order]
        self.klens, self.kpos = all_lens[order], all_pos[order]
        self.delta, self.delta_size = {}, 0
        if self._too_dead():
            self._compact()

    def _compact(self) -> None:
        """Renumber the live slots (after many removals)."""
        import numpy as np

        alive = np.array([v is not None for v in self.values], bool)
        renumber = np.cumsum(alive, dtype=np.int64) - 1
        self.slots = renumber[self.slots].astype(np.int32)
        keep = alive.tolist()
        self.values = [v for v in self.values if v is not None]
        self.lens = array("i", [n for n, a in zip(self.lens, keep, strict=True) if a])
        self.whole = array("q", [h for h, a in zip(self.whole, keep, strict=True) if a])
        self.slot = {v: i for i, v in enumerate(self.values) if v is not None}
        self.dead = 0

    def candidates(self, norm: str) -> list[int]:
        """Slots that may match a probe normalised to ``norm`` (a superset of the matches)."""
        import numpy as np

        q, at = _probe_keys(norm)
        n = len(norm)
        found: list[int] = []
        if self.keys.size:
            lo = np.searchsorted(self.keys, q, "left")
            hi = np.searchsorted(self.keys, q, "right")
            hit = np.flatnonzero(hi > lo)
            if hit.size:
                sizes = (hi - lo)[hit]
                idx = np.repeat(lo[hit] - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
                lens = self.klens[idx]
                k = lens // 20  # the library's bound: 5% of the indicator's length
                shift = np.repeat(at[hit], sizes) - self.kpos[idx]
                ok = (np.abs(lens - n) <= k) & (np.abs(shift) <= k)
                found = np.unique(self.slots[idx[ok]]).tolist()
        if self.delta:
            for h, start in zip(q.tolist(), at.tolist(), strict=True):
                for s, p in self.delta.get(h, ()):
                    k = self.lens[s] // 20
                    if abs(self.lens[s] - n) <= k and abs(start - p) <= k:
                        found.append(s)
        return found

    def query(self, text: str) -> list[str]:
        """The values of the indicators ``text`` matches, as the library decides."""
        from threatexchange.common import normalize_string

        norm = normalize_string(text)
        whole = hash(norm)
        bag: Counter[str] | None = None
        out: list[str] = []
        for slot in dict.fromkeys(self.candidates(norm)):
            value = self.values[slot]
            if value is None:
                continue
            mine = normalize_string(value)
            if self.whole[slot] == whole and mine == norm:
                out.append(value)  # equal once normalised: distance 0, a match
                continue
            # a lower bound of the distance: an edit changes the character counts' L1
            # distance by at most 2; what it rules out the library would reject too
            bag = Counter(norm) if bag is None else bag
            theirs = Counter(mine)
            l1 = sum(abs(theirs[c] - bag[c]) for c in theirs.keys() | bag.keys())
            if l1 > 2 * (len(mine) // 20):
                continue
            if _text_matches(value, text):
                out.append(value)
        return out


# -- pdq --------------------------------------------------------------------------------------


class _PdqIndex:
    """pdq indicators in the library's ``PDQIndex``: a main index of everything at its last
    build, a small one of what was added since (rebuilt at each change, merged into a new
    main index when it reaches an eighth of it), and removed hashes left out of answers
    until the next main build. (Adding to a ``PDQIndex`` one hash at a time rebuilds its id
    map every time, so hashes are added in batches.)"""

    def __init__(self) -> None:
        self.live: set[str] = set()
        self.main: PDQIndex[str] | None = None
        self.main_size = 0
        self.recent: list[str] = []
        self.recent_index: PDQIndex[str] | None = None
        self.pending: dict[str, None] = {}
        self.gone: set[str] = set()  # removed, but still in an index

    def __len__(self) -> int:
        return len(self.live)

    def add(self, pdq: str) -> None:
        if pdq in self.live:
            return
        self.live.add(pdq)
        if pdq in self.gone:
            self.gone.discard(pdq)
        else:
            self.pending[pdq] = None

    def remove(self, pdq: str) -> bool:
        if pdq not in self.live:
            return False
        self.live.discard(pdq)
        if pdq in self.pending:
            del self.pending[pdq]
        else:
            self.gone.add(pdq)
        return True

    def build(self) -> None:
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        if not self.pending and len(self.gone) <= max(1000, len(self.live) // 4):
            return
        if len(self.recent) + len(self.pending) > self.main_size // 8 or len(self.gone) > max(
            1000, len(self.live) // 4
        ):
            everything = sorted(self.live)
            self.main = PDQIndex((h, h) for h in everything) if everything else None
            self.main_size = len(everything)
            self.recent, self.recent_index, self.gone = [], None, set()
        else:
            dropped = {h for h in self.recent if h in self.gone}
            self.gone -= dropped  # what stays in gone is in the main index
            self.recent = [h for h in self.recent if h not in dropped] + list(self.pending)
            self.recent_index = PDQIndex((h, h) for h in self.recent) if self.recent else None
        self.pending = {}

    def query(self, pdq: str) -> list[str]:
        out: list[str] = []
        for index in (self.main, self.recent_index):
            if index is not None:
                out += [m.metadata for m in index.query(pdq) if m.metadata not in self.gone]
        return out


# -- the set ----------------------------------------------------------------------------------


class IndicatorSet:
    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        self._by: dict[str, dict[str, Indicator]] = {t: {} for t in TYPES}
        self._urls: dict[str, list[str]] = {}  # canonical URL -> the url values
        self._texts = _TextIndex()
        self._pdqs = _PdqIndex()
        self._lock = threading.RLock()
        self.extend(indicators)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by.values())

    def add(self, ind: Indicator) -> None:
        if ind.type not in self._by:
            raise ValueError(f"unknown indicator type {ind.type!r}; one of {', '.join(TYPES)}")
        key = _identity(ind.type, ind.value)
        with self._lock:
            known = self._by[ind.type]
            if key not in known:
                if ind.type == "url":
                    self._urls.setdefault(canonical_url(key), []).append(key)
                elif ind.type == "raw_text":
                    self._texts.add(key)
                elif ind.type == "pdq":
                    self._pdqs.add(key)
            known[key] = ind

    def extend(self, indicators: Iterable[Indicator]) -> None:
        for ind in indicators:
            self.add(ind)

    def remove(self, kind: str, value: str) -> bool:
        """Take out the indicator of this type and value (as added); False if there is none."""
        if kind not in self._by:
            raise ValueError(f"unknown indicator type {kind!r}; one of {', '.join(TYPES)}")
        try:
            key = _identity(kind, value)
        except ValueError:
            return False
        with self._lock:
            if self._by[kind].pop(key, None) is None:
                return False
            if kind == "url":
                canon = canonical_url(key)
                same = self._urls[canon]
                same.remove(key)
                if not same:
                    del self._urls[canon]
            elif kind == "raw_text":
                self._texts.remove(key)
            elif kind == "pdq":
                self._pdqs.remove(key)
            return True

    def build(self) -> None:
        """Bring the text and PDQ indexes up to date now (matching does it when needed)."""
        with self._lock:
            self._texts.build()
            self._pdqs.build()

    def match(self, profile: Profile, texts: Sequence[str]) -> list[IndicatorHit]:
        with self._lock:
            self.build()
            found: dict[tuple[str, str], None] = {}
            by = self._by
            hosts = {canonical_domain(d) for d in profile.landing_domains}
            hosts.update(h for u in profile.landing_urls if (h := host_of(u)))
            if by["domain"]:
                for host in hosts:
                    at = 0
                    while at >= 0:
                        suffix = host[at:]
                        if suffix in by["domain"]:
                            found[("domain", suffix)] = None
                        dot = host.find(".", at)
                        at = dot + 1 if dot >= 0 else -1
            if self._urls:
                for u in profile.landing_urls:
                    for value in self._urls.get(canonical_url(u), ()):
                        found[("url", value)] = None
            for pay in profile.payments:
                if pay.fingerprint and pay.fingerprint.casefold() in by["payment_fingerprint"]:
                    found[("payment_fingerprint", pay.fingerprint.casefold())] = None
            if self._texts:
                for text in texts:
                    for value in self._texts.query(text):
                        found[("raw_text", value)] = None
            if self._pdqs:
                for h in profile.image_pdqs:
                    pdq = h.strip().lower()
                    if _PDQ.match(pdq):
                        for value in self._pdqs.query(pdq):
                            found[("pdq", value)] = None
            id_kind = "account_id" if profile.key.type == "advertiser" else "page_id"
            if str(profile.key.id).casefold() in by[id_kind]:
                found[(id_kind, str(profile.key.id).casefold())] = None
            hits = []
            for kind, key in found:
                ind = by[kind][key]
                hits.append(IndicatorHit(ind.description, f"{kind} {ind.value}", ind.confidence))
            return hits
