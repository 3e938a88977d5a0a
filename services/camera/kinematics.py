"""Joint angles from pose landmarks (pure: no I/O)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from shared.contract import Leg

# Below this MediaPipe visibility a landmark is treated as missing rather than trusted.
MIN_VISIBILITY = 0.5

Point = Sequence[float]


def angle_at(a: Point, b: Point, c: Point) -> float:
    """The angle ABC in degrees, in the image plane."""
    v1 = (a[0] - b[0], a[1] - b[1])
    v2 = (c[0] - b[0], c[1] - b[1])
    n = math.hypot(*v1) * math.hypot(*v2)
    if n == 0:
        return math.nan
    cos = max(-1.0, min(1.0, (v1[0] * v2[0] + v1[1] * v2[1]) / n))
    return math.degrees(math.acos(cos))


def knee_flexion(frame: Mapping[str, object], leg: Leg) -> float | None:
    """Knee flexion of `leg` (0 = straight), or None when the leg is not seen well enough."""
    lm = frame.get("landmarks")
    if not isinstance(lm, Mapping):
        return None
    pts = []
    for joint in ("hip", "knee", "ankle"):
        p = lm.get(f"{leg.value}_{joint}")
        if not isinstance(p, Sequence) or len(p) < 2:
            return None
        if len(p) >= 4 and p[3] < MIN_VISIBILITY:
            return None
        # Aspect: x is normalised by width and y by height; angles need pixels.
        w = float(frame.get("width", 1) or 1)  # type: ignore[arg-type]
        h = float(frame.get("height", 1) or 1)  # type: ignore[arg-type]
        pts.append((p[0] * w, p[1] * h))
    a = angle_at(*pts)
    return None if math.isnan(a) else 180.0 - a
