"""Ad images through the API, on SQLite and PostgreSQL: an advertiser uploads real pictures
(gradients and shapes drawn with Pillow), each kept once with the MD5 of its bytes and the PDQ
hash the ``threatexchange`` library computes on the same bytes; an altered copy is within PDQ
distance 31 of the original and another picture far from it; anything that is not a real PNG,
JPEG, GIF or WebP within the limits is refused with a clear message; an ad may name only its
own advertiser's images; every upload is audited and nobody else sees an advertiser's images."""

from __future__ import annotations

import hashlib
import io
import os
import random
from typing import Any

import pytest
from factories import COMMERCIAL, ad, advertiser, auth_and_page
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import Engine, func, select
from threatexchange.signal_type.pdq import pdq_hasher
from threatexchange.signal_type.pdq.signal import PdqSignal

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.review import image_store
from paidfor.review.images import (
    MAX_BYTES,
    PDQ_MATCH_DISTANCE,
    ImageRefused,
    hash_image,
    pdq_distance,
)
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AdImageRow, AdRow, AuditEventRow


def drawing(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A picture PDQ can tell apart: a rotated gradient per channel and eight random shapes."""
    rng = random.Random(seed)
    w, h = size
    base = Image.linear_gradient("L").rotate(rng.randrange(360)).resize(size)
    flip = Image.Transpose
    im = Image.merge(
        "RGB",
        (base, base.transpose(flip.FLIP_LEFT_RIGHT), base.transpose(flip.FLIP_TOP_BOTTOM)),
    )
    draw = ImageDraw.Draw(im)
    for _ in range(8):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(10, w // 3)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    return im


def encode(im: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **options)
    return buffer.getvalue()


def picture(seed: int, fmt: str = "PNG", **options: Any) -> bytes:
    return encode(drawing(seed), fmt, **options)


def upload(
    api: TestClient, auth: dict[str, str], data: bytes, name: str = "a.png", kind: str = "image/png"
) -> Any:
    return api.post("/api/me/images", files={"file": (name, data, kind)}, headers=auth)


def uploads(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(AuditEventRow.actor, AuditEventRow.target_id, AuditEventRow.after)
                .where(AuditEventRow.action == "ad_image.upload")
                .order_by(AuditEventRow.id)
            )
        )


def test_an_upload_is_hashed_by_the_library_kept_once_and_audited(
    api: TestClient, engine: Engine
) -> None:
    auth, _page = auth_and_page(advertiser(api))
    data = picture(1)
    r = upload(api, auth, data)
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    got = r.json()
    expected_pdq, quality = pdq_hasher.pdq_from_bytes(data)
    assert quality >= PdqSignal.QUALITY_THRESHOLD  # a picture, not a flat colour
    assert got["hash"] == hashlib.md5(data).hexdigest()
    assert got["pdq"] == PdqSignal.hash_from_bytes(data) == expected_pdq
    assert got["pdq_quality"] == quality
    assert (got["width"], got["height"], got["size"]) == (320, 240, len(data))
    assert got["content_type"] == "image/png"
    assert got["url"] == f"/api/me/images/{got['hash']}"

    # The same bytes again (under another name and declared type): the same image, kept once.
    again = upload(api, auth, data, name="copy.jpg", kind="image/jpeg")
    assert again.status_code == 200 and again.json() == got
    listed = api.get("/api/me/images", headers=auth).json()
    assert listed["total"] == 1 and listed["data"] == [got]
    served = api.get(got["url"], headers=auth)
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"

    with engine.connect() as conn:
        row = conn.execute(select(AdImageRow.__table__)).one()
    assert bytes(row.data) == data and row.pdq == got["pdq"] and row.pdq_quality == quality

    events = uploads(engine)
    assert [e.after["new"] for e in events] == [True, False]
    assert {e.target_id for e in events} == {str(row.id)}
    assert all(e.actor.startswith("advertiser:Citizens for Jane#") for e in events)
    assert events[0].after["hash"] == got["hash"] and events[0].after["pdq"] == got["pdq"]
    assert verify_chain(engine) is None


def test_other_formats_and_a_flat_picture(api: TestClient) -> None:
    auth, _page = auth_and_page(advertiser(api))
    im = drawing(2)
    for fmt, kind, options in [
        ("JPEG", "image/jpeg", {"quality": 90}),
        ("WEBP", "image/webp", {}),
        ("GIF", "image/gif", {}),
    ]:
        data = encode(im, fmt, **options)
        r = upload(api, auth, data, name=f"x.{fmt.lower()}", kind=kind)
        assert r.status_code == 201, (fmt, r.text)
        assert r.json()["content_type"] == kind and r.json()["pdq"] is not None
        if fmt != "GIF":  # RGB pictures: exactly the library's hash of the bytes
            assert r.json()["pdq"] == PdqSignal.hash_from_bytes(data)
        else:  # a palette picture is hashed as its RGB colours: still the same picture
            png = hash_image(encode(im))
            assert png.pdq is not None
            assert pdq_distance(r.json()["pdq"], png.pdq) <= PDQ_MATCH_DISTANCE
    flat = encode(Image.new("RGB", (200, 200), (30, 90, 200)))
    r = upload(api, auth, flat)
    assert r.status_code == 201
    assert r.json()["pdq"] is None and r.json()["pdq_quality"] < PdqSignal.QUALITY_THRESHOLD
    assert PdqSignal.hash_from_bytes(flat) == ""  # what the library says there


def test_an_altered_copy_is_near_and_another_picture_far() -> None:
    original = hash_image(picture(3))
    im = drawing(3)
    resized = hash_image(encode(im.resize((200, 150)), "JPEG", quality=55))
    bigger = hash_image(encode(im.resize((640, 480)), "JPEG", quality=70))
    other = hash_image(picture(4))
    assert original.pdq and resized.pdq and bigger.pdq and other.pdq
    assert resized.hash != original.hash  # other bytes: MD5 tells them apart ...
    assert pdq_distance(original.pdq, resized.pdq) <= PDQ_MATCH_DISTANCE  # ... PDQ does not
    assert pdq_distance(original.pdq, bigger.pdq) <= PDQ_MATCH_DISTANCE
    assert PdqSignal.compare_hash(original.pdq, resized.pdq).match
    assert pdq_distance(original.pdq, other.pdq) > 3 * PDQ_MATCH_DISTANCE
    assert not PdqSignal.compare_hash(original.pdq, other.pdq).match


def test_bad_files_are_refused_with_a_clear_message(api: TestClient, engine: Engine) -> None:
    auth, _page = auth_and_page(advertiser(api))
    png = picture(5)
    noise = Image.frombytes("RGB", (1700, 1700), random.Random(7).randbytes(1700 * 1700 * 3))
    too_big = encode(noise, compress_level=0)
    assert len(too_big) > MAX_BYTES
    cases = [
        (b"Vote for Jane Smith!\n" * 20, "text.png", 422, "not a PNG, JPEG, GIF or WebP image"),
        (png[: len(png) // 2], "half.png", 422, "PNG file is damaged or truncated"),
        (picture(5, "JPEG")[:2000], "half.jpg", 422, "JPEG file is damaged or truncated"),
        (b"", "empty.png", 422, "the file is empty"),
        (encode(Image.new("RGB", (8001, 2))), "wide.png", 422, "at most 8000 pixels a side"),
        (encode(drawing(5), "BMP"), "x.bmp", 422, "not a PNG, JPEG, GIF or WebP image"),
        (too_big, "big.png", 413, "at most 8,388,608 (8 MB)"),
    ]
    for data, name, status, words in cases:
        r = upload(api, auth, data, name=name)
        assert r.status_code == status, (name, r.text)
        assert r.json()["error"]["status"] == status
        assert words in r.json()["error"]["message"], (name, r.json())
    r = api.post("/api/me/images", data={"nothing": "here"}, headers=auth)
    assert r.status_code == 422 and "file" in r.json()["error"]["message"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AdImageRow)).scalar_one() == 0
    assert uploads(engine) == []
    with pytest.raises(ImageRefused) as refused:
        hash_image(png[:100])
    assert refused.value.http_status == 422


def test_roles_and_privacy(api: TestClient, engine: Engine) -> None:
    jane, page = auth_and_page(advertiser(api))
    other, _ = auth_and_page(advertiser(api, "Other Advertiser"))
    data = picture(6)
    assert upload(api, {}, data).status_code == 401
    tokens = TokenService(engine)
    for role in (Role.REVIEWER, Role.INVESTIGATOR, Role.PARTNER):
        token, _ = tokens.create(role, f"test-{role}")
        r = upload(api, {"Authorization": f"Bearer {token}"}, data)
        assert r.status_code == 403 and "advertiser" in r.json()["error"]["message"]
    admin, _ = tokens.create(Role.ADMIN, "root")  # an admin acts for no advertiser account
    r = upload(api, {"Authorization": f"Bearer {admin}"}, data)
    assert r.status_code == 404 and "no advertiser account" in r.json()["error"]["message"]

    got = upload(api, jane, data).json()
    assert api.get("/api/me/images", headers=other).json() == {
        "data": [], "total": 0, "limit": 100, "offset": 0
    }  # fmt: skip
    assert api.get(got["url"], headers=other).status_code == 404
    assert api.get(got["url"]).status_code == 401

    # The ad that names it is public; the picture's PDQ hash and the image are not.
    r = api.post("/api/me/ads", json=ad(page, COMMERCIAL, political=False, paid_for_by=None,
                                         image_hashes=[got["hash"]]), headers=jane)  # fmt: skip
    assert r.status_code == 201, r.text
    ad_id = r.json()["ad_id"]
    for path in (f"/ads/{ad_id}", f"/api/ads/{ad_id}", "/api/search?q=coffee", "/search?q=coffee"):
        page_text = api.get(path).text
        assert got["pdq"] not in page_text, path


def test_an_ad_may_name_only_its_advertisers_own_images(api: TestClient, engine: Engine) -> None:
    jane, jane_page = auth_and_page(advertiser(api))
    other, other_page = auth_and_page(advertiser(api, "Other Advertiser"))
    mine = upload(api, jane, picture(8)).json()["hash"]
    theirs = upload(api, other, picture(9)).json()["hash"]

    def submit(auth: dict[str, str], page: int, hashes: list[str]) -> Any:
        body = ad(page, COMMERCIAL, political=False, paid_for_by=None, image_hashes=hashes)
        return api.post("/api/me/ads", json=body, headers=auth)

    def ads() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(AdRow)).scalar_one())

    r = submit(jane, jane_page, [mine, theirs])
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert f"{theirs!r}" in message and mine not in message and "POST /api/me/images" in message
    r = submit(jane, jane_page, ["deadbeef0000"])
    assert r.status_code == 422 and "'deadbeef0000'" in r.json()["error"]["message"]
    assert ads() == 0  # nothing was stored
    r = submit(jane, jane_page, [mine])
    assert r.status_code == 201, r.text
    r = submit(other, other_page, [theirs])
    assert r.status_code == 201, r.text
    assert ads() == 2
    with engine.connect() as conn:
        stored = conn.execute(select(AdRow.creative).order_by(AdRow.id)).scalars().all()
    assert [c["image_hashes"] for c in stored] == [[mine], [theirs]]


def test_pdqs_for_maps_image_hashes_to_pdq_hashes(engine: Engine, api: TestClient) -> None:
    jane, _ = auth_and_page(advertiser(api))
    other, _ = auth_and_page(advertiser(api, "Other Advertiser"))
    a = upload(api, jane, picture(10)).json()
    b = upload(api, other, picture(11)).json()
    flat = upload(api, jane, encode(Image.new("RGB", (64, 64), (1, 2, 3)))).json()
    hashes = [a["hash"], b["hash"], flat["hash"], "0" * 32]
    assert image_store.pdqs_for(engine, hashes) == {a["hash"]: a["pdq"], b["hash"]: b["pdq"]}
    jane_id = _advertiser_of(engine, a["hash"])
    assert [i.hash for i in image_store.list_for(engine, jane_id)] == [flat["hash"], a["hash"]]
    with engine.connect() as conn:  # a connection works as well as the engine
        assert image_store.pdqs_for(conn, hashes, advertiser_id=jane_id) == {a["hash"]: a["pdq"]}
    assert image_store.missing(engine, jane_id, [b["hash"], a["hash"], b["hash"]]) == [b["hash"]]
    assert image_store.pdqs_by_advertiser(engine, {jane_id: {a["hash"], b["hash"]}}) == {
        (jane_id, a["hash"]): a["pdq"]
    }


def _advertiser_of(engine: Engine, image_hash: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(AdImageRow.advertiser_id).where(AdImageRow.hash == image_hash)
            ).scalar_one()
        )


def test_limits_are_checked_before_decoding() -> None:
    with pytest.raises(ImageRefused) as refused:
        hash_image(os.urandom(16) * (MAX_BYTES // 16 + 1))
    assert refused.value.http_status == 413
