"""Every figure a rep's sensors measure, with the name and unit a trainer reads (the contract's metric keys in,
column headings out). A key no entry names still shows, under its own words: a sensor may add one first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    key: str
    name: str  # the column heading
    unit: str  # beside the heading, not beside every number
    sensor: str  # camera or load cell: which one measured it
    why: str  # the heading's tooltip: what it is and what it is judged against
    digits: int = 1  # decimals worth reading: tenths of a second, whole degrees and newtons

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "unit": self.unit, "sensor": self.sensor, "why": self.why,
                "digits": self.digits}

    def format(self, value: float) -> str:
        return f"{value:.{self.digits}f}"


METRICS: tuple[Metric, ...] = (
    Metric("concentric_s", "Curl", "s", "camera", "Time lifting the heel (the tempo goal asks 2 s)"),
    Metric("top_hold_s", "Squeeze", "s", "camera", "Pause at the top (hypertrophy asks 1–2 s)"),
    Metric("eccentric_s", "Return", "s", "camera", "Time lowering (the seed: lower slowly, about 3 s)"),
    Metric("peak_knee_flexion_deg", "Knee bend", "°", "camera", "Peak knee flexion: the curl's range", 0),
    Metric("rest_knee_flexion_deg", "Knee at start", "°", "camera", "Knee bend before the curl (0 = straight)", 0),
    Metric("thigh_excursion_deg", "Thigh swing", "°", "camera", "How far the thigh moved (swing)", 0),
    Metric("pelvis_rotation_deg", "Hip opening", "°", "camera", "How far the working hip opened (hips square)", 0),
    Metric("torso_change_deg", "Torso change", "°", "camera", "Change of the torso line (back arch)", 0),
    Metric("max_gap_s", "Camera gap", "s", "camera", "Longest time the camera lost the member during the rep"),
    Metric("load_kg", "Load", "kg", "load cell", "Stack mass weighed from the static tension", 2),
    Metric("peak_force_n", "Peak force", "N", "load cell", "Highest cable tension in the rep", 0),
    Metric("concentric_peak_n", "Curl force", "N", "load cell", "Highest tension while curling (a kick peaks high)", 0),
    Metric("start_tension_n", "Start tension", "N", "load cell", "Tension before the first rep (slack start)", 0),
    Metric("peak_velocity", "Peak speed", "m/s", "load cell", "Fastest stack speed", 2),
    Metric("travel_m", "Stack travel", "m", "load cell", "How far the stack rose", 2),
)
BY_KEY = {m.key: m for m in METRICS}


def metric(key: str) -> Metric:
    """The named metric, or one named from its key ("hip_drop_deg" → "Hip drop", °)."""
    known = BY_KEY.get(key)
    if known is not None:
        return known
    words, unit = key, ""
    for suffix, u in (("_deg", "°"), ("_s", "s"), ("_n", "N"), ("_kg", "kg"), ("_m", "m")):
        if key.endswith(suffix):
            words, unit = key[: -len(suffix)], u
            break
    return Metric(key, words.replace("_", " ").capitalize(), unit, "", "")


def columns(rows: list[dict[str, Any]]) -> list[Metric]:
    """The metrics any of these rep rows has, in the table's order (known ones first, then the rest by key)."""
    present = {k for r in rows for k in (r.get("metrics") or {})}
    return [m for m in METRICS if m.key in present] + [metric(k) for k in sorted(present - BY_KEY.keys())]


def catalogue_json() -> list[dict[str, Any]]:
    """The named metrics in order, for the station page's script (which adds columns as reps bring them)."""
    return [m.to_json() for m in METRICS]
