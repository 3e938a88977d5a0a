"""The installer's placement check (pure): from a few seconds of frames, is the camera placed so the
working leg, both hips and the torso are seen from the side?"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.camera.kinematics import MIN_VISIBILITY, measure
from shared.contract import Leg

# A joint counts as in view when seen in 80 % of the frames: a passing arm or a blink of the
# detector is fine, a joint at the frame's edge that comes and goes is not.
MIN_SEEN_SHARE = 0.8
# Seen from the side, the hip line points at the camera; past 30° the camera looks at the member's
# back or front and cannot see the knee bend or the hips opening.
MAX_SIDE_OFFSET_DEG = 30.0
# Seconds of looking: enough frames (≈90 at 30 fps) for the shares to mean something.
DEFAULT_SECONDS = 3.0


@dataclass
class PlacementCheck:
    leg: Leg
    frames: int = 0
    person: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    pelvis: list[float] = field(default_factory=list)
    last_frame: Mapping[str, Any] | None = None

    def groups(self) -> dict[str, tuple[str, ...]]:
        w = self.leg.value
        return {"working_leg": (f"{w}_hip", f"{w}_knee", f"{w}_ankle"), "both_hips": ("left_hip", "right_hip"),
                "torso": ("left_shoulder", "right_shoulder")}

    def feed(self, frame: Mapping[str, Any]) -> None:
        self.frames += 1
        lm = frame.get("landmarks")
        if not isinstance(lm, Mapping) or not lm:
            return
        self.person += 1
        self.last_frame = frame
        for name, p in lm.items():
            if isinstance(p, Sequence) and len(p) >= 2 and (len(p) < 4 or p[3] >= MIN_VISIBILITY):
                self.seen[name] = self.seen.get(name, 0) + 1
        a = measure(frame, self.leg)
        if a.pelvis_rotation is not None:
            self.pelvis.append(abs(a.pelvis_rotation))

    def share(self, name: str) -> float:
        return self.seen.get(name, 0) / self.frames if self.frames else 0.0

    def result(self) -> dict[str, float | str | bool]:
        """The reply's data: each requirement, the overall verdict and a sentence for the installer."""
        share = round(self.person / self.frames, 2) if self.frames else 0.0
        out: dict[str, float | str | bool] = {"frames": self.frames, "person_share": share}
        missing: list[str] = []
        for group, names in self.groups().items():
            # The torso needs one shoulder: from the side the far one hides behind the near one.
            ok = (any if group == "torso" else all)(self.share(n) >= MIN_SEEN_SHARE for n in names)
            out[group] = ok
            if not ok:
                missing += [n.replace("_", " ") for n in names if self.share(n) < MIN_SEEN_SHARE]
        offset = statistics.median(self.pelvis) if self.pelvis else None
        side = offset is not None and offset <= MAX_SIDE_OFFSET_DEG
        out["side_view"] = side
        if offset is not None:
            out["side_offset_deg"] = round(offset, 1)
        ok = bool(self.frames) and all(bool(out[g]) for g in (*self.groups(), "side_view"))
        out["ok"] = ok
        if not self.frames:
            msg = "No picture from the camera"
        elif not self.person:
            msg = "No person in view: stand at the station in the starting position"
        elif ok:
            msg = f"Placement OK: the {self.leg.value} leg, both hips and the torso are seen from the side"
        else:
            parts = []
            if missing:
                parts.append("not in view: " + ", ".join(missing))
            if not side:
                parts.append("the camera must look at the member's side, level with the hips")
            msg = "Move the camera — " + "; ".join(parts)
        out["message"] = msg[:400]
        return out
