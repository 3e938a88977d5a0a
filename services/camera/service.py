"""The live camera service: frames from a source → analyzer → camera.rep / camera.pose events,
its health as station.status, and the installer's placement check on station.command.

It measures and does not judge: a `camera.rep` carries the rep's phases and angles and no fault;
progression applies the one judge (`shared.judge`) to it. The exercise of the session only sets the
limits the live cues warn at."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.camera.analysis import PoseAnalyzer, exercise_limits
from services.camera.kinematics import measure, side_keypoints
from services.camera.placement import DEFAULT_SECONDS, PlacementCheck
from services.camera.sources import PoseSource
from shared import telemetry
from shared.bus import Bus
from shared.catalogue import DEFAULT_EXERCISE
from shared.contract import (
    CameraPose,
    IdMethod,
    Leg,
    MemberIdentified,
    SessionStarted,
    SetStarted,
    StationCommand,
)
from shared.corpus import SAVE_COMMAND, Recent, entry_dir, label_of, write_label, write_pose
from shared.sensor import CommandError, ReplyData, SensorScaffold

log = logging.getLogger(__name__)

POSE_HZ = 20.0  # camera.pose rate: the kiosk's skeleton mirror moves at 20 fps (≥ 15 reads as fluid)
# How long nobody (or no working leg) may be seen before the station says so: longer than a
# passer-by or a detector blink, short enough that the kiosk shows it before the next rep.
UNSEEN_DEGRADE_S = 1.0
NO_PERSON = "no person in view"
LEG_UNSEEN = "working leg not in view"
# What of a frame the corpus keeps: the pose, not a QR code's text (a member's token) nor anything else.
KEPT_KEYS = ("t", "width", "height", "landmarks", "world")
# Extra time the placement check waits for its frames before answering that none came.
PLACEMENT_GRACE_S = 3.0

Snapshotter = Callable[[Path, dict[str, Any], Any, list[str]], Path]


class CameraService:
    def __init__(self, bus: Bus, source: PoseSource, leg: Leg = Leg.LEFT, exercise: str = DEFAULT_EXERCISE,
                 snapshot_dir: Path | None = None) -> None:
        self.bus, self.source = bus, source
        self.analyzer = PoseAnalyzer(leg, exercise_limits(exercise))
        self.snapshot_dir = snapshot_dir or Path("var/camera")
        self._t0_mono: float | None = None  # the monotonic time of the source's t = 0, from its first frame
        self._last_pose = -1.0
        self._unseen_since: float | None = None
        self._checks: list[tuple[PlacementCheck, float, threading.Event]] = []
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        # The last minutes' landmarks (never a picture), on the station's wall clock, for a set a trainer labels.
        self.recent: Recent[dict[str, Any]] = Recent()
        self.corpus_dir = bus.settings.corpus_dir
        self.sensor = SensorScaffold(bus, "camera", {"placement_check": self.placement_check,
                                                     SAVE_COMMAND: self.save_set},
                                     on_set_started=self.on_set_started, on_session_started=self.on_session_started)
        self.clock = self.sensor.rep_clock

    # ------------------------------------------------------------ events in

    def on_session_started(self, data: SessionStarted) -> None:
        try:
            limits = exercise_limits(data.exercise)
        except KeyError:
            log.warning("unknown exercise %s: live cues keep the last exercise's limits", data.exercise)
            return
        with self._lock:
            self.analyzer = PoseAnalyzer(self.analyzer.leg, limits)

    def on_set_started(self, data: SetStarted) -> None:
        with self._lock:
            if data.leg != self.analyzer.leg:
                log.info("working leg is now %s", data.leg.value)
                self.analyzer = PoseAnalyzer(data.leg, self.analyzer.limits)

    def placement_check(self, cmd: StationCommand) -> None:
        """The installer's placement check: answered from a thread of its own once its frames are in (the
        bus's handler thread must not wait for frames)."""
        try:
            seconds = float(cmd.args.get("seconds", DEFAULT_SECONDS))
            leg = Leg(str(cmd.args.get("leg", self.analyzer.leg.value)))
        except ValueError as exc:
            raise CommandError(f"bad arguments: {exc}") from exc
        check, done = PlacementCheck(leg), threading.Event()
        with self._lock:
            self._checks.append((check, time.monotonic() + seconds, done))
        threading.Thread(target=self._answer_placement, args=(cmd, check, done, seconds), daemon=True,
                         name="placement-check").start()

    def save_set(self, cmd: StationCommand) -> ReplyData:
        """A set a trainer labelled on the dashboard: its pose frames and the label into the corpus."""
        try:
            label = label_of(self.bus.settings.station_id, cmd.args)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with self._lock:
            kept = self.recent.between(label.from_t, label.to_t)
        if not kept:
            raise CommandError("no pose frames of that span are kept (older than the camera keeps, or none seen)")
        frames = [{**f, "t": t - label.from_t} for t, f in kept]  # the span's start is t = 0 (full precision)
        d = entry_dir(self.corpus_dir, label.station_id, label.review_id)
        write_label(d, label)
        path = write_pose(d, frames)
        log.info("labelled set saved: %d frames to %s", len(frames), path)
        return {"file": str(path), "frames": float(len(frames))}

    def _answer_placement(self, cmd: StationCommand, check: PlacementCheck, done: threading.Event,
                          seconds: float) -> None:
        if not done.wait(seconds + PLACEMENT_GRACE_S):
            with self._lock:
                self._checks = [c for c in self._checks if c[0] is not check]
        data = check.result()
        if check.last_frame is not None:
            try:
                path = self.snapshot_dir / f"placement-{time.strftime('%Y%m%d-%H%M%S')}.png"
                data["snapshot"] = str(self.snapshot(path, check))
            except (OSError, ValueError) as exc:
                log.error("placement snapshot not saved: %s", exc)
                data["snapshot_error"] = str(exc)[:200]
        self.reply(cmd, status="ok", data=data)

    def snapshot(self, path: Path, check: PlacementCheck) -> Path:
        from services.camera.annotate import save_snapshot  # cv2: only when a snapshot is asked for

        assert check.last_frame is not None
        image = getattr(self.source, "last_image", None)
        return save_snapshot(path, check.last_frame, measure(check.last_frame, check.leg), image,
                             [str(check.result()["message"])[:70]])

    def reply(self, cmd: StationCommand, status: str = "ok", data: dict[str, Any] | None = None,
              error: str = "") -> None:
        self.sensor.reply(cmd, status, data, error)

    # ------------------------------------------------------------ frames in

    def set_problem(self, problem: str) -> None:
        self.sensor.report(problem)

    @property
    def t_offset(self) -> float:
        """Source time 0 on the station's wall clock."""
        return self.clock.wall(self._t0_mono if self._t0_mono is not None else time.monotonic())

    def handle(self, frame: dict[str, Any]) -> None:
        t = float(frame["t"])
        if self._t0_mono is None:  # a live source's t runs with the monotonic clock from its start
            self._t0_mono = time.monotonic() - t
        with self._lock:
            analyzer = self.analyzer
            checks = list(self._checks)
        for check, until, done in checks:
            if time.monotonic() >= until:
                with self._lock:
                    self._checks = [c for c in self._checks if c[0] is not check]
                done.set()
            elif "camera_lost" not in frame:
                check.feed(frame)
        lost = frame.get("camera_lost")
        if lost:
            self.set_problem(f"camera lost: {lost}")
            if analyzer.segmenter.abandon():
                # A rep the camera did not see whole is not measured by it: the load cell's evidence is all.
                log.warning("camera lost during a rep: the camera does not report it")
            self._unseen_since = None
            self.publish_pose(t, analyzer, visible=False)
            return
        qr = frame.get("qr")
        if qr:
            log.info("QR code shown: publishing the tap-in")
            self.bus.emit("member.identified", MemberIdentified(method=IdMethod.QR, token=str(qr)[:128]))
        if frame.get("landmarks"):
            with self._lock:
                self.recent.add(t + self.t_offset, {k: frame[k] for k in KEPT_KEYS if k in frame})
        measured = analyzer.feed(frame)
        person = bool(frame.get("landmarks"))
        self.update_health(t, person, person and analyzer.last is not None and analyzer.last.knee is not None)
        if measured:
            data = measured.to_event_data(analyzer.leg, self.t_offset)
            self.bus.emit("camera.rep", data)
            log.info("rep %d: %.1f s up, %.1f s hold, %.1f s down, %s", data.rep_index, data.concentric_s,
                     data.top_hold_s, data.eccentric_s, data.metrics)
        self.publish_pose(t, analyzer, visible=person, frame=frame)

    def update_health(self, t: float, person: bool, leg_seen: bool) -> None:
        """Online while the working leg is seen; degraded with the reason once it has not been for a while."""
        if person and leg_seen:
            self._unseen_since = None
            self.set_problem("")
            return
        if self._unseen_since is None:
            self._unseen_since = t
        if t - self._unseen_since >= UNSEEN_DEGRADE_S:
            self.set_problem(LEG_UNSEEN if person else NO_PERSON)

    def publish_pose(self, t: float, analyzer: PoseAnalyzer, visible: bool,
                     frame: dict[str, Any] | None = None) -> None:
        if t - self._last_pose < 1 / POSE_HZ:
            return
        self._last_pose = t
        s = analyzer.last

        def deg(v: float | None) -> float | None:
            return None if v is None or not visible else round(v, 1)

        self.bus.emit("camera.pose", CameraPose(
            t=max(0.0, t + self.t_offset), leg=analyzer.leg, person_visible=visible,
            knee_flexion_deg=deg(s.knee if s else None), thigh_angle_deg=deg(s.thigh if s else None),
            pelvis_rotation_deg=deg(s.pelvis if s else None), torso_angle_deg=deg(s.torso if s else None),
            cues=analyzer.cues() if visible else [],
            keypoints=side_keypoints(frame, analyzer.leg) if visible and frame else {}))

    def run(self) -> None:
        fps = telemetry.RateMeter(telemetry.CAMERA_FPS.labels(self.bus.settings.station_id))
        for frame in self.source.frames():
            fps.tick()
            try:
                self.handle(frame)
            except Exception:  # one bad frame must not stop the station's eye
                log.exception("frame at t=%s not handled", frame.get("t"))
        self.stopped.set()
