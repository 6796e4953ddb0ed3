"""The EU's political-advertising law (Regulation (EU) 2024/900, docs/ttpa.md):
sponsor_declarations, the sponsor's declaration of art. 7 kept with each submitted ad;
ttpa_interest_categories, staff's changes to the shipped interest-to-special-category mapping
art. 18 targeting is checked against; elections.level (eu, national, regional or local; every
election stored before is national) and elections.source_url, the public page an election's
date comes from (the art. 5(2) window follows the elections).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sponsor_declarations",
        sa.Column("ad_id", BIG_ID, nullable=False),
        sa.Column("advertiser_id", BIG_ID, nullable=False),
        sa.Column("political_advertising", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("sponsor_kind", sa.String(20), nullable=False),
        sa.Column("sponsor_name", sa.String(300), nullable=False),
        sa.Column("sponsor_email", sa.String(320), nullable=False),
        sa.Column("sponsor_address", sa.String(500), nullable=False),
        sa.Column("sponsor_country", sa.String(2), nullable=False),
        sa.Column("sponsor_registration", sa.String(100), nullable=True),
        sa.Column("funding_source", sa.String(40), nullable=False),
        sa.Column("funding_origin", sa.String(40), nullable=False),
        sa.Column("linked_election_id", sa.BigInteger(), nullable=True),
        sa.Column("linked_process", sa.String(500), nullable=True),
        sa.Column("controller_name", sa.String(300), nullable=True),
        sa.Column("controller_email", sa.String(320), nullable=True),
        sa.Column("controller_address", sa.String(500), nullable=True),
        sa.Column("payer_name", sa.String(300), nullable=True),
        sa.Column("payer_email", sa.String(320), nullable=True),
        sa.Column("payer_address", sa.String(500), nullable=True),
        sa.Column("declared_by", sa.String(200), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name="fk_sponsor_declarations_ad_id_ads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["advertiser_id"],
            ["advertisers.id"],
            name="fk_sponsor_declarations_advertiser_id_advertisers",
        ),
        sa.PrimaryKeyConstraint("ad_id", name="pk_sponsor_declarations"),
    )
    op.create_index(
        "ix_sponsor_declarations_advertiser_id", "sponsor_declarations", ["advertiser_id"]
    )
    op.create_table(
        "ttpa_interest_categories",
        sa.Column("interest", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("interest", name="pk_ttpa_interest_categories"),
    )
    with op.batch_alter_table("elections") as batch:
        batch.add_column(
            sa.Column("level", sa.String(10), nullable=False, server_default="national")
        )
        batch.add_column(sa.Column("source_url", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("elections") as batch:
        batch.drop_column("source_url")
        batch.drop_column("level")
    op.drop_table("ttpa_interest_categories")
    op.drop_index("ix_sponsor_declarations_advertiser_id", table_name="sponsor_declarations")
    op.drop_table("sponsor_declarations")
