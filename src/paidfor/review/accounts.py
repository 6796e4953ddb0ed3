"""An advertiser's self-service, as the JSON API and the advertiser pages both call it:

- ``open_account``: a new advertiser account and its first token, in one transaction (a
  failure between the two leaves neither, never an account nobody can sign in to);
- the account as its owner sees it: its cards, pages, authorizations, and its own ads (an
  ad is the account's when the account submitted it; ``own_ad`` answers nothing otherwise);
- ad images: upload (checked and hashed by ``review.images``; the same bytes again answer
  the image already stored), list, and read back, only ever the account's own;
- ``record_delivery``: what an approved ad delivered (impressions, spend, reach).

Which images an ad may name (only the account's own) is checked where ads are submitted,
``ReviewService.submit``.
"""

from __future__ import annotations

from typing import Any

from paidfor.auth.roles import Principal, Role
from paidfor.auth.tokens import TokenService
from paidfor.domain import Ad, Advertiser, AuthorizationRequest, Delivery, Page, PaymentInstrument
from paidfor.errors import NotFound
from paidfor.review import image_store
from paidfor.review.authorization_store import AuthorizationRecord
from paidfor.review.delivery_store import record_delivery
from paidfor.review.image_store import StoredImage
from paidfor.review.images import hash_image
from paidfor.review.intake_store import IntakeRepository
from paidfor.storage.repo import AdRepository

SELF_SERVICE = "self-service"  # the actor of what a visitor does before having an account


class AccountService:
    def __init__(self, intake: IntakeRepository, tokens: TokenService, ads: AdRepository) -> None:
        self._intake = intake
        self._tokens = tokens
        self._ads = ads
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

    # -- the account --------------------------------------------------------------------

    def advertiser(self, advertiser_id: int) -> Advertiser | None:
        return self._intake.advertiser(advertiser_id)

    def pages(self, advertiser_id: int) -> list[Page]:
        return self._intake.pages_of(advertiser_id)

    def ads(self, advertiser_id: int) -> list[tuple[int, str, str, str]]:
        """The account's latest ads: id, status, text and when submitted."""
        return self._intake.ads_of(advertiser_id)

    def authorizations(self, advertiser_id: int) -> list[AuthorizationRecord]:
        return self._intake.authorizations(advertiser_id=advertiser_id)

    def own_ad(self, ad_id: int, advertiser_id: int | None, *, any_account: bool = False) -> Ad:
        """The ad, when ``advertiser_id`` submitted it (``any_account``: an administrator, who
        may read any submission); else ``NotFound``, the same answer as for no ad at all."""
        owner = self._intake.submission_owner(ad_id)
        ad = None if owner is None else self._ads.get(ad_id)
        if ad is None or not (any_account or owner == advertiser_id):
            raise NotFound(f"no ad {ad_id} of this advertiser")
        return ad

    def add_payment_instrument(
        self, advertiser_id: int, card: PaymentInstrument, *, actor: str
    ) -> PaymentInstrument:
        return self._intake.add_payment_instrument(advertiser_id, card, actor=actor)

    def create_page(self, advertiser_id: int, page: Page, *, actor: str) -> Page:
        return self._intake.create_page(advertiser_id, page, actor=actor)

    def request_authorization(
        self, advertiser_id: int, request: AuthorizationRequest, *, actor: str
    ) -> AuthorizationRecord:
        """Ask (or ask again) to run political ads in a country; pending until a reviewer
        decides (``ReviewService.decide_authorization``)."""
        return self._intake.request_authorization(advertiser_id, request, actor=actor)

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

    def record_delivery(self, ad_id: int, delivery: Delivery, *, actor: str) -> dict[str, Any]:
        """``DeliveryError`` (409) for an ad that does not deliver (not approved, removed)."""
        return record_delivery(self._engine, ad_id, delivery, actor=actor)
