"""Advertisers' uploaded ad images (``ad_images``, migration 0009) and their PDQ hashes.

An image is kept once per advertiser and ``hash`` (the MD5 of its bytes): uploading the same
bytes again answers the image already stored. Every upload, new or repeated, is an
``ad_image.upload`` audit event in the same transaction. ``pdqs_for`` maps the image hashes a
creative names to their PDQ hashes (screening and publishing a case's indicators read it).
Images are private to their advertiser: nothing here is shown on public pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import AdImageRow
from paidfor.storage.tables import chunks

if TYPE_CHECKING:  # the integrity layer's checked image; storage only reads its fields
    from paidfor.review.images import HashedImage

_CHUNK = 1000
_COLUMNS = (
    AdImageRow.id,
    AdImageRow.advertiser_id,
    AdImageRow.hash,
    AdImageRow.content_type,
    AdImageRow.width,
    AdImageRow.height,
    AdImageRow.size,
    AdImageRow.pdq,
    AdImageRow.pdq_quality,
    AdImageRow.created_at,
)


@dataclass(frozen=True)
class StoredImage:
    id: int
    advertiser_id: int | None
    hash: str
    content_type: str
    width: int
    height: int
    size: int
    pdq: str | None
    pdq_quality: int | None
    created_at: datetime | None
    new: bool = False  # this upload stored it (False: the same bytes were there already)

    @property
    def url(self) -> str:
        return f"/api/me/images/{self.hash}"

    def as_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "pdq": self.pdq,
            "pdq_quality": self.pdq_quality,
            "width": self.width,
            "height": self.height,
            "size": self.size,
            "content_type": self.content_type,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "url": self.url,
        }


def _stored(r: Any, *, new: bool = False) -> StoredImage:
    return StoredImage(
        id=int(r.id),
        advertiser_id=int(r.advertiser_id) if r.advertiser_id is not None else None,
        hash=r.hash,
        content_type=r.content_type,
        width=int(r.width),
        height=int(r.height),
        size=int(r.size),
        pdq=r.pdq,
        pdq_quality=r.pdq_quality,
        created_at=aware(r.created_at),
        new=new,
    )


@contextmanager
def _connection(conn_or_engine: Connection | Engine) -> Iterator[Connection]:
    if isinstance(conn_or_engine, Connection):
        yield conn_or_engine
    else:
        with conn_or_engine.connect() as conn:
            yield conn


def _find(conn: Connection, advertiser_id: int, image_hash: str) -> Any:
    return conn.execute(
        select(*_COLUMNS).where(
            AdImageRow.advertiser_id == advertiser_id, AdImageRow.hash == image_hash
        )
    ).first()


def store(engine: Engine, advertiser_id: int, image: HashedImage, *, actor: str) -> StoredImage:
    """Keep ``image`` for ``advertiser_id`` (once: the same bytes again answer the stored one,
    ``new`` False) with its ``ad_image.upload`` audit event."""

    def audit(conn: Connection, found: StoredImage) -> None:
        append_event_conn(
            conn,
            actor=actor,
            action="ad_image.upload",
            target_type="ad_image",
            target_id=str(found.id),
            after={"advertiser": advertiser_id, "hash": found.hash, "pdq": found.pdq,
                   "pdq_quality": found.pdq_quality, "size": found.size, "width": found.width,
                   "height": found.height, "content_type": found.content_type,
                   "new": found.new},
        )  # fmt: skip

    try:
        with engine.begin() as conn:
            existing = _find(conn, advertiser_id, image.hash)
            if existing is None:
                conn.execute(
                    insert(AdImageRow),
                    {
                        "advertiser_id": advertiser_id,
                        "hash": image.hash,
                        "content_type": image.content_type,
                        "width": image.width,
                        "height": image.height,
                        "size": image.size,
                        "data": image.data,
                        "pdq": image.pdq,
                        "pdq_quality": image.pdq_quality,
                        "created_at": stored_now(),
                    },
                )
            found = _stored(_find(conn, advertiser_id, image.hash), new=existing is None)
            audit(conn, found)
            return found
    except IntegrityError:  # the same bytes uploaded at the same moment: that one won
        with engine.begin() as conn:
            found = _stored(_find(conn, advertiser_id, image.hash))
            audit(conn, found)
            return found


def get(
    conn_or_engine: Connection | Engine, advertiser_id: int, image_hash: str
) -> StoredImage | None:
    with _connection(conn_or_engine) as conn:
        row = _find(conn, advertiser_id, image_hash)
    return _stored(row) if row is not None else None


def data_of(
    conn_or_engine: Connection | Engine, advertiser_id: int, image_hash: str
) -> tuple[StoredImage, bytes] | None:
    """An advertiser's image with its bytes, or None."""
    with _connection(conn_or_engine) as conn:
        row = conn.execute(
            select(*_COLUMNS, AdImageRow.data).where(
                AdImageRow.advertiser_id == advertiser_id, AdImageRow.hash == image_hash
            )
        ).first()
    return (_stored(row), bytes(row.data)) if row is not None else None


def list_for(
    conn_or_engine: Connection | Engine, advertiser_id: int, limit: int = 100, offset: int = 0
) -> list[StoredImage]:
    """An advertiser's images, newest first."""
    with _connection(conn_or_engine) as conn:
        rows = conn.execute(
            select(*_COLUMNS)
            .where(AdImageRow.advertiser_id == advertiser_id)
            .order_by(AdImageRow.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
    return [_stored(r) for r in rows]


def count_for(conn_or_engine: Connection | Engine, advertiser_id: int) -> int:
    with _connection(conn_or_engine) as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(AdImageRow)
                .where(AdImageRow.advertiser_id == advertiser_id)
            ).scalar_one()
        )


def missing(
    conn_or_engine: Connection | Engine, advertiser_id: int, hashes: Iterable[str]
) -> list[str]:
    """The hashes in ``hashes`` (in their order, once each) that ``advertiser_id`` has not
    uploaded."""
    wanted = list(dict.fromkeys(hashes))
    found: set[str] = set()
    with _connection(conn_or_engine) as conn:
        for chunk in chunks(wanted, _CHUNK):
            found.update(
                conn.execute(
                    select(AdImageRow.hash).where(
                        AdImageRow.advertiser_id == advertiser_id, AdImageRow.hash.in_(chunk)
                    )
                ).scalars()
            )
    return [h for h in wanted if h not in found]


def pdqs_for(
    conn_or_engine: Connection | Engine,
    hashes: Iterable[str],
    advertiser_id: int | None = None,
) -> dict[str, str]:
    """Image hash -> PDQ hash for the images named in ``hashes`` that have a PDQ hash (those
    of quality too low have none), uploaded by ``advertiser_id`` (by anyone if None: a hash is
    the MD5 of the bytes, so the same hash is the same picture)."""
    wanted = sorted(set(hashes))
    out: dict[str, str] = {}
    with _connection(conn_or_engine) as conn:
        for chunk in chunks(wanted, _CHUNK):
            stmt = select(AdImageRow.hash, AdImageRow.pdq).where(
                AdImageRow.hash.in_(chunk), AdImageRow.pdq.is_not(None)
            )
            if advertiser_id is not None:
                stmt = stmt.where(AdImageRow.advertiser_id == advertiser_id)
            for r in conn.execute(stmt):
                out.setdefault(r.hash, str(r.pdq))
    return out


def pdqs_by_advertiser(
    conn_or_engine: Connection | Engine, wanted: dict[int, set[str]]
) -> dict[tuple[int, str], str]:
    """(advertiser, image hash) -> PDQ hash for each advertiser's own images named in
    ``wanted`` (advertiser id -> image hashes), in one query per chunk of hashes."""
    hashes = sorted({h for hs in wanted.values() for h in hs})
    ids = sorted(wanted)
    out: dict[tuple[int, str], str] = {}
    with _connection(conn_or_engine) as conn:
        for some_ids in chunks(ids, _CHUNK):
            for chunk in chunks(hashes, _CHUNK):
                rows = conn.execute(
                    select(AdImageRow.advertiser_id, AdImageRow.hash, AdImageRow.pdq).where(
                        AdImageRow.hash.in_(chunk),
                        AdImageRow.pdq.is_not(None),
                        AdImageRow.advertiser_id.in_(some_ids),
                    )
                )
                for r in rows:
                    adv = int(r.advertiser_id)
                    if r.hash in wanted.get(adv, ()):
                        out[(adv, r.hash)] = str(r.pdq)
    return out
