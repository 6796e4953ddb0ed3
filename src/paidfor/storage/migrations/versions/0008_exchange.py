"""exchange: privacy groups, partner tokens' groups, reactions, the feed's counter; on
indicators the feed order (seq), created_at, group_id, owner_token_id and value_hash

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "privacy_groups",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_groups"),
        sa.UniqueConstraint("name", name="uq_privacy_groups_name"),
    )
    op.create_table(
        "token_groups",
        sa.Column("token_id", BIG_ID, nullable=False),
        sa.Column("group_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name="fk_token_groups_token_id_api_tokens",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["privacy_groups.id"],
            name="fk_token_groups_group_id_privacy_groups",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", "group_id", name="pk_token_groups"),
    )
    op.create_table(
        "exchange_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_state"),
    )
    op.execute("INSERT INTO exchange_state (id, seq) VALUES (1, 0)")
    with op.batch_alter_table("indicators") as t:
        t.drop_constraint("uq_indicators_type", type_="unique")
        t.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        t.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
        t.add_column(sa.Column("group_id", BIG_ID, nullable=True))
        t.add_column(sa.Column("owner_token_id", BIG_ID, nullable=True))
        t.add_column(sa.Column("value_hash", sa.String(64), nullable=True))
        t.create_foreign_key(
            "fk_indicators_group_id_privacy_groups", "privacy_groups", ["group_id"], ["id"]
        )
        t.create_foreign_key(
            "fk_indicators_owner_token_id_api_tokens", "api_tokens", ["owner_token_id"], ["id"]
        )
    op.create_index(
        "uq_indicators_seq",
        "indicators",
        ["seq"],
        unique=True,
        sqlite_where=sa.text("seq IS NOT NULL"),
        postgresql_where=sa.text("seq IS NOT NULL"),
    )
    op.create_index("ix_indicators_group_seq", "indicators", ["group_id", "seq"])
    op.create_index(
        "uq_indicators_live_key",
        "indicators",
        ["group_id", "type", "value_hash"],
        unique=True,
        sqlite_where=sa.text("deleted = 0 AND group_id IS NOT NULL"),
        postgresql_where=sa.text("deleted = false AND group_id IS NOT NULL"),
    )
    op.create_table(
        "indicator_reactions",
        sa.Column("indicator_id", BIG_ID, nullable=False),
        sa.Column("member", sa.String(200), nullable=False),
        sa.Column("reaction", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name="fk_indicator_reactions_indicator_id_indicators",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "indicator_id", "member", "reaction", name="pk_indicator_reactions"
        ),
    )


def downgrade() -> None:
    op.drop_table("indicator_reactions")
    op.drop_index("uq_indicators_live_key", "indicators")
    op.drop_index("ix_indicators_group_seq", "indicators")
    op.drop_index("uq_indicators_seq", "indicators")
    with op.batch_alter_table("indicators") as t:
        t.drop_constraint("fk_indicators_owner_token_id_api_tokens", type_="foreignkey")
        t.drop_constraint("fk_indicators_group_id_privacy_groups", type_="foreignkey")
        for name in ("value_hash", "owner_token_id", "group_id", "created_at", "seq"):
            t.drop_column(name)
        t.create_unique_constraint(
            "uq_indicators_type", ["type", "value", "owner", "privacy_group"]
        )
    op.drop_table("exchange_state")
    op.drop_table("token_groups")
    op.drop_table("privacy_groups")
