"""Sign-in throttling against the real Redis: per account, per client, and a success clearing the account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.dashboard.app import create_app
from services.dashboard.config import DashboardSettings
from services.dashboard.users import UserStore
from tests.conftest import wait_for
from tests.integration.dashboard.conftest import PASSWORD, csrf_of

pytestmark = pytest.mark.integration

PER_ACCOUNT = 3  # small limits keep the test quick; the defaults are checked in the settings
PER_CLIENT = 6  # above the first test's five failures, so only the spraying test reaches it


@pytest.fixture
def strict(dash_settings: DashboardSettings, accounts: UserStore) -> Iterator[TestClient]:
    settings = dash_settings.model_copy(update={"dashboard_signin_max_failures": PER_ACCOUNT,
                                                "dashboard_signin_max_failures_client": PER_CLIENT})
    with TestClient(create_app(settings)) as c:
        wait_for(lambda: c.app.state.live.mqtt_connected, what="dashboard on the broker")  # type: ignore[attr-defined]
        yield c


def attempt(client: TestClient, name: str, password: str) -> int:
    tok = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": tok},
                    follow_redirects=False)
    return r.status_code


def test_wrong_passwords_for_one_account_get_429_even_with_the_right_one(strict: TestClient) -> None:
    # a success clears the account's earlier typos
    assert [attempt(strict, "tina", "wrong-password") for _ in range(PER_ACCOUNT - 1)] == [401] * (PER_ACCOUNT - 1)
    assert attempt(strict, "tina", PASSWORD) == 303
    strict.cookies.clear()  # signed out again
    assert [attempt(strict, "tina", "wrong-password") for _ in range(PER_ACCOUNT)] == [401] * PER_ACCOUNT
    tok = csrf_of(strict.get("/login").text)
    r = strict.post("/login", data={"username": "Tina", "password": PASSWORD, "csrf_token": tok})
    assert r.status_code == 429
    assert "Too many wrong passwords for this account or from this device" in r.text
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    assert strict.get("/api/v1/me").status_code == 401  # not signed in
    # another account from the same client is not locked by tina's
    assert attempt(strict, "olga", PASSWORD) == 303


def test_one_client_spraying_many_accounts_gets_429(strict: TestClient) -> None:
    names = [f"guess{i}" for i in range(PER_CLIENT)]
    assert [attempt(strict, n, "wrong-password") for n in names] == [401] * PER_CLIENT
    assert attempt(strict, "olga", PASSWORD) == 429
