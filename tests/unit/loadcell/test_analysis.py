"""The load-cell core on the simulator's force: rep counts, load, measurements, the faults only it can see
(a set-down, a slack start), what the one judge makes of its reps, twitches (no server)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from services.loadcell.analysis import LoadAnalyzer, analyze, judge_alone
from services.loadcell.reps import RepMeasure
from services.simulator.force import ForceSimulator, Station, varied_load_set
from services.simulator.script import RepPlan, SetPlan, clean_set
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue, rules_table
from shared.contract import Fault, Leg, LoadRep

G = 9.80665
EXERCISE = default_catalogue()[DEFAULT_EXERCISE]


def judged(reps: list[RepMeasure], goal: str | None = None) -> list[list[Fault]]:
    g = EXERCISE.goal(goal) if goal else None
    return [list(judge_alone(EXERCISE, g, r).faults) for r in reps]


def test_clean_set_counts_every_rep_and_weighs_the_stack_within_5_percent() -> None:
    st = Station(mass_kg=17.5)
    reps = analyze(ForceSimulator(clean_set(n=8), st, seed=2).samples())
    assert len(reps) == 8
    for r in reps:
        assert abs(r.load_kg - st.mass_kg) / st.mass_kg < 0.05  # the load target
        assert r.faults == []
        assert 1.0 < r.concentric_s < 2.0 and 1.9 < r.eccentric_s < 3.1  # plan: 1.5 s curl, 2.5 s return
    assert judged(reps) == [[]] * 8


def test_the_judge_finds_a_kick_and_a_dropped_return_in_what_the_load_cell_measured() -> None:
    kick = RepPlan(concentric_s=0.5, faults=frozenset({Fault.JERK}))
    drop = RepPlan(eccentric_s=0.6, faults=frozenset({Fault.FAST_ECCENTRIC}))
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(), kick, RepPlan(), drop, RepPlan()))
    reps = analyze(ForceSimulator(plan, Station(mass_kg=20.0), seed=3).samples())
    assert [r.faults for r in reps] == [[]] * 5  # not the load cell's to call: it measures
    assert judged(reps) == [[], [Fault.JERK], [], [Fault.FAST_ECCENTRIC], []]
    assert reps[1].concentric_peak_n > EXERCISE.rules.kick_peak_ratio.value * 20.0 * G
    assert reps[3].eccentric_s < EXERCISE.rules.min_eccentric_s.value < reps[2].eccentric_s


def test_the_load_cell_publishes_measurements_and_only_its_own_faults() -> None:
    reps = analyze(ForceSimulator(clean_set(n=2), Station(mass_kg=15.0), seed=1).samples())
    first, second = (r.to_event_data(Leg.RIGHT) for r in reps)
    assert first.faults == second.faults == []
    assert {"concentric_peak_n", "travel_m", "start_tension_n"} == set(first.metrics)
    assert {"concentric_peak_n", "travel_m"} == set(second.metrics)  # the starting tension: the set's first only
    assert first.metrics["concentric_peak_n"] > 15.0 * G and 0.3 < first.metrics["travel_m"] < 0.6
    assert first.metrics["start_tension_n"] == pytest.approx(15.0 * G, rel=0.05)  # hanging, lightly loaded


@pytest.mark.parametrize("mass_kg", [10.0, 17.5, 30.0])
def test_a_stack_on_its_pins_before_the_first_rep_is_a_slack_start(mass_kg: float) -> None:
    slack = RepPlan(faults=frozenset({Fault.SLACK_START}))
    plan = SetPlan(leg=Leg.LEFT, reps=(slack, RepPlan(), RepPlan()))
    reps = analyze(ForceSimulator(plan, Station(mass_kg=mass_kg), seed=3).samples())
    assert len(reps) == 3  # the rep lifted off the pins counts, though the stack was weighed only after it
    assert [r.faults for r in reps] == [[Fault.SLACK_START], [], []]
    assert reps[0].start_tension_n is not None and reps[0].start_tension_n < 0.2 * mass_kg * G
    assert [r.start_tension_n for r in reps[1:]] == [None, None]
    assert all(abs(r.load_kg - mass_kg) < 0.05 * mass_kg for r in reps)
    assert judged(reps) == [[Fault.SLACK_START], [], []]


@pytest.mark.parametrize("mass_kg", [10.0, 30.0])
def test_light_tension_before_the_first_rep_is_no_slack_start(mass_kg: float) -> None:
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(), RepPlan()))
    reps = analyze(ForceSimulator(plan, Station(mass_kg=mass_kg), seed=5).samples())
    assert [r.faults for r in reps] == [[], []]
    assert reps[0].start_tension_n == pytest.approx(mass_kg * G, rel=0.05)
    assert judged(reps) == [[], []]


def test_every_set_measures_its_starting_tension_on_its_first_rep() -> None:
    a = LoadAnalyzer()
    slack = SetPlan(leg=Leg.LEFT, reps=(RepPlan(faults=frozenset({Fault.SLACK_START})), RepPlan()))
    first = [r for t, f in ForceSimulator(clean_set(n=2), Station(mass_kg=14.0), seed=1).samples()
             for r in a.feed(t, f)]
    a.new_set()
    second = [r for t, f in ForceSimulator(slack, Station(mass_kg=14.0), t0=100.0, seed=2).samples()
              for r in a.feed(t, f)]
    assert [r.start_tension_n is not None for r in first + second] == [True, False, True, False]
    assert [r.faults for r in first + second] == [[], [], [Fault.SLACK_START], []]


def test_a_tempo_goal_is_judged_on_the_load_cells_timing() -> None:
    on_beat = RepPlan(concentric_s=2.0, top_hold_s=0.6, eccentric_s=3.0)
    rushed = RepPlan(concentric_s=1.1, top_hold_s=0.6, eccentric_s=3.0)
    plan = SetPlan(leg=Leg.LEFT, reps=(on_beat, rushed, on_beat))
    reps = analyze(ForceSimulator(plan, Station(mass_kg=12.0), seed=8).samples())
    assert judged(reps, "tempo_focus") == [[], [Fault.TEMPO], []]
    assert judged(reps, "strength_control") == [[], [], []]


def test_the_load_cell_imports_no_other_service() -> None:
    code = ("import sys, services.loadcell.analysis, services.loadcell.service, services.loadcell.__main__; "
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('services.')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "camera" not in out and "progression" not in out, out


def test_setting_the_stack_down_between_reps_is_lost_tension_on_the_next_rep() -> None:
    rest = RepPlan(rest_s=1.6)
    plan = SetPlan(leg=Leg.RIGHT, reps=(rest, RepPlan(faults=frozenset({Fault.LOST_TENSION})), RepPlan()))
    reps = analyze(ForceSimulator(plan, Station(mass_kg=12.0), seed=4).samples())
    assert [r.faults for r in reps] == [[], [Fault.LOST_TENSION], []]
    assert judged(reps) == [[], [Fault.LOST_TENSION], []]


def test_a_twitch_is_never_a_rep() -> None:
    twitch = RepPlan(peak_knee_deg=20.0)  # 12° of knee: the stack moves ~5 cm
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(), twitch, RepPlan()))
    reps = analyze(ForceSimulator(plan, Station(mass_kg=15.0), seed=5).samples())
    assert len(reps) == 2


def test_generated_sets_mostly_count_exactly() -> None:
    rng = random.Random(11)
    exact = 0
    for k in range(6):
        st = Station(mass_kg=rng.uniform(10, 30), friction_share=0.05, friction_n=4.0)
        plan = varied_load_set(rng)
        exact += len(analyze(ForceSimulator(plan, st, seed=k).samples())) == len(plan.reps)
    assert exact == 6


def test_reps_become_contract_events_with_their_leg() -> None:
    reps = analyze(ForceSimulator(clean_set(n=2), Station(), seed=1).samples())
    ev = reps[0].to_event_data(Leg.LEFT, t_offset=1000.0)
    assert isinstance(ev, LoadRep) and ev.leg is Leg.LEFT and ev.rep_index == 1
    assert ev.start_t > 1000.0 and ev.end_t > ev.start_t
    assert reps[0].to_report(Leg.LEFT)["passed"] is True


def test_nothing_before_the_stack_is_loaded_and_no_crash_on_a_gap() -> None:
    samples = [(i / 80, 5.0) for i in range(200)]  # a slack cable: no load to learn
    samples += [(10 + i / 80, 150.0) for i in range(200)]  # 7.5 s gap, then a hanging stack
    assert analyze(samples) == []


def test_a_new_set_weighs_the_new_stack() -> None:
    a = LoadAnalyzer()
    first = [r for t, f in ForceSimulator(clean_set(n=2), Station(mass_kg=12.5), seed=1).samples()
             for r in a.feed(t, f)]
    a.new_set()
    second = [r for t, f in ForceSimulator(clean_set(n=2), Station(mass_kg=13.5), t0=100.0, seed=2).samples()
              for r in a.feed(t, f)]
    assert [r.index for r in first] == [1, 2] and [r.index for r in second] == [1, 2]
    assert abs(second[0].load_kg - 13.5) < 13.5 * 0.05  # 8 % heavier: too close for the 10 % re-weigh rule


def test_a_pause_with_the_stack_down_longer_than_a_set_break_is_not_lost_tension() -> None:
    rest = RepPlan(rest_s=8.0)  # stack set down in an 8 s pause: a break, not a rep that lost tension
    plan = SetPlan(leg=Leg.LEFT, reps=(rest, RepPlan(faults=frozenset({Fault.LOST_TENSION})), RepPlan()))
    reps = analyze(ForceSimulator(plan, Station(mass_kg=14.0), seed=6).samples())
    assert len(reps) == 3 and all(r.faults == [] for r in reps)


def test_the_load_cell_doc_shows_the_rules_as_the_yaml_holds_them() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "LOADCELL.md").read_text()
    assert rules_table(EXERCISE) in doc, "docs/LOADCELL.md is out of date: paste `python -m shared.catalogue`"
