"""Requests for information under Regulation (EU) 2024/900 (arts. 16-17, docs/ttpa.md) go
through the disclosure requests: disclosure_requests gains requester_kind (a competent
authority, a vetted researcher, a civil-society organisation, a political actor, an election
observer, a journalist), received_at (when the provider received the request), due_at and
deadline_rule (the answer's deadline and the article that sets it), and refusal_ground (why a
refused request was refused, beside the written reason). All empty for other requests.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disclosure_requests") as batch:
        batch.add_column(sa.Column("requester_kind", sa.String(40), nullable=True))
        batch.add_column(sa.Column("received_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("deadline_rule", sa.String(300), nullable=True))
        batch.add_column(sa.Column("refusal_ground", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disclosure_requests") as batch:
        for name in ("refusal_ground", "deadline_rule", "due_at", "received_at", "requester_kind"):
            batch.drop_column(name)
