"""integrity: admins keyed and with their devices and IPs; risk on advertisers and pages;
cases with their members, links and timeline

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("admins") as t:
        t.add_column(sa.Column("source", sa.String(40), nullable=True))
        t.add_column(sa.Column("external_id", sa.String(200), nullable=True))
        t.add_column(sa.Column("devices", JSON, nullable=False, server_default="[]"))
        t.add_column(sa.Column("ips", JSON, nullable=False, server_default="[]"))
        t.create_unique_constraint("uq_admins_source", ["source", "external_id"])
    with op.batch_alter_table("advertisers") as t:
        t.add_column(sa.Column("language", sa.String(20), nullable=True))
    for table in ("advertisers", "pages"):
        with op.batch_alter_table(table) as t:
            t.add_column(sa.Column("risk_score", sa.Float(), nullable=True))
            t.add_column(sa.Column("risk_explanations", JSON, nullable=True))
            t.add_column(sa.Column("risk_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("cases") as t:
        t.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="network"))
        t.add_column(sa.Column("summary", sa.Text(), nullable=True))
        t.add_column(sa.Column("score", sa.Float(), nullable=True))
        t.add_column(sa.Column("links", JSON, nullable=False, server_default="[]"))
        t.add_column(sa.Column("created_by", sa.String(200), nullable=True))
        t.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        t.drop_column("members")
    op.create_table(
        "case_members",
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("details", JSON, nullable=False, server_default="{}"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_members_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "entity_type", "entity_id", name="pk_case_members"),
    )
    op.create_index("ix_case_members_entity", "case_members", ["entity_type", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_case_members_entity", "case_members")
    op.drop_table("case_members")
    with op.batch_alter_table("cases") as t:
        t.add_column(sa.Column("members", JSON, nullable=False, server_default="[]"))
        for name in ("updated_at", "created_by", "links", "score", "summary", "kind"):
            t.drop_column(name)
    for table in ("pages", "advertisers"):
        with op.batch_alter_table(table) as t:
            for name in ("risk_at", "risk_explanations", "risk_score"):
                t.drop_column(name)
    with op.batch_alter_table("advertisers") as t:
        t.drop_column("language")
    with op.batch_alter_table("admins") as t:
        t.drop_constraint("uq_admins_source", type_="unique")
        for name in ("ips", "devices", "external_id", "source"):
            t.drop_column(name)
