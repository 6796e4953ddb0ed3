"""Security headers, on every answer (``SecurityHeadersMiddleware``), and the API's Swagger
UI page without an inline script (``install_docs``).

Every answer: ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` (a link
to an advertiser's landing page does not tell it which library page it came from). HTML
answers also: a Content-Security-Policy with no inline script and no framing
(``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for older browsers). Styles may be
inline (the pages carry their own ``<style>`` and ``style=`` attributes); scripts come only
from this site. The two pages that read the OpenAPI schema load their readers (Swagger UI,
ReDoc) from the CDN FastAPI names, so their policy names those hosts too; the Swagger UI's
start-up script is served as a file (``/docs/swagger-init.js``) instead of inline.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' {_CDN}; "
    f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com; font-src 'self' https://fonts.gstatic.com; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc"})
ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]


class SecurityHeadersMiddleware:
    """The module's headers on every HTTP answer (the app's own headers of the same names are
    replaced)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (DOCS_CSP if scope.get("path") in DOCS_PATHS else CSP).encode()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                html = any(
                    k.lower() == b"content-type" and v.lower().startswith(b"text/html")
                    for k, v in headers
                )
                extra = list(ALWAYS)
                if html:
                    extra += [
                        (b"content-security-policy", policy),
                        (b"x-frame-options", b"DENY"),
                    ]
                names = {k for k, _ in extra}
                message["headers"] = [(k, v) for k, v in headers if k.lower() not in names]
                message["headers"] += extra
            await send(message)

        await self.app(scope, receive, send_wrapper)


SWAGGER_INIT = """\
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

SWAGGER_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="{_CDN}/npm/swagger-ui-dist@5/swagger-ui.css">
<link rel="icon" href="https://fastapi.tiangolo.com/img/favicon.png">
<title>paidfor - Swagger UI</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{_CDN}/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) with its start-up script as a file; make the app with
    ``docs_url=None``."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)

    @app.get("/docs/swagger-init.js", include_in_schema=False)
    def swagger_init() -> Response:
        return Response(SWAGGER_INIT, media_type="text/javascript")
