"""The labels and transparency notices of political ads in the Union (arts. 11-12 of
Regulation (EU) 2024/900, Implementing Regulation (EU) 2025/1410): which ads carry them, read
from the ads, their sponsors' declarations and the elections; built by ``review.notice``.

An ad carries them when the public library shows it (``PUBLIC_STATUSES``), it is political
(declared or classified) and aimed at a Member State, and its sponsor declared it (review lets
no such ad run without a declaration). The notice is there as long as the ad is in the
library: removed ads included, with the reason (art. 12(1); art. 9 keeps the records seven
years, and paidfor deletes none).

``feed``: every notice, for the European repository of art. 13, as a feed ordered by the ads'
change stamp (``storage.changes``, the search index's own cursor), so a reader holding a cursor
gets each notice again when its ad changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paidfor.domain import PUBLIC_STATUSES, Ad, Election, political
from paidfor.domain.ttpa import SponsorDeclaration
from paidfor.errors import NotFound
from paidfor.review.declaration_store import DeclarationRepository
from paidfor.review.election_store import ElectionRepository
from paidfor.review.notice import NOTICE_SCHEMA, Label, label_of, notice_of
from paidfor.review.service import targeted_countries
from paidfor.review.ttpa import union_countries
from paidfor.storage.repo import AdRepository

Cursor = tuple[int, int]  # (the ads' change stamp, the ad's id): storage.changes


class TransparencyService:
    def __init__(
        self, ads: AdRepository, declarations: DeclarationRepository, elections: ElectionRepository
    ) -> None:
        self.ads = ads
        self.declarations = declarations
        self.elections = elections

    def _eu_political(self, ad: Ad | None, decl: SponsorDeclaration | None) -> bool:
        return (
            ad is not None
            and decl is not None
            and ad.status in PUBLIC_STATUSES
            and political(ad.is_political, ad.ad_type)
            and bool(union_countries(targeted_countries(ad)))
        )

    def _carrying(
        self, ad_ids: Sequence[int]
    ) -> dict[int, tuple[Ad, SponsorDeclaration, Election | None]]:
        """Those of ``ad_ids`` that carry a label and a notice, with their declaration and
        linked election: a constant number of queries however many ads are asked for (the
        declarations, the ads with their pages and funders, the elections), never one an
        ad."""
        declarations = self.declarations.get_many(list(ad_ids))
        ads = self.ads.get_many(list(declarations))
        elections = self.elections.get_many(
            d.linked_election_id for d in declarations.values() if d.linked_election_id
        )
        out = {}
        for ad_id, decl in declarations.items():
            ad = ads.get(ad_id)
            if ad is not None and self._eu_political(ad, decl):
                linked = elections.get(decl.linked_election_id or 0)
                out[ad_id] = (ad, decl, linked)
        return out

    def labels(self, ad_ids: Sequence[int]) -> dict[int, Label]:
        """The labels of those of ``ad_ids`` that carry one (art. 11(1)): every card of a
        list of ads (search, home, an advertiser's page, a funder's page) asks at once."""
        return {ad_id: label_of(*found) for ad_id, found in self._carrying(ad_ids).items()}

    def label(self, ad_id: int) -> Label | None:
        return self.labels([ad_id]).get(ad_id)

    def notice(self, ad_id: int, url: str) -> dict[str, Any]:
        """The ad's transparency notice (``review.notice.notice_of``); NotFound for an ad that
        has none."""
        found = self._carrying([ad_id]).get(ad_id)
        if found is None:
            raise NotFound(f"ad {ad_id} has no transparency notice")
        return notice_of(*found, url)

    @staticmethod
    def schema() -> dict[str, Any]:
        return NOTICE_SCHEMA

    def feed(self, after: tuple[int, int], limit: int) -> tuple[list[dict[str, Any]], Cursor]:
        """The repository feed (art. 13): the notices of the ads changed after the cursor
        ``after``, oldest change first, each as ``notice_of`` makes it; and the cursor to
        ask with next (the last change read, or ``after`` when none). An ad comes again
        whenever it changes (its delivery, its status, its linked election); an ad read that
        has no notice (not political, not aimed at the Union) moves the cursor all the same."""
        changed = self.declarations.changed_since(after, limit)
        carrying = self._carrying([ad_id for _, ad_id in changed])
        out = []
        for seq, ad_id in changed:
            if (found := carrying.get(ad_id)) is not None:
                notice = notice_of(*found, f"/api/ads/{ad_id}/notice")
                out.append({"cursor": f"{seq}.{ad_id}", "notice": notice})
        return out, (changed[-1] if changed else after)
