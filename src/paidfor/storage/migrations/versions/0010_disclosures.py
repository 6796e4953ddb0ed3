"""disclosure requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "disclosure_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requester_token_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("built_by", sa.String(200), nullable=True),
        sa.Column("built_at", sa.DateTime(), nullable=True),
        sa.Column("package", sa.Text(), nullable=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=True),
        sa.Column("ads", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_disclosure_requests_case_id_cases"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_disclosure_requests"),
    )
    op.create_index("ix_disclosure_requests_case_id", "disclosure_requests", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_disclosure_requests_case_id", "disclosure_requests")
    op.drop_table("disclosure_requests")
