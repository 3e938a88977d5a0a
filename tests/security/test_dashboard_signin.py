"""Finding 5: the sign-in throttle, against the production dashboard.

Concurrent guesses are counted before any is checked (atomically in Redis), and a guesser cannot lock the
real user out: the account's wait grows but stays short, so its owner on another device gets in after it.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.dashboard import PASSWORD, csrf_of
from tests.security.dashboard_prod import ProdDashboard

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FREE_TRIES = 5  # GYM_DASHBOARD_SIGNIN_MAX_FAILURES, the production default
SHORT_WAIT_S = 60  # what "a short delay" means for the account's owner: a minute at most


def test_concurrent_wrong_guesses_are_counted_before_they_are_checked(prod: ProdDashboard) -> None:
    guesses = 16
    clients = [prod.client(f"127.0.1.{i + 1}") for i in range(guesses)]  # 16 devices: no client limit in play
    forms = [csrf_of(c.get("/login").text) for c in clients]
    start = threading.Barrier(guesses)
    codes: list[int] = []

    def guess(i: int) -> None:
        start.wait()
        r = clients[i].post("/login", data={"username": "tina", "password": f"guess-{i}", "csrf_token": forms[i]})
        codes.append(r.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in clients:
        c.close()
    assert sorted(set(codes)) == [401, 429], codes
    assert codes.count(401) <= FREE_TRIES, f"{codes.count(401)} of {guesses} guesses had their password checked"


def test_a_guesser_cannot_lock_the_real_user_out(prod: ProdDashboard) -> None:
    with prod.client("127.0.0.2") as guesser:
        codes = [prod.try_sign_in(guesser, "tina", f"wrong-{i}").status_code for i in range(12)]
    assert codes[:FREE_TRIES] == [401] * FREE_TRIES and 429 in codes

    with prod.client("127.0.0.3") as tina:  # the owner, on her own tablet
        r = prod.try_sign_in(tina, "tina", PASSWORD)
        if r.status_code == 429:
            wait = int(r.headers["retry-after"])
            assert wait <= SHORT_WAIT_S, f"the owner is told to wait {wait} s"
            assert "Try again in" in r.text
            time.sleep(wait)
            r = prod.try_sign_in(tina, "tina", PASSWORD)
        assert r.status_code == 303, (r.status_code, r.text[:200])
        assert tina.get("/api/v1/me").json()["name"] == "tina"
