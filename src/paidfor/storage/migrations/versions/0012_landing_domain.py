"""ads.landing_domain (indexed) and an index on ads.status

The screen of every submission asks how many accounts and pages share each domain a flagged
entity's ads land on, and which ads were removed (``integrity.store``); both
are index lookups now instead of a read of every ad. Existing ads get their domain here (a
batch at a time); their content hashes are left as they were, so the next import of the same
file rewrites those rows once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def domain_of(url: str | None) -> str | None:
    """The host of a landing URL without ``www.``, as this revision stored it (frozen here:
    a migration keeps the rule of its day; 0014 moved to the site, ``domain.urls.site_of``)."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host or len(host) > 253:
        return None
    return host[4:] if host.startswith("www.") else host


def upgrade() -> None:
    op.add_column("ads", sa.Column("landing_domain", sa.String(length=253), nullable=True))
    conn = op.get_bind()
    ads = sa.table("ads", sa.column("id"), sa.column("landing_url"), sa.column("landing_domain"))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(ads.c.id, ads.c.landing_url)
            .where(ads.c.id > last, ads.c.landing_url.is_not(None))
            .order_by(ads.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        found = [{"k": r.id, "d": d} for r in rows if (d := domain_of(r.landing_url))]
        if found:
            update = ads.update().where(ads.c.id == sa.bindparam("k"))
            conn.execute(update.values(landing_domain=sa.bindparam("d")), found)
    op.create_index("ix_ads_landing_domain", "ads", ["landing_domain"])
    op.create_index("ix_ads_status", "ads", ["status"])


def downgrade() -> None:
    op.drop_index("ix_ads_status", table_name="ads")
    op.drop_index("ix_ads_landing_domain", table_name="ads")
    with op.batch_alter_table("ads") as batch:
        batch.drop_column("landing_domain")
