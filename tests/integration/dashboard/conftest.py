"""A dashboard app on the private broker and Redis, with a trainer and an operator account (tests/dashboard.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from services.dashboard.app import bootstrap
from services.dashboard.config import DashboardSettings
from services.dashboard.users import UserStore
from shared.servers import PrivateMosquitto, PrivateRedis
from tests.conftest import wait_for
from tests.dashboard import add_staff, app_settings
from tests.dashboard import sign_in as sign_in_as


@pytest.fixture
def dash_settings(mosquitto: PrivateMosquitto, redis_server: PrivateRedis) -> DashboardSettings:
    return app_settings(mosquitto, redis_server, dashboard_tick_s=0.02)


@pytest.fixture
def accounts(redis_server: PrivateRedis) -> UserStore:
    return add_staff(redis_server.url)


@contextmanager
def open_app(settings: DashboardSettings) -> Iterator[TestClient]:
    """A client of the app on `settings`, once its /health says it is on the broker."""
    with TestClient(bootstrap(settings)) as c:
        wait_for(lambda: c.get("/health").json()["mqtt"], what="dashboard on the broker")
        yield c


@pytest.fixture
def client(dash_settings: DashboardSettings, accounts: UserStore) -> Iterator[TestClient]:
    with open_app(dash_settings) as c:
        yield c


@pytest.fixture
def sign_in(client: TestClient) -> Callable[[str], str]:
    """Sign `client` in as a user, afresh (its cookies cleared first); returns the session's CSRF token."""

    def go(name: str) -> str:
        client.cookies.clear()
        return sign_in_as(client, name)

    return go
