"""Sign-in throttling against the real Redis: growing waits per account and per client, counted atomically,
no hard lock of an account's owner, a success clearing the account."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.dashboard.config import DashboardSettings
from services.dashboard.signin_limit import SignInLimiter
from services.dashboard.users import UserStore
from shared.servers import PrivateRedis
from shared.store import connect
from tests.conftest import wait_for
from tests.dashboard import PASSWORD, csrf_of, try_sign_in
from tests.integration.dashboard.conftest import open_app

pytestmark = pytest.mark.integration

PER_ACCOUNT = 3  # small limits keep the test quick; the defaults are checked in the settings
PER_CLIENT = 6  # above the first test's failures, so only the spraying test reaches it
ACCOUNT_CAP_S = 4


@pytest.fixture
def strict(dash_settings: DashboardSettings, accounts: UserStore) -> Iterator[TestClient]:
    settings = dash_settings.model_copy(update={"dashboard_signin_max_failures": PER_ACCOUNT,
                                                "dashboard_signin_max_failures_client": PER_CLIENT,
                                                "dashboard_signin_delay_s": 2.0,
                                                "dashboard_signin_max_delay_account_s": ACCOUNT_CAP_S,
                                                "dashboard_signin_max_delay_client_s": 60})
    with open_app(settings) as c:
        yield c


def attempt(client: TestClient, name: str, password: str) -> int:
    return try_sign_in(client, name, password).status_code


def test_wrong_passwords_for_one_account_make_it_wait_even_with_the_right_one_but_not_for_long(
        strict: TestClient) -> None:
    # a success clears the account's earlier typos
    assert [attempt(strict, "tina", "wrong-password") for _ in range(PER_ACCOUNT - 1)] == [401] * (PER_ACCOUNT - 1)
    assert attempt(strict, "tina", PASSWORD) == 303
    strict.cookies.clear()  # signed out again
    assert [attempt(strict, "tina", "wrong-password") for _ in range(PER_ACCOUNT)] == [401] * PER_ACCOUNT
    tok = csrf_of(strict.get("/login").text)
    r = strict.post("/login", data={"username": "Tina", "password": PASSWORD, "csrf_token": tok})
    assert r.status_code == 429
    assert "Too many wrong passwords for this account or from this device" in r.text
    assert 0 < int(r.headers["retry-after"]) <= ACCOUNT_CAP_S
    assert strict.get("/api/v1/me").status_code == 401  # not signed in
    # another account from the same client is not held up by tina's
    assert attempt(strict, "olga", PASSWORD) == 303
    strict.cookies.clear()
    # no lock: after the wait the owner gets in
    time.sleep(int(r.headers["retry-after"]))
    assert attempt(strict, "tina", PASSWORD) == 303


def test_one_client_spraying_many_accounts_waits_longer_and_longer(strict: TestClient) -> None:
    names = [f"guess{i}" for i in range(PER_CLIENT)]
    assert [attempt(strict, n, "wrong-password") for n in names] == [401] * PER_CLIENT
    tok = csrf_of(strict.get("/login").text)
    first = strict.post("/login", data={"username": "olga", "password": PASSWORD, "csrf_token": tok})
    assert first.status_code == 429
    for i in range(2):  # each wrong password admitted after a wait doubles the next wait (2 s, 4 s, 8 s)
        def admitted(i: int = i) -> bool:
            return attempt(strict, f"more{i}", "wrong-password") == 401

        wait_for(admitted, timeout=10, interval=0.3, what="a try admitted after the wait")
    second = strict.post("/login", data={"username": "olga", "password": PASSWORD, "csrf_token": tok})
    assert second.status_code == 429 and int(second.headers["retry-after"]) > int(first.headers["retry-after"])


def test_concurrent_tries_are_admitted_only_within_the_free_tries(redis_server: PrivateRedis) -> None:
    limit = SignInLimiter(connect(redis_server.url), "main", per_account=5, per_client=100, window_s=60)
    start = threading.Barrier(40)
    admitted: list[int] = []

    def go(i: int) -> None:
        start.wait()
        admitted.append(limit.admit("tina", f"10.0.0.{i}"))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert admitted.count(0) == 5
    assert limit.wait_s("tina", "10.0.0.99") >= 1


def test_refused_tries_do_not_make_the_wait_longer(redis_server: PrivateRedis) -> None:
    limit = SignInLimiter(connect(redis_server.url), "main", per_account=2, per_client=100, window_s=60,
                          delay_s=1.0, max_delay_account_s=60)
    assert [limit.admit("tina", "a"), limit.admit("tina", "a")] == [0, 0]
    waits = [limit.admit("tina", "b") for _ in range(20)]  # the owner retrying at once, twenty times
    assert all(0 < w <= 1 for w in waits)
    time.sleep(1.05)
    assert limit.admit("tina", "b") == 0
    limit.succeeded("tina", "b")
    assert limit.admit("tina", "c") == 0  # cleared by the right password
