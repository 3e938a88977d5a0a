"""A member's history as figures and chart geometry (pure: records in, numbers out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.dashboard.trends import LegTrend, leg_trends
from shared.contract import FAULT_WORDS, Fault, Leg
from shared.records import SessionRecord

# A gap between the legs above this share of the stronger leg's weight is worth a trainer's
# look: the seed trains the weaker leg first precisely to close such gaps.
GAP_FLAG_SHARE = 0.15


@dataclass
class SessionPoint:
    """One finished session, reduced to what the member page plots."""

    session_id: str
    started: datetime
    goal: str
    weight: dict[str, float] = field(default_factory=dict)  # leg -> heaviest set weight
    reps: int = 0
    passed: int = 0
    failed: int = 0
    unverified: int = 0  # no fault found, but a blocking check not made: neither passed nor failed
    sets: int = 0
    planned_sets: int | None = None  # sets per leg the member chose, when the session recorded it
    end_reason: str = ""
    exercise: str = ""
    legs: dict[str, LegTrend] = field(default_factory=dict)  # per leg: faults, range, load, estimated strength

    @property
    def quality(self) -> float | None:
        """Share of reps that passed, or None for a session without judged reps.

        An unverified rep counts as not passed, as it does for the weight (it never earns more); the
        share of them is shown beside it, so a camera that lost the member is not read as poor form."""
        return self.passed / self.reps if self.reps else None

    @property
    def unverified_share(self) -> float | None:
        return self.unverified / self.reps if self.reps else None

    @property
    def gap_kg(self) -> float | None:
        if len(self.weight) < 2:
            return None
        return round(abs(self.weight[Leg.LEFT.value] - self.weight[Leg.RIGHT.value]), 2)

    @property
    def gap_flag(self) -> bool:
        gap = self.gap_kg
        return gap is not None and gap > GAP_FLAG_SHARE * max(self.weight.values())

    def to_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "started": self.started.isoformat(), "goal": self.goal,
                "exercise": self.exercise, "weight_kg": dict(self.weight), "reps": self.reps,
                "passed_reps": self.passed, "failed_reps": self.failed, "unverified_reps": self.unverified,
                "sets": self.sets, "planned_sets": self.planned_sets, "quality": self.quality,
                "gap_kg": self.gap_kg, "gap_flag": self.gap_flag, "end_reason": self.end_reason,
                "legs": {k: t.to_json() for k, t in self.legs.items()}}

    def faults(self) -> dict[str, int]:
        """Reps with each fault, both legs together."""
        out: dict[str, int] = {}
        for t in self.legs.values():
            for f, n in t.faults.items():
                out[f] = out.get(f, 0) + n
        return out


def rom_words(rom_deg: dict[Leg, float]) -> str:
    """"left 104°, right 98°"; empty when no leg's range is recorded yet."""
    if not rom_deg:
        return ""
    return ", ".join(f"{leg.value} {rom_deg[leg]:.0f}°" if leg in rom_deg else f"{leg.value} not recorded yet"
                     for leg in Leg)


def session_points(history: list[SessionRecord]) -> list[SessionPoint]:
    out = []
    for s in sorted(history, key=lambda h: h.started):
        p = SessionPoint(s.session_id, s.started, s.goal, end_reason=s.end_reason, exercise=s.exercise,
                         planned_sets=getattr(s, "planned_sets", None),  # absent from records before it
                         legs=leg_trends(s))
        for st in s.sets:
            leg = st.leg.value
            p.weight[leg] = max(p.weight.get(leg, 0.0), st.weight_kg)
            p.sets += 1
            for r in st.reps:
                if r.verdict is not None:
                    p.reps += 1
                    status = r.verdict.status
                    p.passed += status == "passed"
                    p.failed += status == "failed"
                    p.unverified += status == "unverified"
        out.append(p)
    return out


@dataclass
class Chart:
    """An SVG line chart's geometry: `series` name -> "x,y x,y" polyline points, plus axis labels."""

    width: int
    height: int
    series: dict[str, str]
    dots: dict[str, list[tuple[float, float, str]]]
    y_ticks: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    empty: bool


PAD_L, PAD_R, PAD_T, PAD_B = 60, 28, 12, 28  # room for the y labels on the left and dates below


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Axis ticks at a step of 1, 2 or 5 × a power of ten covering [lo, hi] in about `count` steps: a trainer
    reads "0 5 10 15 kg", never "0 4.4 8.8 13.1 kg" (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990)."""
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw - 1e-12)
    first = math.floor(lo / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < hi - 1e-9:
        ticks.append(first + step * len(ticks))
    return [round(t, 10) for t in ticks]


def tick_label(v: float, unit: str) -> str:
    return f"{v:g}{unit}"


def line_chart(xs: list[str], series: dict[str, list[float | None]], width: int = 560, height: int = 200,
               y_min: float | None = None, y_max: float | None = None, unit: str = "") -> Chart:
    """Scale series sharing the x positions `xs` (labels) into a width x height box."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if not xs or not values:
        return Chart(width, height, {}, {}, [], [], True)
    lo = min(values) if y_min is None else y_min
    hi = max(values) if y_max is None else y_max
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]  # the axis ends on a labelled tick
    inner_w, inner_h = width - PAD_L - PAD_R, height - PAD_T - PAD_B
    n = len(xs)

    def x_at(i: int) -> float:
        return PAD_L + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    def y_at(v: float) -> float:
        return PAD_T + inner_h * (1 - (v - lo) / (hi - lo))

    lines: dict[str, str] = {}
    dots: dict[str, list[tuple[float, float, str]]] = {}
    for name, vs in series.items():
        pts = [(round(x_at(i), 1), round(y_at(v), 1), f"{xs[i]}: {v:g}{unit}") for i, v in enumerate(vs)
               if v is not None]
        lines[name] = " ".join(f"{x},{y}" for x, y, _ in pts)
        dots[name] = pts
    y_ticks = [(round(y_at(v), 1), tick_label(v, unit)) for v in ticks]
    step = max(1, math.ceil(n / 6))  # at most ~6 date labels fit under a 560 px chart
    labels = [(round(x_at(i), 1), xs[i]) for i in range(0, n, step)]
    return Chart(width, height, lines, dots, y_ticks, labels, False)


def member_charts(points: list[SessionPoint]) -> dict[str, Chart]:
    xs = [p.started.strftime("%d %b") for p in points]
    weight = line_chart(xs, {leg.value: [p.weight.get(leg.value) for p in points] for leg in Leg}, unit=" kg",
                        y_min=0.0)
    gap = line_chart(xs, {"gap": [p.gap_kg for p in points]}, unit=" kg", y_min=0.0)
    def pct(v: float | None) -> float | None:
        return None if v is None else round(100 * v, 1)

    shares = {"passed": [pct(p.quality) for p in points]}
    if any(p.unverified for p in points):  # a line at 0 % would only crowd the chart
        shares["not checked"] = [pct(p.unverified_share) for p in points]
    quality = line_chart(xs, shares, unit="%", y_min=0.0, y_max=100.0)

    def per_leg(attr: str) -> dict[str, list[float | None]]:
        series = {leg.value: [getattr(p.legs[leg.value], attr) if leg.value in p.legs else None for p in points]
                  for leg in Leg}
        return {k: v for k, v in series.items() if any(x is not None for x in v)}

    strength = line_chart(xs, per_leg("strength_kg"), unit=" kg", y_min=0.0)
    rom = line_chart(xs, per_leg("rom_deg"), unit="°")
    totals = [p.faults() for p in points]
    top = sorted({f for t in totals for f in t}, key=lambda f: -sum(t.get(f, 0) for t in totals))[:TOP_FAULTS]
    faults = line_chart(xs, {FAULT_WORDS[Fault(f)]: [float(t.get(f, 0)) for t in totals] for f in top},
                        unit="", y_min=0.0)
    return {"weight": weight, "gap": gap, "quality": quality, "strength": strength, "rom": rom, "faults": faults}


TOP_FAULTS = 3  # lines a fault chart can carry and stay readable; the table below has every fault
FAULT_COLOURS = ("#ff832b", "#be95ff", "#08bdba")


def saved_decision(member_id: str, member_name: str, plans: dict[str, Any], last: SessionPoint | None
                   ) -> dict[str, Any] | None:
    """The member's last decision as the progression service saved it (`ProgressRecord` per leg), for a member
    the live feed has not seen finish since the dashboard started; shaped as `floor.add_recommendation` is.
    The leg-gap flag is re-read from the last session's weights (the saved plan keeps no flags)."""
    if not plans:
        return None
    legs = [{"leg": leg, "action": p.last_action, "current_weight_kg": last.weight.get(leg) if last else None,
             "next_weight_kg": p.weight_kg, "next_target_reps": p.target_reps, "reasons": list(p.reasons),
             "flags": []} for leg, p in plans.items()]
    flags = []
    if last is not None and last.gap_flag and last.gap_kg is not None:
        heavy = max(last.weight.values())
        weights = ", ".join(f"{k} {v:g} kg" for k, v in last.weight.items())
        flags.append(f"Leg gap {last.gap_kg / heavy:.0%}: {weights}")
    updated = [p.updated for p in plans.values() if p.updated is not None]
    return {"session_id": last.session_id if last else "", "member_id": member_id, "member_name": member_name,
            "exercise": last.exercise if last else "", "goal": last.goal if last else "", "goal_view": None,
            "legs": legs, "flags": flags, "ts": max(updated).isoformat() if updated else None, "saved": True}


CSV_FIELDS = ["date", "session_id", "exercise", "goal", "leg", "sets", "heaviest_set_kg", "reps", "passed",
              "failed", "not_checked", "pass_rate_pct", "estimated_1rm_kg_epley", "range_of_motion_deg",
              "measured_load_kg", *[f"reps_{f.value}" for f in Fault], "end_reason"]


def csv_rows(points: list[SessionPoint]) -> list[dict[str, Any]]:
    """One row per session and leg, oldest first, in the units named by the columns (a trainer's spreadsheet)."""
    rows = []
    for p in points:
        for leg, t in p.legs.items():
            rate = t.pass_rate
            rows.append({"date": p.started.isoformat(timespec="minutes"), "session_id": p.session_id,
                         "exercise": p.exercise, "goal": p.goal, "leg": leg, "sets": t.sets,
                         "heaviest_set_kg": f"{t.weight_kg:g}", "reps": t.reps, "passed": t.passed,
                         "failed": t.failed, "not_checked": t.unverified,
                         "pass_rate_pct": "" if rate is None else f"{100 * rate:.0f}",
                         "estimated_1rm_kg_epley": "" if t.strength_kg is None else f"{t.strength_kg:g}",
                         "range_of_motion_deg": "" if t.rom_deg is None else f"{t.rom_deg:g}",
                         "measured_load_kg": "" if t.load_kg is None else f"{t.load_kg:g}",
                         **{f"reps_{f.value}": t.faults.get(f.value, 0) for f in Fault},
                         "end_reason": p.end_reason})
    return rows
