"""A second, independent model of the cable's force: the mechanics of a stack pulled through a compliant
cable, written from physics rather than from `force.py`'s shapes (which prescribe the stack's path and
read the force off it). Here only the member's ankle is prescribed; the stack goes where the forces
take it.

- **The ankle** pulls the cable in minimum-jerk strokes (smooth human reaching, Flash & Hogan 1985):
  u(t) = d·(10τ³ − 15τ⁴ + 6τ⁵), τ = (t − t₀)/T, for the curl (0 → d), the return (d → 0) and, in a rest,
  a set-down (forward until the stack sits on its pins and the cable is slack, then back).
- **The cable** between the ankle and the stack is a spring and damper in series (the ankle strap, the
  soft tissue under it and the cable's stretch): tension T = k·s + c·ṡ for a stretch s > 0. A cable cannot
  push: slack, only the strap's own small pull is left.
- **The pulley ratio** r (1:1, or 2:1 with the stack hanging from a running pulley on two strands): the
  cable's stretch is s = u + u₀ − r·x (x the stack's height over its pins), the stack feels r·T. So at
  2:1 the stack moves half the ankle's travel and, in steady motion, the cable carries half of what the
  stack needs: T = (m·g + m·ẍ + f)/2 with ẍ = ü/2, i.e. T = m·g/2 + m·ü/4 + f/2.
- **Friction**: Coulomb friction on the guide rods, plus a loss at each pulley proportional to the tension
  in the direction the cable slides (the cable pulls (1 + ε)ⁿ more than it delivers going up, less going
  down); together 4–7 % of the weight. **Stiction**: a stuck stack breaks free only when the net force
  exceeds static friction, 10–40 % above the Coulomb level, and sticks again when its velocity passes zero.
  So the tension of a resting stack can sit anywhere in m·g/r ± static friction — after a curl near the top
  of that band, after a return near its bottom.
- **The pins**: the stack cannot go below them; landing on them is inelastic.
- **The sensor**: 50–100 Hz, each sample the mean tension over its conversion period, amplifier noise
  (≈ 0.6 N).

The member keeps the light starting tension the seed asks for: between reps the stack hangs a few
centimetres over its pins and never touches them, unless a set-down is planned (`lost_tension`) or the
set starts with a slack cable (`slack_start`: the stack on its pins until the first curl takes up the slack
and lifts it, after which the member keeps the usual stance).

The same `SetPlan` drives this model, `force.py` and the pose simulator, so every sensor has one ground
truth. `physical_set` makes plans in this model's own ranges: 1.6–2.3 s curls, 0.3–1.2 s holds, 2.4–3.4 s
returns, 0.6–1.2 s rests; kicks (a curl in 0.5–0.8 s) and dropped returns (0.35–0.6 s).
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.simulator.script import RepPlan, SetPlan, Timeline
from shared.contract import Fault, Leg

G = 9.80665
# The dynamics are stepped at 2 kHz: the stiffest cable on the lightest stack (2:1, 3·10⁴ N/m, 10 kg)
# rings at ω = r·√(k/m) ≈ 110 rad/s, so a step is 0.05 rad of it, well inside semi-implicit Euler's
# stability and accuracy.
STEP_HZ = 2000.0
# The timing (a controlled rep and its faults), seconds.
CONCENTRIC_S = (1.6, 2.3)
HOLD_S = (0.3, 1.2)
ECCENTRIC_S = (2.4, 3.4)
REST_S = (0.6, 1.2)
KICK_S = (0.5, 0.8)  # a kick: the curl thrown in 0.5–0.8 s
DROP_S = (0.35, 0.6)  # a dropped return
# A set-down needs a rest long enough to lower the stack onto its pins, leave it and lift it again.
SET_DOWN_REST_S = (1.6, 2.4)
SET_DOWN_MOVE_S = 0.5  # lowering (and lifting again) the last few centimetres, unhurried
SET_DOWN_MARGIN_S = 0.15  # after the return ends, before the next curl starts
# The cable travel of a full curl (heel to glutes) for this member and pulley placement, and its spread
# rep to rep.
TRAVEL_M = (0.25, 0.35)
TRAVEL_SPREAD = 0.04


@dataclass(frozen=True)
class CableStation:
    """The station's mechanics and its sensor, and how this member stands at it."""

    mass_kg: float = 15.0
    ratio: int = 1  # 1: the cable runs straight to the stack; 2: the stack hangs from a running pulley
    friction_share: float = 0.05  # Coulomb friction (rods + pulleys) as a share of the stack's weight
    pulley_share: float = 0.5  # the part of it lost in the pulleys (proportional to tension)
    stiction: float = 1.25  # static friction over Coulomb
    stiffness_n_m: float = 15000.0  # strap, ankle tissue and cable in series
    damping_ratio: float = 0.2
    strap_n: float = 2.0  # what a slack cable still pulls (the strap and cable's own weight)
    rest_height_m: float = 0.04  # the stack over its pins between reps (the light starting tension)
    # Where in its stiction band the stack rests before the set (−1 … 1 of the static friction): the member
    # stepping back into the stance leaves it stuck anywhere between m·g/r ± the static friction.
    stance_share: float = 0.0
    travel_m: float = 0.3  # the cable travel of this member's full curl
    hz: float = 80.0
    noise_n: float = 0.6

    @property
    def load_n(self) -> float:
        """The static tension in the cable: the stack's weight over the ratio (the load the member moves)."""
        return self.mass_kg * G / self.ratio

    @property
    def load_kg(self) -> float:
        return self.mass_kg / self.ratio


def random_cable_station(rng: random.Random) -> CableStation:
    """A station and member: 10–30 kg stacks on 1:1 or 2:1, friction 4–7 %, a compliant strap and cable."""
    return CableStation(
        mass_kg=round(rng.uniform(10.0, 30.0), 1), ratio=rng.choice((1, 2)),
        friction_share=rng.uniform(0.04, 0.07), pulley_share=rng.uniform(0.3, 0.7),
        stiction=rng.uniform(1.1, 1.4), stiffness_n_m=rng.uniform(8000.0, 30000.0),
        damping_ratio=rng.uniform(0.2, 0.5), strap_n=rng.uniform(1.0, 4.0),
        rest_height_m=rng.uniform(0.02, 0.08), stance_share=rng.uniform(-0.9, 0.9), travel_m=rng.uniform(*TRAVEL_M),
        hz=rng.choice((50.0, 64.0, 80.0, 100.0)), noise_n=rng.uniform(0.45, 0.75))


def min_jerk(tau: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The minimum-jerk stroke's shape, 0 → 1 over τ ∈ [0, 1] (clamped outside)."""
    x = np.clip(tau, 0.0, 1.0)
    out: npt.NDArray[np.float64] = x ** 3 * (10.0 - 15.0 * x + 6.0 * x * x)
    return out


def rep_travel(st: CableStation, plan: RepPlan, index: int) -> float:
    """The cable travel of one rep: the member's full curl, scaled by how far the knee bends (from the
    plan's 8° rest), with a little rep-to-rep variation drawn from the rep's index."""
    spread = 1.0 + TRAVEL_SPREAD * math.sin(2.4 * index + 0.7)  # deterministic, uncorrelated with timing
    bend = max(0.2, min(1.1, (plan.peak_knee_deg - 8.0) / 92.0))
    return st.travel_m * bend * spread


def slack_start(tl: Timeline) -> bool:
    return bool(tl.reps) and Fault.SLACK_START in tl.reps[0].plan.faults


def ankle_path(tl: Timeline, st: CableStation, ts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The ankle's pull on the cable (m, from the rest stance) at times `ts`: the strokes of each rep, the
    set-downs in the rests before reps with lost_tension, and a slack start's stance."""
    u = np.zeros_like(ts)
    # How far forward of the rest stance the ankle must go for the cable to go slack with the stack on its
    # pins: the stack's height times the ratio, plus the cable's stretch under the load.
    slack_u = st.ratio * st.rest_height_m + st.load_n / st.stiffness_n_m
    for k, rep in enumerate(tl.reps):
        p = rep.plan
        d = rep_travel(st, p, rep.index)
        t0, t1 = rep.start_t, rep.start_t + p.concentric_s
        t2 = t1 + p.top_hold_s
        up = min_jerk((ts - t0) / p.concentric_s)
        down = min_jerk((ts - t2) / p.eccentric_s)
        u += d * (up - down)
        if Fault.LOST_TENSION in p.faults and k > 0:
            a, b = tl.reps[k - 1].end_t + SET_DOWN_MARGIN_S, rep.start_t - SET_DOWN_MARGIN_S
            depth = slack_u + 0.01
            lower, lift = min_jerk((ts - a) / SET_DOWN_MOVE_S), min_jerk((ts - b) / SET_DOWN_MOVE_S + 1.0)
            u -= depth * (lower - lift)
    if tl.reps and not slack_start(tl):
        # The stance's own stretch until the first curl: the stack rests stuck anywhere in its static band.
        band = st.stance_share * st.stiction * st.friction_share * st.mass_kg * G / st.ratio
        u += band / st.stiffness_n_m * (1.0 - min_jerk((ts - tl.reps[0].start_t) / 0.2))
    if slack_start(tl):
        first = tl.reps[0]
        # Standing too close: slack by 1–4 cm more than the rest height; the first curl takes it up and the
        # member steps back into the usual stance during it.
        extra = 0.01 + 0.03 * (0.5 + 0.5 * math.sin(7.1 * st.travel_m * 100))
        u -= (slack_u + extra) * (1.0 - min_jerk((ts - first.start_t) / first.plan.concentric_s))
    return u


@dataclass
class PhysicalForceSimulator:
    """(t, force_n) of a set on a `CableStation`, from the stack's dynamics."""

    set_plan: SetPlan
    station: CableStation = dataclasses.field(default_factory=CableStation)
    t0: float = 0.0
    seed: int = 0

    @property
    def hz(self) -> float:
        return self.station.hz

    def tension(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(times, cable tension at the load cell, stack height) at STEP_HZ over the whole set, noise-free."""
        st = self.station
        tl = Timeline(self.set_plan, self.t0)
        n = int(self.set_plan.duration_s * STEP_HZ) + 1
        ts = self.t0 + np.arange(n) / STEP_HZ
        u = ankle_path(tl, st, ts)
        du = np.gradient(u, 1.0 / STEP_HZ)
        m, r, k = st.mass_kg, float(st.ratio), st.stiffness_n_m
        weight = m * G
        coulomb = st.friction_share * weight
        rods = (1.0 - st.pulley_share) * coulomb
        # The pulleys' loss: over all of them the cable pulls (1 + ε)ⁿ times what it delivers going up (and
        # delivers that much more than it pulls going down); (1 + ε)ⁿ − 1 is their share of the friction.
        gain_up = 1.0 + st.pulley_share * st.friction_share
        static = st.stiction * coulomb
        c = 2.0 * st.damping_ratio * math.sqrt(k * m) / r  # the cable's damping, ζ of the stack's mode
        # The stance: at rest the cable is stretched to carry the stack's weight (a hanging stack at its
        # rest height). u0 is where the ankle stands relative to an unstretched cable with the stack on its pins.
        u0 = r * st.rest_height_m + weight / (r * k)
        x = st.rest_height_m
        if slack_start(tl):
            x = 0.0
        v = 0.0
        dt = 1.0 / STEP_HZ
        out_t = np.empty(n)
        out_x = np.empty(n)
        strap = st.strap_n
        ul, dul = u.tolist(), du.tolist()
        for i in range(n):
            s = ul[i] + u0 - r * x
            tension = k * s + c * (dul[i] - r * v) if s > 0.0 else 0.0
            tension = max(tension, 0.0)
            # What reaches the stack: less than the ankle pulls when the stack rises, more when it runs down.
            if v > 0.0:
                lift = r * tension / gain_up
            elif v < 0.0:
                lift = r * tension * gain_up
            else:
                lift = r * tension
            net = lift - weight
            if v == 0.0:
                if x <= 0.0 and net <= 0.0:
                    a = 0.0  # on the pins
                elif abs(net) <= static:
                    a = 0.0  # stuck: static friction holds it
                else:
                    a = (net - math.copysign(rods + (gain_up - 1.0) * weight, net)) / m
            else:
                a = (net - math.copysign(rods, v)) / m
            nv = v + a * dt
            if v != 0.0 and (nv > 0.0) != (v > 0.0):
                nv = 0.0  # friction stops the stack; it does not reverse it
            x += nv * dt
            if x <= 0.0 and nv <= 0.0:
                x, nv = 0.0, 0.0  # landed on the pins
            v = nv
            out_t[i] = max(tension, strap)
            out_x[i] = x
        return ts, out_t, out_x

    def samples(self) -> Iterator[tuple[float, float]]:
        """(t, force_n) at the station's rate: each sample the mean tension over its conversion period,
        plus the amplifier's noise."""
        ts, tension, _ = self.tension()
        rng = random.Random(self.seed)
        per = STEP_HZ / self.hz
        n = int((len(ts) - 1) / per)
        for i in range(1, n):
            a, b = round((i - 1) * per) + 1, round(i * per) + 1
            f = float(tension[a:b].mean()) + rng.gauss(0.0, self.station.noise_n)
            yield round(float(ts[b - 1]), 4), round(max(f, 0.0), 2)


def physical_rep(rng: random.Random, faults: frozenset[Fault] = frozenset()) -> RepPlan:
    """A rep in this model's ranges; `faults` (jerk, fast_eccentric, lost_tension, slack_start) its truth."""
    conc = rng.uniform(*(KICK_S if Fault.JERK in faults else CONCENTRIC_S))
    ecc = rng.uniform(*(DROP_S if Fault.FAST_ECCENTRIC in faults else ECCENTRIC_S))
    rest = rng.uniform(*REST_S)
    return RepPlan(concentric_s=round(conc, 3), top_hold_s=round(rng.uniform(*HOLD_S), 3),
                   eccentric_s=round(ecc, 3), rest_s=round(rest, 3), peak_knee_deg=round(rng.uniform(92.0, 108.0), 1),
                   faults=faults, thigh_swing_deg=rng.uniform(0.0, 5.0), pelvis_rotation_deg=rng.uniform(0.0, 4.0),
                   torso_arch_deg=rng.uniform(0.0, 3.0))


def physical_set(rng: random.Random, leg: Leg = Leg.LEFT, n: int | None = None, jerk_share: float = 0.15,
                 lost_share: float = 0.12, eccentric_share: float = 0.1, slack_share: float = 0.25) -> SetPlan:
    """A set of `n` reps (8–12 by default) with kicks, set-downs, dropped returns and slack starts."""
    count = n if n is not None else rng.randint(8, 12)
    reps: list[RepPlan] = []
    for i in range(count):
        faults: set[Fault] = set()
        if i == 0 and rng.random() < slack_share:
            faults.add(Fault.SLACK_START)
        if rng.random() < jerk_share:
            faults.add(Fault.JERK)
        if i > 0 and rng.random() < lost_share:
            faults.add(Fault.LOST_TENSION)
        if rng.random() < eccentric_share:
            faults.add(Fault.FAST_ECCENTRIC)
        reps.append(physical_rep(rng, frozenset(faults)))
    for i in range(1, count):  # a set-down needs a rest long enough to lower, leave and lift the stack
        if Fault.LOST_TENSION in reps[i].faults:
            reps[i - 1] = dataclasses.replace(reps[i - 1], rest_s=round(rng.uniform(*SET_DOWN_REST_S), 3))
    return SetPlan(leg=leg, reps=tuple(reps), lead_in_s=round(rng.uniform(1.0, 2.0), 2))


__all__ = ["CableStation", "PhysicalForceSimulator", "ankle_path", "min_jerk", "physical_rep", "physical_set",
           "random_cable_station"]
