"""A demonstrated rep: the clean rep the setup page plays as an animated figure, at the chosen goal's tempo
(pure: no Qt). The knee follows a minimum-jerk curve, the smooth path a controlled limb takes (Flash &
Hogan 1985; the simulator's physical model strokes the ankle the same way). The kiosk does not import
the simulator: the figure is drawn here, as the working side seen from the camera's place, by the same
mirror as the member's own live pose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiosk.state.phase import Phase
from shared.catalogue import Exercise, Goal

# A goal without a tempo still gets a curl the member can copy: the seed's tempo goal's 2 s curl and
# 3 s return are its only numbers for a controlled rep; "pause briefly at the top" is half a second here
# (above the 0.3 s the rules call a pause), and a second at rest before the next.
CURL_S, RETURN_S, PAUSE_S, REST_S = 2.0, 3.0, 0.5, 1.0
# The peak bend shown: 90 % of the typical controlled range ("a moderate range … where you can still
# control the knee and pelvis").
PEAK_SHARE = 0.9
REST_KNEE_DEG = 8.0  # "the knee mostly straight"
THIGH_BEHIND_DEG = 10.0  # "the hip slightly extended behind the body"
TORSO_LEAN_DEG = 60.0  # leaning onto the support: the torso 60° above horizontal


def min_jerk(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * u * (10 - 15 * u + 6 * u * u)


@dataclass(frozen=True)
class DemoRep:
    curl_s: float
    hold_s: float
    return_s: float
    rest_s: float
    peak_deg: float

    @classmethod
    def for_goal(cls, exercise: Exercise, goal: Goal | None) -> DemoRep:
        tempo = goal.tempo if goal else None
        squeeze = goal.top_squeeze_s if goal else None
        return cls(curl_s=tempo.concentric_s if tempo else CURL_S,
                   hold_s=max(squeeze.min, PAUSE_S) if squeeze else PAUSE_S,
                   return_s=tempo.eccentric_s if tempo else RETURN_S,
                   rest_s=REST_S, peak_deg=PEAK_SHARE * exercise.rules.range_reference_deg.value)

    @property
    def period_s(self) -> float:
        return self.curl_s + self.hold_s + self.return_s + self.rest_s

    def at(self, t: float) -> tuple[Phase, float, float]:
        """(phase, knee bend in degrees, seconds left in the phase) at time t of the looping demonstration."""
        u = t % self.period_s
        amp = self.peak_deg - REST_KNEE_DEG
        if u < self.curl_s:
            return Phase.CURL, REST_KNEE_DEG + amp * min_jerk(u / self.curl_s), self.curl_s - u
        u -= self.curl_s
        if u < self.hold_s:
            return Phase.SQUEEZE, self.peak_deg, self.hold_s - u
        u -= self.hold_s
        if u < self.return_s:
            return Phase.RETURN, self.peak_deg - amp * min_jerk(u / self.return_s), self.return_s - u
        u -= self.return_s
        return Phase.RESET, REST_KNEE_DEG, self.rest_s - u


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
