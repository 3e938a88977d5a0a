"""The live camera: OpenCV capture (device index, video file or RTSP URL) → MediaPipe BlazePose →
frames in the replay format. Images stay in this process: only landmarks leave `frames()`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import cv2
import numpy.typing as npt

Image = npt.NDArray[Any]  # a BGR picture; it never leaves this process

log = logging.getLogger(__name__)

# Between attempts to reopen a lost camera: quick enough that a replugged USB camera is back within
# a rep, slow enough not to spin on a dead RTSP host.
REOPEN_S = 2.0
# A video file has no clock of its own; without a rate in its header it is paced as a webcam.
DEFAULT_FPS = 30.0
# QR tap-in: a member holds the phone up for a few seconds, so one look a second finds it; a look
# costs ~10 ms on a half-size grey picture, ~0.3 ms a frame on average at 30 fps.
QR_EVERY_S = 1.0
QR_SCALE = 0.5
# The same code seen again within this long is the same tap-in, not a new one.
QR_REPEAT_S = 10.0


class QrReader:
    """QR codes in the picture (OpenCV's detector), at most once a second, each code once per QR_REPEAT_S."""

    def __init__(self, every_s: float = QR_EVERY_S) -> None:
        self.every_s = every_s
        self._detector = cv2.QRCodeDetector()
        self._next = 0.0
        self._seen: dict[str, float] = {}

    def scan(self, bgr: Image) -> str:
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        if QR_SCALE != 1.0:
            grey = cv2.resize(grey, None, fx=QR_SCALE, fy=QR_SCALE, interpolation=cv2.INTER_AREA)
        text, _, _ = self._detector.detectAndDecode(grey)
        return str(text or "")

    def __call__(self, bgr: Image, now: float) -> str | None:
        """A newly shown code's text, or None."""
        if now < self._next:
            return None
        self._next = now + self.every_s
        text = self.scan(bgr)
        if not text or now - self._seen.get(text, -QR_REPEAT_S) < QR_REPEAT_S:
            return None
        self._seen[text] = now
        return text[:128]


class BlazePose:
    """MediaPipe BlazePose, full model (bundled in the wheel: nothing is downloaded), video mode."""

    def __init__(self, model_complexity: int = 1) -> None:
        import mediapipe as mp  # heavy import: only where inference really runs

        self._mp_pose = mp.solutions.pose
        # Landmark smoothing off: the kinematics filter each angle with a One Euro filter already,
        # and a second filter would only add lag.
        self._pose = self._mp_pose.Pose(model_complexity=model_complexity, static_image_mode=False,
                                        smooth_landmarks=False, min_detection_confidence=0.5,
                                        min_tracking_confidence=0.5)
        self.names = [lm.name.lower() for lm in self._mp_pose.PoseLandmark]

    def infer(self, bgr: Image) -> Any:
        """Bare inference (the benchmark's baseline): colour conversion and the model."""
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        return self._pose.process(rgb)

    def to_frame(self, result: Any, t: float, width: int, height: int) -> dict[str, Any]:
        frame: dict[str, Any] = {"t": t, "width": width, "height": height, "landmarks": {}}
        if result.pose_landmarks is None:
            return frame  # no person in view
        frame["landmarks"] = {n: [p.x, p.y, p.z, p.visibility]
                              for n, p in zip(self.names, result.pose_landmarks.landmark, strict=True)}
        if result.pose_world_landmarks is not None:
            frame["world"] = {n: [p.x, p.y, p.z]
                              for n, p in zip(self.names, result.pose_world_landmarks.landmark, strict=True)}
        return frame

    def landmarks(self, bgr: Image, t: float) -> dict[str, Any]:
        h, w = bgr.shape[:2]
        return self.to_frame(self.infer(bgr), t, w, h)

    def close(self) -> None:
        self._pose.close()


def parse_source(spec: str) -> int | str:
    """'0' → device index 0; anything else (a path, /dev/video0, rtsp://…) is given to OpenCV as is."""
    return int(spec) if spec.isdigit() else spec


class VideoSource:
    """Frames from a camera through BlazePose; a lost camera is reported in-band and reopened.

    A frame is the replay format's dict; when the camera cannot be opened or read, a frame
    ``{"t": …, "camera_lost": reason}`` is yielded instead (every REOPEN_S while it lasts). A video
    file plays in a loop at its own rate, like a camera that never ends.
    """

    def __init__(self, spec: str, reopen_s: float = REOPEN_S, model_complexity: int = 1) -> None:
        self.spec = spec
        self.src = parse_source(spec)
        self.is_file = isinstance(self.src, str) and "://" not in self.src and not self.src.startswith("/dev/")
        self.reopen_s = reopen_s
        self.pose = BlazePose(model_complexity)
        self.qr = QrReader()
        self.last_image: Image | None = None  # for the placement snapshot; never published
        self._stop = threading.Event()
        self.fps = 0.0

    def frames(self) -> Iterator[dict[str, Any]]:
        start = time.monotonic()
        while not self._stop.is_set():
            cap = cv2.VideoCapture(self.src)
            if not cap.isOpened():
                cap.release()
                yield {"t": time.monotonic() - start, "camera_lost": f"cannot open {self.spec}"}
                self._stop.wait(self.reopen_s)
                continue
            period = 1.0 / (cap.get(cv2.CAP_PROP_FPS) or DEFAULT_FPS) if self.is_file else 0.0
            yield from self._read(cap, start, period)
            cap.release()
            if not self._stop.is_set():
                yield {"t": time.monotonic() - start, "camera_lost": f"no picture from {self.spec}"}
                self._stop.wait(self.reopen_s)

    def _read(self, cap: cv2.VideoCapture, start: float, period: float) -> Iterator[dict[str, Any]]:
        n, t_fps, next_t = 0, time.monotonic(), time.monotonic()
        while not self._stop.is_set():
            ok, img = cap.read()
            if not ok and self.is_file and n:
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)  # end of the file: play it again
                ok, img = cap.read()
            if not ok or img is None:
                log.warning("camera %s: read failed after %d frames", self.spec, n)
                return
            if period:
                next_t += period
                delay = next_t - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
            n += 1
            self.last_image = img
            if n % 30 == 0:
                now = time.monotonic()
                self.fps, t_fps = 30 / (now - t_fps), now
            t = time.monotonic() - start
            frame = self.pose.landmarks(img, t)
            code = self.qr(img, t)
            if code:
                frame["qr"] = code  # the decoded text only; the picture stays here
            yield frame

    def close(self) -> None:
        self._stop.set()
