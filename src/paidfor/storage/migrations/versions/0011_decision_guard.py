"""review_decisions.answers: the decision a person's decision answers, unique

Two people deciding the same held ad at the same moment both answer the same decision; the
unique index lets only one of them be stored (``IntakeRepository.record_decision``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("review_decisions", sa.Column("answers", sa.BigInteger(), nullable=True))
    op.create_index("uq_review_decisions_answers", "review_decisions", ["answers"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_review_decisions_answers", table_name="review_decisions")
    with op.batch_alter_table("review_decisions") as batch:
        batch.drop_column("answers")
