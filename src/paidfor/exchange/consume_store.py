"""What screening with the exchange's indicators and the retro-hunt read
(``exchange.consume``): the change marker, every live indicator (own and fetched), the
delivering ads with their images' PDQ hashes and their accounts' cards, and what earlier
hunts held."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, false, or_, select

from paidfor.exchange.feed_models import (
    INDICATORS,
    ExchangeSourceRow,
    ExchangeStateRow,
    FetchedIndicatorRow,
)
from paidfor.review.intake_models import ReviewDecisionRow
from paidfor.storage.mapping import utc_naive
from paidfor.storage.models import AdImageRow, AdRow, PaymentInstrumentRow, PrivacyGroupRow
from paidfor.storage.tables import chunks

I = INDICATORS.c  # noqa: E741
F = FetchedIndicatorRow


def marker(engine: Engine) -> tuple[int, int]:
    """Changes whenever an own indicator is written or a fetch changes anything."""
    with engine.connect() as conn:
        row = conn.execute(
            select(ExchangeStateRow.seq, ExchangeStateRow.fetched_seq).where(
                ExchangeStateRow.id == 1
            )
        ).one_or_none()
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)


def live_indicators(engine: Engine, now: datetime) -> Iterator[tuple[str, Any]]:
    """("own", row) for every live own indicator not marked NON_MALICIOUS (id, type, value,
    status, confidence, owner, tags, expires_at, group), then ("fetched", row) for every such
    fetched one (remote_id, ..., source, remote_group)."""
    moment = utc_naive(now)
    live = or_(I.expires_at.is_(None), I.expires_at > moment)
    own = (
        select(I.id, I.type, I.value, I.status, I.confidence, I.owner, I.tags, I.expires_at,
               PrivacyGroupRow.name.label("group"))
        .join(PrivacyGroupRow, PrivacyGroupRow.id == I.group_id)
        .where(I.deleted == false(), live, I.status != "NON_MALICIOUS")
    )  # fmt: skip
    fetched = (
        select(F.remote_id, F.type, F.value, F.status, F.confidence, F.owner, F.tags,
               F.expires_at, ExchangeSourceRow.name.label("source"),
               ExchangeSourceRow.remote_group)
        .join(ExchangeSourceRow, ExchangeSourceRow.id == F.source_id)
        .where(or_(F.expires_at.is_(None), F.expires_at > moment), F.status != "NON_MALICIOUS")
    )  # fmt: skip
    with engine.connect() as conn:
        for kind, query in (("own", own), ("fetched", fetched)):
            for r in conn.execute(query.execution_options(yield_per=10_000)):
                yield kind, r


def image_pdqs(engine: Engine) -> dict[tuple[int | None, str], str]:
    """(advertiser, image hash) -> PDQ hash of every uploaded image that has one."""
    with engine.connect() as conn:
        return {
            (r.advertiser_id, r.hash): r.pdq
            for r in conn.execute(
                select(AdImageRow.advertiser_id, AdImageRow.hash, AdImageRow.pdq).where(
                    AdImageRow.pdq.is_not(None)
                )
            )
        }


def cards(engine: Engine) -> dict[int, list[tuple[str, str | None, str | None]]]:
    """Every account's payment instruments: (currency, billing country, card fingerprint)."""
    out: dict[int, list[tuple[str, str | None, str | None]]] = {}
    with engine.connect() as conn:
        for r in conn.execute(
            select(
                PaymentInstrumentRow.advertiser_id,
                PaymentInstrumentRow.currency,
                PaymentInstrumentRow.billing_country,
                PaymentInstrumentRow.card_fingerprint,
            )
        ):
            out.setdefault(r.advertiser_id, []).append(
                (r.currency, r.billing_country, r.card_fingerprint)
            )
    return out


def ads_with_status(engine: Engine, statuses: Sequence[str]) -> Iterator[Any]:
    """(id, advertiser_id, page_id, search_text, landing_url, creative, is_political,
    political_score) of every ad in one of ``statuses``, oldest first, streamed."""
    with engine.connect() as conn:
        yield from conn.execute(
            select(
                AdRow.id, AdRow.advertiser_id, AdRow.page_id, AdRow.search_text,
                AdRow.landing_url, AdRow.creative, AdRow.is_political, AdRow.political_score,
            )
            .where(AdRow.status.in_(statuses))
            .order_by(AdRow.id)
            .execution_options(yield_per=2000)
        )  # fmt: skip


def held_for(engine: Engine, ad_ids: Iterable[int], actor: str) -> dict[int, set[str]]:
    """The indicators ``actor``'s earlier decisions held each of ``ad_ids`` for."""
    seen: dict[int, set[str]] = {}
    with engine.connect() as conn:
        for chunk in chunks(list(ad_ids)):
            for ad_id, findings in conn.execute(
                select(ReviewDecisionRow.ad_id, ReviewDecisionRow.findings).where(
                    ReviewDecisionRow.ad_id.in_(chunk),
                    ReviewDecisionRow.actor == actor,
                )
            ):
                seen.setdefault(int(ad_id), set()).update(
                    str(name) for f in findings or [] for name in f.get("indicators", [])
                )
    return seen
