"""exchange sources and fetched indicators, uploaded ad images with PDQ hashes, the fetch
counter, and a partial index for the indicators' expiry sweep

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("exchange_state") as t:
        t.add_column(sa.Column("fetched_seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index(
        "ix_indicators_expiry",
        "indicators",
        ["expires_at"],
        sqlite_where=sa.text("deleted = 0 AND expires_at IS NOT NULL"),
        postgresql_where=sa.text("deleted = false AND expires_at IS NOT NULL"),
    )
    op.create_table(
        "exchange_sources",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("remote_group", sa.String(100), nullable=True),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_fetch_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_sources"),
        sa.UniqueConstraint("name", name="uq_exchange_sources_name"),
    )
    op.create_table(
        "fetched_indicators",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_id", BIG_ID, nullable=False),
        sa.Column("remote_id", sa.String(100), nullable=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["exchange_sources.id"],
            name="fk_fetched_indicators_source_id_exchange_sources",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fetched_indicators"),
        sa.UniqueConstraint(
            "source_id", "type", "value_hash", name="uq_fetched_indicators_source_id"
        ),
    )
    op.create_index("ix_fetched_indicators_source_id", "fetched_indicators", ["source_id"])
    op.create_table(
        "ad_images",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("advertiser_id", BIG_ID, nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("pdq", sa.String(64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name="fk_ad_images_advertiser_id_advertisers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ad_images"),
        sa.UniqueConstraint("advertiser_id", "hash", name="uq_ad_images_advertiser_id"),
    )
    op.create_index("ix_ad_images_hash", "ad_images", ["hash"])


def downgrade() -> None:
    op.drop_index("ix_ad_images_hash", "ad_images")
    op.drop_table("ad_images")
    op.drop_index("ix_fetched_indicators_source_id", "fetched_indicators")
    op.drop_table("fetched_indicators")
    op.drop_table("exchange_sources")
    op.drop_index("ix_indicators_expiry", "indicators")
    with op.batch_alter_table("exchange_state") as t:
        t.drop_column("fetched_seq")
