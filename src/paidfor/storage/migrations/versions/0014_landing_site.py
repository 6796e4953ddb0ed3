"""ads.landing_domain is the landing URL's site (its registrable domain by the Public Suffix
List: ``a.evil.example`` and ``b.evil.example`` are ``evil.example``), not its host: the one
URL rule of ``domain.urls``, so that ads on two hosts of one site tie in integrity as they
match one published ``domain`` indicator. Existing ads get their site here, a batch at a time
(an address or a single-label host has none).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op
from publicsuffixlist import PublicSuffixList

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _host(url: str | None) -> str | None:
    """A landing URL's host, lowercased (frozen copy of this revision's rule)."""
    if not url or not url.strip():
        return None
    text = url.strip()
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname
    except ValueError:
        return None
    host = (host or "").strip().lower().rstrip(".")
    return host if host and len(host) <= 253 else None


def _rewrite(site: Callable[[str | None], str | None]) -> None:
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
        values = [{"k": r.id, "d": site(r.landing_url)} for r in rows]
        update = ads.update().where(ads.c.id == sa.bindparam("k"))
        conn.execute(update.values(landing_domain=sa.bindparam("d")), values)


def upgrade() -> None:
    suffixes = PublicSuffixList()

    def site(url: str | None) -> str | None:
        host = _host(url)
        if host is None:
            return None
        try:
            ipaddress.ip_address(host.strip("[]"))
            return None
        except ValueError:
            pass
        found = suffixes.privatesuffix(host)
        return str(found) if found else None

    _rewrite(site)


def downgrade() -> None:
    def host(url: str | None) -> str | None:
        found = _host(url)
        return found.removeprefix("www.") if found else None

    _rewrite(host)
