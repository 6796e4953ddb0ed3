"""The library's search builds its public views from the rows (``views.AdFacts``, read by
``ArchiveRepository._facts_by_ids``) without an ``Ad`` in between: for any ad written, the
view built that way equals the one built from the ``Ad`` (``PublicAd.of``), on both
databases, with the content withheld or shown, so the one rule of what is public holds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from paidfor.domain import Ad, AdStatus, Creative, Delivery, Funder, Page, Range
from paidfor.library.archive_store import ArchiveRepository
from paidfor.library.views import PublicAd, facts_of
from paidfor.storage.models import AdRow
from paidfor.storage.writer import BatchWriter

_serial = itertools.count()
texts = st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
                 max_size=3)  # fmt: skip
moments = st.none() | st.datetimes(
    datetime(1990, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
ranges = st.none() | st.builds(Range, st.integers(0, 10**7), st.none() | st.integers(0, 10**8))
shares = st.one_of(
    st.sampled_from(["0.5", "0.016", "1", "0", "-0.1", "1.5", "nan", "inf", "x", ""]),
    st.floats(-1, 2, allow_nan=False), st.booleans(), st.none(), st.integers(-1, 2),
)  # fmt: skip
labels = st.none() | st.sampled_from(["", "25-34", "female", "Texas", "unknown"])


@st.composite
def ads(draw: st.DrawFn) -> Ad:
    spend = draw(st.none() | st.decimals(0, 2_000_000, places=2))
    n = next(_serial)
    return Ad(
        source=draw(st.sampled_from(["facts", "hpsci-ira", "meta"])),
        external_id=f"facts-{n}",
        creative=Creative(
            bodies=draw(texts),
            link_titles=draw(texts),
            link_captions=draw(texts),
            link_descriptions=draw(texts),
            landing_url=draw(st.none() | st.just("https://example.org/a?b=1")),
            image_hashes=draw(st.lists(st.sampled_from(["h1", "abc_DEF-9"]), max_size=2)),
        ),
        page=draw(
            st.none()
            | st.builds(
                Page,
                name=st.sampled_from(["Page A", "Ünïcode page"]),
                external_id=st.sampled_from(["9001", "9002"]),
                url=st.none() | st.just("https://facebook.com/9001"),
            )
        ),
        funder=draw(st.none() | st.builds(Funder, name=st.sampled_from(["Fund A", "FUND b"]))),
        delivery=Delivery(
            currency=draw(st.none() | st.sampled_from(["USD", "EUR"])),
            spend=spend,
            spend_usd=spend,
            spend_range=draw(ranges),
            impressions=draw(st.none() | st.integers(0, 5 * 10**6)),
            impressions_range=draw(ranges),
            reached_countries=draw(st.lists(st.sampled_from(["US", "GB"]), max_size=2)),
            demographic_distribution=draw(
                st.lists(
                    st.fixed_dictionaries(
                        {"percentage": shares}, optional={"age": labels, "gender": labels}
                    ),
                    max_size=4,
                )
            ),
            delivery_by_region=draw(
                st.lists(
                    st.fixed_dictionaries({"percentage": shares}, optional={"region": labels}),
                    max_size=3,
                )
            ),
            estimated_audience_size=draw(ranges),
        ),
        created_at=draw(moments),
        start_at=draw(moments),
        stop_at=draw(moments),
        status=draw(st.sampled_from(list(AdStatus))),
        removal_reason=draw(st.none() | st.just("broke the rules")),
        is_political=draw(st.none() | st.booleans()),
        ad_type=draw(st.sampled_from(["POLITICAL_AND_ISSUE_ADS", "ALL"])),
        platforms=draw(st.lists(st.sampled_from(["facebook", "instagram"]), max_size=2)),
        languages=draw(st.lists(st.sampled_from(["en", "de"]), max_size=2)),
    )


def _plain(values: Any) -> list[Any]:
    return [list(v) if isinstance(v, list | tuple) else v for v in values]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(ads(), min_size=1, max_size=6))
def test_the_view_from_the_row_is_the_view_from_the_ad(engine: Engine, batch: list[Ad]) -> None:
    BatchWriter(engine).write(batch)
    names = [a.external_id for a in batch]
    with engine.connect() as conn:
        ids = list(conn.execute(select(AdRow.id).where(AdRow.external_id.in_(names))).scalars())
        ids = ids[::-1] + ids[:1]  # any order, a repeated id too
        repo = ArchiveRepository(engine)
        from_ads = repo._ads_by_ids(conn, ids)
        from_rows = repo._facts_by_ids(conn, ids)
    assert from_ads is not None and from_rows is not None
    assert [f.id for f in from_rows] == ids
    for ad, facts in zip(from_ads, from_rows, strict=True):
        assert _plain(facts) == _plain(facts_of(ad))
        for unmask in (False, True):
            view = PublicAd.of_facts(facts, unmask)
            assert view == PublicAd.of(ad, unmask)
            # the search's JSON writes the view as a dataclass: what as_json says it is
            assert orjson.loads(orjson.dumps(view)) == view.as_json()
            assert orjson.dumps(view) == orjson.dumps(view.as_json())
            whole = repo.get(ad.id or 0)
            assert whole is not None
            assert PublicAd.of(whole, unmask) == PublicAd.of(ad, unmask)


def test_a_missing_row_is_none(engine: Engine) -> None:
    """The index ahead of the database: the caller asks the database instead."""
    repo = ArchiveRepository(engine)
    with engine.connect() as conn:
        assert repo._facts_by_ids(conn, [2**62]) is None
        assert repo._facts_by_ids(conn, []) == []


def test_a_withheld_ads_view_shows_nothing_of_its_content(engine: Engine) -> None:
    ad = Ad(
        source="facts", external_id="facts-withheld", status=AdStatus.REMOVED,
        creative=Creative(bodies=["secret"], landing_url="https://x.org", image_hashes=["h1"]),
        delivery=Delivery(spend=Decimal("150.00"), currency="USD"),
        created_at=datetime(2020, 1, 2, tzinfo=UTC) + timedelta(hours=23),
    )  # fmt: skip
    BatchWriter(engine).write([ad])
    with engine.connect() as conn:
        ad_id = conn.execute(
            select(AdRow.id).where(AdRow.external_id == "facts-withheld")
        ).scalar_one()
        (facts,) = ArchiveRepository(engine)._facts_by_ids(conn, [ad_id]) or []
    hidden: Any = PublicAd.of_facts(facts)
    assert hidden.content_withheld and not hidden.text and not hidden.images
    assert hidden.landing_url is None and hidden.bodies == []
    assert (hidden.spend, hidden.created, hidden.started) == ("100 – 499 USD", "2020-01-02",
                                                             "2020-01-02")  # fmt: skip
    shown = PublicAd.of_facts(facts, unmask=True)
    assert shown.text == "secret"
    assert shown.images == [f"/ads/{ad_id}/images/h1?unmask_removed_content=true"]
