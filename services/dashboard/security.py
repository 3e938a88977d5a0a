"""Headers on every HTTP response, and the API docs for signed-in operators only.

The pages load their scripts and styles from `/static` only (no inline script or style attribute; the
snapshot is a `type="application/json"` data block, which a CSP does not run), so the policy needs no
'unsafe-inline'. `frame-ancestors 'none'` (and `X-Frame-Options` for old browsers) keeps the dashboard out
of frames: a foreign page cannot overlay the cue or erase buttons.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.dashboard.api.deps import CurrentOperator

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# A year, the usual HSTS lifetime: a browser that once reached the site over TLS never tries plain HTTP again.
HSTS = "max-age=31536000"
SWAGGER_CDN = "https://cdn.jsdelivr.net"


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers to every response (pages, API, static files, errors).
    A route may set its own `Content-Security-Policy` (the API docs do)."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                if "content-security-policy" not in h:
                    h["Content-Security-Policy"] = CSP
                h["X-Content-Type-Options"] = "nosniff"
                h["X-Frame-Options"] = "DENY"
                h["Referrer-Policy"] = "same-origin"
                if self.hsts:
                    h["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _script_hashes(html: str) -> str:
    bodies = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies)


docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/openapi.json")
def openapi(request: Request, user: CurrentOperator) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


@docs_router.get("/docs")
def docs(user: CurrentOperator) -> HTMLResponse:
    page = get_swagger_ui_html(openapi_url="/openapi.json", title="Trainer dashboard API")
    html = bytes(page.body).decode()
    # Swagger UI comes from its CDN and starts with one inline script: allowed by its hash, on this page only.
    csp = (f"default-src 'self'; script-src 'self' {SWAGGER_CDN} {_script_hashes(html)}; "
           f"style-src 'self' {SWAGGER_CDN}; img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})
