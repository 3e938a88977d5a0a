"""A demonstrated rep: the clean rep the setup page plays as an animated figure, at the chosen goal's tempo
(pure: no Qt).

The rep is the virtual member's ground truth: the kiosk may not import the simulator, so the simulator wrote
one clean rep as data beside the exercise (`shared/exercises/<exercise>.demo-rep.json`, by
`python -m services.simulator.demo_rep`; a test keeps the two equal): the working side's joints and the true
knee bend, 30 times a second. Here that one rep is time-warped, phase by phase, to the goal's tempo — its
curl stretched to the goal's concentric seconds, its pause to the goal's squeeze, its return to the goal's
eccentric — and drawn by the same mirror as the member's own live pose.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kiosk.state.phase import Phase
from shared.catalogue import BUILTIN_DIR, Exercise, Goal

# A goal without a tempo still gets a curl the member can copy: the seed's tempo goal's 2 s curl and
# 3 s return are its only numbers for a controlled rep; "pause briefly at the top" is half a second here
# (above the 0.3 s the rules call a pause), and a second at rest before the next.
CURL_S, RETURN_S, PAUSE_S, REST_S = 2.0, 3.0, 0.5, 1.0
REST_KNEE_DEG = 8.0  # "the knee mostly straight": the recorded rep's rest (a test checks the file agrees)
THIGH_BEHIND_DEG = 10.0  # "the hip slightly extended behind the body"
TORSO_LEAN_DEG = 60.0  # leaning onto the support: the torso 60° above horizontal

Keypoints = dict[str, tuple[float, float]]


def demo_rep_path(exercise_id: str) -> Path:
    return BUILTIN_DIR / f"{exercise_id}.demo-rep.json"


@dataclass(frozen=True)
class RecordedRep:
    """One clean rep of the virtual member as the simulator wrote it: its phases' true seconds, and a frame
    every 1/fps s from the curl's start to the next rep's (the knee bend and the working side's joints, x and
    y in image heights so the figure keeps the body's proportions whatever the camera's frame)."""

    fps: float
    concentric_s: float
    top_hold_s: float
    eccentric_s: float
    rest_s: float
    knees: tuple[float, ...]
    figures: tuple[Keypoints, ...]

    @classmethod
    def load(cls, path: Path) -> RecordedRep:
        data = json.loads(path.read_text(encoding="utf-8"))
        aspect = data["width"] / data["height"]
        samples = data["samples"]
        return cls(fps=float(data["fps"]), concentric_s=data["concentric_s"], top_hold_s=data["top_hold_s"],
                   eccentric_s=data["eccentric_s"], rest_s=data["rest_s"],
                   knees=tuple(float(s["knee_deg"]) for s in samples),
                   figures=tuple({k: (x * aspect, y) for k, (x, y) in s["keypoints"].items()} for s in samples))

    @property
    def boundaries_s(self) -> tuple[float, float, float, float]:
        """Where the pause, the return, the rest and the next rep begin, seconds into the recording."""
        top = self.concentric_s
        down = top + self.top_hold_s
        still = down + self.eccentric_s
        return top, down, still, still + self.rest_s

    @property
    def peak_deg(self) -> float:
        return max(self.knees)

    def _between(self, src_s: float) -> tuple[int, int, float]:
        """The two frames around `src_s` and how far between them (the last frame leads back to the first)."""
        x = (src_s * self.fps) % len(self.knees)
        i = min(int(x), len(self.knees) - 1)
        return i, (i + 1) % len(self.knees), x - i

    def knee_at(self, src_s: float) -> float:
        i, j, w = self._between(src_s)
        return self.knees[i] + (self.knees[j] - self.knees[i]) * w

    def figure_at(self, src_s: float) -> Keypoints:
        i, j, w = self._between(src_s)
        a, b = self.figures[i], self.figures[j]
        return {k: (round(x + (b[k][0] - x) * w, 4), round(y + (b[k][1] - y) * w, 4))
                for k, (x, y) in a.items() if k in b}


# The pose model draws no foot (it has no heel or toes); the figure gets one as a drawing, like the mirror's
# head, at right angles to the shank toward the front: toes a third of the shank's length ahead of the ankle,
# the heel an eighth behind (a foot is ~0.26 m to a 0.43 m shank, the ankle nearer the heel).
TOES_SHARE, HEEL_SHARE = 0.35, 0.12


def with_foot(figure: Keypoints) -> Keypoints:
    """`figure` with a heel and toes drawn at its ankle (unchanged without a hip, knee, ankle and shoulder)."""
    if not {"shoulder", "hip", "knee", "ankle"} <= figure.keys():
        return figure
    (kx, ky), (ax, ay) = figure["knee"], figure["ankle"]
    dx, dy = ax - kx, ay - ky
    front = 1.0 if figure["shoulder"][0] > figure["hip"][0] else -1.0  # the member faces the shoulder's side
    nx, ny = front * dy, -front * dx  # the shank turned a right angle, toes toward the front
    return {**figure, "heel": (round(ax - HEEL_SHARE * nx, 4), round(ay - HEEL_SHARE * ny, 4)),
            "foot": (round(ax + TOES_SHARE * nx, 4), round(ay + TOES_SHARE * ny, 4))}


@cache
def recorded_rep(exercise_id: str) -> RecordedRep:
    return RecordedRep.load(demo_rep_path(exercise_id))


@dataclass(frozen=True)
class DemoRep:
    """The recorded rep at a goal's tempo: `curl_s`, `hold_s`, `return_s` and `rest_s` are the seconds each
    phase is shown for; `at()` and `figure_at()` map a moment of the looping demonstration to the recording."""

    curl_s: float
    hold_s: float
    return_s: float
    rest_s: float
    recording: RecordedRep

    @classmethod
    def for_goal(cls, exercise: Exercise, goal: Goal | None) -> DemoRep:
        tempo = goal.tempo if goal else None
        squeeze = goal.top_squeeze_s if goal else None
        return cls(curl_s=tempo.concentric_s if tempo else CURL_S,
                   hold_s=max(squeeze.min, PAUSE_S) if squeeze else PAUSE_S,
                   return_s=tempo.eccentric_s if tempo else RETURN_S,
                   rest_s=REST_S, recording=recorded_rep(exercise.id))

    @property
    def period_s(self) -> float:
        return self.curl_s + self.hold_s + self.return_s + self.rest_s

    @property
    def peak_deg(self) -> float:
        return self.recording.peak_deg

    def _warp(self, t: float) -> tuple[Phase, float, float]:
        """(phase, the matching moment of the recording in seconds, seconds left in the phase) at time t: each
        phase of the recording stretched or squeezed linearly to the goal's length of it."""
        u = t % self.period_s
        rec = self.recording
        starts = (0.0, *rec.boundaries_s[:3])
        spans = (rec.concentric_s, rec.top_hold_s, rec.eccentric_s, rec.rest_s)
        for phase, shown, src0, src in zip((Phase.CURL, Phase.SQUEEZE, Phase.RETURN, Phase.RESET),
                                           (self.curl_s, self.hold_s, self.return_s, self.rest_s), starts, spans,
                                           strict=True):
            if u < shown or phase is Phase.RESET:
                return phase, src0 + src * min(1.0, u / shown), shown - u
            u -= shown
        raise AssertionError("unreachable")

    def at(self, t: float) -> tuple[Phase, float, float]:
        """(phase, knee bend in degrees, seconds left in the phase) at time t of the looping demonstration."""
        phase, src, left = self._warp(t)
        return phase, self.recording.knee_at(src), left

    def figure_at(self, t: float) -> Keypoints:
        """The working side's joints at time t of the looping demonstration (the recording's, time-warped)."""
        return self.recording.figure_at(self._warp(t)[1])


def side_view(knee_deg: float) -> dict[str, tuple[float, float]]:
    """The working side's keypoints of a member facing the stack (to the right of the picture), leaning onto
    the support, the thigh a little behind vertical, the knee bent `knee_deg` (image coordinates, y down)."""
    hip, thigh, shank = (0.50, 0.45), 0.21, 0.21

    def step(p: tuple[float, float], length: float, deg: float) -> tuple[float, float]:
        a = math.radians(deg)  # 0° straight down, negative toward the member's back (left)
        return round(p[0] + length * math.sin(a), 3), round(p[1] + length * math.cos(a), 3)

    knee = step(hip, thigh, -THIGH_BEHIND_DEG)
    ankle = step(knee, shank, -THIGH_BEHIND_DEG - knee_deg)
    return {"shoulder": step(hip, 0.26, 90 + TORSO_LEAN_DEG), "hip": hip, "knee": knee, "ankle": ankle,
            "heel": step(ankle, 0.03, -90 - THIGH_BEHIND_DEG - knee_deg),
            "foot": step(ankle, 0.07, 90 - THIGH_BEHIND_DEG - knee_deg)}
