"""The end-to-end bench's ground truth: "leg back at rest" is the end of the plan's eccentric, and the camera's
end angle is passed before it (why "leg at rest → painted" can be negative)."""

from __future__ import annotations

import pytest

from bench.kiosk_e2e import REP, force_rows, knee_under_end_deg
from services.camera.reps import END_DEG
from services.simulator.pose import REST_KNEE_DEG, knee_flexion_at
from services.simulator.script import SetPlan, Timeline
from shared.contract import Leg

PLAN = SetPlan(leg=Leg.LEFT, reps=(REP,) * 3, lead_in_s=2.0)


def test_leg_at_rest_is_the_end_of_the_eccentric_where_the_knee_comes_to_rest() -> None:
    tl = Timeline(PLAN)
    for rep in tl.reps:
        assert rep.end_t == pytest.approx(rep.start_t + REP.concentric_s + REP.top_hold_s + REP.eccentric_s)
        # Still moving just before, at rest from then on through the rest between reps.
        assert knee_flexion_at(tl, rep.end_t - 0.05) > REST_KNEE_DEG + 0.05
        assert knee_flexion_at(tl, rep.end_t) == pytest.approx(REST_KNEE_DEG)
        assert knee_flexion_at(tl, rep.end_t + REP.rest_s / 2) == REST_KNEE_DEG


def test_the_knee_passes_the_cameras_end_angle_a_quarter_second_before_rest() -> None:
    tl = Timeline(PLAN)
    rep = tl.reps[1]
    crossing = rep.start_t + knee_under_end_deg(REP)
    assert knee_flexion_at(tl, crossing) == pytest.approx(END_DEG, abs=1e-6)
    assert knee_flexion_at(tl, crossing - 0.01) > END_DEG > knee_flexion_at(tl, crossing + 0.01)
    # The last 7° of a smooth 1.6 s return take ~0.28 s: a verdict on the camera's rep can be painted before
    # the leg is still.
    assert rep.end_t - crossing == pytest.approx(0.277, abs=0.005)


def test_the_force_replay_starts_at_the_moment_asked() -> None:
    text = force_rows([(0.0, 120.0), (0.0125, 121.5), (0.025, 123.25)], 0.01)
    assert text.splitlines() == ["t,force_n", "0.0025,121.500", "0.0150,123.250"]
