"""The demonstrated rep's data file is the virtual member's ground truth as the simulator draws it now."""

from __future__ import annotations

from pathlib import Path

from services.simulator.demo_rep import CLEAN_REP, OUT, demo_rep, main, render
from services.simulator.pose import rep_state
from services.simulator.script import SetPlan, Timeline
from shared.contract import Leg


def test_the_committed_file_is_what_the_simulator_draws_now() -> None:
    # Regenerate it: a change of the pose model (or of the clean rep) must come with `python -m
    # services.simulator.demo_rep`, or the kiosk would demonstrate a rep the virtual member no longer does.
    assert OUT.read_text(encoding="utf-8") == render(demo_rep()), \
        "regenerate it: python -m services.simulator.demo_rep"


def test_the_file_holds_one_clean_rep_from_rest_to_rest_at_30_hz(tmp_path: Path) -> None:
    out = tmp_path / "rep.json"
    assert main(["--out", str(out)]) == 0 and out.read_text(encoding="utf-8") == OUT.read_text(encoding="utf-8")
    data = demo_rep()
    samples = data["samples"]
    assert data["fps"] == 30.0 and len(samples) == round(CLEAN_REP.duration_s * 30)
    assert (data["concentric_s"], data["top_hold_s"], data["eccentric_s"], data["rest_s"]) == (1.5, 0.5, 2.5, 1.0)
    # The knee is the plan's truth: at rest at the start, at the peak through the pause, back at rest when the
    # eccentric ends (1.5 + 0.5 + 2.5 s: frame 135) and through the rest.
    tl = Timeline(SetPlan(leg=Leg.LEFT, reps=(CLEAN_REP,), lead_in_s=0.0, tail_s=0.0))
    knees = [s["knee_deg"] for s in samples]
    assert knees[0] == knees[135] == knees[-1] == 8.0
    assert knees[45] == knees[60] == CLEAN_REP.peak_knee_deg
    assert knees[100] == round(rep_state(tl, 100 / 30)[0], 6)
    assert max(knees) == CLEAN_REP.peak_knee_deg
    # The working side only, as the camera names the mirror's joints; the ankle rises as the knee bends.
    assert set(samples[0]["keypoints"]) == {"shoulder", "hip", "knee", "ankle"}
    assert samples[45]["keypoints"]["ankle"][1] < samples[0]["keypoints"]["ankle"][1] - 0.15
