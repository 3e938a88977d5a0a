"""Server-side sessions on the real Redis: idle and absolute limits, revocation, a new session at each
sign-in, the live floor through a Redis outage, WebSocket origins, and the account commands."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from services.dashboard.__main__ import main as dashboard_main
from services.dashboard.config import DashboardSettings
from services.dashboard.users import Role, UserStore
from shared.servers import PrivateRedis
from shared.store import DashboardAccess, connect, session_digest
from tests.conftest import wait_for
from tests.dashboard import PASSWORD, csrf_of, try_sign_in
from tests.integration.dashboard.conftest import open_app

pytestmark = pytest.mark.integration


def test_a_session_has_an_idle_and_an_absolute_limit(redis_server: PrivateRedis) -> None:
    access = DashboardAccess(connect(redis_server.url), "main", idle_s=600, absolute_s=3600)
    sid = access.create("tina", "trainer", "10.0.0.5", now=1_000_000)
    s = access.get(sid, now=1_000_100)
    assert s is not None and (s.user, s.role, s.client, s.expires_at) == ("tina", "trainer", "10.0.0.5", 1_003_600)
    key = access.keys.dashboard_session(session_digest(sid))
    assert 590 <= access.r.ttl(key) <= 600  # the idle clock restarted
    access.get(sid, touch=False, now=1_003_500)
    assert access.r.ttl(key) <= 600
    access.get(sid, now=1_003_500)
    assert access.r.ttl(key) <= 100  # never past the absolute limit
    assert access.get(sid, now=1_003_600) is None and not access.r.exists(key)
    assert access.get("not-a-session") is None and access.get("") is None


def test_revoking_an_account_ends_all_its_sessions_and_only_its_own(redis_server: PrivateRedis) -> None:
    access = DashboardAccess(connect(redis_server.url), "main")
    tinas = [access.create("tina", "trainer") for _ in range(3)]
    olga = access.create("olga", "operator")
    assert access.sessions_of("tina") == 3
    assert access.revoke(tinas[0]) and not access.revoke(tinas[0])
    assert access.revoke_user("tina") == 2
    assert all(access.get(s) is None for s in tinas) and access.get(olga) is not None
    with pytest.raises(KeyError):
        access.disable("nobody")


def test_each_sign_in_starts_a_new_session_and_ends_the_one_before(
        client: TestClient, sign_in: Callable[[str], str]) -> None:
    sign_in("tina")
    first = client.cookies["gym_dashboard"]
    tok = csrf_of(client.get("/", headers={"accept": "text/html"}).text)
    client.post("/login", data={"username": "tina", "password": PASSWORD, "csrf_token": tok},
                follow_redirects=False)
    assert client.cookies["gym_dashboard"] != first
    assert client.get("/api/v1/me").status_code == 200
    client.cookies.set("gym_dashboard", first)  # the cookie of the session before
    assert client.get("/api/v1/me").status_code == 401


def test_the_live_floor_reads_through_a_redis_outage_but_nothing_changes(
        client: TestClient, sign_in: Callable[[str], str], redis_server: PrivateRedis) -> None:
    tok = sign_in("tina")
    redis_server.kill()
    assert client.get("/api/v1/stations").status_code == 200  # verified moments ago: may still read
    with client.websocket_connect("/ws/floor") as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
    r = client.post("/api/v1/stations/st-01/cues", json={"message": "Slow down"}, headers={"x-csrf-token": tok})
    assert r.status_code == 503  # a cue is audited: no record, no cue
    redis_server.start()


def test_without_the_grace_a_redis_outage_answers_503_not_a_sign_in(
        dash_settings: DashboardSettings, accounts: UserStore, redis_server: PrivateRedis) -> None:
    settings = dash_settings.model_copy(update={"dashboard_session_offline_grace_s": 0})
    with open_app(settings) as c:
        assert try_sign_in(c, "tina").status_code == 303
        redis_server.kill()
        assert c.get("/api/v1/stations").status_code == 503
        page = c.get("/", headers={"accept": "text/html"})
        assert page.status_code == 503 and "Temporarily unavailable" in page.text
        redis_server.start()
        wait_for(lambda: c.get("/api/v1/stations").status_code == 200, what="sessions back with redis")


def test_a_websocket_from_a_foreign_origin_is_refused_before_it_is_accepted(
        client: TestClient, sign_in: Callable[[str], str]) -> None:
    sign_in("tina")
    with pytest.raises(WebSocketDisconnect) as refused, \
            client.websocket_connect("/ws/floor", headers={"origin": "https://evil.example"}):
        pass
    assert refused.value.code == 4403
    with client.websocket_connect("/ws/floor", headers={"origin": "http://testserver"}) as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
    with client.websocket_connect("/ws/floor") as ws:  # no Origin: not a browser (the bench, a script)
        assert json.loads(ws.receive_text())["type"] == "snapshot"


def test_an_extra_origin_can_be_allowed(dash_settings: DashboardSettings, accounts: UserStore) -> None:
    from services.dashboard.sessions import SessionUser

    settings = dash_settings.model_copy(update={"dashboard_allowed_origins": ["https://gym.example"]})
    with open_app(settings) as c:
        try_sign_in(c, "tina")
        with c.websocket_connect("/ws/floor", headers={"origin": "https://gym.example"}) as ws:
            assert json.loads(ws.receive_text())["type"] == "snapshot"
        assert SessionUser(name="x", role=Role.TRAINER).is_operator is False


def test_the_account_commands_end_sessions(client: TestClient, sign_in: Callable[[str], str],
                                           accounts: UserStore, monkeypatch: pytest.MonkeyPatch,
                                           redis_server: PrivateRedis, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GYM_REDIS_URL", redis_server.url)
    monkeypatch.setenv("GYM_ENVIRONMENT", "test")
    sign_in("olga")
    assert dashboard_main(["user", "role", "olga", "trainer"]) == 0
    assert client.get("/api/v1/me").status_code == 401  # the operator session is gone with the role
    sign_in("olga")
    assert client.get("/api/v1/me").json()["role"] == "trainer"
    assert dashboard_main(["user", "disable", "olga"]) == 0
    assert client.get("/api/v1/me").status_code == 401
    assert dashboard_main(["user", "list"]) == 0
    assert "olga\ttrainer" in capsys.readouterr().out
    assert dashboard_main(["user", "enable", "olga"]) == 0
    sign_in("olga")
    assert dashboard_main(["user", "remove", "olga"]) == 0
    assert client.get("/api/v1/me").status_code == 401 and accounts.get("olga") is None
    assert dashboard_main(["user", "remove", "olga"]) == 1
    actions = [e.action for e in reversed(client.app.state.audit.entries())]  # type: ignore[attr-defined]
    assert [a for a in actions if a.startswith("user.")] == ["user.role", "user.disable", "user.enable",
                                                             "user.remove"]
