"""The walking skeleton: a virtual member's set, judged by camera and progression, shown on the kiosk."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bridge import EventBridge
from kiosk.state.station import StationState
from kiosk.ui.main_window import StationWindow
from services.procs import Child
from services.simulator.script import demo_set
from shared.contract import Fault
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.settings import Settings
from shared.store import RedisStore, connect
from tests.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def site(service_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    env_site = {**service_env, "GYM_STATION_ID": "site"}
    env_station = {**service_env, "GYM_STATION_ID": "st-01"}
    kids = [
        Child("progression", ["services.progression", "run"], env_site, tmp_path),
        Child("camera", ["services.camera", "run", "--source", "sim"], env_station, tmp_path),
    ]
    yield env_station
    for k in kids:
        assert k.alive(), f"{k.name} died:\n{k.tail()}"
        k.stop()


def test_a_set_is_judged_and_every_verdict_reaches_the_kiosk_and_redis(
    qtbot, site: dict[str, str], mosquitto: PrivateMosquitto, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, environment="test", mqtt_port=mosquitto.port, station_id="st-01")
    state = StationState()
    bridge = EventBridge()
    bridge.event.connect(state.apply)
    bridge.connection.connect(state.set_broker_online)
    bus = MqttBus(settings, "kiosk", on_connection_change=bridge.connection_changed)
    bus.subscribe("rep.verdict", bridge.deliver, site_id="main", station_id="st-01")
    win = StationWindow(state, "Station st-01")
    qtbot.addWidget(win)
    win.show()
    assert bus.start()
    qtbot.waitUntil(lambda: state.broker_online, timeout=5000)
    assert not win.banner.isVisible()

    member = Child("member", ["services.simulator", "run", "--once"], site, tmp_path)
    plan = demo_set()
    expected = [sorted(f.value for f in r.faults) for r in plan.reps]
    qtbot.waitUntil(lambda: state.reps == len(plan.reps), timeout=int((plan.duration_s + 20) * 1000))
    assert member.proc.wait(30) == 0, member.tail()

    # What the member sees on the kiosk.
    assert win.count.text() == str(len(plan.reps))
    assert win.summary.text() == "4 of 6 reps passed"
    shown = [win.list.item(i).text() for i in range(win.list.count())]
    assert shown[0].startswith("Rep 6") and "good rep" in shown[0]
    assert any("Rep 3" in s and "dropped the return" in s for s in shown)
    assert any("Rep 4" in s and "cut the curl short" in s for s in shown)
    assert [sorted(f.value for f in v.faults) for v in state.verdicts] == expected
    assert all(v.session_id and v.set_index == 1 for v in state.verdicts)

    # What progression stored.
    store = RedisStore(connect(redis_server.url), "main")
    stored = wait_for(lambda: store.verdicts("st-01") if len(store.verdicts("st-01")) == 6 else None)
    assert [sorted(f.value for f in v.data.faults) for v in stored] == expected
    assert [v.data.rep_index for v in stored] == [1, 2, 3, 4, 5, 6]
    assert store.last_verdict("st-01") == stored[-1]
    assert Fault.FAST_ECCENTRIC in stored[2].data.faults

    # The broker goes away: the kiosk shows the banner.
    mosquitto.stop()
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=10000)
    bus.stop()
    assert os.environ.get("QT_QPA_PLATFORM") == "offscreen"
