"""Kinematics on simulated frames whose true angles are known: both legs, both camera sides, 2D and 3D."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from services.camera.kinematics import (
    MAX_GAP_S,
    LegTracker,
    OneEuroFilter,
    angle_between,
    measure,
    side_keypoints,
)
from services.simulator.pose import REST_KNEE_DEG, THIGH_BEHIND_DEG, TORSO_DEG, PoseSimulator
from services.simulator.script import RepPlan
from shared.contract import Leg
from tests.unit.camera.streams import set_of

SIDES = [pytest.param(True, id="camera-left"), pytest.param(False, id="camera-right")]
LEGS = [pytest.param(Leg.LEFT, id="left-leg"), pytest.param(Leg.RIGHT, id="right-leg")]
WORLD = [pytest.param(True, id="3d"), pytest.param(False, id="2d")]


def one_frame(leg: Leg, camera_on_left: bool, world: bool, knee: float, plan: RepPlan | None = None,
              s: float = 0.0) -> dict[str, Any]:
    sim = PoseSimulator(set_of(RepPlan(), leg=leg), camera_on_left=camera_on_left, with_world=world)
    return sim.frame(1.0, knee, random.Random(0), s, plan)


def test_angle_between_is_the_geometry_angle() -> None:
    assert angle_between((1, 0), (0, 1)) == pytest.approx(90)
    assert angle_between((1, 0, 0), (-1, 0, 0)) == pytest.approx(180)
    assert angle_between((0, 0), (1, 0)) is None


@pytest.mark.parametrize("leg", LEGS)
@pytest.mark.parametrize("camera_on_left", SIDES)
@pytest.mark.parametrize("world", WORLD)
def test_angles_of_a_still_member_are_the_true_ones(leg: Leg, camera_on_left: bool, world: bool) -> None:
    for knee in (REST_KNEE_DEG, 60.0, 110.0):
        a = measure(one_frame(leg, camera_on_left, world, knee), leg)
        assert a.knee_flexion == pytest.approx(knee, abs=0.5)
        assert a.thigh == pytest.approx(THIGH_BEHIND_DEG, abs=1.0)  # behind the body, on either side
        assert a.pelvis_rotation == pytest.approx(0.0, abs=1.0)
        assert a.torso == pytest.approx(TORSO_DEG, abs=1.0)
        assert a.facing == (-1.0 if camera_on_left else 1.0)


@pytest.mark.parametrize("world", WORLD)
def test_fault_movements_show_in_their_own_angle_only(world: bool) -> None:
    swing = RepPlan(thigh_swing_deg=30.0, pelvis_rotation_deg=0.0, torso_arch_deg=0.0)
    a = measure(one_frame(Leg.RIGHT, True, world, 100.0, swing, 1.0), Leg.RIGHT)
    assert a.thigh == pytest.approx(THIGH_BEHIND_DEG + 30.0, abs=1.0)
    assert a.knee_flexion == pytest.approx(100.0, abs=0.5)
    turn = RepPlan(thigh_swing_deg=0.0, pelvis_rotation_deg=25.0, torso_arch_deg=0.0)
    a = measure(one_frame(Leg.LEFT, False, world, 100.0, turn, 1.0), Leg.LEFT)
    assert a.pelvis_rotation == pytest.approx(25.0, abs=1.0)
    arch = RepPlan(thigh_swing_deg=0.0, pelvis_rotation_deg=0.0, torso_arch_deg=15.0)
    a = measure(one_frame(Leg.LEFT, True, world, 100.0, arch, 1.0), Leg.LEFT)
    assert a.torso == pytest.approx(TORSO_DEG + 15.0, abs=1.0)
    assert a.thigh == pytest.approx(THIGH_BEHIND_DEG, abs=1.0)


def test_a_joint_under_the_visibility_gate_is_not_measured() -> None:
    f = one_frame(Leg.LEFT, True, True, 90.0)
    f["landmarks"]["left_ankle"][3] = 0.2
    a = measure(f, Leg.LEFT)
    assert a.knee_flexion is None
    assert a.pelvis_rotation is not None  # the hips are still seen
    assert measure({"t": 0.0, "landmarks": {}}, Leg.LEFT).knee_flexion is None
    assert measure({"t": 0.0, "landmarks": "garbage"}, Leg.LEFT).knee_flexion is None


def test_one_euro_filter_removes_jitter_and_follows_a_curl_closely() -> None:
    rng = random.Random(1)
    f = OneEuroFilter()
    still = [f(i / 30, 10.0 + rng.gauss(0, 2.0)) for i in range(90)]
    assert max(still[30:]) - min(still[30:]) < 4.0  # raw jitter spans ~12°
    f = OneEuroFilter()
    lag = []
    for i in range(60):  # a 100°/s ramp, as fast as a brisk curl
        t = i / 30
        lag.append(100 * t - f(t, 100 * t))
    assert lag[-1] < 100 / 30 * 1.5  # under 1.5 frames behind


def test_tracker_bridges_a_short_gap_and_gives_up_on_a_long_one() -> None:
    tr = LegTracker(Leg.LEFT)
    frames = list(PoseSimulator(set_of(RepPlan()), with_world=True).frames())[:60]
    for f in frames[:30]:
        s = tr.update(f)
    assert s.knee is not None and s.fresh
    gap = int(MAX_GAP_S * 30) - 2
    for f in frames[30:30 + gap]:
        s = tr.update({"t": f["t"], "landmarks": {}})
        assert s.knee is not None and not s.fresh  # bridged
    for f in frames[30 + gap:60]:
        s = tr.update({"t": f["t"], "landmarks": {}})
    assert s.knee is None
    assert math.isfinite(tr.update(frames[59] | {"t": 3.0}).knee or math.nan)


def test_a_malformed_landmark_counts_as_unseen_and_the_rest_still_measure() -> None:
    f = one_frame(Leg.LEFT, True, True, 90.0)
    f["landmarks"]["right_shoulder"] = ["x", None]
    f["world"]["right_shoulder"] = "nonsense"
    a = measure(f, Leg.LEFT)
    assert a.knee_flexion == pytest.approx(90.0, abs=0.5)
    assert a.torso == pytest.approx(TORSO_DEG, abs=1.5)  # from the one shoulder left
    f["landmarks"]["left_knee"] = [0.5]
    assert measure(f, Leg.LEFT).knee_flexion is None


def test_the_mirrors_keypoints_are_the_working_sides_seen_joints() -> None:
    f = one_frame(Leg.LEFT, True, False, 90.0)
    kp = side_keypoints(f, Leg.LEFT)
    assert {"shoulder", "hip", "knee", "ankle"} <= set(kp)
    lm = f["landmarks"]
    assert kp["knee"] == (round(lm["left_knee"][0], 3), round(lm["left_knee"][1], 3))
    assert side_keypoints(f, Leg.RIGHT)["ankle"] != kp["ankle"]  # the standing leg is not the working one
    f["landmarks"]["left_ankle"][3] = 0.2  # under the visibility gate: left out
    assert "ankle" not in side_keypoints(f, Leg.LEFT)
    assert side_keypoints({"t": 0.0, "landmarks": "garbage"}, Leg.LEFT) == {}
