"""The member's whole flow on the kiosk (offscreen), through a real broker, with the real progression
service judging the reps that a camera publishes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PyQt6.QtCore import Qt

# pytest-qt leaves QtBot's mouseClick, keyClick and keyClicks untyped (*args, **kwargs), hence their
# ignore[no-untyped-call]; called on QTest instead, PyQt6's stubs take them for instance methods.
from pytestqt.qtbot import QtBot

from kiosk.state.flow import Page
from services.procs import Child
from shared import contract as c
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.settings import Settings
from shared.store import RedisStore, connect
from tests.conftest import wait_for
from tests.e2e.kiosk.conftest import open_kiosk
from tests.kiosk import page_of, row_texts

pytestmark = [pytest.mark.e2e]

# A controlled curl as the camera measures it: knee to 100°, pelvis and torso still (shared/judge.py's keys).
CONTROLLED = {"peak_knee_flexion_deg": 100.0, "pelvis_rotation_deg": 2.0, "torso_change_deg": 2.0}


class Camera(MqttBus):
    """The station's camera: like the real one, it learns of each set from the kiosk's set.started."""

    def __init__(self, port: int) -> None:
        super().__init__(Settings(_env_file=None, mqtt_port=port, station_id="st-01"), "camera")
        self.sets_seen: list[c.Envelope] = []
        self.subscribe("set.started", lambda ev: self.sets_seen.append(ev), site_id="main", station_id="st-01")


@pytest.fixture
def camera(mosquitto: PrivateMosquitto) -> Iterator[Camera]:
    bus = Camera(mosquitto.port)
    assert bus.start()
    yield bus
    bus.stop()


def test_tap_in_enrol_train_two_legs_and_read_the_summary(
    qtbot: QtBot, progression: Child, camera: Camera, mosquitto: PrivateMosquitto, redis_server: PrivateRedis
) -> None:
    bus, flow, win, _bridge = open_kiosk(qtbot, mosquitto.port)
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(win)
    assert bus.start()
    qtbot.waitUntil(lambda: flow.station.broker_online, timeout=5000)
    assert not win.banner.isVisible()

    # A badge reader types fast and presses Enter: unknown badge → enrol.
    qtbot.keyClicks(win, "0004521337", delay=2)  # type: ignore[no-untyped-call]
    qtbot.keyClick(win, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: "not recognised" in win.attract.msg.text(), timeout=10000)
    assert win.attract.enrol_box.isVisible()
    win.attract.name.setText("Ana")
    qtbot.mouseClick(win.attract.weaker[c.Leg.RIGHT], Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    qtbot.mouseClick(win.attract.create_btn, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: flow.page == Page.WELCOME, timeout=10000)
    assert win.welcome.hello.text() == "Welcome, Ana"
    assert "First session" in win.welcome.last.text()

    # Pick the warm-up goal (2 sets × 12–15): a new member starts light, weaker (right) leg first.
    goal_btn = win.welcome.goals["warm_up"]
    assert goal_btn.accessibleName().startswith("Warm-up")
    qtbot.mouseClick(goal_btn, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert flow.page == Page.SETUP
    assert win.setup.start.text().startswith("I'm ready — start set 1 of 2: right leg, 5 kg, 12 reps")

    t = 1000.0
    for leg in (c.Leg.RIGHT, c.Leg.LEFT):
        for k in (1, 2):
            # Setup's start, rest's "Start next set", or — between legs — the strap step's "Strap is on".
            go = {Page.SETUP: win.setup.start, Page.REST: win.rest.go, Page.STRAP: win.strap.go}[flow.page]
            if page_of(flow) == Page.STRAP:
                assert win.strap.title.text() == "Move the strap to your left ankle"
            qtbot.mouseClick(go, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
            assert page_of(flow) == Page.EXECUTION
            assert win.execution.set_title.text() == f"{leg.value.capitalize()} leg · set {k} of 2 · 5 kg"
            n_sets = 2 * (leg == c.Leg.LEFT) + k

            def set_under_way(n: int = n_sets) -> bool:
                return len(camera.sets_seen) == n

            wait_for(set_under_way, what="the set under way, at the camera")
            for r in range(1, 13):
                t += 5
                swing = leg == c.Leg.LEFT and k == 2 and r in (3, 7)
                # What the camera measures of a controlled rep (a swung one moves the thigh 25°); the fault
                # it names itself is what an older camera reported.
                camera.emit("camera.rep", c.CameraRep(
                    leg=leg, rep_index=r, start_t=t, end_t=t + 3.5, concentric_s=1.0, top_hold_s=0.5,
                    eccentric_s=2.2, metrics={**CONTROLLED, "thigh_excursion_deg": 25.0 if swing else 3.0},
                    faults=[c.Fault.SWING] if swing else []))
            page = win.execution
            qtbot.waitUntil(lambda: win.execution.count.text() == "12", timeout=10000)
            want = "10 of 12 reps passed" if (leg, k) == (c.Leg.LEFT, 2) else "12 of 12 reps passed"
            assert page.summary.text() == want
            if (leg, k) == (c.Leg.LEFT, 2):
                assert any("swung the thigh" in x for x in row_texts(page.list))
            if page_of(flow) == Page.EXECUTION:  # the set may already have ended by itself (the target reached)
                qtbot.mouseClick(page.end, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]

    assert page_of(flow) == Page.SUMMARY
    qtbot.waitUntil(lambda: len(flow.recommendations) == 2, timeout=10000)
    cards = win.summary.cards()
    right = next(x for x in cards if x.startswith("<b>Right leg"))
    left = next(x for x in cards if x.startswith("<b>Left leg"))
    assert "24 of 24 reps passed" in right and "24 of 24" not in left
    assert "22 of 24 reps passed" in left and "2× swung the thigh" in left
    # Right: every rep passed but 12 is short of the range's top (15): same weight, one more rep.
    assert "Next time: 5 kg × 13" in right
    assert "2 reps swung the thigh: keep 5 kg" in left

    # What the site kept: the member, their progress per leg, the session.
    store = RedisStore(connect(redis_server.url), "main")
    member = store.member_by_token(c.IdMethod.BADGE, "0004521337")
    assert member is not None and member.info.weaker_leg == c.Leg.RIGHT
    progress = store.progress(member.info.member_id, "hamstring-curl-kickback", c.Leg.RIGHT)
    assert progress is not None and progress.target_reps == 13
    assert len(store.history(member.info.member_id)) == 1

    # The broker goes away: the banner shows; what the kiosk sends is delivered when it is back.
    mosquitto.stop()
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=10000)
    assert "Offline" in win.banner.text()
    qtbot.mouseClick(win.summary.done, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert page_of(flow) == Page.ATTRACT
    flow.identify(c.IdMethod.BADGE, "0004521337")  # queued while offline
    mosquitto.start()
    qtbot.waitUntil(lambda: flow.page == Page.WELCOME, timeout=20000)
    assert win.welcome.hello.text() == "Welcome back, Ana"
    assert "right 2x12 @ 5 kg, 24/24 passed" in win.welcome.last.text()
    bus.stop()
