"""The kiosk e2e tests' station, written once: the site's progression worker on the private broker and
Redis, the real kiosk window opened offscreen, and how a test reads the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.app import bootstrap
from kiosk.bridge import EventBridge
from kiosk.settings import KioskSettings
from kiosk.state.flow import Flow
from kiosk.ui.window import KioskWindow
from services.procs import Child, wait_online
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto


@pytest.fixture
def progression(service_env: dict[str, str], mosquitto: PrivateMosquitto, tmp_path: Path) -> Iterator[Child]:
    """The site's progression worker, online (its retained status); alive to the end of the test."""
    k = Child("progression", ["services.progression", "run"], {**service_env, "GYM_STATION_ID": "site"}, tmp_path)
    wait_online(mosquitto.port, "progression", "site", child=k)
    yield k
    assert k.alive(), k.tail()
    k.stop()


def open_kiosk(qtbot: QtBot, port: int) -> tuple[MqttBus, Flow, KioskWindow, EventBridge]:
    """Station st-01's kiosk as `python -m kiosk` wires it, its window shown (1920×1080, not full screen); its
    bus is not started yet."""
    settings = KioskSettings(_env_file=None, environment="test", mqtt_port=port, station_id="st-01",
                             fullscreen=False)
    bus, flow, win, bridge = bootstrap(settings)
    qtbot.addWidget(win)
    win.resize(1920, 1080)
    win.show()
    qtbot.waitExposed(win)
    return bus, flow, win, bridge
