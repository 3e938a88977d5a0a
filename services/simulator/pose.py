"""Pose frames of the virtual member, in the replay format of DESIGN.md, with ground truth.

Side view: the member faces the cable stack, leaning onto a support; the camera stands at the
member's left or right. Image coordinates are normalised with y down; `world` is in metres with
the origin between the hips and y down, as MediaPipe gives it (x along the image's x, z positive
away from the camera). Faults move the body as a member commits them: a swing kicks the thigh
back, a hip rotation turns the pelvis (and the working leg's plane) about the vertical, a back arch
lifts the torso; range and timing come from the rep plan. Noise, dropouts (occluded joints, lost
frames), body sizes and camera distance vary per stream.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.simulator.script import RepPlan, SetPlan, Timeline, varied_set
from shared.contract import Leg

FPS = 30.0
THIGH_M = 0.45  # adult femur length
SHANK_M = 0.43
TORSO_M = 0.50  # hip centre to shoulder centre
HIP_WIDTH_M = 0.20  # between the hip joint centres
SHOULDER_WIDTH_M = 0.36
HEAD_M = 0.22  # shoulder centre to nose, forward
REST_KNEE_DEG = 8.0  # "knee mostly straight" in the starting position
THIGH_BEHIND_DEG = 12.0  # "extend the strapped leg slightly behind the body"
TORSO_DEG = 65.0  # leaning onto the support, from horizontal
NEAR_VISIBILITY = 0.98  # what BlazePose reports for joints in plain view
FAR_VISIBILITY = 0.8  # the far side's joints, partly hidden behind the near ones


def rep_state(tl: Timeline, t: float) -> tuple[float, float, RepPlan | None]:
    """(knee flexion in degrees, progress 0 at rest … 1 at the top, the rep's plan) at time t."""
    for rep in tl.reps:
        p = rep.plan
        if t < rep.start_t or t > rep.end_t:
            continue
        u = t - rep.start_t
        if u < p.concentric_s:
            s = 0.5 * (1 - math.cos(math.pi * u / p.concentric_s))
        elif u < p.concentric_s + p.top_hold_s:
            s = 1.0
        else:
            u -= p.concentric_s + p.top_hold_s
            s = 0.5 * (1 + math.cos(math.pi * min(1.0, u / p.eccentric_s)))
        return REST_KNEE_DEG + (p.peak_knee_deg - REST_KNEE_DEG) * s, s, p
    return REST_KNEE_DEG, 0.0, None


def knee_flexion_at(tl: Timeline, t: float) -> float:
    """Knee flexion (deg) of the scripted member at time t: smooth curl, hold, return."""
    return rep_state(tl, t)[0]


@dataclass
class PoseSimulator:
    set_plan: SetPlan
    t0: float = 0.0
    fps: float = FPS
    noise_px: float = 0.0
    seed: int = 0
    camera_on_left: bool = True
    body_scale: float = 1.0  # 0.85 a small member … 1.15 a tall one
    image_scale: float = 0.35  # image heights per metre: the camera's distance
    dropouts_per_min: float = 0.0  # occlusions of the working leg and lost frames
    with_world: bool = True
    width: int = 1280
    height: int = 720

    def timeline(self) -> Timeline:
        return Timeline(self.set_plan, self.t0)

    def frames(self) -> Iterator[dict[str, Any]]:
        tl = self.timeline()
        rng = random.Random(self.seed)
        n = int(self.set_plan.duration_s * self.fps)
        gap_left, gap_kind = 0, ""
        p_gap = self.dropouts_per_min / 60.0 / self.fps
        for i in range(n):
            t = self.t0 + i / self.fps
            knee, s, plan = rep_state(tl, t)
            frame = self.frame(t, knee, rng, s, plan)
            if gap_left == 0 and p_gap and rng.random() < p_gap:
                # Mostly a passer-by or the cable hiding the knee and ankle for 2–10 frames,
                # sometimes the whole person lost for 1–4 frames.
                gap_kind = "lost" if rng.random() < 0.3 else "occluded"
                gap_left = rng.randint(1, 4) if gap_kind == "lost" else rng.randint(2, 10)
            if gap_left:
                gap_left -= 1
                frame = self.drop(frame, gap_kind, rng)
            yield frame

    def drop(self, frame: dict[str, Any], kind: str, rng: random.Random) -> dict[str, Any]:
        if kind == "lost":
            return {"t": frame["t"], "width": frame["width"], "height": frame["height"], "landmarks": {}}
        w = self.set_plan.leg.value
        for j in ("knee", "ankle"):
            frame["landmarks"][f"{w}_{j}"][3] = round(rng.uniform(0.05, 0.4), 2)
        return frame

    def frame(self, t: float, knee_deg: float, rng: random.Random, s: float = 0.0,
              plan: RepPlan | None = None) -> dict[str, Any]:
        k = self.body_scale
        work = self.set_plan.leg
        sw = 1.0 if work is Leg.LEFT else -1.0  # working side on the member's left (+) or right
        face = -1.0 if self.camera_on_left else 1.0  # seen from the left, the member faces image-left
        cam = -1.0 if self.camera_on_left else 1.0  # MediaPipe z: smaller is nearer the camera
        sway = math.sin(2 * math.pi * 0.3 * t)  # a slow, small postural sway
        thigh = math.radians(THIGH_BEHIND_DEG + (plan.swing_deg * s if plan else 0.0) + 0.8 * sway)
        rho = math.radians(plan.pelvis_deg * s if plan else 0.0)
        torso = math.radians(TORSO_DEG + (plan.arch_deg * s if plan else 0.0) + 0.5 * sway)
        kn = math.radians(knee_deg)

        # Body coordinates: (forward, down, member's left). The pelvis turns about the vertical so
        # the working hip goes back; the working leg swings in the turned plane.
        fwd_leg = (math.cos(rho), sw * math.sin(rho))
        hw = HIP_WIDTH_M * k / 2
        whip = (-hw * math.sin(rho), 0.0, sw * hw * math.cos(rho))
        bhip = (hw * math.sin(rho), 0.0, -sw * hw * math.cos(rho))

        def along(p: tuple[float, float, float], length: float, ang: float) -> tuple[float, float, float]:
            back = -length * math.sin(ang)
            return (p[0] + back * fwd_leg[0], p[1] + length * math.cos(ang), p[2] + back * fwd_leg[1])

        wknee = along(whip, THIGH_M * k, thigh)
        wankle = along(wknee, SHANK_M * k, thigh + kn)
        bknee = (bhip[0] + 0.02 * k, THIGH_M * k, bhip[2])  # base knee slightly soft
        bankle = (bhip[0], (THIGH_M + SHANK_M) * k, bhip[2])
        sh = (TORSO_M * k * math.cos(torso), -TORSO_M * k * math.sin(torso), 0.0)
        sl = SHOULDER_WIDTH_M * k / 2
        body = {
            f"{work.value}_hip": whip, f"{work.value}_knee": wknee, f"{work.value}_ankle": wankle,
            f"{_other(work)}_hip": bhip, f"{_other(work)}_knee": bknee, f"{_other(work)}_ankle": bankle,
            "left_shoulder": (sh[0], sh[1], sl), "right_shoulder": (sh[0], sh[1], -sl),
            "nose": (sh[0] + HEAD_M * k, sh[1] - 0.05 * k, 0.0),
        }
        near = "left" if self.camera_on_left else "right"
        scale, w, h = self.image_scale, self.width, self.height
        wn = self.noise_px / (scale * h)  # the same noise, in metres
        lm: dict[str, list[float]] = {}
        world: dict[str, list[float]] = {}
        for name, (f, y, lat) in body.items():
            x, z = face * f, cam * lat
            vis = NEAR_VISIBILITY if name.startswith(near) or name == "nose" else FAR_VISIBILITY
            nx = 0.5 + x * scale * h / w + rng.gauss(0, self.noise_px) / w
            ny = 0.45 + y * scale + rng.gauss(0, self.noise_px) / h
            nz = z * scale * h / w + rng.gauss(0, 2 * self.noise_px) / w
            lm[name] = [round(nx, 5), round(ny, 5), round(nz, 5), vis]
            world[name] = [round(x + rng.gauss(0, wn), 4), round(y + rng.gauss(0, wn), 4),
                           round(z + rng.gauss(0, 2 * wn), 4)]
        out: dict[str, Any] = {"t": round(t, 4), "width": w, "height": h, "landmarks": lm}
        if self.with_world:
            out["world"] = world
        return out


def _other(leg: Leg) -> str:
    return "right" if leg is Leg.LEFT else "left"


# The goal each set of a corpus trains for, by its place in a run of eight (so every goal meets both legs
# and both camera sides): a quarter on the tempo goal (2 s curl, 3 s return), a quarter on hypertrophy
# (a 1–2 s squeeze at the top), the rest on a goal that asks for a brief pause at the top.
TEMPO_GOAL = "tempo_focus"
SQUEEZE_GOAL = "hypertrophy"
PLAIN_GOAL = "strength_control"
CORPUS_GOALS = {1: SQUEEZE_GOAL, 3: TEMPO_GOAL, 4: TEMPO_GOAL, 6: SQUEEZE_GOAL}


@dataclass(frozen=True)
class CorpusSet:
    """One generated set, how it was filmed and the goal it was trained for; `sim.set_plan` holds the truth."""

    sim: PoseSimulator
    goal: str = PLAIN_GOAL

    @property
    def tempo(self) -> bool:
        return self.goal == TEMPO_GOAL


def corpus(seed: int, n_sets: int = 48, noise_scale: float = 1.0, dropout_scale: float = 1.0) -> list[CorpusSet]:
    """Sets covering both legs × both camera sides, with noise (0.5–2.5 px at 720p), dropouts (0–8 a
    minute), body sizes, camera distances, tempos, a quarter on the tempo goal and a quarter on
    hypertrophy's squeeze; from its own seed, so a benchmark can be re-run exactly. The scales make a
    harsher corpus of the same sets."""
    rng = random.Random(seed)
    out = []
    for i in range(n_sets):
        leg = Leg.LEFT if i % 2 == 0 else Leg.RIGHT
        goal = CORPUS_GOALS.get(i % 8, PLAIN_GOAL)
        plan = varied_set(rng, leg, tempo=goal == TEMPO_GOAL, squeeze=goal == SQUEEZE_GOAL)
        sim = PoseSimulator(
            plan, fps=30.0, noise_px=rng.uniform(0.5, 2.5) * noise_scale, seed=rng.randrange(1 << 30),
            camera_on_left=(i // 2) % 2 == 0, body_scale=rng.uniform(0.85, 1.15),
            image_scale=rng.uniform(0.3, 0.4), dropouts_per_min=rng.uniform(0.0, 8.0) * dropout_scale,
            with_world=rng.random() < 0.75,
        )
        out.append(CorpusSet(sim, goal))
    return out


__all__ = ["CorpusSet", "Leg", "PoseSimulator", "corpus", "knee_flexion_at", "rep_state"]
