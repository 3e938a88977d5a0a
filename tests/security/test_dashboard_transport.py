"""Findings 6 and 12 (dashboard part), against the production dashboard behind TLS: Secure cookies and HSTS;
CSP, frame-ancestors, nosniff and Referrer-Policy on every response; WebSockets refuse a foreign Origin;
the OpenAPI UI only for signed-in operators."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.security.dashboard_prod import ProdDashboard

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_production_cookies_are_secure_and_hsts_is_sent(prod: ProdDashboard) -> None:
    with prod.client() as c:
        form = c.get("/login")
        assert "secure" in form.headers["set-cookie"].lower().split("; ")
        assert form.headers["strict-transport-security"].startswith("max-age=")
        assert int(form.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 180 * 86400
        tok = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = c.post("/login", data={"username": "tina", "password": "correct horse battery", "csrf_token": tok})
        assert r.status_code == 303
        assert "secure" in r.headers["set-cookie"].lower().split("; ")
        assert "httponly" in r.headers["set-cookie"].lower().split("; ")


@pytest.mark.parametrize("path", ["/login", "/static/app.css", "/static/live.js", "/health", "/api/v1/me",
                                  "/no-such-page", "/", "/members"])
def test_every_response_carries_the_browser_security_headers(prod: ProdDashboard, path: str) -> None:
    with prod.client() as c:
        r = c.get(path)
    csp = r.headers.get("content-security-policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", (path, csp)
    assert "'unsafe-inline'" not in directives.get("script-src", "'unsafe-inline'"), csp
    assert "default-src" in directives and "object-src" in directives
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert r.headers.get("strict-transport-security", "").startswith("max-age=")


def _open(prod: ProdDashboard, cookie: str, origin: str) -> str:
    async def go() -> str:
        url = prod.base.replace("https://", "wss://") + "/ws/floor"
        try:
            async with websockets.connect(url, ssl=prod.tls(), origin=origin,  # type: ignore[arg-type]
                                          additional_headers={"Cookie": f"gym_dashboard={cookie}"}) as ws:
                return str(json.loads(await asyncio.wait_for(ws.recv(), 5))["type"])
        except websockets.InvalidStatus as exc:
            return f"refused {exc.response.status_code}"
        except websockets.ConnectionClosed as exc:
            return f"closed {exc.rcvd.code if exc.rcvd else None}"

    return asyncio.run(go())


def test_a_websocket_opened_by_a_foreign_page_is_refused(prod: ProdDashboard) -> None:
    with prod.client() as c:
        prod.sign_in(c, "tina")
        cookie = c.cookies["gym_dashboard"]
    assert _open(prod, cookie, prod.base) == "snapshot"  # the dashboard's own page
    assert _open(prod, cookie, "https://evil.example") == "refused 403"
    assert _open(prod, cookie, prod.base.replace("127.0.0.1", "localhost")) == "refused 403"


def test_the_api_docs_are_served_to_signed_in_operators_only(prod: ProdDashboard) -> None:
    with prod.client() as anon:
        assert anon.get("/docs").status_code in (303, 401, 404)
        assert anon.get("/openapi.json", headers={"accept": "application/json"}).status_code in (401, 404)
        assert anon.get("/redoc").status_code in (303, 401, 404)
    with prod.client() as trainer:
        prod.sign_in(trainer, "tina")
        assert trainer.get("/docs").status_code in (403, 404)
        assert trainer.get("/openapi.json").status_code in (403, 404)
    with prod.client() as operator:
        prod.sign_in(operator, "olga")
        docs = operator.get("/docs")
        assert docs.status_code == 200 and "swagger-ui" in docs.text
        assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
        assert operator.get("/openapi.json").json()["info"]["title"].startswith("Smart cable station")
