"""Indicator matching for screening (integrity.indicators): raw_text agrees with the
threatexchange library's own linear search, URLs match after canonicalising, domains match
their subdomains, PDQ hashes match within distance 31 through the library's index, and
removal works for every type."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threatexchange.signal_type.pdq.pdq_index import PDQIndex
from threatexchange.signal_type.pdq.pdq_utils import simple_distance
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.raw_text import LevenshteinLinearSearch, RawTextSignal

from paidfor.integrity.indicators import (
    PDQ_THRESHOLD,
    TYPES,
    Indicator,
    IndicatorSet,
    _levenshtein,
    canonical_url,
)
from paidfor.integrity.model import EntityKey, PaymentProfile, Profile

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def profile(**kw: object) -> Profile:
    return Profile(EntityKey("advertiser", 7), "x", **kw)  # type: ignore[arg-type]


def matched(inds: IndicatorSet, p: Profile, texts: list[str] = []) -> set[str]:  # noqa: B006
    return {h.value for h in inds.match(p, texts)}


# -- raw_text: the library's semantics ------------------------------------------------------

WORDS = st.text(alphabet=string.ascii_letters + "  .,!?'-\x01é", min_size=0, max_size=140)


@st.composite
def edited(draw: st.DrawFn, base: str) -> str:
    """``base`` with a few insertions, deletions, substitutions, case and punctuation changes."""
    text = list(base)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["ins", "del", "sub", "case", "punct"]))
        at = draw(st.integers(0, len(text)))
        ch = draw(st.sampled_from(string.ascii_lowercase))
        if op == "ins":
            text.insert(at, ch)
        elif op == "punct":
            text.insert(at, draw(st.sampled_from(list(" .,!?;:-"))))
        elif text and at < len(text):
            if op == "del":
                del text[at]
            elif op == "sub":
                text[at] = ch
            else:
                text[at] = text[at].swapcase()
    return "".join(text)


def library_matches(values: list[str], text: str) -> set[str]:
    index: LevenshteinLinearSearch[str] = LevenshteinLinearSearch()
    for v in values:
        index.add(v, v)
    return {m.metadata for m in index.query(text)}


@settings(FAST, max_examples=150)
@given(st.data(), st.lists(WORDS, min_size=1, max_size=12))
def test_raw_text_agrees_with_the_library_linear_search(
    data: st.DataObject, bases: list[str]
) -> None:
    half = len(bases) // 2 + 1
    inds = IndicatorSet(Indicator("raw_text", b, f"ind {i}") for i, b in enumerate(bases[:half]))
    probes = [data.draw(edited(b)) for b in bases] + [data.draw(WORDS)]
    for probe in probes:
        got = {h.value.removeprefix("raw_text ") for h in inds.match(profile(), [probe])}
        assert got == library_matches(bases[:half], probe), probe
    # later additions (the small dict beside the arrays) and removals
    for i, b in enumerate(bases[half:]):
        inds.add(Indicator("raw_text", b, f"late {i}"))
    gone = data.draw(st.sets(st.sampled_from(bases)))
    for b in gone:
        inds.remove("raw_text", b)
    live = [b for b in dict.fromkeys(bases) if b not in gone]
    for probe in probes:
        got = {h.value.removeprefix("raw_text ") for h in inds.match(profile(), [probe])}
        assert got == library_matches(live, probe), probe


def test_raw_text_matches_near_duplicates_at_the_threshold() -> None:
    base = "Vote early, vote often: the election is stolen unless you act now!"  # 51 -> 2 edits
    inds = IndicatorSet([Indicator("raw_text", base, "acme")])
    two = base.replace("early", "eerly").replace("often", "oftn")
    three = two.replace("stolen", "stolne")
    assert RawTextSignal.matches_str(base, two).match
    assert not RawTextSignal.matches_str(base, three).match
    assert matched(inds, profile(), [two.upper()]) == {f"raw_text {base}"}
    assert matched(inds, profile(), [three]) == set()
    # under 20 normalised characters only an equal text matches, as in the library
    short = IndicatorSet([Indicator("raw_text", "Buy cheap pills now", "x")])
    assert matched(short, profile(), ["buy CHEAP pills, now!"]) == {"raw_text Buy cheap pills now"}
    assert matched(short, profile(), ["Buy cheap pill now"]) == set()


def test_raw_text_at_scale_uses_rare_pieces_and_stays_exact() -> None:
    rng = random.Random(5)
    vocab = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(300)]
    boiler = "paid for by the committee to elect "
    values = [boiler + " ".join(rng.choices(vocab, k=rng.randint(3, 25))) for _ in range(1500)]
    inds = IndicatorSet(Indicator("raw_text", v, str(i)) for i, v in enumerate(values))
    probes = []
    for v in values[:30]:
        chars = list(v)
        for _ in range(rng.randint(0, 4)):
            chars[rng.randrange(len(chars))] = rng.choice(string.ascii_lowercase)
        probes.append("".join(chars))
    probes += [boiler + " ".join(rng.choices(vocab, k=10)) for _ in range(10)]
    for probe in probes:
        got = {h.value.removeprefix("raw_text ") for h in inds.match(profile(), [probe])}
        assert got == library_matches(values, probe)


def test_non_ascii_text_matches_where_the_library_raises() -> None:
    """Documented difference: weighted_levenshtein only takes ASCII, so the library raises
    UnicodeEncodeError on Cyrillic, Greek, CJK... near-duplicates; we compute the same
    unit-cost distance and apply the same threshold."""
    base = "Голосуйте за нашего кандидата на выборах в этом году"  # 44 letters: 2 edits
    near = base.replace("нашего", "нашeго").replace("году", "году")
    with pytest.raises(UnicodeEncodeError):
        RawTextSignal.matches_str(base, near)
    inds = IndicatorSet([Indicator("raw_text", base, "ru")])
    assert matched(inds, profile(), [near]) == {f"raw_text {base}"}
    assert matched(inds, profile(), [near.replace("кандидата", "кондидото")]) == set()
    assert matched(inds, profile(), [base.upper() + "!!!"]) == {f"raw_text {base}"}


def _reference_levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@FAST
@given(
    st.text(alphabet=st.characters(min_codepoint=0x400, max_codepoint=0x4FF), max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x400, max_codepoint=0x4FF), max_size=40),
    st.integers(0, 10),
)
def test_levenshtein_for_any_alphabet(a: str, b: str, limit: int) -> None:
    ref = _reference_levenshtein(a, b)
    assert _levenshtein(a, b, limit) == ref  # at most 127 distinct characters: lev itself
    # more than 127 distinct characters: the banded programme
    wide = "".join(chr(0x4E00 + i) for i in range(130))
    got = _levenshtein(wide + a, wide + b, limit)
    assert got == ref if ref <= limit else got > limit


# -- url ------------------------------------------------------------------------------------

URLISH = st.builds(
    lambda scheme, host, port, path, query, frag, slash: (
        f"{scheme}://{host}{port}/{'/'.join(path)}{slash}{query}{frag}"
    ),
    st.sampled_from(["http", "https", "HTTPS", "Http", "ftp"]),
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[A-Za-z0-9-]{1,8}){0,3}", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    st.lists(st.text(alphabet=string.ascii_letters + "%-_.~", max_size=6), max_size=3),
    st.sampled_from(["", "/", "//"]),
    st.sampled_from(["", "?a=1", "?A=B&c", "?"]),
    st.sampled_from(["", "#top", "#"]),
)


@FAST
@given(st.one_of(URLISH, st.text(max_size=40)))
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@FAST
@given(URLISH)
def test_an_exact_url_always_matches(url: str) -> None:
    inds = IndicatorSet([Indicator("url", url, "acme")])
    assert matched(inds, profile(landing_urls={url})) == {f"url {url}"}


def test_url_variants_match_and_others_do_not() -> None:
    inds = IndicatorSet([Indicator("url", "https://evil.example/x", "acme", 80)])
    for same in [
        "HTTPS://Evil.example/x/",
        "https://evil.example:443/x",
        "https://EVIL.example/x#section",
        " https://evil.example/x// ",
    ]:
        assert matched(inds, profile(landing_urls={same})) == {"url https://evil.example/x"}, same
    for other in [
        "http://evil.example/x",  # another scheme
        "https://evil.example/X",  # paths are case-sensitive
        "https://evil.example/x?a=1",
        "https://evil.example:8443/x",
        "https://www.evil.example/x",
    ]:
        assert matched(inds, profile(landing_urls={other})) == set(), other
    root = IndicatorSet([Indicator("url", "http://Evil.example", "acme")])
    assert matched(root, profile(landing_urls={"http://evil.example:80/"})) == {
        "url http://Evil.example"
    }


# -- domain ---------------------------------------------------------------------------------


def test_domains_match_subdomains_and_landing_url_hosts() -> None:
    inds = IndicatorSet([Indicator("domain", "Evil.example", "indicator 1", 90)])
    hit = {"domain Evil.example"}
    assert matched(inds, profile(landing_domains={"evil.example"})) == hit
    assert matched(inds, profile(landing_domains={"WWW.a.Evil.Example."})) == hit
    assert matched(inds, profile(landing_urls={"https://shop.evil.example:8443/p?q"})) == hit
    assert matched(inds, profile(landing_domains={"notevil.example"})) == set()
    assert matched(inds, profile(landing_domains={"evil.example.org"})) == set()
    assert matched(inds, profile(landing_urls={"https://notevil.example/evil.example"})) == set()
    assert matched(inds, profile(landing_urls={"http://[bad"})) == set()


# -- pdq ------------------------------------------------------------------------------------


def flip(h: str, bits: list[int]) -> str:
    n = int(h, 16)
    for b in bits:
        n ^= 1 << b
    return f"{n:064x}"


def test_pdq_single_hash_index_and_the_threshold() -> None:
    """One hash alone (the library's PDQIndex misbehaves with one hash after serialising; we
    do not serialise, and in memory it works), distance 31 in, 32 out."""
    assert PdqSignal.compare_hash("0" * 64, "0" * 64).match  # the library's threshold
    assert PDQ_THRESHOLD == PDQIndex.get_match_threshold() == 31
    base = PdqSignal.get_examples()[0]
    inds = IndicatorSet([Indicator("pdq", base.upper(), "acme", 70)])
    assert matched(inds, profile(image_pdqs={base})) == {f"pdq {base.upper()}"}
    rng = random.Random(1)
    for d in (1, 16, 30, 31, 32, 40):
        near = flip(base, rng.sample(range(256), d))
        assert simple_distance(base, near) == d
        assert bool(matched(inds, profile(image_pdqs={near}))) == (d <= 31), d
    assert matched(inds, profile(image_pdqs={"not a hash"})) == set()
    with pytest.raises(ValueError, match="64 hexadecimal"):
        inds.add(Indicator("pdq", "abc", "bad"))


@settings(max_examples=20, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(2, 60))
def test_pdq_agrees_with_brute_force(rng: random.Random, n: int) -> None:
    hashes = [f"{rng.getrandbits(256):064x}" for _ in range(n)]
    inds = IndicatorSet(Indicator("pdq", h, str(i)) for i, h in enumerate(hashes[: n // 2 + 1]))
    live = set(hashes[: n // 2 + 1])
    probes = [flip(h, rng.sample(range(256), rng.choice([0, 5, 31, 32, 60]))) for h in hashes]
    for step in range(3):
        for probe in probes:
            want = {h for h in live if (int(h, 16) ^ int(probe, 16)).bit_count() <= 31}
            got = matched(inds, profile(image_pdqs={probe}))
            assert {v.removeprefix("pdq ") for v in got} == want
        if step == 0:  # additions after a build go to the small index
            for h in hashes[n // 2 + 1 :]:
                inds.add(Indicator("pdq", h, "late"))
                live.add(h)
        elif step == 1:  # removals, and a removed one added again
            for h in rng.sample(sorted(live), len(live) // 2):
                assert inds.remove("pdq", h)
                live.discard(h)
            for again in list(set(hashes) - live)[:1]:
                inds.add(Indicator("pdq", again, "again"))
                live.add(again)


# -- the rest, and removal ------------------------------------------------------------------


def test_exact_types_and_hits() -> None:
    inds = IndicatorSet(
        [
            Indicator("payment_fingerprint", "FP-7", "card from acme", 70),
            Indicator("account_id", "7", "account from acme", 60),
            Indicator("page_id", "7", "page from acme", 60),
        ]
    )
    hits = inds.match(profile(payments=[PaymentProfile("USD", "US", "fp-7")]), [])
    assert {(h.indicator, h.value, h.confidence) for h in hits} == {
        ("card from acme", "payment_fingerprint FP-7", 70),
        ("account from acme", "account_id 7", 60),
    }
    page = Profile(EntityKey("page", 7), "p")
    assert matched(inds, page) == {"page_id 7"}


def test_remove_every_type_and_replace() -> None:
    pdq = PdqSignal.get_examples()[0]
    inds = IndicatorSet(
        [
            Indicator("domain", "evil.example", "a"),
            Indicator("url", "https://evil.example/x", "b"),
            Indicator("url", "HTTPS://evil.example/x/", "b2"),
            Indicator("raw_text", "Some long indicator text about the election", "c"),
            Indicator("pdq", pdq, "d"),
            Indicator("payment_fingerprint", "fp", "e"),
        ]
    )
    assert len(inds) == 6
    p = profile(
        landing_urls={"https://evil.example/x"},
        image_pdqs={pdq},
        payments=[PaymentProfile("USD", "US", "fp")],
    )
    text = ["some long indicator text about the elections"]
    assert len(inds.match(p, text)) == 6
    inds.add(Indicator("domain", "EVIL.example", "a, updated", 99))  # the same indicator
    assert len(inds) == 6
    assert ("a, updated", 99) in {(h.indicator, h.confidence) for h in inds.match(p, text)}
    assert inds.remove("url", "https://evil.example/x")
    assert matched(inds, p, text) >= {"url HTTPS://evil.example/x/"}  # the other one stays
    for kind, value in [
        ("domain", "Evil.Example"),
        ("url", "HTTPS://evil.example/x/"),
        ("raw_text", "Some long indicator text about the election"),
        ("pdq", pdq.upper()),
        ("payment_fingerprint", "FP"),
    ]:
        assert inds.remove(kind, value), kind
        assert not inds.remove(kind, value)
    assert len(inds) == 0 and inds.match(p, text) == []
    assert not inds.remove("pdq", "nonsense")
    with pytest.raises(ValueError, match="unknown indicator type"):
        inds.remove("galaxy", "x")
    assert "pdq" in TYPES


def test_many_removals_compact_the_text_index() -> None:
    values = [f"indicator text number {i} about the election day" for i in range(12_000)]
    inds = IndicatorSet(Indicator("raw_text", v, str(i)) for i, v in enumerate(values))
    inds.build()
    for v in values[:11_000]:
        inds.remove("raw_text", v)
    inds.add(Indicator("raw_text", "a brand new indicator text for the election", "new"))
    probe = profile()
    assert matched(inds, probe, [values[5]]) == set()
    got = {h.value.removeprefix("raw_text ") for h in inds.match(probe, [values[11_500]])}
    assert values[11_500] in got and got == library_matches(values[11_000:], values[11_500])
    assert matched(inds, probe, ["A brand new indicator text for the elections!"]) == {
        "raw_text a brand new indicator text for the election"
    }
