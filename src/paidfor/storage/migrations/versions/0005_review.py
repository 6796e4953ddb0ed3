"""self-service intake and review: page_owners, ad_submissions, review_decisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "page_owners",
        sa.Column("page_id", BIG_ID, nullable=False),
        sa.Column("advertiser_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name="fk_page_owners_page_id_pages", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["advertiser_id"],
            ["advertisers.id"],
            name="fk_page_owners_advertiser_id_advertisers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", name="pk_page_owners"),
    )
    op.create_index("ix_page_owners_advertiser_id", "page_owners", ["advertiser_id"])
    op.create_table(
        "ad_submissions",
        sa.Column("ad_id", BIG_ID, nullable=False),
        sa.Column("advertiser_id", BIG_ID, nullable=False),
        sa.Column("budget_cents", sa.BigInteger(), nullable=True),
        sa.Column("budget_currency", sa.String(3), nullable=True),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name="fk_ad_submissions_ad_id_ads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["advertiser_id"],
            ["advertisers.id"],
            name="fk_ad_submissions_advertiser_id_advertisers",
        ),
        sa.PrimaryKeyConstraint("ad_id", name="pk_ad_submissions"),
    )
    op.create_index("ix_ad_submissions_advertiser_id", "ad_submissions", ["advertiser_id"])
    op.create_table(
        "review_decisions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ad_id", BIG_ID, nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("political", sa.Boolean(), nullable=False),
        sa.Column("political_score", sa.Float(), nullable=True),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("by_person", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name="fk_review_decisions_ad_id_ads", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_decisions"),
    )
    op.create_index("ix_review_decisions_ad_id", "review_decisions", ["ad_id"])


def downgrade() -> None:
    op.drop_table("review_decisions")
    op.drop_table("ad_submissions")
    op.drop_table("page_owners")
