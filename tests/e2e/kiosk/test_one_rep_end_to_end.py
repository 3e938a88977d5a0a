"""The walking skeleton: a virtual member's set, judged by camera and progression, shown on the real kiosk window."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt

# pytest-qt leaves QtBot.mouseClick and keyClicks untyped (*args, **kwargs): hence type: ignore[no-untyped-call]
from pytestqt.qtbot import QtBot

from kiosk.state.flow import Page
from services.procs import Child, wait_online
from services.simulator.script import demo_set
from shared.contract import Fault, IdMethod, Leg
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.store import RedisStore, connect
from tests.conftest import wait_for
from tests.e2e.kiosk.conftest import open_kiosk
from tests.kiosk import row_texts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def site(service_env: dict[str, str], mosquitto: PrivateMosquitto, tmp_path: Path) -> Iterator[dict[str, str]]:
    env_site = {**service_env, "GYM_STATION_ID": "site"}
    env_station = {**service_env, "GYM_STATION_ID": "st-01"}
    kids = [
        Child("progression", ["services.progression", "run"], env_site, tmp_path),
        Child("camera", ["services.camera", "run", "--source", "sim"], env_station, tmp_path),
    ]
    wait_online(mosquitto.port, "progression", "site", child=kids[0])
    yield env_station
    for k in kids:
        assert k.alive(), f"{k.name} died:\n{k.tail()}"
        k.stop()


def test_a_set_is_judged_and_every_verdict_reaches_the_kiosk_and_redis(
    qtbot: QtBot, site: dict[str, str], mosquitto: PrivateMosquitto, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    bus, flow, win, _bridge = open_kiosk(qtbot, mosquitto.port)
    assert bus.start()
    qtbot.waitUntil(lambda: flow.station.broker_online, timeout=5000)
    assert not win.banner.isVisible()

    # The station's camera is up (its retained status) before the member starts.
    qtbot.waitUntil(lambda: "camera" in flow.services, timeout=20000)
    # A new member (progression keeps sessions of members, not of guests) trains the left leg: the kiosk's
    # set.started makes the virtual member perform the demo set in front of the (simulated) camera.
    flow.identify(IdMethod.BADGE, "0004521337")
    qtbot.waitUntil(lambda: win.attract.enrol_box.isVisible(), timeout=10000)
    win.attract.name.setText("Ana")
    qtbot.mouseClick(win.attract.weaker[Leg.LEFT], Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    qtbot.mouseClick(win.attract.create_btn, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: flow.page == Page.WELCOME, timeout=10000)
    qtbot.mouseClick(win.welcome.goals["strength_control"], Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    qtbot.mouseClick(win.setup.start, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert flow.page == Page.EXECUTION and flow.current is not None and flow.current.leg == Leg.LEFT
    plan = demo_set(Leg.LEFT)
    expected = [sorted(f.value for f in r.faults) for r in plan.reps]
    qtbot.waitUntil(lambda: flow.station.reps == len(plan.reps), timeout=int((plan.duration_s + 20) * 1000))

    # What the member sees on the kiosk.
    page = win.execution
    assert page.count.text() == str(len(plan.reps))
    assert page.summary.text() == "4 of 6 reps passed"
    shown = row_texts(page.list)
    assert shown[0].startswith("Rep 6") and "good rep" in shown[0]
    assert any("Rep 3" in s and "dropped the return" in s for s in shown)
    assert any("Rep 4" in s and "cut the curl short" in s for s in shown)
    assert [sorted(f.value for f in v.faults) for v in flow.station.verdicts] == expected
    assert all(v.session_id == flow.session_id and v.set_index == 1 for v in flow.station.verdicts)

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
