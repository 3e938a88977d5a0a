"""Simulator streams with ground truth, shared by the camera's unit tests."""

from __future__ import annotations

from typing import Any

from services.simulator.pose import PoseSimulator
from services.simulator.script import RepPlan, SetPlan
from shared.contract import Fault, Leg

CLEAN = RepPlan(concentric_s=1.5, top_hold_s=0.6, eccentric_s=2.5, rest_s=0.8)
FAULTED: dict[Fault, RepPlan] = {
    Fault.SWING: RepPlan(concentric_s=1.5, top_hold_s=0.6, eccentric_s=2.5, rest_s=0.8,
                         faults=frozenset({Fault.SWING})),
    Fault.HIP_ROTATION: RepPlan(concentric_s=1.5, top_hold_s=0.6, eccentric_s=2.5, rest_s=0.8,
                                faults=frozenset({Fault.HIP_ROTATION})),
    Fault.FAST_ECCENTRIC: RepPlan(concentric_s=1.5, top_hold_s=0.6, eccentric_s=0.6, rest_s=0.8,
                                  faults=frozenset({Fault.FAST_ECCENTRIC})),
    Fault.PARTIAL_RANGE: RepPlan(concentric_s=1.5, top_hold_s=0.6, eccentric_s=2.5, rest_s=0.8, peak_knee_deg=52.0,
                                 faults=frozenset({Fault.PARTIAL_RANGE})),
    Fault.BACK_ARCH: RepPlan(concentric_s=1.5, top_hold_s=0.6, eccentric_s=2.5, rest_s=0.8,
                             faults=frozenset({Fault.BACK_ARCH})),
}


def frames(plan: SetPlan, **kw: Any) -> list[dict[str, Any]]:
    return list(PoseSimulator(plan, **kw).frames())


def set_of(*reps: RepPlan, leg: Leg = Leg.LEFT) -> SetPlan:
    return SetPlan(leg=leg, reps=reps, lead_in_s=1.0, tail_s=1.0)
