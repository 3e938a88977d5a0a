"""The camera measures, the one judge judges: simulated sets with ground truth, each fault named on
its rep by `shared.judge` from what the camera published, clean reps pass; the live cues read the
exercise's limits."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from services.camera.analysis import CUE_THIGH, PoseAnalyzer, analyze, exercise_limits, judge_alone
from services.simulator.script import RepPlan
from shared.catalogue import DEFAULT_EXERCISE, Limit, default_catalogue, rules_table
from shared.contract import Check, Fault, Leg, Outcome
from shared.judge import judge
from tests.unit.camera.streams import CLEAN, FAULTED, frames, set_of

BODY = list(FAULTED)
EXERCISE = default_catalogue()[DEFAULT_EXERCISE]
PLAIN = EXERCISE.goal("strength_control")


def faults_of(plan_frames: list[dict[str, Any]], leg: Leg = Leg.LEFT,
              goal: str = "strength_control") -> list[list[Fault]]:
    g = EXERCISE.goal(goal)
    return [list(judge_alone(EXERCISE, g, m, leg).faults) for m in analyze(plan_frames, leg)]


@pytest.mark.parametrize("fault", BODY, ids=[f.value for f in BODY])
@pytest.mark.parametrize(("leg", "camera_on_left", "world"), [
    (Leg.LEFT, True, True), (Leg.RIGHT, False, True), (Leg.LEFT, False, False), (Leg.RIGHT, True, False)])
def test_each_fault_is_named_on_its_rep_only(fault: Fault, leg: Leg, camera_on_left: bool, world: bool) -> None:
    plan = set_of(CLEAN, FAULTED[fault], CLEAN, leg=leg)
    measured = analyze(frames(plan, camera_on_left=camera_on_left, with_world=world, noise_px=1.5, seed=2), leg)
    judgements = [judge_alone(EXERCISE, PLAIN, m, leg) for m in measured]
    assert [list(j.faults) for j in judgements] == [[], [fault], []]
    assert [m.to_report(j)["passed"] for m, j in zip(measured, judgements, strict=True)] == [True, False, True]


def test_the_camera_publishes_measurements_and_no_exercise_fault() -> None:
    swung = analyze(frames(set_of(FAULTED[Fault.SWING]), noise_px=1.0), Leg.LEFT)[0]
    event = swung.to_event_data(Leg.LEFT, t_offset=100.0)
    assert event.faults == []  # the swing is in the measurements, the verdict is the judge's
    assert {"peak_knee_flexion_deg", "thigh_excursion_deg", "pelvis_rotation_deg", "torso_change_deg"} <= set(
        event.metrics)
    assert event.metrics["thigh_excursion_deg"] > EXERCISE.rules.swing_thigh_deg.value
    assert event.start_t > 100.0 and event.top_hold_s > 0.3
    assert list(judge(EXERCISE, PLAIN, event, None).faults) == [Fault.SWING]


def test_tempo_is_judged_only_for_a_tempo_goal() -> None:
    on_beat = RepPlan(concentric_s=2.0, top_hold_s=0.5, eccentric_s=3.0, rest_s=1.0)
    rushed = RepPlan(concentric_s=1.0, top_hold_s=0.5, eccentric_s=3.0, rest_s=1.0)
    quick_return = RepPlan(concentric_s=2.0, top_hold_s=0.5, eccentric_s=1.9, rest_s=1.0)
    fs = frames(set_of(on_beat, rushed, quick_return), noise_px=1.0)
    assert faults_of(fs, goal="tempo_focus") == [[], [Fault.TEMPO], [Fault.TEMPO]]
    assert faults_of(fs, goal="strength_control") == [[], [], []]


def test_a_bounce_at_the_top_misses_the_squeeze_and_hypertrophy_asks_one_to_two_seconds() -> None:
    bounce = replace(CLEAN, top_hold_s=0.05)
    held = replace(CLEAN, top_hold_s=1.5)
    fs = frames(set_of(CLEAN, bounce, held), noise_px=1.0)
    assert faults_of(fs, goal="strength_control") == [[], [Fault.SQUEEZE], []]
    # Hypertrophy: "with a 1–2 second squeeze at the top" — the clean 0.6 s pause is too short there.
    assert faults_of(fs, goal="hypertrophy") == [[Fault.SQUEEZE], [Fault.SQUEEZE], []]


def test_two_faults_in_one_rep_are_both_named() -> None:
    both = RepPlan(eccentric_s=0.6, faults=frozenset({Fault.SWING, Fault.FAST_ECCENTRIC}))
    assert [sorted(f) for f in faults_of(frames(set_of(both), noise_px=1.0))] == [
        sorted([Fault.SWING, Fault.FAST_ECCENTRIC])]


def test_every_limit_sits_between_clean_and_faulted_movement() -> None:
    from services.simulator import script

    r = EXERCISE.rules
    assert script.CLEAN_SWING_DEG < r.swing_thigh_deg.value < script.FAULT_SWING_DEG
    assert script.CLEAN_PELVIS_DEG < r.hip_rotation_deg.value < script.FAULT_PELVIS_DEG
    assert script.CLEAN_ARCH_DEG < r.back_arch_deg.value < script.FAULT_ARCH_DEG
    assert script.BOUNCE_HOLD_S[1] < r.brief_pause_s.value < script.CLEAN_HOLD_S[0]
    assert script.PARTIAL_PEAK_DEG[1] < r.partial_range_knee_deg.value < script.CLEAN_PEAK_DEG[0]
    assert script.CLEAN_PEAK_DEG[1] < r.range_reference_deg.value + r.overreach_margin_deg.value
    assert r.kick_concentric_s.value < script.CLEAN_CONCENTRIC_S[0]


def test_an_unmeasured_angle_is_not_checked_rather_than_passed_or_failed() -> None:
    event = analyze(frames(set_of(CLEAN)), Leg.LEFT)[0].to_event_data(Leg.LEFT)
    blind = event.model_copy(update={"metrics": {k: v for k, v in event.metrics.items()
                                                 if k not in ("thigh_excursion_deg", "pelvis_rotation_deg")}})
    j = judge(EXERCISE, PLAIN, blind, None)
    outcome = {c.check: c.outcome for c in j.checks}
    assert outcome[Check.SWING] is outcome[Check.HIP_ROTATION] is Outcome.NOT_CHECKED
    assert not j.faults and not j.verified  # swing and hips are blocking: the rep is unverified, not failed
    swung = event.model_copy(update={"metrics": {**event.metrics, "thigh_excursion_deg": 40.0}})
    assert list(judge(EXERCISE, PLAIN, swung, None).faults) == [Fault.SWING]


def test_live_cues_read_the_exercises_limits() -> None:
    fs = frames(set_of(FAULTED[Fault.SWING]), noise_px=1.0)

    def cued(analyzer: PoseAnalyzer) -> bool:
        said = False
        for f in fs:
            analyzer.feed(f)
            said |= CUE_THIGH in analyzer.cues()
        return said

    assert cued(PoseAnalyzer(Leg.LEFT, exercise_limits()))
    lenient = exercise_limits().model_copy(update={"swing_thigh_deg": Limit(
        value=60.0, reason="an exercise whose thigh may move a lot (for this test only)")})
    assert not cued(PoseAnalyzer(Leg.LEFT, lenient))
    with pytest.raises(KeyError):
        exercise_limits("no-such-exercise")


def test_the_camera_imports_no_other_service() -> None:
    code = ("import sys, services.camera.analysis, services.camera.service, services.camera.__main__; "
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('services.')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "loadcell" not in out and "progression" not in out and "camera" in out, out


def test_the_camera_doc_shows_the_rules_as_the_yaml_holds_them() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "CAMERA.md").read_text()
    assert rules_table(EXERCISE) in doc, "docs/CAMERA.md is out of date: paste `python -m shared.catalogue`"
