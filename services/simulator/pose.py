"""Pose frames of the virtual member, in the replay format of DESIGN.md.

Side view: the member faces the cable stack; the camera looks at the working leg's
side. Image coordinates are normalised with y down; `world` is in metres with the
origin between the hips and y down, as MediaPipe gives it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.simulator.script import SetPlan, Timeline
from shared.contract import Leg

FPS = 30.0
THIGH_M = 0.45  # adult femur length
SHANK_M = 0.43
TORSO_M = 0.50
REST_KNEE_DEG = 8.0  # "knee mostly straight" in the starting position
THIGH_BEHIND_DEG = 12.0  # "extend the strapped leg slightly behind the body"


def knee_flexion_at(tl: Timeline, t: float) -> float:
    """Knee flexion (deg) of the scripted member at time t: smooth curl, hold, return."""
    for rep in tl.reps:
        p = rep.plan
        if t < rep.start_t or t > rep.end_t:
            continue
        u = t - rep.start_t
        amp = p.peak_knee_deg - REST_KNEE_DEG
        if u < p.concentric_s:
            return REST_KNEE_DEG + amp * 0.5 * (1 - math.cos(math.pi * u / p.concentric_s))
        u -= p.concentric_s
        if u < p.top_hold_s:
            return p.peak_knee_deg
        u -= p.top_hold_s
        return REST_KNEE_DEG + amp * 0.5 * (1 + math.cos(math.pi * min(1.0, u / p.eccentric_s)))
    return REST_KNEE_DEG


@dataclass
class PoseSimulator:
    set_plan: SetPlan
    t0: float = 0.0
    fps: float = FPS
    noise_px: float = 0.0
    seed: int = 0
    camera_on_left: bool = True

    def frames(self) -> Iterator[dict[str, Any]]:
        tl = Timeline(self.set_plan, self.t0)
        rng = random.Random(self.seed)
        n = int(self.set_plan.duration_s * self.fps)
        for i in range(n):
            t = self.t0 + i / self.fps
            yield self.frame(t, knee_flexion_at(tl, t), rng)

    def frame(self, t: float, knee_deg: float, rng: random.Random) -> dict[str, Any]:
        work = self.set_plan.leg.value
        base = "right" if work == "left" else "left"
        # Facing direction in the image: +1 when the member faces image-right.
        face = 1.0 if self.camera_on_left else -1.0
        hip = (0.0, 0.0)
        thigh = math.radians(THIGH_BEHIND_DEG)
        knee = (hip[0] - face * THIGH_M * math.sin(thigh), hip[1] + THIGH_M * math.cos(thigh))
        shank = thigh + math.radians(knee_deg)  # flexion rotates the shank back and up
        ankle = (knee[0] - face * SHANK_M * math.sin(shank), knee[1] + SHANK_M * math.cos(shank))
        torso = math.radians(70.0)  # leaning forward onto the support, from horizontal
        shoulder = (hip[0] + face * TORSO_M * math.cos(torso), hip[1] - TORSO_M * math.sin(torso))
        world = {
            f"{work}_hip": (hip[0], hip[1], 0.0), f"{base}_hip": (hip[0], hip[1], 0.0),
            f"{work}_knee": (*knee, 0.0), f"{work}_ankle": (*ankle, 0.0),
            f"{base}_knee": (hip[0], THIGH_M, 0.0), f"{base}_ankle": (hip[0], THIGH_M + SHANK_M, 0.0),
            f"{work}_shoulder": (*shoulder, 0.0), f"{base}_shoulder": (*shoulder, 0.0),
        }
        # Project: 1 m is 0.35 of the image height, hips at (0.5, 0.45).
        scale, w, h = 0.35, 1280, 720
        lm: dict[str, list[float]] = {}
        for name, (x, y, z) in world.items():
            nx = 0.5 + x * scale * h / w + rng.gauss(0, self.noise_px) / w
            ny = 0.45 + y * scale + rng.gauss(0, self.noise_px) / h
            lm[name] = [round(nx, 5), round(ny, 5), round(z, 4), 0.99]
        return {"t": round(t, 4), "width": w, "height": h, "landmarks": lm,
                "world": {k: [round(v, 4) for v in xyz] for k, xyz in world.items()}}


__all__ = ["Leg", "PoseSimulator", "knee_flexion_at"]
