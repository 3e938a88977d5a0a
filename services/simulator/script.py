"""What the virtual member does: a plan of reps with their true timing and faults.

The same plan drives every sensor's simulation (pose frames for the camera, force for
the load cell), so each sensor's analysis can be checked against one ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import Fault, Leg


@dataclass(frozen=True)
class RepPlan:
    """One rep as the member performs it (the ground truth)."""

    concentric_s: float = 1.5
    top_hold_s: float = 0.5
    eccentric_s: float = 2.5
    rest_s: float = 1.0  # time at the bottom before the next rep starts
    peak_knee_deg: float = 105.0
    faults: frozenset[Fault] = frozenset()

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
