"""Guards every route shares (docs/reliability.md):

* ``BodySizeLimit``: a request body larger than its route allows is refused with 413 before
  the route reads it (by ``Content-Length``), or as soon as a chunked body passes the limit.
* ``database_unavailable``: a database that cannot answer (PostgreSQL restarting, a lost
  connection, SQLite busy past its timeout, a full disk) is a 503 with a sentence and
  ``Retry-After``, never a traceback; the transaction that failed was rolled back.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paidfor.services import is_disk_full

log = logging.getLogger("paidfor.interfaces.http.api")

MIB = 1024 * 1024


def _mib(n: int) -> str:
    return f"{n / MIB:g} MiB" if n >= MIB else f"{n:,} bytes"


class BodySizeLimit:
    """ASGI middleware: at most ``default`` bytes of body a request, or ``per_path[path]``
    for the routes that take more (image uploads)."""

    def __init__(self, app: ASGIApp, default: int, per_path: dict[str, int] | None = None):
        self.app = app
        self.default = default
        self.per_path = per_path or {}

    def _refusal(self, scope: Scope, limit: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
        message = (
            f"the request body is larger than {_mib(limit)}, the most "
            f"{scope.get('method', 'POST')} {scope['path']} takes"
        )
        body = json.dumps({"error": {"message": message, "status": 413}}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        return headers, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            size = int(declared) if declared.strip().isdigit() else -1
            if size < 0:
                body = json.dumps(
                    {"error": {"message": "Content-Length is not a number", "status": 400}}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            if size > limit:
                headers, body = self._refusal(scope, limit)
                await send({"type": "http.response.start", "status": 413, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        # A body without Content-Length (chunked) is counted as it arrives; past the limit the
        # route sees the body end there, and whatever it answers is replaced by the 413.
        received = 0
        too_big = False
        started = False

        async def counted() -> Message:
            nonlocal received, too_big
            if too_big:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_big = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_big:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    headers, body = self._refusal(scope, limit)
                    await send({"type": "http.response.start", "status": 413, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                return  # the route's own answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not too_big:
                raise
            if not started:
                headers, body = self._refusal(scope, limit)
                await send({"type": "http.response.start", "status": 413, "headers": headers})
                await send({"type": "http.response.body", "body": body})


def database_problem(exc: BaseException) -> str:
    """A sentence for people about a database error (the details go to the log)."""
    if is_disk_full(exc):
        return (
            "the database is out of space, so this request was not completed; "
            "try again once space has been freed"
        )
    return (
        "the database is not answering right now (restarting, or too busy), so this request "
        "was not completed; try again in a few seconds"
    )


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database error on %s %s: %s", request.method, request.url.path, exc)
    message = database_problem(exc)
    return JSONResponse(
        {"error": {"message": message, "status": 503}},
        status_code=503,
        headers={"Retry-After": "30" if is_disk_full(exc) else "2"},
    )
