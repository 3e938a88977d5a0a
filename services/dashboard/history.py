"""A member's history as figures and chart geometry (pure: records in, numbers out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.contract import Leg
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
                "gap_kg": self.gap_kg, "gap_flag": self.gap_flag, "end_reason": self.end_reason}


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
                         planned_sets=getattr(s, "planned_sets", None))  # absent from records before it
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


def line_chart(xs: list[str], series: dict[str, list[float | None]], width: int = 560, height: int = 200,
               y_min: float | None = None, y_max: float | None = None, unit: str = "") -> Chart:
    """Scale series sharing the x positions `xs` (labels) into a width x height box."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if not xs or not values:
        return Chart(width, height, {}, {}, [], [], True)
    lo = min(values) if y_min is None else y_min
    hi = max(values) if y_max is None else y_max
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
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
    ticks = [(round(y_at(lo + (hi - lo) * k / 4), 1), f"{round(lo + (hi - lo) * k / 4, 1):g}{unit}") for k in range(5)]
    step = max(1, n // 6)  # at most ~6 date labels fit under a 560 px chart
    labels = [(round(x_at(i), 1), xs[i]) for i in range(0, n, step)]
    return Chart(width, height, lines, dots, ticks, labels, False)


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
    return {"weight": weight, "gap": gap, "quality": quality}
