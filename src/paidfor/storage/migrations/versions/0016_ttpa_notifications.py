"""Notifications of possibly non-compliant political ads (art. 15 of Regulation (EU)
2024/900, docs/ttpa.md): ttpa_notifications, one row a notification of an ad by anyone, with
its receipt, the hash of the secret that opens its status, the notifier's private contact,
the deadline and the staff's decision with its reason.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ttpa_notifications",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("receipt", sa.String(40), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("ad_id", BIG_ID, nullable=False),
        sa.Column("ground", sa.String(40), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("notifier_name", sa.String(200), nullable=True),
        sa.Column("notifier_email", sa.String(320), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("deadline_rule", sa.String(300), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name="fk_ttpa_notifications_ad_id_ads", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ttpa_notifications"),
        sa.UniqueConstraint("receipt", name="uq_ttpa_notifications_receipt"),
    )
    op.create_index("ix_ttpa_notifications_ad_id", "ttpa_notifications", ["ad_id"])
    op.create_index("ix_ttpa_notifications_status", "ttpa_notifications", ["status"])


def downgrade() -> None:
    op.drop_index("ix_ttpa_notifications_status", table_name="ttpa_notifications")
    op.drop_index("ix_ttpa_notifications_ad_id", table_name="ttpa_notifications")
    op.drop_table("ttpa_notifications")
