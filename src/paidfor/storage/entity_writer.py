"""Writes a world's admins, advertiser accounts, pages and declared relationships
(docs/formats.md, "Worlds") inside an import batch's transaction.

Each record describes its entity in full: a new one is inserted, a changed one updated, an
identical one left alone (so re-importing a world writes nothing). References by
``external_id`` to an admin or account not seen yet create a placeholder row that the record
describing it fills in later; records may come in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, delete, select, tuple_, update

from paidfor.domain.world import (
    AccountRecord,
    AdminRecord,
    EntityRecord,
    PageRecord,
    RelationshipRecord,
)
from paidfor.storage.mapping import utc_naive
from paidfor.storage.models import advertiser_admins, page_admins
from paidfor.storage.tables import (
    ADMINS,
    ADVERTISERS,
    PAGE_OWNERS,
    PAGES,
    PAYMENTS,
    RELATIONSHIPS,
    chunks,
)


def _upsert(
    conn: Connection,
    table: Table,
    keys: tuple[str, str],
    rows: dict[tuple[str, str], dict[str, Any]],
    *,
    placeholder: bool = False,
) -> tuple[dict[tuple[str, str], int], list[int]]:
    """Ids of ``rows`` by key, and [inserted, updated, unchanged]. A placeholder row is only
    inserted when missing, never used to overwrite."""
    k1, k2 = table.c[keys[0]], table.c[keys[1]]
    cols = sorted({c for r in rows.values() for c in r})
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for chunk in chunks(list(rows)):
        stmt = select(table.c.id, k1, k2, *(table.c[c] for c in cols)).where(
            tuple_(k1, k2).in_(chunk)
        )
        for rec in conn.execute(stmt):
            found[(rec[1], rec[2])] = tuple(rec)
    counts = [0, 0, 0]
    ids: dict[tuple[str, str], int] = {}
    inserts: list[dict[str, Any]] = []
    for key, values in rows.items():
        have = found.get(key)
        if have is None:
            inserts.append({keys[0]: key[0], keys[1]: key[1], **values})
            continue
        ids[key] = int(have[0])
        current = dict(zip(cols, have[3:], strict=True))
        if placeholder or all(current.get(c) == v for c, v in values.items()):
            counts[2] += 1
        else:
            conn.execute(update(table).where(table.c.id == have[0]).values(**values))
            counts[1] += 1
    for row in inserts:
        ids[(row[keys[0]], row[keys[1]])] = int(
            conn.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()
        )
        counts[0] += 1
    return ids, counts


def _replace_links(
    conn: Connection, table: Table, owner_col: str, other_col: str, links: dict[int, set[int]]
) -> None:
    """Make each owner's links exactly the given set."""
    if not links:
        return
    have: dict[int, set[int]] = {}
    for chunk in chunks(list(links)):
        for o, x in conn.execute(
            select(table.c[owner_col], table.c[other_col]).where(table.c[owner_col].in_(chunk))
        ):
            have.setdefault(o, set()).add(x)
    for owner, want in links.items():
        current = have.get(owner, set())
        gone = current - want
        if gone:
            conn.execute(
                delete(table).where(table.c[owner_col] == owner, table.c[other_col].in_(gone))
            )
        new = want - current
        if new:
            conn.execute(table.insert(), [{owner_col: owner, other_col: x} for x in sorted(new)])


def write_entities(conn: Connection, records: Sequence[EntityRecord]) -> list[int]:
    """Write ``records`` in ``conn``'s transaction; [inserted, updated, unchanged]."""
    admins = {(r.source, r.external_id): r for r in records if isinstance(r, AdminRecord)}
    accounts = {(r.source, r.external_id): r for r in records if isinstance(r, AccountRecord)}
    pages = {r.external_id: r for r in records if isinstance(r, PageRecord)}
    totals = [0, 0, 0]

    def add(counts: list[int]) -> None:
        for i, n in enumerate(counts):
            totals[i] += n

    admin_rows = {
        k: {
            "name": r.name[:300],
            "language": r.language,
            "login_countries": r.login_countries,
            "devices": r.devices,
            "ips": r.ips,
        }
        for k, r in admins.items()
    }
    admin_ids, counts = _upsert(conn, ADMINS, ("source", "external_id"), admin_rows)
    add(counts)
    described: list[AccountRecord | PageRecord] = [*accounts.values(), *pages.values()]
    refs = {(r.source, a) for r in described for a in r.admins if (r.source, a) not in admin_ids}
    if refs:
        more, _ = _upsert(
            conn,
            ADMINS,
            ("source", "external_id"),
            {k: {"name": k[1][:300]} for k in refs},
            placeholder=True,
        )
        admin_ids.update(more)

    account_rows = {
        k: {
            "name": r.name[:500],
            "country": r.country,
            "created_at": utc_naive(r.created_at),
            "language": r.language,
        }
        for k, r in accounts.items()
    }
    account_ids, counts = _upsert(conn, ADVERTISERS, ("source", "external_id"), account_rows)
    add(counts)
    relationships = [r for r in records if isinstance(r, RelationshipRecord)]
    owners = {(r.source, r.owner) for r in pages.values() if r.owner}
    owners |= {(r.source, end) for r in relationships for end in (r.advertiser, r.related)}
    missing = {k for k in owners if k not in account_ids}
    if missing:
        more, _ = _upsert(
            conn,
            ADVERTISERS,
            ("source", "external_id"),
            {k: {"name": k[1][:500]} for k in missing},
            placeholder=True,
        )
        account_ids.update(more)
    _write_payments(conn, {account_ids[k]: r for k, r in accounts.items()})
    _replace_links(
        conn,
        advertiser_admins,
        "advertiser_id",
        "admin_id",
        {account_ids[k]: {admin_ids[(r.source, a)] for a in r.admins} for k, r in accounts.items()},
    )

    if relationships:
        rel_rows = {
            (r.source, r.external_id): {
                "advertiser_id": account_ids[(r.source, r.advertiser)],
                "related_id": account_ids[(r.source, r.related)],
                "relation": r.relation,
                "status": r.status,
                "declared_at": utc_naive(r.declared_at),
            }
            for r in relationships
        }
        _, counts = _upsert(conn, RELATIONSHIPS, ("source", "external_id"), rel_rows)
        add(counts)

    page_rows = {
        ("page", ext): {
            "name": r.name[:500],
            "country": r.country,
            "created_at": utc_naive(r.created_at),
            "category": r.category,
            "language": r.language,
            "url": r.url,
        }
        for ext, r in pages.items()
    }
    page_ids, counts = _upsert(conn, PAGES, ("kind", "external_id"), page_rows)
    add(counts)
    _replace_links(
        conn,
        page_admins,
        "page_id",
        "admin_id",
        {
            page_ids[("page", ext)]: {admin_ids[(r.source, a)] for a in r.admins}
            for ext, r in pages.items()
        },
    )
    _replace_links(
        conn,
        PAGE_OWNERS,
        "page_id",
        "advertiser_id",
        {
            page_ids[("page", ext)]: {account_ids[(r.source, r.owner)]}
            for ext, r in pages.items()
            if r.owner
        },
    )
    return totals


def _write_payments(conn: Connection, accounts: dict[int, AccountRecord]) -> None:
    """Add the instruments an account does not have yet (instruments are never deleted: a
    card once used stays evidence)."""
    if not accounts:
        return
    have: set[tuple[Any, ...]] = set()
    for chunk in chunks(list(accounts)):
        for r in conn.execute(select(PAYMENTS).where(PAYMENTS.c.advertiser_id.in_(chunk))):
            have.add((r.advertiser_id, r.currency, r.billing_country, r.card_fingerprint))
    rows = []
    for aid, rec in accounts.items():
        for p in rec.payment_instruments:
            ident = (aid, p.currency, p.billing_country, p.card_fingerprint)
            if ident not in have:
                have.add(ident)
                rows.append(
                    {
                        "advertiser_id": aid,
                        "currency": p.currency,
                        "billing_country": p.billing_country,
                        "card_fingerprint": p.card_fingerprint,
                    }
                )
    if rows:
        conn.execute(PAYMENTS.insert(), rows)
