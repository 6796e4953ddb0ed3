"""An advertiser's self-service, as the JSON API and the advertiser pages both call it:

- ``open_account``: a new advertiser account and its first token, in one transaction (a
  failure between the two leaves neither, never an account nobody can sign in to);
- ad images: upload (checked and hashed by ``review.images``; the same bytes again answer
  the image already stored), list, and read back, only ever the account's own;
- ``record_delivery``: what an approved ad delivered (impressions, spend, reach).

Which images an ad may name (only the account's own) is checked where ads are submitted,
``ReviewService.submit``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from paidfor.auth.roles import Principal, Role
from paidfor.auth.tokens import TokenService
from paidfor.domain import Advertiser
from paidfor.review import image_store
from paidfor.review.delivery_store import record_delivery
from paidfor.review.image_store import StoredImage
from paidfor.review.images import hash_image
from paidfor.review.intake_store import IntakeRepository

SELF_SERVICE = "self-service"  # the actor of what a visitor does before having an account


class AccountService:
    def __init__(self, intake: IntakeRepository, tokens: TokenService) -> None:
        self._intake = intake
        self._tokens = tokens
        self._engine = intake.engine

    def open_account(self, name: str, country: str | None) -> tuple[Advertiser, str, Principal]:
        """The new account, its token (shown once) and who the token acts as."""
        with self._intake.transaction() as conn:
            adv = self._intake.create_advertiser(name, country, actor=SELF_SERVICE, conn=conn)
            assert adv.id is not None
            token, who = self._tokens.create(
                Role.ADVERTISER, name, advertiser_id=adv.id, actor=SELF_SERVICE, conn=conn
            )
        return adv, token, who

    # -- images ---------------------------------------------------------------------------

    def upload_image(self, advertiser_id: int, data: bytes, *, actor: str) -> StoredImage:
        """``ImageRefused`` (413 too many bytes, else 422) for what is not a usable image."""
        image = hash_image(data)
        return image_store.store(self._engine, advertiser_id, image, actor=actor)

    def images(self, advertiser_id: int, limit: int, offset: int) -> tuple[list[StoredImage], int]:
        """A page of the account's images (newest first) and how many it has in all."""
        found = image_store.list_for(self._engine, advertiser_id, limit, offset)
        return found, image_store.count_for(self._engine, advertiser_id)

    def image(self, advertiser_id: int, image_hash: str) -> tuple[StoredImage, bytes] | None:
        return image_store.data_of(self._engine, advertiser_id, image_hash)

    # -- delivery -------------------------------------------------------------------------

    def record_delivery(
        self,
        ad_id: int,
        *,
        impressions: int,
        spend: Decimal,
        currency: str,
        reached_countries: list[str],
        demographic_distribution: list[dict[str, Any]],
        delivery_by_region: list[dict[str, Any]],
        actor: str,
    ) -> dict[str, Any]:
        """``DeliveryError`` (409) for an ad that does not deliver (not approved, removed)."""
        return record_delivery(
            self._engine,
            ad_id,
            impressions=impressions,
            spend=spend,
            currency=currency,
            reached_countries=reached_countries,
            demographic_distribution=demographic_distribution,
            delivery_by_region=delivery_by_region,
            actor=actor,
        )
