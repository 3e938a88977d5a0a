"""The virtual member's reps as force on the cable, in the replay format of DESIGN.md (`t,force_n`).

The stack follows the same rep plans as the pose simulator: its travel is the working
heel's path along the cable, taken from `knee_flexion_at`, so a rep's phases are the
same in both sensors. The cable tension is the stack's weight and inertia plus the
pulleys' friction, F = m(g + a) + f·sign(v), with amplifier noise, sampled at 80 Hz.

Three faults the load cell sees are played from the plan's ground truth:
- `jerk`: a kicked rep, its curl done in 0.45–0.65 s, so the stack is thrown up;
- `lost_tension`: the stack set down on its pins in the rest before the rep;
- `slack_start` (on a set's first rep): the member stood too close, so the stack sat on its pins
  until the first curl took up the slack and lifted it.
A cable cannot push: when the plan asks the stack to decelerate faster than gravity
(the top of a kick, the start of a dropped return) the tension is clamped at zero;
the stack's flight on a slack cable is not modelled.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from services.simulator.pose import REST_KNEE_DEG, knee_flexion_at
from services.simulator.script import RepPlan, SetPlan, Timeline, varied_rep
from shared.contract import Fault, Leg

G = 9.80665
HZ = 80.0  # the HX711's fast rate and the issue's replay rate
# The heel moves along the cable by ~0.26 m per radian of knee bend: a 0.43 m shank, of which
# about 60 % of the arc runs along a low pulley's cable; a 100° curl moves the stack ~0.42 m.
TRAVEL_M_PER_RAD = 0.26
# "Start with tension": the member stands so the stack hangs a few cm above its pins.
REST_HEIGHT_M = 0.03
# The strap and cable still pull a little when the stack sits on its pins.
PRETENSION_N = 6.0
# Below this speed (m/s) Coulomb friction's sign is blended, as a real pulley's stiction is.
FRICTION_BLEND_V = 0.01
DIFF_STEP_S = 0.001  # central differences for the stack's velocity and acceleration
# How the stack is set down between reps (lost_tension): lowered, left on the pins, lifted again.
SET_DOWN_MOVE_S = 0.25
SET_DOWN_MARGIN_S = 0.1
# A kick: the leg throws the stack in a 0.12 s impulse and the curl is over in 0.45–0.65 s
# (a controlled curl takes 1–2 s); the stack then slows at under 1 g, so the cable stays taut.
KICK_CONCENTRIC_S = (0.45, 0.65)
KICK_S = 0.12
# A dropped return falls for 70 % of it (at under 0.75 g for the plan's 0.45–0.8 s) and is caught
# at the bottom, the jolt a member feels when the stack is let go.
DROP_SHARE = 0.7
# Load-cell faults are not the camera's: a rest long enough to set the stack down and lift it.
MIN_SET_DOWN_REST_S = 1.2


@dataclass(frozen=True)
class Station:
    """The cable station and its sensor: stack mass, pulley friction and amplifier noise."""

    mass_kg: float = 12.5
    friction_share: float = 0.05  # kinetic friction as a share of the stack's weight
    friction_n: float = 4.0  # and its constant part (cable, bearings)
    noise_n: float = 0.8  # amplifier noise after the ADC (1σ)
    stiction_share: float = 0.1  # residual tension held by static friction at rest, share of friction

    @property
    def friction(self) -> float:
        return self.friction_share * self.mass_kg * G + self.friction_n


def random_station(rng: random.Random) -> Station:
    """A station with a 10–30 kg stack and friction and noise of a real pulley and amplifier."""
    return Station(mass_kg=round(rng.uniform(10.0, 30.0), 1), friction_share=rng.uniform(0.03, 0.08),
                   friction_n=rng.uniform(2.0, 8.0), noise_n=rng.uniform(0.4, 1.2))


def _set_downs(tl: Timeline) -> list[tuple[float, float]]:
    """(start, end) of each set-down: in the rest before every rep whose plan has lost_tension."""
    out = []
    for prev, rep in zip(tl.reps, tl.reps[1:], strict=False):
        if Fault.LOST_TENSION in rep.plan.faults:
            out.append((prev.end_t + SET_DOWN_MARGIN_S, rep.start_t - SET_DOWN_MARGIN_S))
    return out


def _bump(u: float, span: float) -> float:
    """0 → 1 over `span` on a cosine, the shape of every smooth stack move."""
    return 0.5 * (1 - math.cos(math.pi * min(1.0, max(0.0, u / span))))


def _two_phase(u: float, span: float, travel: float, share: float) -> float:
    """Position after `u` s of a move of `travel` m in `span` s: constant acceleration for `share` of it,
    then constant deceleration to a stop (a kick's impulse, or a drop and its catch)."""
    u = min(max(u, 0.0), span)
    v = 2 * travel / span
    split = share * span
    if u <= split:
        return v / split * u * u / 2
    return travel - v / (span - split) * (span - u) ** 2 / 2


def slack_start(tl: Timeline) -> bool:
    """The set's first rep starts from a slack cable, the stack on its pins (its plan has slack_start)."""
    return bool(tl.reps) and Fault.SLACK_START in tl.reps[0].plan.faults


def travel_at(tl: Timeline, t: float, set_downs: list[tuple[float, float]], slack: bool = False) -> float:
    """Stack height above its hanging rest (m); -REST_HEIGHT_M is on the pins. `slack`: the set starts
    with the stack on its pins, and the first curl takes up the slack as it lifts it."""
    for a, b in set_downs:
        if a <= t <= b:
            return -REST_HEIGHT_M * min(_bump(t - a, SET_DOWN_MOVE_S), _bump(b - t, SET_DOWN_MOVE_S))
    x = _rep_travel(tl, t)
    if slack:
        first = tl.reps[0]
        u = t - first.start_t
        if u < 0:
            return -REST_HEIGHT_M
        if u < first.plan.concentric_s:  # on the pins as the curl starts, at the usual height at its top
            x -= REST_HEIGHT_M * (1 - _bump(u, first.plan.concentric_s))
    return x


def _rep_travel(tl: Timeline, t: float) -> float:
    for rep in tl.reps:
        if not rep.start_t <= t <= rep.end_t:
            continue
        p = rep.plan
        top = TRAVEL_M_PER_RAD * math.radians(p.peak_knee_deg - REST_KNEE_DEG)
        u = t - rep.start_t
        if Fault.JERK in p.faults and u < p.concentric_s:
            return _two_phase(u, p.concentric_s, top, KICK_S / p.concentric_s)
        down = u - p.concentric_s - p.top_hold_s
        if Fault.FAST_ECCENTRIC in p.faults and down > 0:
            return top - _two_phase(down, p.eccentric_s, top, DROP_SHARE)
    return TRAVEL_M_PER_RAD * math.radians(knee_flexion_at(tl, t) - REST_KNEE_DEG)


@dataclass
class ForceSimulator:
    set_plan: SetPlan
    station: Station = dataclasses.field(default_factory=Station)
    t0: float = 0.0
    hz: float = HZ
    seed: int = 0

    def samples(self) -> Iterator[tuple[float, float]]:
        """(t, force_n) at `hz` over the whole set."""
        tl = Timeline(self.set_plan, self.t0)
        downs = _set_downs(tl)
        slack = slack_start(tl)
        rng = random.Random(self.seed)
        st = self.station
        m, f = st.mass_kg, st.friction
        stiction = {r.index: rng.uniform(-1, 1) * st.stiction_share * f for r in tl.reps}
        h = DIFF_STEP_S
        for i in range(int(self.set_plan.duration_s * self.hz)):
            t = self.t0 + i / self.hz
            x0, x1, x2 = (travel_at(tl, t + d, downs, slack) for d in (-h, 0.0, h))
            if x1 <= -REST_HEIGHT_M + 1e-5:
                force = PRETENSION_N  # on the pins: the stack's weight is on the frame
            else:
                v, a = (x2 - x0) / (2 * h), (x2 - 2 * x1 + x0) / (h * h)
                moving = math.tanh(v / FRICTION_BLEND_V)
                rest_res = stiction.get(_rep_at(tl, t), 0.0) * (1 - abs(moving))
                force = m * (G + a) + f * moving + rest_res
            force = max(0.0, force + rng.gauss(0.0, st.noise_n))  # a cable cannot push
            yield round(t, 4), round(force, 2)


def _rep_at(tl: Timeline, t: float) -> int:
    """Index of the rep in progress or last finished at t (0 before the first)."""
    idx = 0
    for r in tl.reps:
        if r.start_t <= t:
            idx = r.index
    return idx


def varied_load_rep(rng: random.Random, faults: frozenset[Fault]) -> RepPlan:
    """A rep with human variation (the pose simulator's), kicked when `faults` holds jerk."""
    body = faults - {Fault.JERK, Fault.LOST_TENSION, Fault.SLACK_START}
    plan = dataclasses.replace(varied_rep(rng, frozenset(body)), faults=faults)
    if Fault.JERK in faults:
        plan = dataclasses.replace(plan, concentric_s=round(rng.uniform(*KICK_CONCENTRIC_S), 3))
    return plan


def varied_load_set(rng: random.Random, leg: Leg = Leg.LEFT, n: int | None = None,
                    jerk_share: float = 0.15, lost_share: float = 0.15, eccentric_share: float = 0.1,
                    slack_share: float = 0.25) -> SetPlan:
    """A set of `n` reps (8–12 by default) with kicked reps, set-downs, dropped returns and (`slack_share`
    of the sets) a slack start as ground truth."""
    count = n if n is not None else rng.randint(8, 12)
    reps: list[RepPlan] = []
    for i in range(count):
        faults: set[Fault] = set()
        if i == 0 and rng.random() < slack_share:  # "before the first rep": only ever the first
            faults.add(Fault.SLACK_START)
        if rng.random() < jerk_share:
            faults.add(Fault.JERK)
        if i > 0 and rng.random() < lost_share:  # "between reps": never before the first
            faults.add(Fault.LOST_TENSION)
        if rng.random() < eccentric_share:
            faults.add(Fault.FAST_ECCENTRIC)
        reps.append(varied_load_rep(rng, frozenset(faults)))
    for i in range(1, count):  # a set-down needs a rest long enough to lower, leave and lift the stack
        if Fault.LOST_TENSION in reps[i].faults and reps[i - 1].rest_s < MIN_SET_DOWN_REST_S:
            reps[i - 1] = dataclasses.replace(reps[i - 1], rest_s=round(rng.uniform(1.2, 2.0), 3))
    return SetPlan(leg=leg, reps=tuple(reps), lead_in_s=round(rng.uniform(1.0, 2.0), 2))


def write_csv(path: Path, samples: Iterator[tuple[float, float]]) -> int:
    """Write a force replay (`t,force_n`); returns the number of samples."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["t", "force_n"])
        for t, f in samples:
            w.writerow([t, f])
            n += 1
    return n


__all__ = ["HZ", "ForceSimulator", "Station", "random_station", "slack_start", "travel_at", "varied_load_set",
           "write_csv"]
