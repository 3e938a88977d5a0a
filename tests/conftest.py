"""Fixtures shared by every test: private broker and Redis, settings pointing at them, polling."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest

from shared.servers import PrivateMosquitto, PrivateRedis
from shared.settings import Settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

T = TypeVar("T")


def wait_for(pred: Callable[[], T | Literal[False] | None], timeout: float = 10.0, interval: float = 0.02,
             what: str = "") -> T:
    """Poll `pred` until it returns something truthy; fail with `what` after `timeout` seconds.

    What it returns is truthy, so never None nor False: `wait_for(lambda: cond and x)` and
    `wait_for(lambda: x or None)` are typed as `x`."""
    deadline = time.monotonic() + timeout
    last: T | Literal[False] | None = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or pred}; last value {last!r}")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    broker = PrivateMosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.kill()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def make_settings(mosquitto: PrivateMosquitto, tmp_path: Path) -> Callable[..., Settings]:
    def make(**kw: Any) -> Settings:
        base: dict[str, Any] = {"environment": "test", "mqtt_port": mosquitto.port, "mqtt_keepalive_s": 5}
        base.update(kw)
        return Settings(_env_file=None, **base)

    return make


@pytest.fixture
def service_env(mosquitto: PrivateMosquitto, redis_server: PrivateRedis) -> dict[str, str]:
    """Environment for a service subprocess wired to the private broker and Redis."""
    env = dict(os.environ)
    env.update({
        "GYM_ENVIRONMENT": "test",
        "GYM_MQTT_PORT": str(mosquitto.port),
        "GYM_REDIS_URL": redis_server.url,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONUNBUFFERED": "1",
    })
    return env
