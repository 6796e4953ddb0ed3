"""The hosts the server answers to, and the one its links name (``settings.public_url_of``,
``settings.allowed_hosts_of``).

A request's ``Host`` header is the client's to write: built into a link (``paging.next``,
``ad_snapshot_url``, a redirect's ``Location``), a forged ``Host: evil.example`` would send
whoever follows the link, or reads a cached answer, to that host. So the server writes every
absolute URL from its public URL, and ``TrustedHosts`` refuses (400) a request whose Host is
none of the allowed names (the public URL's, the loopback names, ``PAIDFOR_ALLOWED_HOSTS``),
before any route runs: a page that someone's DNS points at this server (DNS rebinding) is
refused too. A redirect Starlette makes itself to the request's own address (``/x/`` to
``/x``) is rewritten to the public URL.
"""

from __future__ import annotations

import json
import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# a name or an IPv4 address, or an IPv6 address in brackets; then an optional port
_HOST = re.compile(r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


def host_name(header: str) -> str | None:
    """The host a ``Host`` header names, lowercased, without its port, brackets or
    trailing dot; None when it is not a host (a path, a user, a space...)."""
    found = _HOST.fullmatch(header)
    if found is None:
        return None
    return found["host"].strip("[]").lower().rstrip(".") or None


class TrustedHosts:
    """ASGI middleware: a request naming a Host outside ``allowed`` is a 400; a redirect to
    the request's own origin goes to ``public_url`` instead."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str], public_url: str) -> None:
        self.app = app
        self.allowed = allowed
        self.public_url = public_url.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host", "")
        if host_name(header) not in self.allowed:
            body = json.dumps(
                {
                    "error": {
                        "message": "the Host header names no host this server answers to",
                        "status": 400,
                    }
                }
            ).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        own = f"{scope.get('scheme', 'http')}://{header}".lower().encode()

        async def public_redirects(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"location" and value.lower().startswith(own):
                        rest = value[len(own) :]
                        if rest[:1] in (b"", b"/", b"?", b"#"):
                            value = self.public_url.encode() + rest
                    headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, public_redirects)
