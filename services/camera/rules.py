"""Form rules for a camera rep (pure). A rep passes only with no fault."""

from __future__ import annotations

from dataclasses import dataclass

from services.camera.reps import Rep
from shared.contract import Fault


@dataclass(frozen=True)
class CameraRules:
    # "Bend the working knee and guide the heel toward the glutes": a knee that does not pass
    # 70° has not brought the heel up; the seed's "moderate range" still clears 90°.
    min_peak_knee_deg: float = 70.0
    # "Lower slowly": a return under 1.2 s is a dropped weight, not a controlled eccentric
    # (the tempo goal asks 3 s; the others ask for control, which no one shows in under ~1 s).
    min_eccentric_s: float = 1.2

    def faults(self, rep: Rep) -> list[Fault]:
        out = []
        if rep.peak_knee_deg < self.min_peak_knee_deg:
            out.append(Fault.PARTIAL_RANGE)
        if rep.eccentric_s < self.min_eccentric_s:
            out.append(Fault.FAST_ECCENTRIC)
        return out
