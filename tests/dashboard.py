"""The dashboard in tests, written once for the integration, e2e and security tests: its two staff accounts,
its settings on the private broker and Redis, signing a client in through the real form, and a kiosk's ear on
a station's cue topic."""

from __future__ import annotations

import re
from typing import Any

import httpx

from services.dashboard.config import DashboardSettings
from services.dashboard.users import Role, UserStore
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.store import connect
from shared.topics import topic_filter
from tests.wire import RawListener

PASSWORD = "correct horse battery"  # both accounts'


def add_staff(redis_url: str, password: str = PASSWORD, *, replace: bool = False) -> UserStore:
    """The site's staff: `tina`, a trainer, and `olga`, an operator."""
    users = UserStore(connect(redis_url), "main")
    users.add("tina", Role.TRAINER, password, replace=replace)
    users.add("olga", Role.OPERATOR, password, replace=replace)
    return users


def app_settings(mosquitto: PrivateMosquitto, redis_server: PrivateRedis, **kw: Any) -> DashboardSettings:
    """The app's settings on the private broker and Redis (`kw`: any other setting)."""
    return DashboardSettings(_env_file=None, **{"environment": "test", "mqtt_port": mosquitto.port,
                                                "redis_url": redis_server.url, "mqtt_keepalive_s": 5, **kw})


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def try_sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """The sign-in form filled and sent as a browser does; the answer, not followed."""
    tok = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": tok, "next": "/"},
                       follow_redirects=False)


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> str:
    """Signs `client` in (it keeps its cookies: a session it had is the one replaced); returns the session's
    CSRF token."""
    r = try_sign_in(client, name, password)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return csrf_of(client.get("/", headers={"accept": "text/html"}).text)


def kiosk_cues(port: int, station_id: str = "st-01") -> RawListener:
    """What a station's kiosk hears on its cue topic (raw payloads, in order), subscribed before it returns."""
    return RawListener(port, topic_filter("kiosk.cue", "main", station_id))
