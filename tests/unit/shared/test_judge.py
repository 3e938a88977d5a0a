"""The one judge (pure): every check of the exercise, from what each sensor measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.catalogue import DEFAULT_EXERCISE, default_catalogue, rules_table
from shared.contract import CameraRep, Check, Fault, LoadRep, Outcome, RepCheck, Sensor
from shared.judge import Judgement, judge

EX = default_catalogue()[DEFAULT_EXERCISE]
STRENGTH, HYP, TEMPO = EX.goal("strength_control"), EX.goal("hypertrophy"), EX.goal("tempo_focus")
CLEAN = {"peak_knee_flexion_deg": 100.0, "thigh_excursion_deg": 3.0, "pelvis_rotation_deg": 2.0,
         "torso_change_deg": 1.0}


def cam(conc: float = 1.6, hold: float = 0.6, ecc: float = 2.6, **metrics: float) -> CameraRep:
    return CameraRep(leg="left", rep_index=1, start_t=10, end_t=10 + conc + hold + ecc, concentric_s=conc,
                     top_hold_s=hold, eccentric_s=ecc, metrics={**CLEAN, **metrics})


def load(conc: float = 1.6, ecc: float = 2.6, peak_n: float = 140.0, kg: float = 12.5,
         faults: tuple[Fault, ...] = (), **metrics: float) -> LoadRep:
    return LoadRep(rep_index=1, start_t=10, end_t=15, concentric_s=conc, eccentric_s=ecc, peak_force_n=peak_n,
                   load_kg=kg, metrics={"concentric_peak_n": peak_n, **metrics}, faults=list(faults))


def outcome(j: Judgement, check: Check) -> RepCheck:
    return next(c for c in j.checks if c.check is check)


def test_both_sensors_clean_rep_passes_every_check_with_evidence() -> None:
    j = judge(EX, STRENGTH, cam(), load(start_tension_n=118.0), first_of_set=True)
    assert j.passed and j.verified and j.faults == ()
    assert {c.check for c in j.checks} == set(Check) - {Check.TEMPO}  # tempo only for the tempo goal
    assert all(c.outcome is Outcome.PASSED for c in j.checks)
    assert j.sensors == [Sensor.CAMERA, Sensor.LOAD]


def test_load_cell_alone_is_unverified_not_passed_and_says_why() -> None:
    j = judge(EX, STRENGTH, None, load())
    assert not j.passed and not j.verified and j.faults == ()
    assert outcome(j, Check.SWING).why == "the camera did not see this rep"
    assert outcome(j, Check.ECCENTRIC).outcome is Outcome.PASSED  # the load cell times the return
    assert j.reasons()[0] == "thigh still not checked: the camera did not see this rep"


def test_a_metric_not_measured_is_not_checked_with_the_body_part_named() -> None:
    m = dict(CLEAN)
    del m["pelvis_rotation_deg"]
    rep = CameraRep(leg="left", rep_index=1, start_t=0, end_t=5, concentric_s=1.6, top_hold_s=0.6, eccentric_s=2.6,
                    metrics=m)
    j = judge(EX, STRENGTH, rep, None)
    assert not j.verified and outcome(j, Check.HIP_ROTATION).why == "hips not in view"
    assert outcome(j, Check.SWING).outcome is Outcome.PASSED


def test_a_failed_rep_is_failed_even_when_another_check_was_not_made() -> None:
    j = judge(EX, STRENGTH, cam(thigh_excursion_deg=25.0), None)
    assert j.faults == (Fault.SWING,) and not j.passed


@pytest.mark.parametrize(("hold", "fault"), [(0.5, True), (0.9, False), (1.5, False), (2.1, False), (2.6, True)])
def test_hypertrophy_asks_a_one_to_two_second_squeeze(hold: float, fault: bool) -> None:
    j = judge(EX, HYP, cam(hold=hold), None)
    assert (Fault.SQUEEZE in j.faults) is fault
    assert Fault.TEMPO not in j.faults  # hypertrophy has no tempo guide


@pytest.mark.parametrize(("hold", "fault"), [(0.0, True), (0.1, True), (0.4, False), (1.5, False)])
def test_every_goal_asks_a_brief_pause_at_the_top(hold: float, fault: bool) -> None:
    assert (Fault.SQUEEZE in judge(EX, STRENGTH, cam(hold=hold), None).faults) is fault


def test_tempo_is_judged_for_the_tempo_goal_only_from_either_sensor() -> None:
    assert Fault.TEMPO not in judge(EX, TEMPO, cam(conc=2.1, ecc=3.2), None).faults
    assert Fault.TEMPO in judge(EX, TEMPO, cam(conc=1.2, ecc=3.0), None).faults
    assert Fault.TEMPO in judge(EX, TEMPO, None, load(conc=2.0, ecc=2.2)).faults
    assert Fault.TEMPO not in judge(EX, STRENGTH, cam(conc=1.2, ecc=3.0), None).faults


def test_curl_cut_short_and_curl_past_the_controlled_range_are_different_faults() -> None:
    assert judge(EX, STRENGTH, cam(peak_knee_flexion_deg=60.0), None).faults == (Fault.PARTIAL_RANGE,)
    # 130° with a still thigh and pelvis: a long, controlled curl is no fault.
    assert judge(EX, STRENGTH, cam(peak_knee_flexion_deg=130.0), None).faults == ()
    # 130° with the pelvis opening 7° (over half the 12° limit): the pelvis pays for the range.
    assert judge(EX, STRENGTH, cam(peak_knee_flexion_deg=130.0, pelvis_rotation_deg=7.0), None).faults == (
        Fault.OVERREACH,)
    # Against the member's own 90° range, 110° with the thigh moving 8° is already past it.
    j = judge(EX, STRENGTH, cam(peak_knee_flexion_deg=110.0, thigh_excursion_deg=8.0), None, rom_deg=90.0)
    assert j.faults == (Fault.OVERREACH,)


def test_momentum_from_the_tension_peak_or_a_thrown_curl() -> None:
    assert Fault.JERK not in judge(EX, STRENGTH, None, load(conc=1.5, peak_n=1.2 * 12.5 * 9.80665)).faults
    assert Fault.JERK in judge(EX, STRENGTH, None, load(conc=1.5, peak_n=1.7 * 12.5 * 9.80665)).faults
    assert Fault.JERK in judge(EX, STRENGTH, None, load(conc=0.6, peak_n=1.3 * 12.5 * 9.80665)).faults


def test_starting_tension_is_checked_on_the_first_rep_only() -> None:
    slack = judge(EX, STRENGTH, cam(), load(faults=(Fault.SLACK_START,), start_tension_n=3.0), first_of_set=True)
    assert slack.faults == (Fault.SLACK_START,) and outcome(slack, Check.START_TENSION).value == 3.0
    assert Check.START_TENSION not in {c.check for c in judge(EX, STRENGTH, cam(), load()).checks}
    unmeasured = judge(EX, STRENGTH, cam(), load(), first_of_set=True)
    assert outcome(unmeasured, Check.START_TENSION).outcome is Outcome.NOT_CHECKED
    assert unmeasured.passed  # not a blocking check


def test_checks_travel_in_a_verdict_and_back() -> None:
    from shared.contract import RepVerdict, RepVerdictEvent, make_event, parse_event

    j = judge(EX, STRENGTH, None, load())
    v = RepVerdict(leg="left", rep_index=1, start_t=1, end_t=5, passed=j.passed, faults=list(j.faults),
                   sensors=j.sensors, verified=j.verified, checks=list(j.checks))
    back = parse_event(make_event("rep.verdict", "main", "st-01", v).to_json())
    assert isinstance(back, RepVerdictEvent) and back.data.checks == list(j.checks)
    assert back.data.checks[0].blocking and back.data.checks[0].outcome is Outcome.NOT_CHECKED
    assert back.data.checks[0].model_dump(mode="json")["outcome"] == "not_checked"


def test_docs_show_the_rule_table_as_the_yaml_holds_it() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "PROGRESSION.md").read_text()
    assert rules_table(EX) in doc, "docs/PROGRESSION.md is out of date: paste `python -m shared.catalogue`"


@pytest.mark.parametrize(("path", "value", "message"), [
    (("rules", "too_heavy_share", "value"), 1.5, "share"),
    (("rules", "calibration_reps", "value"), 2.5, "whole number"),
    (("rules", "kick_peak_ratio", "value"), 0.9, "above 1"),
    (("progression", "too_heavy_faults"), ["back_arch"], "blocking"),
    (("rules", "swing_thigh_deg", "reason"), "because", "at least 20"),
])
def test_the_catalogue_refuses_incoherent_rules(path: tuple[str, ...], value: object, message: str) -> None:
    import yaml
    from pydantic import ValidationError

    from shared.catalogue import BUILTIN_DIR, Exercise

    data = yaml.safe_load((BUILTIN_DIR / f"{DEFAULT_EXERCISE}.yaml").read_text())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ValidationError, match=message):
        Exercise.model_validate(data)
