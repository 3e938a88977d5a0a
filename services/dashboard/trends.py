"""A member's trends, per session and leg (pure: records in, numbers out): faults, range of motion, load,
pass rate and an estimated strength.

Estimated strength is the one-repetition maximum by Epley's formula (B. Epley, "Poundage Chart", Boyd Epley
Workout, Lincoln NE: Body Enterprises, 1985): 1RM = w · (1 + r / 30), w the set's weight and r its clean reps —
reps with a fault are not counted, the member did not lift that weight well that many times. It is an estimate
of the stack the member could curl once, shown as such and read as a trend: prediction equations like it were
checked on sets of up to about 10 reps (LeSuer et al., "The accuracy of prediction equations for estimating 1-RM
performance", J Strength Cond Res 11(4), 1997, pp. 211–213); beyond, a count says more about endurance than
strength, so a set of more than `EPLEY_MAX_REPS` clean reps counts as that many.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared.contract import Fault, Leg
from shared.records import SessionRecord, SetRecord

# Checked to about 10 reps (LeSuer et al. 1997); beyond, more reps say endurance, not strength.
EPLEY_MAX_REPS = 10
PEAK_KNEE = "peak_knee_flexion_deg"  # the camera's measure of a curl's range (shared.judge reads the same key)


def epley_1rm(weight_kg: float, reps: int) -> float | None:
    """Epley's one-repetition maximum of `reps` clean reps at `weight_kg`; None without a clean rep."""
    if reps < 1 or weight_kg <= 0:
        return None
    if reps == 1:
        return weight_kg  # one rep is the maximum itself (the formula would add 3 %)
    return weight_kg * (1 + min(reps, EPLEY_MAX_REPS) / 30)


def clean_reps(s: SetRecord) -> int:
    """Reps of the set that passed: judged, every blocking check made, no fault."""
    return sum(1 for r in s.reps if r.verdict is not None and r.verdict.status == "passed")


@dataclass
class LegTrend:
    """One leg in one session."""

    leg: str
    sets: int = 0
    weight_kg: float = 0.0  # the heaviest set
    reps: int = 0
    passed: int = 0
    failed: int = 0
    unverified: int = 0
    faults: Counter[str] = field(default_factory=Counter)  # fault -> reps that had it
    rom_deg: float | None = None  # median peak knee bend of the reps the camera measured
    load_kg: float | None = None  # median stack mass the load cell weighed
    strength_kg: float | None = None  # Epley's estimate, the best set's

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.reps if self.reps else None

    def to_json(self) -> dict[str, Any]:
        return {"leg": self.leg, "sets": self.sets, "weight_kg": self.weight_kg, "reps": self.reps,
                "passed_reps": self.passed, "failed_reps": self.failed, "unverified_reps": self.unverified,
                "pass_rate": self.pass_rate, "faults": dict(self.faults), "rom_deg": self.rom_deg,
                "load_kg": self.load_kg, "estimated_1rm_kg": self.strength_kg}


def leg_trends(s: SessionRecord) -> dict[str, LegTrend]:
    """Each leg trained in the session, in training order."""
    out: dict[str, LegTrend] = {}
    roms: dict[str, list[float]] = {}
    loads: dict[str, list[float]] = {}
    for st in s.sets:
        t = out.setdefault(st.leg.value, LegTrend(st.leg.value))
        t.sets += 1
        t.weight_kg = max(t.weight_kg, st.weight_kg)
        est = epley_1rm(st.weight_kg, clean_reps(st))
        if est is not None and (t.strength_kg is None or est > t.strength_kg):
            t.strength_kg = round(est, 1)
        for r in st.reps:
            if r.camera is not None and PEAK_KNEE in r.camera.metrics:
                roms.setdefault(t.leg, []).append(r.camera.metrics[PEAK_KNEE])
            if r.load is not None and r.load.load_kg > 0:
                loads.setdefault(t.leg, []).append(r.load.load_kg)
            if r.verdict is None:
                continue
            t.reps += 1
            status = r.verdict.status
            t.passed += status == "passed"
            t.failed += status == "failed"
            t.unverified += status == "unverified"
            t.faults.update({f.value for f in r.verdict.faults})  # a rep counts once per fault
    for leg, t in out.items():
        if roms.get(leg):
            t.rom_deg = round(statistics.median(roms[leg]), 1)
        if loads.get(leg):
            t.load_kg = round(statistics.median(loads[leg]), 2)
    return out


def recurring_faults(trends: list[dict[str, LegTrend]], least: int = 2) -> list[tuple[str, int, int]]:
    """(fault, reps, sessions) of the faults seen in at least `least` of these sessions, most reps first."""
    reps: Counter[str] = Counter()
    sessions: Counter[str] = Counter()
    for by_leg in trends:
        seen: set[str] = set()
        for t in by_leg.values():
            reps.update(t.faults)
            seen.update(t.faults)
        sessions.update(seen)
    return sorted(((f, reps[f], sessions[f]) for f in sessions if sessions[f] >= least),
                  key=lambda x: (-x[1], x[0]))


FAULT_ORDER = [f.value for f in Fault]
LEGS = [leg.value for leg in Leg]
