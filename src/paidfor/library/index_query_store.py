"""The archive's and the library's filters as a tantivy query over ``library.index_store``.

Every filter means exactly what ``ArchiveRepository.conditions`` and
``LibraryRepository.library_conditions`` mean in SQL (the tests hold the two to the same
answers): names and public page ids are looked up in the database first, then everything is
one boolean query over the index's fields. Only public ads are in the index, so the public
status filter needs no clause.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import tantivy
from sqlalchemy import Connection, bindparam, func, select

from paidfor.domain import AdStatus
from paidfor.library.index_schema_store import micros, month_of
from paidfor.library.index_store import AdIndex
from paidfor.storage.models import FunderRow, PageRow
from paidfor.storage.rules import ACTIVE

if TYPE_CHECKING:
    from paidfor.library.archive_store import ArchiveFilter
    from paidfor.library.store import LibraryFilter

Q = tantivy.Query
MUST = tantivy.Occur.Must
MUST_NOT = tantivy.Occur.MustNot
SHOULD = tantivy.Occur.Should


# Built once, as ``archive_store._PUBLIC_ADS``: building and caching the statement anew for
# each search cost more than running it (a funder's ads, bench/search.py).
_PAGES_BY_EXTERNAL_ID = select(PageRow.id).where(
    PageRow.external_id.in_(bindparam("ids", expanding=True))
)
_FUNDERS_BY_NAME = select(FunderRow.id).where(
    func.lower(FunderRow.name).in_(bindparam("names", expanding=True))
)


def _all(*clauses: Any) -> Any:
    return Q.boolean_query([(MUST, c) for c in clauses])


class IndexQuery:
    def __init__(self, index: AdIndex) -> None:
        self.index = index
        self.schema = index.schema

    def _set(self, field: str, values: Sequence[Any]) -> Any:
        """Any of ``values`` in ``field``: a term query, or a union of them. tantivy's
        ``term_set_query`` costs about 0.2 ms a segment whatever it finds (it walks the
        field's term dictionary): 30 times a page's or a funder's few ads; a union is never
        slower, and costs what its terms' postings cost."""
        terms = list(dict.fromkeys(values))
        if not terms:
            return Q.empty_query()
        if len(terms) == 1:
            return Q.term_query(self.schema, field, terms[0])
        return Q.boolean_query([(SHOULD, Q.term_query(self.schema, field, v)) for v in terms])

    def _range(self, field: str, lower: int | None, upper: int | None, **kw: bool) -> Any:
        return Q.range_query(self.schema, field, tantivy.FieldType.Integer, lower, upper, **kw)

    def _text(self, words: Sequence[str], *, phrase: bool) -> list[Any]:
        """Every word (or the phrase) in the creative text. A word the analyzer splits in
        several ("e-mail") is a phrase of its parts, as the database's tokenizers see it."""
        groups = (
            [self.index.terms(" ".join(words))] if phrase else [self.index.terms(w) for w in words]
        )
        out: list[Any] = []
        for terms in groups:
            if not terms:
                out.append(Q.empty_query())
            elif len(terms) == 1:
                out.append(Q.term_query(self.schema, "text", terms[0]))
            else:
                out.append(Q.phrase_query(self.schema, "text", list[Any](terms)))
        return out

    def _delivered(self, first: date | None, last: date | None) -> list[Any]:
        """Delivered on or after ``first`` (stop >= its midnight, or no stop) and on or before
        ``last`` (start before the next midnight).

        With both, the months the ads delivered in narrow it first: an ad delivering in a month
        strictly between the two ends' months matches for certain; one touching only the end
        months (or spanning too many to list) is checked against the times; one without an
        end matches when it started in time. Each part is selective, so a window costs
        about as much as the ads it finds, not the whole index.
        """
        d0 = micros(datetime.combine(first, time())) if first else None
        d1 = micros(datetime.combine(last + timedelta(days=1), time())) if last else None
        stop = self._range("stop", d0, None) if d0 is not None else None
        start = self._range("start", None, d1, include_upper=False) if d1 is not None else None
        if stop is None or start is None or first is None or last is None or first > last:
            return [c for c in (stop, start) if c is not None]
        m0, m1 = month_of(first), month_of(last)
        parts = [
            # no end, and started in an earlier month than the last day's, or in time in it
            Q.range_query(
                self.schema, "open_month", tantivy.FieldType.Integer, None, m1,
                include_upper=False, use_inverted_index=True,
            ),
            _all(Q.term_query(self.schema, "open_month", m1), start),
            _all(self._set("month", ["wide"]), stop, start),
        ]  # fmt: skip
        first_month = Q.term_query(self.schema, "month", str(m0))
        if m0 == m1:
            parts.append(_all(first_month, stop, start))
        else:
            # In the first month it must end late enough, in the last start early enough;
            # between them every ad delivering matches.
            parts.append(_all(first_month, stop))
            parts.append(_all(Q.term_query(self.schema, "month", str(m1)), start))
            if m1 - m0 > 1:
                parts.append(self._set("month", [str(m) for m in range(m0 + 1, m1)]))
        return [Q.boolean_query([(SHOULD, p) for p in parts])]

    def archive_clauses(self, conn: Connection, flt: ArchiveFilter) -> list[Any]:
        must: list[Any] = []
        countries = [c for c in flt.reached_countries if c != "ALL"]
        if countries and len(countries) == len(flt.reached_countries):
            must.append(self._set("country", countries))
        if flt.ad_type is not None:
            must.append(Q.term_query(self.schema, "ad_type", flt.ad_type))
        if flt.active is not None:
            active = Q.boolean_query(
                [
                    (MUST, self._set("status", ACTIVE)),
                    (MUST, self._range("stop", micros(flt.now), None, include_lower=False)),
                ]
            )
            if flt.active:
                must.append(active)
            else:
                must.append(Q.boolean_query([(MUST, Q.all_query()), (MUST_NOT, active)]))
        must.extend(self._delivered(flt.delivered_min, flt.delivered_max))
        if flt.search_words:
            must.extend(self._text(flt.search_words, phrase=False))
        for phrase in flt.search_phrases:
            must.extend(self._text(phrase, phrase=True))
        if flt.page_ids:
            found = conn.execute(_PAGES_BY_EXTERNAL_ID, {"ids": list(flt.page_ids)}).scalars()
            must.append(self._set("page", [int(i) for i in found]))
        if flt.bylines:
            names = [b.lower() for b in flt.bylines]
            found = conn.execute(_FUNDERS_BY_NAME, {"names": names}).scalars()
            must.append(self._set("funder", [int(i) for i in found]))
        if flt.languages:
            must.append(self._set("language", [v.lower() for v in flt.languages]))
        if flt.platforms:
            must.append(self._set("platform", [v.lower() for v in flt.platforms]))
        if flt.regions:
            must.append(self._set("region", [v.lower() for v in flt.regions]))
        if flt.media_type is not None:
            if flt.media_type in ("IMAGE", "NONE"):
                must.append(Q.term_query(self.schema, "media", flt.media_type))
            else:
                must.append(Q.empty_query())
        if flt.audience_min is not None:
            must.append(self._range("audience_lower", flt.audience_min, None))
        if flt.audience_max is not None:
            must.append(self._range("audience_upper", None, flt.audience_max))
        return must

    def library_clauses(self, conn: Connection, flt: LibraryFilter) -> list[Any]:
        must = self.archive_clauses(conn, flt.archive)
        if flt.page_ids:
            must.append(self._set("page", flt.page_ids))
        if flt.funder_ids:
            must.append(self._set("funder", flt.funder_ids))
        if flt.political_only:
            must.append(Q.term_query(self.schema, "political", True))
        removed = Q.term_query(self.schema, "status", str(AdStatus.REMOVED))
        if flt.removed == "exclude":
            must.append(Q.boolean_query([(MUST, Q.all_query()), (MUST_NOT, removed)]))
        elif flt.removed == "only":
            must.append(removed)
        return must

    def before_id(self, ad_id: int) -> Any:
        return Q.range_query(
            self.schema, "id", tantivy.FieldType.Unsigned, None, ad_id, include_upper=False
        )

    @staticmethod
    def narrow(flt: ArchiveFilter | LibraryFilter) -> bool:
        """Whether ``flt`` names pages or funders: such a query matches the ads of a few
        advertisers, and its shards are searched in turn (``AdIndex.search``'s
        ``parallel``)."""
        from paidfor.library.store import LibraryFilter  # the store imports this module

        if isinstance(flt, LibraryFilter):
            archive = flt.archive
            own = bool(flt.page_ids or flt.funder_ids)
        else:
            archive, own = flt, False
        return own or bool(archive.page_ids or archive.bylines)

    @staticmethod
    def combine(clauses: list[Any]) -> Any:
        """One query of every clause; None when there are none (every public ad)."""
        if not clauses:
            return None
        if len(clauses) == 1:
            return clauses[0]
        return Q.boolean_query([(MUST, c) for c in clauses])
