"""Finding 4: dashboard sessions can be revoked — server-side sessions in Redis, against the production dashboard.

A copy of the cookie kept from before a logout, a password reset, a demotion, or `gymctl user disable|remove`
signs nobody in; an open live page is closed; sessions end after an idle and an absolute limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import websockets
from websockets.typing import Origin

from shared.store import connect
from tests.conftest import wait_for
from tests.dashboard import PASSWORD
from tests.security.dashboard_prod import ProdDashboard, cookie_payload

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def me(prod: ProdDashboard, cookie: str) -> int:
    """Status of `/api/v1/me` for a browser that presents only this cookie (a copy someone kept)."""
    with prod.client("127.0.0.9") as c:
        return c.get("/api/v1/me", headers={"cookie": f"gym_dashboard={cookie}"}).status_code


def signed_in_cookie(prod: ProdDashboard, name: str = "tina") -> str:
    with prod.client() as c:
        prod.sign_in(c, name)
        return c.cookies["gym_dashboard"]


def test_a_cookie_kept_from_before_logout_no_longer_signs_in(prod: ProdDashboard) -> None:
    with prod.client() as c:
        tok = prod.sign_in(c, "tina")
        kept = c.cookies["gym_dashboard"]
        assert me(prod, kept) == 200
        assert c.post("/logout", data={"csrf_token": tok}).status_code == 303
    assert me(prod, kept) == 401


def test_the_cookie_holds_a_random_session_id_and_redis_only_its_hash(prod: ProdDashboard) -> None:
    payload = cookie_payload(signed_in_cookie(prod))
    assert "tina" not in json.dumps(payload) and "trainer" not in json.dumps(payload)
    sid = payload["sid"]
    assert len(sid) >= 32
    keys = set(connect(prod.redis_url).keys("gym:main:dashboard:session:*"))
    assert f"gym:main:dashboard:session:{hashlib.sha256(sid.encode()).hexdigest()}" in keys
    assert not any(sid in k for k in keys)


def test_a_password_reset_and_a_demotion_end_the_sessions_signed_in_before(prod: ProdDashboard,
                                                                           tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    tina = signed_in_cookie(prod, "tina")
    r = prod.cli("services.dashboard", "user", "add", "--reset", "--role", "trainer", "tina",
                 "--password-file", str(pw))
    assert r.returncode == 0, r.stderr
    assert me(prod, tina) == 401

    olga = signed_in_cookie(prod, "olga")
    r = prod.cli("services.dashboard", "user", "add", "--reset", "--role", "trainer", "olga",
                 "--password-file", str(pw))
    assert r.returncode == 0, r.stderr
    assert me(prod, olga) == 401  # demoted: the operator session she had is gone
    with prod.client() as c:
        prod.sign_in(c, "olga")
        assert c.get("/api/v1/me").json() == {"name": "olga", "role": "trainer"}


def test_gymctl_user_disable_ends_every_session_and_refuses_sign_in_until_enabled(prod: ProdDashboard) -> None:
    cookies = [signed_in_cookie(prod), signed_in_cookie(prod)]  # a tablet and a phone
    r = prod.cli("services.gymctl", "user", "disable", "tina")
    assert r.returncode == 0, r.stderr
    assert "2 session(s) ended" in r.stdout
    assert [me(prod, k) for k in cookies] == [401, 401]
    with prod.client() as c:
        r2 = prod.try_sign_in(c, "tina", PASSWORD)
        assert r2.status_code == 403 and "disabled" in r2.text
    assert prod.cli("services.gymctl", "user", "enable", "tina").returncode == 0
    signed_in_cookie(prod)

    kept = signed_in_cookie(prod)
    r = prod.cli("services.gymctl", "user", "remove", "tina")
    assert r.returncode == 0, r.stderr
    assert me(prod, kept) == 401
    with prod.client() as c:
        assert prod.try_sign_in(c, "tina", PASSWORD).status_code == 401


def test_an_open_live_page_is_closed_when_its_session_is_revoked(
        start_dashboard: Callable[..., ProdDashboard]) -> None:
    prod = start_dashboard(session_recheck_s="0.5")
    cookie = signed_in_cookie(prod)

    async def watch() -> int | None:
        url = prod.base.replace("https://", "wss://") + "/ws/floor"
        async with websockets.connect(url, ssl=prod.tls(), additional_headers={"Cookie": f"gym_dashboard={cookie}"},
                                      origin=Origin(prod.base)) as ws:
            assert json.loads(await ws.recv())["type"] == "snapshot"
            assert (await asyncio.to_thread(prod.cli, "services.gymctl", "user", "disable", "tina")).returncode == 0
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), timeout=10)
            except websockets.ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None

    assert asyncio.run(watch()) == 4401  # the page sends the browser to the sign-in form


def test_a_session_ends_after_its_idle_limit(start_dashboard: Callable[..., ProdDashboard]) -> None:
    prod = start_dashboard(session_idle_s="2")
    idle, busy = signed_in_cookie(prod), signed_in_cookie(prod)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:  # one tablet in use, the other left on a bench
        assert me(prod, busy) == 200
        time.sleep(0.5)
    assert me(prod, idle) == 401  # three seconds without a request
    assert me(prod, busy) == 200


def test_a_session_ends_after_its_absolute_limit_however_busy(start_dashboard: Callable[..., ProdDashboard]) -> None:
    prod = start_dashboard(session_max_age_s="4")
    busy = signed_in_cookie(prod)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:  # kept busy: the idle limit never strikes
        assert me(prod, busy) == 200
        time.sleep(0.5)
    wait_for(lambda: me(prod, busy) == 401, timeout=4, interval=0.3, what="the absolute limit")
