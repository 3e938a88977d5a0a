"""The real dashboard process in production mode, served over TLS, on the private broker and Redis.

`uvicorn --factory services.dashboard.app:bootstrap` with GYM_ENVIRONMENT=production: the app reads its
settings from the environment as `python -m services.dashboard run` does, and TLS terminates in uvicorn as
it would in the site's proxy. Clients connect from chosen loopback addresses (127.0.0.2, 127.0.0.3 …), which
the dashboard sees as different browsers' addresses.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.dashboard.users import Role, UserStore
from services.procs import Child
from shared.servers import PrivateMosquitto, PrivateRedis, free_port, wait_port
from shared.store import connect
from tests.conftest import wait_for
from tests.wire import make_certs

PASSWORD = "correct horse battery"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class ProdDashboard:
    base: str
    ca: Path
    env: dict[str, str]
    redis_url: str
    child: Child

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        """A browser at loopback address `source`."""
        transport = httpx.HTTPTransport(verify=self.tls(), local_address=source)
        return httpx.Client(base_url=self.base, transport=transport, timeout=20, headers={"accept": "text/html"})

    def sign_in(self, c: httpx.Client, name: str, password: str = PASSWORD) -> str:
        """Signs `c` in; returns the session's CSRF token."""
        r = self.try_sign_in(c, name, password)
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return csrf_of(c.get("/").text)

    def try_sign_in(self, c: httpx.Client, name: str, password: str) -> httpx.Response:
        tok = csrf_of(c.get("/login").text)
        return c.post("/login", data={"username": name, "password": password, "csrf_token": tok, "next": "/"})

    def cli(self, module: str, *args: str) -> subprocess.CompletedProcess[str]:
        """An operator's command (`services.gymctl`, `services.dashboard`) against the same site."""
        return subprocess.run([sys.executable, "-m", module, *args], env=self.env, capture_output=True, text=True,
                              timeout=60, cwd=REPO)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def cookie_payload(value: str) -> dict[str, Any]:
    """What a Starlette session cookie says (its signed, unencrypted JSON)."""
    raw = value.split(".", 1)[0]
    return json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def site_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def start_dashboard(mosquitto: PrivateMosquitto, redis_server: PrivateRedis, site_certs: Path,
                    tmp_path: Path) -> Iterator[Callable[..., ProdDashboard]]:
    """Starts a production dashboard; keyword arguments are extra GYM_* settings (`session_idle_s=2`)."""
    users = UserStore(connect(redis_server.url), "main")
    users.add("tina", Role.TRAINER, PASSWORD)
    users.add("olga", Role.OPERATOR, PASSWORD)
    children: list[Child] = []

    def start(**gym: str) -> ProdDashboard:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GYM_")}
        env.update({
            "GYM_ENVIRONMENT": "production", "GYM_SITE_ID": "main", "GYM_STATION_ID": "site",
            "GYM_MQTT_PORT": str(mosquitto.port), "GYM_MQTT_USERNAME": "dashboard",
            "GYM_MQTT_PASSWORD": secrets.token_urlsafe(24), "GYM_REDIS_URL": redis_server.url,
            "GYM_DASHBOARD_SECRET_KEY": secrets.token_urlsafe(32), "GYM_TOKEN_KEY": secrets.token_urlsafe(32),
            "PYTHONUNBUFFERED": "1",
            **{f"GYM_DASHBOARD_{k.upper()}": v for k, v in gym.items()},
        })
        child = Child(f"dashboard-{port}", [
            "uvicorn", "--factory", "services.dashboard.app:bootstrap", "--host", "127.0.0.1", "--port", str(port),
            "--ssl-certfile", str(site_certs / "server.crt"), "--ssl-keyfile", str(site_certs / "server.key"),
            "--ws", "websockets", "--log-level", "warning"], env, tmp_path)
        children.append(child)
        wait_port(port, timeout=30)
        dash = ProdDashboard(f"https://127.0.0.1:{port}", site_certs / "ca.crt", env, redis_server.url, child)
        with dash.client() as c:
            wait_for(lambda: c.get("/health").json().get("mqtt"), timeout=15, what="dashboard on the broker")
        return dash

    yield start
    for child in children:
        assert child.alive(), child.tail()
        child.stop()


@pytest.fixture
def prod(start_dashboard: Callable[..., ProdDashboard]) -> ProdDashboard:
    return start_dashboard()
