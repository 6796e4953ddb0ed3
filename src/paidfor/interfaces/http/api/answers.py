"""How the role-protected JSON routes answer: ``no-store`` bodies, errors as
``{"error": {"message", "status"}}``, and a domain exception mapped to its status."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store"}
#: Row ids are signed 64-bit integers on both databases: a path id outside 1 .. 2**63 - 1
#: names no row, and is a 422 (rather than an overflow inside the database driver).
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def answer(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def error(status: int, message: str) -> JSONResponse:
    return answer({"error": {"message": message, "status": status}}, status)


def guarded(
    fn: Callable[[], Any], errors: Mapping[type[Exception], int], status: int = 200
) -> JSONResponse:
    """``fn()``'s result, or the error of the first class in ``errors`` (in order) that the
    exception raised is an instance of; anything else propagates."""
    try:
        return answer(fn(), status)
    except tuple(errors) as exc:
        code = next(c for cls, c in errors.items() if isinstance(exc, cls))
        return error(code, str(exc))
