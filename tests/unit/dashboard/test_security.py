"""Pure parts of the dashboard's hardening: the settings' TLS rules, the WebSocket origin check, the headers
every response gets."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.dashboard.api.routes.floor import origin_allowed
from services.dashboard.config import DashboardSettings
from services.dashboard.security import CSP, SecurityHeaders

PROD: dict[str, Any] = {"environment": "production", "mqtt_username": "dashboard", "mqtt_password": "p" * 20,
                        "dashboard_secret_key": "k" * 40}


def settings(**kw: Any) -> DashboardSettings:
    return DashboardSettings(_env_file=None, **kw)


def test_production_marks_cookies_secure_and_refuses_plain_http() -> None:
    assert settings(**PROD).https
    assert not settings(environment="test").https and not settings(environment="demo").https
    assert settings(environment="test", dashboard_https_only=True).https
    with pytest.raises(ValidationError, match="HTTPS_ONLY=false is refused in production"):
        settings(**PROD, dashboard_https_only=False)
    with pytest.raises(ValidationError, match="go together"):
        settings(environment="test", dashboard_tls_certfile="/etc/gym/dash.crt")


def test_the_defaults_carry_the_reviewed_limits() -> None:
    s = settings(environment="test")
    assert (s.dashboard_session_idle_s, s.dashboard_session_max_age_s) == (2 * 3600, 12 * 3600)
    assert (s.dashboard_signin_max_failures, s.dashboard_signin_max_delay_account_s) == (5, 60)
    assert s.dashboard_history_retention_months == 24 and s.dashboard_audit_retention_days == 365


class FakeSocket:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


@pytest.mark.parametrize(("origin", "host", "ok"), [
    ("https://gym.example", "gym.example", True),
    ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
    ("https://evil.example", "gym.example", False),
    ("https://gym.example.evil.example", "gym.example", False),
    ("http://127.0.0.1:9000", "127.0.0.1:8000", False),
    ("null", "gym.example", False),  # a sandboxed frame or a file:// page
    (None, "gym.example", True),  # no Origin: not a browser
    ("https://proxy.example", "10.0.0.5:8000", True),  # allowed by the setting
])
def test_only_the_dashboards_own_pages_may_open_its_sockets(origin: str | None, host: str, ok: bool) -> None:
    headers = {"host": host} | ({"origin": origin} if origin is not None else {})
    assert origin_allowed(FakeSocket(headers), ["https://proxy.example"]) is ok  # type: ignore[arg-type]


def test_every_response_gets_the_headers_and_a_route_may_set_its_own_csp() -> None:
    app = FastAPI()

    @app.get("/own")
    def own() -> Any:
        from fastapi.responses import PlainTextResponse
        return PlainTextResponse("x", headers={"Content-Security-Policy": "default-src 'none'"})

    app.add_middleware(SecurityHeaders, hsts=True)
    with TestClient(app) as c:
        missing = c.get("/nothing-here")
        assert missing.status_code == 404 and missing.headers["content-security-policy"] == CSP
        assert missing.headers["x-content-type-options"] == "nosniff"
        assert missing.headers["x-frame-options"] == "DENY"
        assert missing.headers["strict-transport-security"] == "max-age=31536000"
        assert c.get("/own").headers["content-security-policy"] == "default-src 'none'"

