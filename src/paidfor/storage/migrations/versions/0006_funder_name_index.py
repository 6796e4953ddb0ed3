"""an index on lower(funders.name): "Paid for by" filters compare names ignoring case

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_funders_name_lower ON funders (lower(name))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_funders_name_lower")
