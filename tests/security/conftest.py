"""The security tests' fixtures: a site provisioned by gymctl with its broker running as in production
(tests/integration/deploy/production.py), and a production dashboard (tests/security/dashboard_prod.py) on the
private broker and Redis, with the site's certificates."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.procs import Child
from shared.servers import PrivateMosquitto, PrivateRedis, free_port, wait_port
from tests.conftest import wait_for
from tests.dashboard import add_staff
from tests.integration.deploy.production import Site, provisioned_site
from tests.security.dashboard_prod import ProdDashboard
from tests.wire import make_certs


@pytest.fixture
def site() -> Iterator[Site]:
    """Stations st-01 and st-02 and the site's services, on plain MQTT (test_broker_transport's has TLS)."""
    with provisioned_site() as made:
        yield made


@pytest.fixture(scope="session")
def site_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def start_dashboard(mosquitto: PrivateMosquitto, redis_server: PrivateRedis, site_certs: Path,
                    tmp_path: Path) -> Iterator[Callable[..., ProdDashboard]]:
    """Starts a production dashboard; keyword arguments are extra GYM_* settings (`session_idle_s=2`)."""
    add_staff(redis_server.url)
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
