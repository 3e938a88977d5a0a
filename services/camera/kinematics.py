"""Joint angles of the working leg, pelvis and torso from pose landmarks (pure: no I/O).

Input is one frame in the replay format of DESIGN.md: ``landmarks`` (x, y normalised to the
image, z on the scale of x, visibility) and optionally ``world`` (metres, origin between the
hips, y down). World coordinates are used when present, image coordinates otherwise, so a
replay recorded without ``world`` is still judged.

Angles (degrees):
- knee flexion: 0 = straight leg, grows as the heel comes up;
- thigh angle: hip→knee from vertical, positive behind the body (hip extension);
- pelvis rotation: the hip line's angle from the camera's depth axis about the vertical (0 = hips
  square to a side camera, positive as the working hip opens backward);
- torso angle: mid-hip→mid-shoulder above horizontal in the side view's plane (leaning onto the
  support ≈ 60–75°).

The camera may stand on either side of the member and either leg may work: the member's facing
direction in the image is read from where the shoulders lean (forward onto the support).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from shared.contract import Leg

# Below this MediaPipe visibility a landmark is treated as missing rather than trusted: BlazePose
# reports ~0.9+ for joints in view and drops under 0.5 once a joint is occluded or off-frame.
MIN_VISIBILITY = 0.5
# Gaps up to this long are bridged (filter state kept, crossings interpolated); a rep phase lasts
# ≥ 0.4 s even when dropped, so a shorter hole cannot hide a whole phase.
MAX_GAP_S = 0.4
# One Euro filter (Casiez et al. 2012) on each angle. 1.5 Hz at rest removes landmark jitter
# (a still leg wobbles by 1–2° frame to frame), and beta opens the cutoff with speed so a 100°/s
# curl is followed with < 1 frame of lag.
FILTER_MIN_CUTOFF_HZ = 1.5
FILTER_BETA = 0.02
FILTER_D_CUTOFF_HZ = 1.0

# The member faces the cable stack for a whole set; re-reading the direction twice a second is plenty.
FACING_EVERY = 15

Vec = tuple[float, float, float]


def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _mid(a: Vec, b: Vec) -> Vec:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2)


def _angle3(u: Vec, v: Vec) -> float | None:
    n = math.sqrt((u[0] * u[0] + u[1] * u[1] + u[2] * u[2]) * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
    if n == 0:
        return None
    return math.degrees(math.acos(max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / n))))


def _angle2(u: Vec, v: Vec) -> float | None:
    n = math.hypot(u[0], u[1]) * math.hypot(v[0], v[1])
    if n == 0:
        return None
    return math.degrees(math.acos(max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1]) / n))))


def angle_between(u: Sequence[float], v: Sequence[float]) -> float | None:
    """Angle between two vectors in degrees (any dimension), None when one has no length."""
    dot = sum(a * b for a, b in zip(u, v, strict=True))
    n = math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))
    if n == 0:
        return None
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / n))))


class Angles(NamedTuple):
    """One frame's measurements; None where the landmarks needed were not seen well enough."""

    knee_flexion: float | None
    thigh: float | None
    pelvis_rotation: float | None
    torso: float | None
    facing: float | None  # +1 the member faces image-right, -1 image-left


# The landmarks the kinematics read; the other 22 of BlazePose's 33 are never looked at.
USED = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
        "left_shoulder", "right_shoulder", "nose")
_JOINTS = {leg: (f"{leg.value}_hip", f"{leg.value}_knee", f"{leg.value}_ankle") for leg in Leg}
_NAMES = {leg: ("left_hip", "right_hip", f"{leg.value}_knee", f"{leg.value}_ankle", "left_shoulder",
                "right_shoulder", "nose") for leg in Leg}


class _Points:
    """Landmarks of one frame as 3D points, gated by visibility; world when present.

    Image points are in pixels (x right, y down, z on the x scale): angles need equal units on both
    axes. A malformed landmark counts as unseen.
    """

    __slots__ = ("h", "img", "w", "world")

    def __init__(self, frame: Mapping[str, Any], names: tuple[str, ...] = USED) -> None:
        self.w = float(frame.get("width") or 1)
        self.h = float(frame.get("height") or 1)
        self.img: dict[str, Vec] = {}
        self.world: dict[str, Vec] = {}
        lm = frame.get("landmarks")
        if not isinstance(lm, dict):
            return
        wd = frame.get("world")
        wd = wd if isinstance(wd, dict) and wd else None
        try:
            self._fast(lm, wd, names)
        except (TypeError, IndexError):  # a malformed landmark: go through them one by one
            self.img, self.world = {}, {}
            self._careful(lm, wd, names)

    def _fast(self, lm: dict[str, Any], wd: dict[str, Any] | None, names: tuple[str, ...]) -> None:
        w, h, img, world = self.w, self.h, self.img, self.world
        for name in names:
            p = lm.get(name)
            if p is None or (len(p) > 3 and not p[3] >= MIN_VISIBILITY):
                continue
            img[name] = (p[0] * w + 0.0, p[1] * h + 0.0, p[2] * w + 0.0 if len(p) > 2 else 0.0)
            if wd is not None:
                q = wd.get(name)
                if q is not None:
                    world[name] = (q[0] + 0.0, q[1] + 0.0, q[2] + 0.0)

    def _careful(self, lm: dict[str, Any], wd: dict[str, Any] | None, names: tuple[str, ...]) -> None:
        for name in names:
            try:
                self._fast({name: lm.get(name)}, None if wd is None else {name: wd.get(name)}, (name,))
            except (TypeError, IndexError):
                self.img.pop(name, None)
                self.world.pop(name, None)

    def image(self, name: str) -> Vec | None:
        return self.img.get(name)


def _mean_x(a: Vec | None, b: Vec | None) -> float | None:
    if a and b:
        return (a[0] + b[0]) / 2
    return a[0] if a else (b[0] if b else None)


def _facing(pts: _Points) -> float | None:
    """+1 when the member faces image-right: shoulders lean forward of the hips onto the support."""
    img = pts.img
    hx = _mean_x(img.get("left_hip"), img.get("right_hip"))
    if hx is None:
        return None
    for x in (_mean_x(img.get("left_shoulder"), img.get("right_shoulder")), _mean_x(img.get("nose"), None)):
        if x is not None:
            dx = x - hx
            # Under 2 % of the image width the lean is too small to tell the direction.
            if abs(dx) > 0.02 * pts.w:
                return 1.0 if dx > 0 else -1.0
    return None


def measure(frame: Mapping[str, Any], leg: Leg, facing_hint: float | None = None,
            refresh_facing: bool = True) -> Angles:
    """Raw (unfiltered) angles of one frame for the working `leg`.

    The facing direction is read from this frame unless `refresh_facing` is False and a hint is
    given (the member faces the cable stack for a whole set: a tracker re-reads it now and then).
    """
    pts = _Points(frame, _NAMES[leg])
    face = (_facing(pts) or facing_hint) if refresh_facing or facing_hint is None else facing_hint
    use_world = bool(pts.world)
    src = pts.world or pts.img  # world only holds joints that passed the gate in the image

    knee = None
    hip_n, knee_n, ankle_n = _JOINTS[leg]
    hip_p, knee_p, ankle_p = src.get(hip_n), src.get(knee_n), src.get(ankle_n)
    if hip_p and knee_p and ankle_p:
        # 3D in world metres; in the image the depth is too unreliable, so the side view's plane.
        a = (_angle3 if use_world else _angle2)(_sub(hip_p, knee_p), _sub(ankle_p, knee_p))
        knee = None if a is None else 180.0 - a

    thigh = None
    if hip_p and knee_p and face is not None:
        dx, dy = knee_p[0] - hip_p[0], knee_p[1] - hip_p[1]
        if dx or dy:
            thigh = math.degrees(math.atan2(-face * dx, dy))

    pelvis = None
    lh, rh = src.get("left_hip"), src.get("right_hip")
    if lh and rh and face is not None:
        # Signed, so that landmark noise averages out at rest: + when the working hip goes back.
        d = _sub(lh, rh) if leg is Leg.LEFT else _sub(rh, lh)
        if d[0] or d[2]:
            pelvis = math.degrees(math.atan2(-face * d[0], abs(d[2])))

    torso = None
    ls, rs = src.get("left_shoulder"), src.get("right_shoulder")
    if lh and rh and (ls or rs):
        sh = _mid(ls, rs) if ls and rs else (ls or rs)
        assert sh is not None
        v = _sub(sh, _mid(lh, rh))
        # In the side view's plane: a back arch is a sagittal movement, and one shoulder then
        # gives the same line as two (their sideways offset is out of that plane).
        if v[0] or v[1]:
            torso = math.degrees(math.atan2(-v[1], abs(v[0])))
    return Angles(knee, thigh, pelvis, torso, face)


class OneEuroFilter:
    """The One Euro filter: a low-pass whose cutoff rises with speed (little lag, little jitter)."""

    def __init__(self, min_cutoff: float = FILTER_MIN_CUTOFF_HZ, beta: float = FILTER_BETA,
                 d_cutoff: float = FILTER_D_CUTOFF_HZ) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.x: float | None = None
        self.dx = 0.0
        self.t = 0.0

    def reset(self) -> None:
        self.x, self.dx = None, 0.0

    def __call__(self, t: float, x: float) -> float:
        if self.x is None or t <= self.t:
            if self.x is None:
                self.x, self.dx = x, 0.0
            self.t = t
            return self.x
        dt = t - self.t
        # alpha = 1 / (1 + tau/dt) with tau = 1 / (2π·cutoff), written out: this runs 4× a frame.
        self.dx += (((x - self.x) / dt) - self.dx) / (1.0 + 1.0 / (_TWO_PI * self.d_cutoff * dt))
        cutoff = self.min_cutoff + self.beta * abs(self.dx)
        self.x += (x - self.x) / (1.0 + 1.0 / (_TWO_PI * cutoff * dt))
        self.t = t
        return self.x


_TWO_PI = 2 * math.pi


class Sample(NamedTuple):
    """Filtered angles at time t; a channel is None when it has been unseen for longer than MAX_GAP_S."""

    t: float
    knee: float | None
    thigh: float | None
    pelvis: float | None
    torso: float | None
    knee_velocity: float  # deg/s, from the filter
    fresh: bool  # the knee was measured in this frame (not bridged)


class LegTracker:
    """Per-frame gating, filtering and gap bridging for one working leg."""

    CHANNELS = ("knee", "thigh", "pelvis", "torso")

    def __init__(self, leg: Leg) -> None:
        self.leg = leg
        self.facing: float | None = None
        self._filters = [OneEuroFilter() for _ in self.CHANNELS]
        self._last_seen: list[float | None] = [None] * len(self.CHANNELS)
        self._last = [0.0] * len(self.CHANNELS)
        self._n = 0

    def update(self, frame: Mapping[str, Any]) -> Sample:
        t = float(frame["t"])
        self._n += 1
        a = measure(frame, self.leg, self.facing, refresh_facing=self._n % FACING_EVERY == 1)
        if a.facing is not None:
            self.facing = a.facing
        raw = (a.knee_flexion, a.thigh, a.pelvis_rotation, a.torso)
        out: list[float | None] = [None, None, None, None]
        for i, x in enumerate(raw):
            seen = self._last_seen[i]
            if x is not None:
                f = self._filters[i]
                if seen is not None and t - seen > MAX_GAP_S:
                    f.reset()  # too long a hole: do not smooth across it
                out[i] = self._last[i] = f(t, x)
                self._last_seen[i] = t
            elif seen is not None and t - seen <= MAX_GAP_S:
                out[i] = self._last[i]  # bridged: hold the last filtered value
        vel = self._filters[0].dx if out[0] is not None else 0.0
        return Sample(t, out[0], out[1], out[2], out[3], vel, raw[0] is not None)


# The working side's joints for the kiosk's mirror (camera.pose `keypoints`), as BlazePose names them.
_MIRROR = {"shoulder": "shoulder", "hip": "hip", "knee": "knee", "ankle": "ankle", "heel": "heel",
           "foot": "foot_index"}


def side_keypoints(frame: Mapping[str, Any], leg: Leg) -> dict[str, tuple[float, float]]:
    """The working side's joints seen in this frame, (x, y) normalised to the image and rounded to 0.001
    (a pixel of a 1080p frame): a stick figure for the kiosk, never a picture."""
    lm = frame.get("landmarks")
    out: dict[str, tuple[float, float]] = {}
    if not isinstance(lm, dict):
        return out
    for key, name in _MIRROR.items():
        p = lm.get(f"{leg.value}_{name}")
        try:
            if p is None or (len(p) > 3 and not p[3] >= MIN_VISIBILITY):
                continue
            x, y = float(p[0]), float(p[1])
        except (TypeError, IndexError, ValueError):
            continue
        if -1.0 <= x <= 2.0 and -1.0 <= y <= 2.0:  # a wild landmark is left out, not clipped into view
            out[key] = (round(x, 3), round(y, 3))
    return out
