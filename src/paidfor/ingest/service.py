"""Importing files, as ``paidfor import`` and ``paidfor demo`` call it: the pipeline
(``ingest.pipeline.run_import``) on the database this service was built for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from paidfor.ingest.base import Source
from paidfor.ingest.pipeline import ImportReport, run_import


class ImportService:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def run(self, source: Source, paths: Sequence[Path], **options: Any) -> ImportReport:
        """Import ``paths`` of ``source``'s format; ``options`` are ``run_import``'s (batch
        size, dry run, strict, progress...). Idempotent: importing again changes nothing."""
        return run_import(self._engine, source, paths, **options)
