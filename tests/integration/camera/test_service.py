"""The camera service as a real process on the private broker: replay → camera.rep and camera.pose,
the placement check answered on station.command, and a video file with nobody in it → degraded,
with a QR code in it → member.identified."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from services.procs import Child
from services.procs import service_env as procs_env
from services.simulator.pose import PoseSimulator
from services.simulator.script import RepPlan, SetPlan
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue
from shared.contract import (
    CameraPose,
    CameraRep,
    Envelope,
    Fault,
    IdMethod,
    Leg,
    MemberIdentified,
    ServiceState,
    StationCommand,
    StationReply,
    StationStatus,
)
from shared.judge import judge
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto
from shared.settings import Settings
from tests.conftest import wait_for
from tests.video import write_test_video

pytestmark = [pytest.mark.integration]

QUICK = RepPlan(concentric_s=1.0, top_hold_s=0.5, eccentric_s=2.0, rest_s=0.6)
SWUNG = RepPlan(concentric_s=1.0, top_hold_s=0.5, eccentric_s=2.0, rest_s=0.6, faults=frozenset({Fault.SWING}))
DROPPED = RepPlan(concentric_s=1.0, top_hold_s=0.5, eccentric_s=0.5, rest_s=0.6,
                  faults=frozenset({Fault.FAST_ECCENTRIC}))
PLAN = SetPlan(leg=Leg.RIGHT, reps=(QUICK, SWUNG, DROPPED, QUICK), lead_in_s=1.0, tail_s=1.0)
SPEED = 3.0  # replay at 3x: the 17 s set in ~6 s; timing comes from the frames' own clock
EXERCISE = default_catalogue()[DEFAULT_EXERCISE]
M = TypeVar("M")


class Watcher:
    """Everything the camera publishes, as validated contract events."""

    def __init__(self, settings: Settings) -> None:
        self.lock = threading.Lock()
        self.events: list[Envelope] = []
        self.bus = MqttBus(settings, "watcher", client_id="camera-test-watcher")
        for t in ("camera.rep", "camera.pose", "station.status", "station.reply", "member.identified"):
            self.bus.subscribe(t, self.on, site_id="main", station_id="st-01")
        assert self.bus.start()

    def on(self, ev: Envelope) -> None:
        with self.lock:
            self.events.append(ev)

    def data(self, kind: type[M]) -> list[M]:
        with self.lock:
            return [d for d in (getattr(e, "data", None) for e in self.events) if isinstance(d, kind)]

    def camera_status(self, pred: Callable[[StationStatus], bool]) -> StationStatus | None:
        return next((s for s in self.data(StationStatus) if s.service == "camera" and pred(s)), None)


@pytest.fixture
def watcher(make_settings: Callable[..., Settings]) -> Iterator[Watcher]:
    w = Watcher(make_settings(station_id="st-01"))
    yield w
    w.bus.stop()


def camera(mosquitto: PrivateMosquitto, tmp_path: Path, *args: str) -> Child:
    env = procs_env(ENVIRONMENT="test", MQTT_PORT=str(mosquitto.port), STATION_ID="st-01")
    return Child("camera", ["services.camera", "run", *args], env, tmp_path)


def test_replay_is_judged_and_published_and_placement_is_answered(
        mosquitto: PrivateMosquitto, watcher: Watcher, tmp_path: Path) -> None:
    replay = tmp_path / "set.jsonl"
    with open(replay, "w") as fh:
        for f in PoseSimulator(PLAN, noise_px=1.0, seed=5, camera_on_left=False).frames():
            fh.write(json.dumps(f) + "\n")
        fh.write("{broken line\n")  # must not stop the service
    cam = camera(mosquitto, tmp_path, "--source", str(replay), "--leg", "right", "--speed", str(SPEED),
                 "--snapshot-dir", str(tmp_path / "snaps"))
    try:
        reps: list[CameraRep] = wait_for(lambda: (lambda r: r if len(r) >= 4 else None)(watcher.data(CameraRep)),
                                         timeout=30, what=f"4 camera.rep events\n{cam.tail()}")
        assert [r.rep_index for r in reps] == [1, 2, 3, 4]
        # The camera publishes measurements only; the one judge finds each rep's fault in them.
        assert [r.faults for r in reps] == [[], [], [], []]
        assert [list(judge(EXERCISE, EXERCISE.goal("strength_control"), r, None).faults) for r in reps] == [
            [], [Fault.SWING], [Fault.FAST_ECCENTRIC], []]
        assert all(r.leg is Leg.RIGHT and r.end_t > r.start_t for r in reps)
        assert reps[1].metrics["thigh_excursion_deg"] > 15 > reps[0].metrics["thigh_excursion_deg"]
        assert reps[2].eccentric_s == pytest.approx(0.5, abs=0.15)
        poses = watcher.data(CameraPose)
        assert poses and max(p.knee_flexion_deg or 0 for p in poses) > 90
        assert all(p.thigh_angle_deg is not None for p in poses if p.person_visible)
        assert any("Keep the thigh still" in p.cues for p in poses)
        assert any("Lower slowly" in p.cues for p in poses)
        # The mirror's stick figure: the working (right) side's joints, normalised to the image, never a picture.
        seen = [p for p in poses if p.person_visible]
        assert all({"hip", "knee", "ankle"} <= set(p.keypoints) for p in seen)
        assert all(0.0 <= v <= 1.0 for p in seen for xy in p.keypoints.values() for v in xy)
        assert watcher.camera_status(lambda s: s.state is ServiceState.ONLINE)

        # The installer asks for a placement check while the replay ends: answered either way.
        watcher.bus.emit("station.command", StationCommand(correlation_id="pc-1", service="camera",
                                                           command="placement_check", args={"seconds": 0.5}))
        watcher.bus.emit("station.command", StationCommand(correlation_id="pc-2", service="camera",
                                                           command="warp_drive"))
        replies = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(watcher.data(StationReply)),
                           timeout=15, what="two station.reply")
        by_id = {r.correlation_id: r for r in replies}
        assert by_id["pc-2"].status == "error" and "warp_drive" in by_id["pc-2"].error
        assert by_id["pc-1"].status == "ok" and isinstance(by_id["pc-1"].data["ok"], bool)
        assert by_id["pc-1"].data["message"]
        assert cam.alive(), cam.tail()
        assert "skipped line" in cam.log()
    finally:
        cam.stop()


def test_sim_source_answers_the_placement_check_with_a_snapshot(
        mosquitto: PrivateMosquitto, watcher: Watcher, tmp_path: Path) -> None:
    """The virtual member stands at the station only during a set; a set.started makes it perform."""
    from shared.contract import SetStarted

    cam = camera(mosquitto, tmp_path, "--source", "sim", "--snapshot-dir", str(tmp_path / "snaps"))
    try:
        wait_for(lambda: watcher.camera_status(lambda s: s.state is ServiceState.ONLINE), timeout=15,
                 what=f"camera online\n{cam.tail()}")
        watcher.bus.emit("set.started", SetStarted(session_id="s-1", set_index=1, leg=Leg.LEFT, weight_kg=10,
                                                   target_reps=6))
        wait_for(lambda: any(p.person_visible for p in watcher.data(CameraPose)), timeout=10, what="poses")
        watcher.bus.emit("station.command", StationCommand(correlation_id="pc-3", service="camera",
                                                           command="placement_check", args={"seconds": 1.0}))
        reply: StationReply = wait_for(lambda: next(iter(watcher.data(StationReply)), None), timeout=10,
                                       what=f"placement reply\n{cam.tail()}")
        assert reply.status == "ok", reply
        assert reply.data["ok"] is True, reply.data
        assert reply.data["working_leg"] and reply.data["both_hips"] and reply.data["torso"]
        snap = Path(str(reply.data["snapshot"]))
        assert snap.is_file() and snap.stat().st_size > 1000 and snap.parent == tmp_path / "snaps"
    finally:
        cam.stop()


def test_video_source_says_camera_lost_then_no_person_and_recovers_by_itself(
        mosquitto: PrivateMosquitto, watcher: Watcher, tmp_path: Path) -> None:
    video = tmp_path / "room.avi"  # not there yet: the camera is "unplugged"
    cam = camera(mosquitto, tmp_path, "--source", str(video))
    try:
        lost = wait_for(lambda: watcher.camera_status(lambda s: s.state is ServiceState.DEGRADED),
                        timeout=30, what=f"camera lost\n{cam.tail()}")
        assert lost.detail.startswith("camera lost: cannot open")
        part = tmp_path / "part.avi"
        write_test_video(str(part), seconds=2.0, qr_text="m-0042")
        part.rename(video)  # the camera is plugged in
        nobody = wait_for(lambda: watcher.camera_status(lambda s: s.detail == "no person in view"),
                          timeout=20, what=f"no person in view\n{cam.tail()}")
        assert nobody.state is ServiceState.DEGRADED
        poses = wait_for(lambda: [p for p in watcher.data(CameraPose) if not p.person_visible], timeout=5)
        assert all(p.knee_flexion_deg is None for p in poses)
        # A member's phone held up with a QR code: one tap-in for the kiosk, the text only.
        tap = wait_for(lambda: watcher.data(MemberIdentified), timeout=10, what=f"QR tap-in\n{cam.tail()}")
        assert [(t.method, t.token) for t in tap] == [(IdMethod.QR, "m-0042")]
        assert cam.alive(), cam.tail()
    finally:
        cam.stop()


def test_working_leg_out_of_view_degrades_and_recovers_by_itself(
        mosquitto: PrivateMosquitto, watcher: Watcher, tmp_path: Path) -> None:
    plan = SetPlan(leg=Leg.LEFT, reps=(QUICK,), lead_in_s=3.0, tail_s=3.0)
    fs = list(PoseSimulator(plan, noise_px=1.0).frames())
    for f in fs:
        if 0.5 <= f["t"] < 2.5:  # a passer-by hides the working leg for 2 s
            for j in ("left_knee", "left_ankle"):
                f["landmarks"][j][3] = 0.1
    replay = tmp_path / "hidden.jsonl"
    replay.write_text("".join(json.dumps(f) + "\n" for f in fs))
    cam = camera(mosquitto, tmp_path, "--source", str(replay), "--speed", "2")
    try:
        wait_for(lambda: watcher.camera_status(lambda s: s.detail == "working leg not in view"), timeout=20,
                 what=f"leg unseen\n{cam.tail()}")
        wait_for(lambda: [s for s in watcher.data(StationStatus) if s.service == "camera"][-1].state
                 is ServiceState.ONLINE, timeout=10, what="back online")
        reps = wait_for(lambda: watcher.data(CameraRep), timeout=15, what="the rep after the leg came back")
        assert [r.faults for r in reps] == [[]] and not judge(EXERCISE, None, reps[0], None).faults
    finally:
        cam.stop()
