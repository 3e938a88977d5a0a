"""python -m services.simulator.demo_rep [--out PATH] — the clean rep the kiosk's setup page demonstrates,
written as data from the virtual member's ground truth.

The kiosk may not import the simulator (docs/ARCHITECTURE.md), so the rep it plays is a file beside the
exercise in the catalogue: the pose simulator's frames of one clean rep (no noise, no dropouts), the working
side's joints as the camera would publish them for the mirror, and the true knee flexion of each frame, at
the simulator's 30 fps. The kiosk time-warps that one rep to the chosen goal's tempo
(`kiosk/state/demo.py`). `tests/unit/simulator/test_demo_rep.py` regenerates it and checks that the file
committed is what the simulator draws now, so the two never drift.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from services.simulator.pose import FPS, PoseSimulator, knee_flexion_at
from services.simulator.script import RepPlan, SetPlan, Timeline
from shared.catalogue import BUILTIN_DIR
from shared.contract import Leg

EXERCISE = "hamstring-curl-kickback"
OUT = BUILTIN_DIR / f"{EXERCISE}.demo-rep.json"
# The virtual member's clean rep as every simulated station plays it by default (1.5 s curl, 0.5 s pause at
# the top, 2.5 s return, 1 s at rest, 105° of knee bend, a clean rep's small drift of thigh, pelvis and torso).
CLEAN_REP = RepPlan()
LEG = Leg.LEFT  # the near leg of a camera on the member's left, as the mirror shows a member
# The joints the camera publishes for the mirror (`camera.pose` keypoints) that the pose model draws: it has
# no heel or toes. The shoulder is the working side's.
JOINTS = ("shoulder", "hip", "knee", "ankle")


def demo_rep(plan: RepPlan = CLEAN_REP, fps: float = FPS) -> dict[str, Any]:
    """One rep from its start to the start of the next (its rest included), a frame every 1/fps s."""
    set_plan = SetPlan(leg=LEG, reps=(plan,), lead_in_s=0.0, tail_s=0.0)
    sim = PoseSimulator(set_plan, fps=fps, noise_px=0.0, camera_on_left=True, with_world=False)
    tl = Timeline(set_plan)
    samples = []
    for i, f in enumerate(sim.frames()):
        lm = f["landmarks"]
        samples.append({
            "t": f["t"], "knee_deg": round(knee_flexion_at(tl, i / fps), 6),  # at the frame's own time, unrounded
            "keypoints": {j: lm[f"{LEG.value}_{j}"][:2] for j in JOINTS},
        })
    return {
        "about": "A clean rep of the virtual member (services/simulator/pose.py), its ground truth: written by "
                 "`python -m services.simulator.demo_rep`, do not edit. Keypoints are the working side's "
                 "(x, y) normalised to a width x height image, y down; knee_deg is the true flexion.",
        "exercise": EXERCISE, "leg": LEG.value, "fps": fps, "width": sim.width, "height": sim.height,
        "concentric_s": plan.concentric_s, "top_hold_s": plan.top_hold_s, "eccentric_s": plan.eccentric_s,
        "rest_s": plan.rest_s, "samples": samples,
    }


def render(data: dict[str, Any]) -> str:
    """The file's text: one sample a line, so a change of the model reads as a diff."""
    head = {k: v for k, v in data.items() if k != "samples"}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "samples": [']
    rows = [json.dumps(s, separators=(",", ":")) for s in data["samples"]]
    lines += [f"  {r}," for r in rows[:-1]] + [f"  {rows[-1]}", "]}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.simulator.demo_rep", description=__doc__)
    p.add_argument("--out", type=Path, default=OUT, help=f"where to write it (default: {OUT})")
    args = p.parse_args(argv)
    args.out.write_text(render(demo_rep()), encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
