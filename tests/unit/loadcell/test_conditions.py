"""The issue's conditions on the pure analyser, each with its ground truth from a simulator: the physical model
(`force_physical.py`: min-jerk strokes, compliant cable, 1:1 or 2:1, stiction) and, where it can play the
condition, the project's own (`force.py`). No server."""

from __future__ import annotations

import numpy as np
import pytest

from services.loadcell.analysis import analyze, judge_alone
from services.loadcell.reps import RepMeasure
from services.simulator.force import ForceSimulator, Station
from services.simulator.force_physical import CableStation, PhysicalForceSimulator
from services.simulator.script import RepPlan, SetPlan, Timeline
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue
from shared.contract import Fault, Leg

G = 9.80665
EXERCISE = default_catalogue()[DEFAULT_EXERCISE]
LIMITS = EXERCISE.rules
# A controlled rep in the physical model's ranges (1.6–2.3 s curls, 0.3–1.2 s holds, 2.4–3.4 s returns).
CONTROLLED = RepPlan(concentric_s=1.9, top_hold_s=0.6, eccentric_s=2.8, rest_s=0.9, peak_knee_deg=100.0)
SLACK = frozenset({Fault.SLACK_START})
LOST = frozenset({Fault.LOST_TENSION})


def physical(plan: SetPlan, station: CableStation, seed: int = 1) -> list[RepMeasure]:
    return analyze(PhysicalForceSimulator(plan, station, seed=seed).samples(), limits=LIMITS,
                   pulley_ratio=station.ratio)


def own(plan: SetPlan, station: Station, seed: int = 1) -> list[RepMeasure]:
    return analyze(ForceSimulator(plan, station, seed=seed).samples(), limits=LIMITS)


def judged(reps: list[RepMeasure]) -> list[set[Fault]]:
    goal = EXERCISE.goal("strength_control")
    return [set(judge_alone(EXERCISE, goal, r).faults) for r in reps]


def truth(plan: SetPlan) -> list[set[Fault]]:
    """The plan's faults the load cell's evidence can show (the camera's left out)."""
    seen = {Fault.JERK, Fault.LOST_TENSION, Fault.FAST_ECCENTRIC, Fault.SLACK_START}
    return [set(r.faults) & seen for r in plan.reps]


def test_reps_count_when_the_stack_never_touches_its_pins_between_them() -> None:
    st = CableStation(mass_kg=18.0, friction_share=0.05)
    plan = SetPlan(leg=Leg.LEFT, reps=(CONTROLLED,) * 8)
    sim = PhysicalForceSimulator(plan, st, seed=3)
    ts, tension, height = sim.tension()
    tl = Timeline(plan)
    between = np.zeros(len(ts), dtype=bool)
    for a, b in zip(tl.reps, tl.reps[1:], strict=False):
        between |= (ts > a.end_t) & (ts < b.start_t)
    # The ground truth: the stack hangs over its pins and the cable stays taut in every rest.
    assert height[between].min() > 0.0 and tension[between].min() > 0.8 * st.load_n
    reps = physical(plan, st, seed=3)
    assert len(reps) == 8
    assert [r.faults for r in reps] == [[]] * 8  # no set-down reported where none happened


@pytest.mark.parametrize("ratio", [1, 2])
def test_rests_of_0_6_s_still_split_the_reps(ratio: int) -> None:
    short = RepPlan(concentric_s=1.7, top_hold_s=0.4, eccentric_s=2.5, rest_s=0.6, peak_knee_deg=100.0)
    plan = SetPlan(leg=Leg.RIGHT, reps=(short,) * 10)
    reps = physical(plan, CableStation(mass_kg=15.0, ratio=ratio), seed=4)
    assert len(reps) == 10
    for got, want in zip(reps, Timeline(plan).reps, strict=True):  # each rep found where it was done
        assert want.start_t - 0.3 <= (got.start_t + got.end_t) / 2 <= want.end_t + 0.3


def test_a_10_kg_stack_is_counted_and_weighed_on_both_models() -> None:
    plan = SetPlan(leg=Leg.LEFT, reps=(CONTROLLED,) * 8)
    for reps in (physical(plan, CableStation(mass_kg=10.0, friction_share=0.07), seed=5),
                 own(plan, Station(mass_kg=10.0), seed=5)):
        assert len(reps) == 8
        assert all(abs(r.load_kg - 10.0) < 0.05 * 10.0 for r in reps)  # the load target


def test_a_0_7_s_kick_is_flagged_and_a_1_5_s_curl_is_not() -> None:
    curl = RepPlan(concentric_s=1.5, top_hold_s=0.5, eccentric_s=2.6, rest_s=0.9, peak_knee_deg=100.0)
    kick = RepPlan(concentric_s=0.7, top_hold_s=0.5, eccentric_s=2.6, rest_s=0.9, peak_knee_deg=100.0,
                   faults=frozenset({Fault.JERK}))
    plan = SetPlan(leg=Leg.LEFT, reps=(curl, curl, kick, curl, kick, curl))
    for reps in (physical(plan, CableStation(mass_kg=20.0), seed=6), own(plan, Station(mass_kg=20.0), seed=6)):
        assert len(reps) == 6
        assert judged(reps) == truth(plan)
        # What the judge saw: the kicks' curls under the kick limit, the controlled ones over it.
        assert [r.concentric_s < LIMITS.kick_concentric_s.value for r in reps] == [False, False, True, False, True,
                                                                                    False]


def test_a_2_to_1_pulley_reports_the_stacks_mass_and_its_travel() -> None:
    st = CableStation(mass_kg=24.0, ratio=2, travel_m=0.30)
    plan = SetPlan(leg=Leg.LEFT, reps=(CONTROLLED,) * 6)
    reps = physical(plan, st, seed=7)
    assert len(reps) == 6
    assert all(abs(r.load_kg - 24.0) < 0.05 * 24.0 for r in reps)  # the stack's mass, not the cable's half
    assert all(0.08 < r.travel_m < 0.2 for r in reps)  # the stack moves half the cable's ~0.3 m
    # The same samples, the station set up as 1:1 by mistake: the cable's half of the stack.
    wrong = analyze(PhysicalForceSimulator(plan, st, seed=7).samples(), limits=LIMITS)
    assert abs(wrong[0].load_kg - 12.0) < 0.05 * 12.0


@pytest.mark.parametrize("model", ["physical", "own"])
def test_a_slack_start_and_a_set_down_are_the_load_cells_own_faults(model: str) -> None:
    long_rest = RepPlan(concentric_s=1.9, top_hold_s=0.6, eccentric_s=2.8, rest_s=2.0, peak_knee_deg=100.0)
    reps_plan = (RepPlan(concentric_s=1.9, top_hold_s=0.6, eccentric_s=2.8, rest_s=0.9, peak_knee_deg=100.0,
                         faults=SLACK), CONTROLLED, long_rest,
                 RepPlan(concentric_s=1.9, top_hold_s=0.6, eccentric_s=2.8, rest_s=0.9, peak_knee_deg=100.0,
                         faults=LOST), CONTROLLED, CONTROLLED)
    plan = SetPlan(leg=Leg.LEFT, reps=reps_plan)
    if model == "physical":
        st = CableStation(mass_kg=16.0)
        ts, tension, _ = PhysicalForceSimulator(plan, st, seed=8).tension()
        first = Timeline(plan).reps[0]
        # The ground truth: the cable slack (the stack on its pins) before the first curl.
        assert tension[(ts > first.start_t - 0.6) & (ts < first.start_t - 0.1)].max() < 0.2 * st.load_n
        reps = physical(plan, st, seed=8)
    else:
        reps = own(plan, Station(mass_kg=16.0), seed=8)
    assert len(reps) == 6
    assert [set(r.faults) for r in reps] == truth(plan)
    assert reps[0].start_tension_n is not None and reps[0].start_tension_n < 0.2 * 16.0 * G


def test_a_taut_start_is_no_slack_start() -> None:
    st = CableStation(mass_kg=12.0)
    reps = physical(SetPlan(leg=Leg.LEFT, reps=(CONTROLLED,) * 3), st, seed=9)
    assert [r.faults for r in reps] == [[], [], []]
    assert reps[0].start_tension_n == pytest.approx(st.load_n, rel=0.1)  # hanging, within its stiction band


def test_a_replay_that_ends_as_the_last_return_ends_still_counts_the_last_rep() -> None:
    from services.loadcell.analysis import LoadAnalyzer

    plan = SetPlan(leg=Leg.LEFT, reps=(CONTROLLED,) * 5)
    st = CableStation(mass_kg=15.0)
    last = Timeline(plan).reps[-1]
    # The replay stops 0.3 s before the plan's last return ends: no rest after it shows the rep over.
    samples = [(t, f) for t, f in PhysicalForceSimulator(plan, st, seed=10).samples() if t <= last.end_t - 0.3]
    a = LoadAnalyzer(limits=LIMITS)
    fed = [r for t, f in samples for r in a.feed(t, f)]
    closed = a.close()
    assert len(fed) == 4 and len(closed) == 1  # the stream's end, not a rest, closed the fifth
    assert last.start_t - 0.3 <= closed[0].start_t and closed[0].end_t <= last.end_t
    assert len(analyze(samples, limits=LIMITS)) == 5  # `analyze` closes the stream
