"""The member's station hands-free, on the real window through a real broker: the execution step follows
the camera's poses, a set of 10 ends by itself, the strap step between legs, the on-screen keyboard
types a name, and the Tips & FAQ page scrolls by a finger's drag."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QWidget

# pytest-qt leaves QtBot's mouseClick, mousePress, mouseMove and mouseRelease untyped (*args, **kwargs), hence
# their ignore[no-untyped-call]; called on QTest instead, PyQt6's stubs take them for instance methods.
from pytestqt.qtbot import QtBot

from kiosk.state.flow import DONE_GRACE_S, Flow, Page
from kiosk.ui.window import KioskWindow
from services.procs import Child
from shared import contract as c
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto
from shared.settings import Settings
from tests.conftest import wait_for
from tests.e2e.kiosk.conftest import open_kiosk
from tests.kiosk import page_of

pytestmark = [pytest.mark.e2e]

# A controlled curl as the camera measures it (shared/judge.py's keys): a passed rep.
CONTROLLED = {"peak_knee_flexion_deg": 100.0, "pelvis_rotation_deg": 2.0, "torso_change_deg": 2.0,
              "thigh_excursion_deg": 3.0}

M = TypeVar("M", bound=c.Model)


@dataclass
class Station:
    flow: Flow
    win: KioskWindow
    camera: MqttBus  # stands in for the station's camera: publishes poses and reps, hears the kiosk's events
    heard: list[c.Envelope]

    def sent(self, kind: type[M]) -> list[M]:
        return [d for d in (getattr(e, "data", None) for e in list(self.heard)) if isinstance(d, kind)]


@pytest.fixture
def station(qtbot: QtBot, progression: Child, mosquitto: PrivateMosquitto) -> Iterator[Station]:
    camera = MqttBus(Settings(_env_file=None, mqtt_port=mosquitto.port, station_id="st-01"), "camera")
    heard: list[c.Envelope] = []
    for t in ("set.started", "set.ended", "session.ended"):
        camera.subscribe(t, heard.append, site_id="main", station_id="st-01")
    assert camera.start()
    bus, flow, win, _bridge = open_kiosk(qtbot, mosquitto.port)
    assert bus.start()
    qtbot.waitUntil(lambda: flow.station.broker_online, timeout=5000)
    yield Station(flow, win, camera, heard)
    bus.stop()
    camera.stop()


def tap(qtbot: QtBot, w: QWidget) -> None:
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]


def enrol(qtbot: QtBot, s: Station, badge: str, name: str | None = None) -> None:
    """An unknown badge, then the profile form: typed on the on-screen keyboard unless a name is given."""
    s.flow.identify(c.IdMethod.BADGE, badge)
    qtbot.waitUntil(lambda: s.win.attract.enrol_box.isVisible(), timeout=10000)
    if name is not None:
        s.win.attract.name.setText(name)
    tap(qtbot, s.win.attract.weaker[c.Leg.LEFT])
    tap(qtbot, s.win.attract.create_btn)
    qtbot.waitUntil(lambda: s.flow.page == Page.WELCOME, timeout=10000)


def start_first_set(qtbot: QtBot, s: Station, goal: str = "muscle_activation") -> None:
    tap(qtbot, s.win.welcome.goals[goal])
    tap(qtbot, s.win.setup.start)
    assert s.flow.page == Page.EXECUTION
    wait_for(lambda: len(s.sent(c.SetStarted)) == 1, what="the set under way, at the camera")


def test_the_step_highlight_follows_a_scripted_reps_phases(qtbot: QtBot, station: Station) -> None:
    s = station
    enrol(qtbot, s, "0004000001", "Ana")
    start_first_set(qtbot, s, "tempo_focus")
    page = s.win.execution
    assert page.lit_step is None  # no pose yet: nothing lit
    lit: list[str] = []

    def seen() -> None:  # after the window's own refresh: which step the page shows lit
        i = page.lit_step
        title = s.flow.exercise.execution[i].title if i is not None else "-"
        if not lit or lit[-1] != title:
            lit.append(title)

    s.flow.subscribe(seen)
    # A tempo rep at 20 poses a second: 1 s still, 2 s curl to 100°, 1 s squeeze, 3 s return, 2 s still.
    t, knee, poses = 100.0, 10.0, []
    for dur, end in ((1.0, 10.0), (2.0, 100.0), (1.0, 100.0), (3.0, 10.0), (2.0, 10.0)):
        n = int(dur * 20)
        start = knee
        for i in range(1, n + 1):
            t += 0.05
            knee = start + (end - start) * i / n
            poses.append(c.CameraPose(t=t, leg=c.Leg.LEFT, knee_flexion_deg=knee,
                                      keypoints={"hip": (0.5, 0.4), "knee": (0.45, 0.6), "ankle": (0.4, 0.8)}))
    for p in poses:
        s.camera.emit("camera.pose", p)
    qtbot.waitUntil(lambda: s.flow.pose is not None and s.flow.pose.t == poses[-1].t, timeout=10000)
    assert lit == ["Start with tension", "Curl the heel upward", "Squeeze the hamstring", "Lower slowly",
                   "Reset without relaxing", "Start with tension"]
    # The lit step reads in full on the page; the others by their title only.
    lit_label = page.steps[s.flow.exercise.execution.index(next(x for x in s.flow.exercise.execution
                                                                 if x.title == "Start with tension"))]
    assert "before the first rep" in lit_label.text()
    assert "toward the glutes" not in page.steps[2].text()
    assert page.mirror.pose is not None and "knee" in page.mirror.pose.keypoints


def test_a_set_of_10_ends_by_itself_after_the_10th_rep(qtbot: QtBot, station: Station) -> None:
    s = station
    enrol(qtbot, s, "0004000002", "Ben")
    start_first_set(qtbot, s)  # muscle activation: 10 reps for a new member
    cur = s.flow.current
    assert cur is not None and cur.target_reps == 10
    t = 1000.0
    for r in range(1, 11):
        t += 5
        s.camera.emit("camera.rep", c.CameraRep(leg=cur.leg, rep_index=r, start_t=t, end_t=t + 3.5,
                                                concentric_s=1.0, top_hold_s=0.5, eccentric_s=2.0,
                                                metrics=CONTROLLED))
        if r == 9:  # nine reps in: the set goes on, however long the grace
            qtbot.waitUntil(lambda: s.win.execution.count.text() == "9", timeout=10000)
            qtbot.wait(int(1000 * (DONE_GRACE_S + 1)))  # past the grace a 10th rep would get
            assert s.flow.page == Page.EXECUTION and not s.sent(c.SetEnded)
    qtbot.waitUntil(lambda: s.win.execution.count.text() == "10", timeout=10000)
    qtbot.waitUntil(lambda: s.flow.page == Page.REST, timeout=10000)  # by itself: nobody tapped
    ended = wait_for(lambda: s.sent(c.SetEnded), what="set.ended at the camera")
    assert len(ended) == 1 and ended[0].end_reason == "completed" and ended[0].set_index == 1
    assert s.win.rest.ended.text() == "Set done: 10 reps."
    assert s.win.rest.fix.text() == "Every rep was clean: keep the same control."


def test_the_strap_step_appears_between_legs(qtbot: QtBot, station: Station) -> None:
    s = station
    enrol(qtbot, s, "0004000003", "Cy")
    start_first_set(qtbot, s)  # 2 sets a leg, the weaker (left) first
    tap(qtbot, s.win.execution.end)
    assert s.flow.page == Page.REST
    tap(qtbot, s.win.rest.go)
    tap(qtbot, s.win.execution.end)
    assert page_of(s.flow) == Page.STRAP
    assert s.win.strap.title.text() == "Move the strap to your right ankle"
    assert s.win.strap.go.isVisible() and "right leg" in s.win.strap.go.text()
    # The right leg's set has started: the camera follows it; its first curl confirms the strap moved.
    wait_for(lambda: any(d.leg == c.Leg.RIGHT for d in s.sent(c.SetStarted)), what="right set.started")
    s.camera.emit("camera.pose", c.CameraPose(t=2000.0, leg=c.Leg.RIGHT, knee_flexion_deg=12.0))
    s.camera.emit("camera.pose", c.CameraPose(t=2000.5, leg=c.Leg.RIGHT, knee_flexion_deg=45.0))
    qtbot.waitUntil(lambda: s.flow.page == Page.EXECUTION, timeout=10000)
    assert s.win.execution.set_title.text().startswith("Right leg · set 1 of 2")


def test_the_on_screen_keyboard_types_a_name(qtbot: QtBot, station: Station) -> None:
    s = station
    s.flow.identify(c.IdMethod.BADGE, "0004000004")
    qtbot.waitUntil(lambda: s.win.attract.enrol_box.isVisible(), timeout=10000)
    kb = s.win.keyboard
    assert not kb.isVisible()
    tap(qtbot, s.win.attract.name)  # a finger on the field opens the keyboard
    assert kb.isVisible() and kb.target is s.win.attract.name
    for key in ("d", "a", "n", "space", "shift", "o"):
        b = kb.keys[key]
        assert b.height() >= 84 and b.width() >= 84  # 15 mm on the 141 px/inch panel
        tap(qtbot, b)
    assert s.win.attract.name.text() == "Dan O"  # the first letter capital by itself, the next by Shift
    tap(qtbot, kb.keys["ü"])
    assert s.win.attract.name.text() == "Dan Oü"  # a German name's letters are on the keys
    tap(qtbot, kb.keys["back"])
    tap(qtbot, kb.keys["back"])
    tap(qtbot, kb.keys["enter"])
    assert not kb.isVisible()
    enrol(qtbot, s, "0004000004")  # the typed name is the one the site keeps
    assert s.win.welcome.hello.text() == "Welcome, Dan"


def test_the_tips_page_scrolls_by_a_drag(qtbot: QtBot, station: Station) -> None:
    s = station
    tap(qtbot, s.win.info_btn)
    area = s.win.info.body
    bar = area.verticalScrollBar()
    vp = area.viewport()
    assert bar is not None and vp is not None and bar.maximum() > 0 and bar.value() == 0
    assert bar.width() >= 48  # the wide handle, a second grip for the finger
    start = QPoint(vp.width() // 2, vp.height() - 40)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)  # type: ignore[no-untyped-call]
    for i in range(1, 21):
        qtbot.wait(15)
        qtbot.mouseMove(vp, start - QPoint(0, 30 * i))  # type: ignore[no-untyped-call]
    end = start - QPoint(0, 600)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: bar.value() >= 300, timeout=5000)  # the content followed the finger up
