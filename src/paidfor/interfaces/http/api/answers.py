"""How the role-protected JSON routes answer: ``no-store`` bodies (a refusal is answered by
``interfaces.http.refusals``, as ``{"error": {"message", "status"}}``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse
from pydantic import Field

from paidfor.domain.models import MAX_ID

NO_STORE = {"Cache-Control": "no-store"}
#: Row ids are signed 64-bit integers on both databases: a path id outside 1 .. 2**63 - 1
#: names no row, and is a 422 (rather than an overflow inside the database driver).
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: The same bound on an id in a JSON body.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


def answer(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)
