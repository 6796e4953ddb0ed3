"""relationships: declared ties between advertiser accounts (an agency that manages one, the
organisation one is a chapter or committee of), with their status; finding_marks: an
investigator's verdict on a member of a case (confirmed, or legitimate coordination);
detection_runs: network detection started from the staff pages, with what it found

Coordination that a confirmed or verified relationship explains is not evidence of
inauthenticity (docs/integrity.md, "Declared relationships"); a finding marked legitimate is
not raised again without new evidence ("The investigator's loop").

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "relationships",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("advertiser_id", BIG_ID, nullable=False),
        sa.Column("related_id", BIG_ID, nullable=False),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(40), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("declared_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["advertiser_id"],
            ["advertisers.id"],
            name="fk_relationships_advertiser_id_advertisers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["advertisers.id"],
            name="fk_relationships_related_id_advertisers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_relationships"),
    )
    op.create_index("ix_relationships_advertiser_id", "relationships", ["advertiser_id"])
    op.create_index(
        "uq_relationships_external", "relationships", ["source", "external_id"], unique=True
    )
    op.create_index("ix_relationships_related_id", "relationships", ["related_id"])
    op.create_table(
        "finding_marks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("relationship_id", sa.BigInteger(), nullable=True),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_finding_marks_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_finding_marks"),
    )
    op.create_index("ix_finding_marks_case_id", "finding_marks", ["case_id"])
    op.create_index("ix_finding_marks_entity", "finding_marks", ["entity_type", "entity_id"])

    op.create_table(
        "detection_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_detection_runs"),
    )


def downgrade() -> None:
    op.drop_table("detection_runs")
    op.drop_table("finding_marks")
    op.drop_table("relationships")
