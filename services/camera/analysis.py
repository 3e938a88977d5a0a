"""Offline and live analysis of a pose stream: frames in, judged reps out (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.camera.kinematics import knee_flexion
from services.camera.reps import Rep, RepSegmenter
from services.camera.rules import CameraRules
from shared.contract import CameraRep, Fault, Leg


@dataclass
class JudgedRep:
    rep: Rep
    faults: list[Fault]

    def to_event_data(self, leg: Leg, t_offset: float = 0.0) -> CameraRep:
        r = self.rep
        return CameraRep(
            leg=leg, rep_index=r.index, start_t=r.start_t + t_offset, end_t=r.end_t + t_offset,
            concentric_s=r.concentric_s, top_hold_s=0.0, eccentric_s=r.eccentric_s,
            metrics={"peak_knee_flexion_deg": round(r.peak_knee_deg, 1)}, faults=self.faults,
        )

    def to_report(self) -> dict[str, Any]:
        r = self.rep
        return {
            "index": r.index, "start_t": round(r.start_t, 3), "end_t": round(r.end_t, 3),
            "concentric_s": round(r.concentric_s, 3), "eccentric_s": round(r.eccentric_s, 3),
            "peak_knee_flexion_deg": round(r.peak_knee_deg, 1),
            "faults": [f.value for f in self.faults], "passed": not self.faults,
        }


@dataclass
class PoseAnalyzer:
    leg: Leg
    rules: CameraRules = field(default_factory=CameraRules)
    segmenter: RepSegmenter = field(default_factory=RepSegmenter)
    last_knee: float | None = None

    def feed(self, frame: Mapping[str, Any]) -> JudgedRep | None:
        self.last_knee = knee_flexion(frame, self.leg)
        rep = self.segmenter.update(float(frame["t"]), self.last_knee)
        return JudgedRep(rep, self.rules.faults(rep)) if rep else None


def analyze(frames: Iterable[Mapping[str, Any]], leg: Leg) -> list[JudgedRep]:
    a = PoseAnalyzer(leg)
    return [j for j in (a.feed(f) for f in frames) if j is not None]
