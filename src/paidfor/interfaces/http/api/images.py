"""Ad images for advertisers (role advertiser), like Meta's ``/act_{id}/adimages``:

==================================  ==========================================================
route                               what
==================================  ==========================================================
``POST /api/me/images``             upload an image (multipart field ``file``): 201
                                    ``{"hash", "pdq", "pdq_quality", "width", "height", "url",
                                    ...}``; the same bytes again answer the same image (200)
``GET /api/me/images``              the account's images, newest first (``limit``, ``offset``)
``GET /api/me/images/{hash}``       one of the account's images, its bytes
==================================  ==========================================================

``hash`` (the MD5 of the bytes) is what an ad's ``image_hashes`` name; an ad naming an image
its advertiser has not uploaded is refused. Only PNG, JPEG, GIF and WebP pictures of at most
8 MB and 8000 pixels a side are taken (413 for too many bytes, 422 otherwise, the message says
why; ``paidfor.review.images``). Every upload is audited (``ad_image.upload``). An
advertiser sees only its own images; every answer is ``no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from paidfor.auth.roles import Principal, Role
from paidfor.errors import NotFound
from paidfor.interfaces.http.api.answers import NO_STORE, answer
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.api.responses_review import Image, Images
from paidfor.interfaces.http.deps import require
from paidfor.review.accounts import AccountService
from paidfor.review.images import MAX_BYTES

Advertiser = Annotated[Principal, Depends(require(Role.ADVERTISER))]
NO_ACCOUNT = "this token acts for no advertiser account"


def make_image_router(accounts: AccountService) -> APIRouter:
    router = APIRouter(tags=["advertisers and review"])

    @router.post(
        "/api/me/images",
        status_code=201,
        summary="Upload an ad image",
        responses={**ok(Image, 201), **ok(Image, 200, "The image was uploaded before")},
    )
    def upload(who: Advertiser, file: Annotated[UploadFile, File()]) -> JSONResponse:
        if who.advertiser_id is None:
            raise NotFound(NO_ACCOUNT)
        data = file.file.read(MAX_BYTES + 1)  # enough to tell it is too big
        # ImageRefused: 413 for too many bytes, else 422
        stored = accounts.upload_image(who.advertiser_id, data, actor=who.actor)
        return answer(stored.as_json(), 201 if stored.new else 200)

    @router.get("/api/me/images", summary="The account's ad images", responses=ok(Images))
    def images(
        who: Advertiser,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    ) -> JSONResponse:
        if who.advertiser_id is None:
            raise NotFound(NO_ACCOUNT)
        found, total = accounts.images(who.advertiser_id, limit, offset)
        body: dict[str, Any] = {
            "data": [i.as_json() for i in found],
            "total": total,
            "limit": limit,
            "offset": offset,
        }  # fmt: skip
        return answer(body)

    @router.get(
        "/api/me/images/{image_hash}",
        response_class=Response,
        responses={
            200: {
                "description": "The image as uploaded",
                "content": {f"image/{kind}": {} for kind in ("png", "jpeg", "gif", "webp")},
            }
        },
        summary="One of the account's ad images",
    )
    def image(image_hash: str, who: Advertiser) -> Response:
        found = (
            accounts.image(who.advertiser_id, image_hash)
            if who.advertiser_id is not None and len(image_hash) <= 128
            else None
        )
        if found is None:
            raise NotFound(f"this advertiser has no image {image_hash[:128]!r}")
        stored, data = found
        headers = {**NO_STORE, "X-Content-Type-Options": "nosniff"}
        return Response(data, media_type=stored.content_type, headers=headers)

    return router


def install_image_api(app: FastAPI, accounts: AccountService) -> None:
    """Add the ad-image routes to ``app`` (after ``install_auth``)."""
    app.include_router(make_image_router(accounts))
