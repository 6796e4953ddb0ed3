"""Review's tables for the EU's political-advertising law (migration 0015), beside their store
(``review.declaration_store``):

``sponsor_declarations``: the sponsor's declaration of art. 7(1) of Regulation (EU) 2024/900
for one submitted ad, kept with it (art. 9 retains it for seven years). The contact columns
are personal (category ``sponsor_contact``); ``disclosure.policy`` imports the store so that
their marks are always on ``Base.metadata``.

``ttpa_interest_categories``: staff's changes to the shipped mapping from targeting interests
to the special categories of personal data art. 18(1)(c) forbids targeting with
(``paidfor/data/special_categories.csv``): a row adds or corrects an interest; the category
``none`` takes a shipped one out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from paidfor.storage.models import Base

CONTACT = {"personal": "sponsor_contact"}


class SponsorDeclarationRow(Base):
    __tablename__ = "sponsor_declarations"
    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True)
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    political_advertising: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(40))
    sponsor_kind: Mapped[str] = mapped_column(String(20))
    sponsor_name: Mapped[str] = mapped_column(String(300))
    sponsor_email: Mapped[str] = mapped_column(String(320), info=CONTACT)
    sponsor_address: Mapped[str] = mapped_column(String(500), info=CONTACT)
    sponsor_country: Mapped[str] = mapped_column(String(2))
    sponsor_registration: Mapped[str | None] = mapped_column(String(100))
    funding_source: Mapped[str] = mapped_column(String(40))
    funding_origin: Mapped[str] = mapped_column(String(40))
    linked_election_id: Mapped[int | None] = mapped_column(BigInteger)
    linked_process: Mapped[str | None] = mapped_column(String(500))
    controller_name: Mapped[str | None] = mapped_column(String(300))
    controller_email: Mapped[str | None] = mapped_column(String(320), info=CONTACT)
    controller_address: Mapped[str | None] = mapped_column(String(500), info=CONTACT)
    payer_name: Mapped[str | None] = mapped_column(String(300))
    payer_email: Mapped[str | None] = mapped_column(String(320), info=CONTACT)
    payer_address: Mapped[str | None] = mapped_column(String(500), info=CONTACT)
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(DateTime)


class InterestCategoryRow(Base):
    __tablename__ = "ttpa_interest_categories"
    interest: Mapped[str] = mapped_column(String(200), primary_key=True)  # case-folded
    category: Mapped[str] = mapped_column(String(40))  # a special category, or "none"
    note: Mapped[str | None] = mapped_column(String(500))
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime)
