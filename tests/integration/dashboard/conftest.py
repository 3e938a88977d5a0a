"""A dashboard app on the private broker and Redis, with a trainer and an operator account."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from services.dashboard.app import bootstrap
from services.dashboard.config import DashboardSettings
from services.dashboard.users import Role, UserStore
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.store import connect
from tests.conftest import wait_for

PASSWORD = "correct horse battery"


@pytest.fixture
def dash_settings(mosquitto: PrivateMosquitto, redis_server: PrivateRedis) -> DashboardSettings:
    return DashboardSettings(_env_file=None, environment="test", mqtt_port=mosquitto.port,
                             redis_url=redis_server.url, mqtt_keepalive_s=5, dashboard_tick_s=0.02)


@pytest.fixture
def accounts(redis_server: PrivateRedis) -> UserStore:
    users = UserStore(connect(redis_server.url), "main")
    users.add("tina", Role.TRAINER, PASSWORD)
    users.add("olga", Role.OPERATOR, PASSWORD)
    return users


@pytest.fixture
def client(dash_settings: DashboardSettings, accounts: UserStore) -> Iterator[TestClient]:
    with TestClient(bootstrap(dash_settings)) as c:
        wait_for(lambda: c.app.state.live.mqtt_connected, what="dashboard on the broker")  # type: ignore[attr-defined]
        yield c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


@pytest.fixture
def sign_in(client: TestClient) -> Callable[[str], str]:
    """Sign `client` in as a user; returns the session's CSRF token."""

    def go(name: str) -> str:
        client.cookies.clear()
        tok = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": tok, "next": "/"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        return csrf_of(client.get("/", headers={"accept": "text/html"}).text)

    return go
