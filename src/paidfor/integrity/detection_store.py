"""Network detection runs started from the staff pages (``models.DetectionRunRow``), private
to investigators: each run's status and what it found, as JSON. Starting one is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import DetectionRunRow


@dataclass(frozen=True)
class DetectionRun:
    id: int
    actor: str
    status: str  # running, done, failed
    started_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None

    @property
    def networks(self) -> list[dict[str, Any]]:
        return list((self.result or {}).get("networks", []))


class DetectionRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(self, actor: str) -> int:
        with self.engine.begin() as conn:
            run_id = int(
                conn.execute(
                    insert(DetectionRunRow).returning(DetectionRunRow.id),
                    {"actor": actor, "status": "running", "started_at": stored_now()},
                ).scalar_one()
            )
            append_event_conn(
                conn,
                actor=actor,
                action="detection_run",
                target_type="detection",
                target_id=str(run_id),
            )
        return run_id

    def finish(self, run_id: int, result: dict[str, Any] | None, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(DetectionRunRow)
                .where(DetectionRunRow.id == run_id)
                .values(
                    status="failed" if error else "done",
                    finished_at=stored_now(),
                    result=result,
                    error=error,
                )
            )

    def get(self, run_id: int) -> DetectionRun | None:
        found = self._runs(select(DetectionRunRow.__table__).where(DetectionRunRow.id == run_id))
        return found[0] if found else None

    def latest(self) -> DetectionRun | None:
        """The newest run, running or not."""
        query = select(DetectionRunRow.__table__).order_by(DetectionRunRow.id.desc()).limit(1)
        found = self._runs(query)
        return found[0] if found else None

    def latest_done(self) -> DetectionRun | None:
        query = (
            select(DetectionRunRow.__table__)
            .where(DetectionRunRow.status == "done")
            .order_by(DetectionRunRow.id.desc())
            .limit(1)
        )
        found = self._runs(query)
        return found[0] if found else None

    def _runs(self, query: Any) -> list[DetectionRun]:
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        out = []
        for r in rows:
            started = aware(r.started_at)
            assert started is not None
            out.append(
                DetectionRun(
                    int(r.id), r.actor, r.status, started, aware(r.finished_at), r.result, r.error
                )
            )
        return out
