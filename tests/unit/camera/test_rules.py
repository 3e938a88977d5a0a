"""Rules on simulated sets with ground truth: each fault named on its rep, clean reps pass."""

from __future__ import annotations

import pytest

from services.camera.analysis import analyze
from services.camera.rules import CameraRules, goal_tempo
from services.simulator.script import RepPlan
from shared.contract import Fault, Leg
from tests.unit.camera.streams import CLEAN, FAULTED, frames, set_of

BODY = list(FAULTED)


@pytest.mark.parametrize("fault", BODY, ids=[f.value for f in BODY])
@pytest.mark.parametrize(("leg", "camera_on_left", "world"), [
    (Leg.LEFT, True, True), (Leg.RIGHT, False, True), (Leg.LEFT, False, False), (Leg.RIGHT, True, False)])
def test_each_fault_is_named_on_its_rep_only(fault: Fault, leg: Leg, camera_on_left: bool, world: bool) -> None:
    plan = set_of(CLEAN, FAULTED[fault], CLEAN, leg=leg)
    judged = analyze(frames(plan, camera_on_left=camera_on_left, with_world=world, noise_px=1.5, seed=2), leg)
    assert [j.faults for j in judged] == [[], [fault], []]
    assert [j.to_report()["passed"] for j in judged] == [True, False, True]


def test_tempo_is_judged_only_for_a_tempo_goal() -> None:
    tempo = goal_tempo("tempo_focus")
    assert tempo is not None and (tempo.concentric_s, tempo.eccentric_s) == (2.0, 3.0)
    on_beat = RepPlan(concentric_s=2.0, top_hold_s=0.5, eccentric_s=3.0, rest_s=1.0)
    rushed = RepPlan(concentric_s=1.0, top_hold_s=0.5, eccentric_s=3.0, rest_s=1.0)
    quick_return = RepPlan(concentric_s=2.0, top_hold_s=0.5, eccentric_s=1.9, rest_s=1.0)
    fs = frames(set_of(on_beat, rushed, quick_return), noise_px=1.0)
    assert [j.faults for j in analyze(fs, Leg.LEFT, tempo)] == [[], [Fault.TEMPO], [Fault.TEMPO]]
    assert [j.faults for j in analyze(fs, Leg.LEFT, goal_tempo("strength_control"))] == [[], [], []]
    with pytest.raises(KeyError):
        goal_tempo("no_such_goal")


def test_two_faults_in_one_rep_are_both_named() -> None:
    both = RepPlan(eccentric_s=0.6, faults=frozenset({Fault.SWING, Fault.FAST_ECCENTRIC}))
    judged = analyze(frames(set_of(both), noise_px=1.0), Leg.LEFT)
    assert sorted(judged[0].faults) == sorted([Fault.SWING, Fault.FAST_ECCENTRIC])


def test_every_threshold_sits_between_clean_and_faulted_movement() -> None:
    from services.simulator import script

    r = CameraRules()
    assert script.CLEAN_SWING_DEG < r.max_thigh_excursion_deg < script.FAULT_SWING_DEG
    assert script.CLEAN_PELVIS_DEG < r.max_pelvis_rotation_deg < script.FAULT_PELVIS_DEG
    assert script.CLEAN_ARCH_DEG < r.max_torso_change_deg < script.FAULT_ARCH_DEG


def test_an_unmeasured_metric_judges_nothing() -> None:
    judged = analyze(frames(set_of(CLEAN)), Leg.LEFT)
    rep = judged[0].rep
    from dataclasses import replace

    blind = replace(rep, thigh_excursion_deg=None, pelvis_rotation_deg=None, torso_change_deg=None)
    assert CameraRules().faults(blind) == []
    assert CameraRules().faults(replace(rep, thigh_excursion_deg=40.0)) == [Fault.SWING]
