"""The registered source formats: adding one is one module plus one line here."""

from __future__ import annotations

from paidfor.ingest.base import Source
from paidfor.ingest.google_report import GoogleReport
from paidfor.ingest.hpsci_ira import HpsciIra
from paidfor.ingest.meta_archive import MetaArchive
from paidfor.ingest.meta_report import MetaReport
from paidfor.ingest.native import Native

SOURCES: dict[str, type[Source]] = {
    cls.name: cls for cls in (HpsciIra, MetaArchive, MetaReport, GoogleReport, Native)
}

__all__ = ["SOURCES", "Source"]
