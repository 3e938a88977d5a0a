"""What the virtual member does: a plan of reps with their true timing and faults.

The same plan drives every sensor's simulation (pose frames for the camera, force for
the load cell), so each sensor's analysis can be checked against one ground truth.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.contract import Fault, Leg

# Goal tempo (shared/exercises: tempo_focus): "a 2-second curl and 3-second controlled return".
TEMPO_CONCENTRIC_S = 2.0
TEMPO_ECCENTRIC_S = 3.0
# The pose simulator's fault sizes when a plan names the fault without a size: each well past the
# camera's limit (swing 15°, hips 12°, back 10°), as a member who really commits the fault moves.
FAULT_SWING_DEG = 28.0
FAULT_PELVIS_DEG = 24.0
FAULT_ARCH_DEG = 18.0
# What a clean rep still moves: a braced thigh, pelvis and torso shift a little as the knee bends.
CLEAN_SWING_DEG = 4.0
CLEAN_PELVIS_DEG = 3.0
CLEAN_ARCH_DEG = 2.0
# "Pause briefly at the top": a member who pauses holds the top for about half a second to a second;
# one who misses the squeeze turns at the top without stopping (a bounce, 0–0.15 s).
CLEAN_HOLD_S = (0.45, 1.2)
BOUNCE_HOLD_S = (0.0, 0.15)
# Hypertrophy, "with a 1–2 second squeeze at the top": a member following it holds 1.2–1.8 s (inside
# the asked range, clear of its ends); one missing it bounces, or stays up well past it (2.6–3.2 s).
HYPERTROPHY_SQUEEZE_S = (1.0, 2.0)
HYPERTROPHY_HOLD_S = (1.2, 1.8)
OVERLONG_HOLD_S = (2.6, 3.2)
# The quickest curl a member still controls takes about a second (a kick is over in 0.5–0.8 s).
CLEAN_CONCENTRIC_S = (1.1, 2.0)
# A full curl brings the heel toward the glutes (88–112° of knee bend: past the partial line at 70°, short
# of going further than a controlled range, ~110–125°); a partial one stops at 45–60°.
CLEAN_PEAK_DEG = (88.0, 112.0)
PARTIAL_PEAK_DEG = (45.0, 60.0)


@dataclass(frozen=True)
class RepPlan:
    """One rep as the member performs it (the ground truth)."""

    concentric_s: float = 1.5
    top_hold_s: float = 0.5
    eccentric_s: float = 2.5
    rest_s: float = 1.0  # time at the bottom before the next rep starts
    peak_knee_deg: float = 105.0
    faults: frozenset[Fault] = frozenset()
    # Sizes of the fault movements (None: from `faults`, a committed fault or a clean rep's drift).
    thigh_swing_deg: float | None = None
    pelvis_rotation_deg: float | None = None
    torso_arch_deg: float | None = None

    @property
    def swing_deg(self) -> float:
        if self.thigh_swing_deg is not None:
            return self.thigh_swing_deg
        return FAULT_SWING_DEG if Fault.SWING in self.faults else CLEAN_SWING_DEG

    @property
    def pelvis_deg(self) -> float:
        if self.pelvis_rotation_deg is not None:
            return self.pelvis_rotation_deg
        return FAULT_PELVIS_DEG if Fault.HIP_ROTATION in self.faults else CLEAN_PELVIS_DEG

    @property
    def arch_deg(self) -> float:
        if self.torso_arch_deg is not None:
            return self.torso_arch_deg
        return FAULT_ARCH_DEG if Fault.BACK_ARCH in self.faults else CLEAN_ARCH_DEG

    @property
    def duration_s(self) -> float:
        return self.concentric_s + self.top_hold_s + self.eccentric_s + self.rest_s


@dataclass(frozen=True)
class SetPlan:
    leg: Leg
    reps: tuple[RepPlan, ...]
    weight_kg: float = 12.5
    lead_in_s: float = 1.5  # standing still before the first rep
    tail_s: float = 1.5

    @property
    def duration_s(self) -> float:
        return self.lead_in_s + sum(r.duration_s for r in self.reps) + self.tail_s


@dataclass(frozen=True)
class RepTruth:
    index: int
    start_t: float
    end_t: float
    plan: RepPlan


@dataclass
class Timeline:
    """Where each rep of a set falls in time, from `t0`."""

    set_plan: SetPlan
    t0: float = 0.0
    reps: list[RepTruth] = field(default_factory=list)

    def __post_init__(self) -> None:
        t = self.t0 + self.set_plan.lead_in_s
        for i, r in enumerate(self.set_plan.reps, start=1):
            end = t + r.concentric_s + r.top_hold_s + r.eccentric_s
            self.reps.append(RepTruth(i, t, end, r))
            t = end + r.rest_s

    @property
    def end_t(self) -> float:
        return self.t0 + self.set_plan.duration_s


def clean_set(leg: Leg = Leg.LEFT, n: int = 10, weight_kg: float = 12.5) -> SetPlan:
    return SetPlan(leg=leg, reps=tuple(RepPlan() for _ in range(n)), weight_kg=weight_kg)


def demo_set(leg: Leg = Leg.LEFT) -> SetPlan:
    """Six reps for the demo: clean, clean, a dropped return, a half curl, clean, clean."""
    return SetPlan(leg=leg, reps=(
        RepPlan(), RepPlan(),
        RepPlan(eccentric_s=0.5, faults=frozenset({Fault.FAST_ECCENTRIC})),
        RepPlan(peak_knee_deg=55.0, faults=frozenset({Fault.PARTIAL_RANGE})),
        RepPlan(), RepPlan(),
    ))


# Faults a set can be generated with (what the member's body does, so the camera sees it); tempo only
# in a tempo goal's set.
BODY_FAULTS = (Fault.SWING, Fault.HIP_ROTATION, Fault.FAST_ECCENTRIC, Fault.PARTIAL_RANGE, Fault.BACK_ARCH,
               Fault.SQUEEZE)


def varied_rep(rng: random.Random, faults: frozenset[Fault] = frozenset(), tempo: bool = False,
               squeeze: bool = False) -> RepPlan:
    """A rep with human variation in timing, range and fault size; `faults` is its ground truth.

    `tempo`: the goal asks a 2 s curl and 3 s return; `squeeze`: it asks a 1–2 s squeeze at the top
    (hypertrophy), otherwise a brief pause. Clean values keep clear of every limit (and fault values
    clearly past it), so the truth is not a matter of a few hundredths of a second or degree.
    """
    if tempo:  # pacing to the kiosk's guide: within 0.15 s of the beat
        conc, ecc = rng.uniform(1.85, 2.15), rng.uniform(2.85, 3.15)
        if Fault.TEMPO in faults:
            if rng.random() < 0.5:
                conc = rng.uniform(1.0, 1.2)  # rushed curl (still a curl, not a kick)
            else:
                ecc = rng.uniform(1.7, 2.1)  # quick (but not dropped) return
    else:
        conc, ecc = rng.uniform(*CLEAN_CONCENTRIC_S), rng.uniform(1.9, 3.5)
    if Fault.FAST_ECCENTRIC in faults:
        ecc = rng.uniform(0.45, 0.8)
    hold = rng.uniform(*(HYPERTROPHY_HOLD_S if squeeze else CLEAN_HOLD_S))
    if Fault.SQUEEZE in faults:
        hold = rng.uniform(*(OVERLONG_HOLD_S if squeeze and rng.random() < 0.5 else BOUNCE_HOLD_S))
    peak = rng.uniform(*PARTIAL_PEAK_DEG) if Fault.PARTIAL_RANGE in faults else rng.uniform(*CLEAN_PEAK_DEG)
    return RepPlan(
        concentric_s=round(conc, 3), top_hold_s=round(hold, 3), eccentric_s=round(ecc, 3),
        rest_s=round(rng.uniform(0.6, 1.5), 3), peak_knee_deg=round(peak, 1), faults=faults,
        thigh_swing_deg=rng.uniform(22.0, 35.0) if Fault.SWING in faults else rng.uniform(0.0, 5.0),
        pelvis_rotation_deg=rng.uniform(20.0, 32.0) if Fault.HIP_ROTATION in faults else rng.uniform(0.0, 4.0),
        torso_arch_deg=rng.uniform(16.0, 25.0) if Fault.BACK_ARCH in faults else rng.uniform(0.0, 3.0),
    )


def varied_set(rng: random.Random, leg: Leg, n: int | None = None, tempo: bool = False,
               fault_share: float = 0.4, squeeze: bool = False) -> SetPlan:
    """A set of `n` reps (6–12 by default), `fault_share` of them with one or two faults; `tempo` and
    `squeeze` as for `varied_rep` (a tempo goal's set, a hypertrophy set)."""
    reps = []
    pool = BODY_FAULTS + ((Fault.TEMPO,) if tempo else ())
    for _ in range(n if n is not None else rng.randint(6, 12)):
        faults: set[Fault] = set()
        if rng.random() < fault_share:
            faults.update(rng.sample(pool, 2 if rng.random() < 0.2 else 1))
        if tempo and Fault.FAST_ECCENTRIC in faults:
            faults.add(Fault.TEMPO)  # a dropped return also misses the 3 s beat
        reps.append(varied_rep(rng, frozenset(faults), tempo, squeeze))
    return SetPlan(leg=leg, reps=tuple(reps), lead_in_s=round(rng.uniform(1.0, 2.0), 2))


# A short scripted session for the whole-station reliability tests: quick reps (a 1 s curl, the quickest
# still controlled, a 0.5 s pause at the top, a controlled 2 s return, well above the 1.2 s dropped-return
# limit) and a 1 s rest, long enough for each sensor to close a rep before the next begins. The left set
# ends on a dropped return (the seed's "lower slowly" broken), so its leg cannot go up; the right set is clean.
QUICK_REP = RepPlan(concentric_s=1.1, top_hold_s=0.5, eccentric_s=2.0, rest_s=1.0)
QUICK_DROPPED = dataclasses.replace(QUICK_REP, eccentric_s=0.5, faults=frozenset({Fault.FAST_ECCENTRIC}))


def quick_session() -> list[SetPlan]:
    return [SetPlan(leg=Leg.LEFT, reps=(QUICK_REP,) * 4 + (QUICK_DROPPED,), lead_in_s=1.0),
            SetPlan(leg=Leg.RIGHT, reps=(QUICK_REP,) * 3, lead_in_s=1.0)]


# Sessions the virtual member can train (`--script NAME` of the simulator, camera and load-cell
# services): every process of a simulated station must follow the same one.
SCRIPTS: dict[str, Callable[[], list[SetPlan]]] = {
    "demo": lambda: [demo_set(Leg.LEFT)],
    "quick": quick_session,
}


def scripted_set(script: str, leg: Leg, set_index: int) -> SetPlan:
    """The plan of the `set_index`-th set (1-based) of `leg` in `script`; the script's last one past its end."""
    plans = [p for p in SCRIPTS[script]() if p.leg == leg] or [demo_set(leg)]
    return plans[min(set_index, len(plans)) - 1]
