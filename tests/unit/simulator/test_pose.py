"""The virtual member's pose streams: format, ground truth, camera sides, dropouts, the corpus."""

from __future__ import annotations

from services.simulator.pose import PoseSimulator, corpus
from services.simulator.script import RepPlan, SetPlan, Timeline, demo_set, varied_set
from shared.contract import Fault, Leg


def test_frames_are_in_the_replay_format_with_world_between_the_hips() -> None:
    plan = demo_set(Leg.RIGHT)
    fs = list(PoseSimulator(plan, noise_px=0.0).frames())
    assert len(fs) == int(plan.duration_s * 30)
    f = fs[0]
    assert set(f) == {"t", "width", "height", "landmarks", "world"}
    for name in ("left_hip", "right_hip", "right_knee", "right_ankle", "left_shoulder", "nose"):
        x, y, _z, vis = f["landmarks"][name]
        assert 0 <= x <= 1 and 0 <= y <= 1 and 0 <= vis <= 1
    mid = [(a + b) / 2 for a, b in zip(f["world"]["left_hip"], f["world"]["right_hip"], strict=True)]
    assert max(abs(v) for v in mid) < 1e-3
    assert f["world"]["right_ankle"][1] > f["world"]["right_knee"][1] > 0  # y down


def test_camera_side_mirrors_the_image() -> None:
    plan = SetPlan(Leg.LEFT, (RepPlan(),))
    a = PoseSimulator(plan, camera_on_left=True).frame(0.0, 8.0, __import__("random").Random(0))
    b = PoseSimulator(plan, camera_on_left=False).frame(0.0, 8.0, __import__("random").Random(0))
    assert (a["landmarks"]["nose"][0] - 0.5) * (b["landmarks"]["nose"][0] - 0.5) < 0


def test_dropouts_hide_joints_or_the_whole_person() -> None:
    fs = list(PoseSimulator(demo_set(), dropouts_per_min=30, seed=1).frames())
    lost = sum(1 for f in fs if not f["landmarks"])
    hidden = sum(1 for f in fs if f["landmarks"] and f["landmarks"]["left_knee"][3] < 0.5)
    assert lost > 0 and hidden > 0
    assert lost + hidden < len(fs) * 0.2


def test_varied_sets_carry_their_truth() -> None:
    import random

    plan = varied_set(random.Random(3), Leg.RIGHT, n=40, tempo=True)
    assert len(plan.reps) == 40
    for r in plan.reps:
        if Fault.FAST_ECCENTRIC in r.faults:
            assert r.eccentric_s < 1.0 and Fault.TEMPO in r.faults
        if Fault.PARTIAL_RANGE in r.faults:
            assert r.peak_knee_deg < 65
        if not r.faults:
            assert abs(r.concentric_s - 2.0) < 0.3 and abs(r.eccentric_s - 3.0) < 0.3
    tl = Timeline(plan)
    assert all(a.end_t < b.start_t for a, b in zip(tl.reps, tl.reps[1:], strict=False))


def test_squeeze_truth_follows_the_goal() -> None:
    import random

    from services.simulator import script

    for squeeze in (False, True):
        plan = varied_set(random.Random(5), Leg.LEFT, n=60, squeeze=squeeze, fault_share=0.5)
        holds = {f: [r.top_hold_s for r in plan.reps if (Fault.SQUEEZE in r.faults) is f] for f in (False, True)}
        assert holds[True] and holds[False]
        asked = script.HYPERTROPHY_SQUEEZE_S if squeeze else (script.CLEAN_HOLD_S[0], script.CLEAN_HOLD_S[1])
        assert all(asked[0] < h < asked[1] for h in holds[False])  # a clean rep pauses as the goal asks
        assert all(h <= script.BOUNCE_HOLD_S[1] or h >= script.OVERLONG_HOLD_S[0] for h in holds[True])
        assert any(h >= script.OVERLONG_HOLD_S[0] for h in holds[True]) is squeeze  # too long only when one is asked


def test_corpus_covers_both_legs_and_sides() -> None:
    cs = corpus(5, 8)
    assert {(c.sim.set_plan.leg, c.sim.camera_on_left) for c in cs} == {
        (Leg.LEFT, True), (Leg.RIGHT, True), (Leg.LEFT, False), (Leg.RIGHT, False)}
    assert corpus(5, 8)[3].sim.set_plan == cs[3].sim.set_plan  # reproducible from its seed
    assert {c.goal for c in cs} == {"strength_control", "tempo_focus", "hypertrophy"}
    assert {(c.goal, c.sim.set_plan.leg) for c in cs if c.goal != "strength_control"} == {
        (g, leg) for g in ("tempo_focus", "hypertrophy") for leg in Leg}
