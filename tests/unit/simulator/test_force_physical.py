"""The physical force model: a stack pulled through a compliant cable, 1:1 or 2:1, with Coulomb friction and
stiction — its statics and the ground truth it plays (no server)."""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt
import pytest

from services.simulator.force_physical import (
    CableStation,
    PhysicalForceSimulator,
    min_jerk,
    physical_rep,
    physical_set,
    random_cable_station,
)
from services.simulator.script import RepPlan, SetPlan, Timeline
from shared.contract import Fault, Leg

G = 9.80665


def between(ts: npt.NDArray[np.float64], a: float, b: float) -> npt.NDArray[np.bool_]:
    return (ts >= a) & (ts <= b)


def test_minimum_jerk_goes_from_0_to_1_smoothly() -> None:
    tau = np.linspace(0.0, 1.0, 101)
    x = min_jerk(tau)
    assert x[0] == 0.0 and x[-1] == pytest.approx(1.0)
    assert np.all(np.diff(x) >= 0) and x[50] == pytest.approx(0.5)


@pytest.mark.parametrize("ratio", [1, 2])
def test_a_hanging_stack_pulls_its_weight_over_the_ratio_within_its_static_friction(ratio: int) -> None:
    st = CableStation(mass_kg=20.0, ratio=ratio, friction_share=0.06, stiction=1.3)
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(concentric_s=2.0, top_hold_s=1.0, eccentric_s=3.0, rest_s=1.0),),
                   lead_in_s=1.0)
    ts, tension, _ = PhysicalForceSimulator(plan, st).tension()
    static = 20.0 * G / ratio
    assert st.load_n == pytest.approx(static)
    band = 1.3 * 0.06 * 20.0 * G / ratio
    rest = between(ts, 0.2, 0.9)
    assert np.all(np.abs(tension[rest] - static) <= band + 1e-6)
    hold = between(ts, 3.2, 3.9)  # stuck at the top: a little under L + f (it stopped decelerating)
    assert np.all(tension[hold] > static) and np.all(tension[hold] <= static + band + 1e-6)
    after = between(ts, 7.2, 7.9)  # stuck at the bottom after the return: a little over L − f
    assert np.all(tension[after] < static)


@pytest.mark.parametrize(("ratio", "travel"), [(1, 0.30), (2, 0.15)])
def test_the_stack_moves_the_cables_travel_over_the_ratio(ratio: int, travel: float) -> None:
    st = CableStation(ratio=ratio, travel_m=0.30)
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(concentric_s=2.0, top_hold_s=1.0, eccentric_s=3.0,
                                               peak_knee_deg=100.0),), lead_in_s=1.0)
    ts, _, x = PhysicalForceSimulator(plan, st).tension()
    rise = float(x[between(ts, 3.2, 3.9)].mean() - x[between(ts, 0.2, 0.9)].mean())
    assert rise == pytest.approx(travel, rel=0.05)


def test_the_stack_never_touches_its_pins_between_reps_unless_set_down() -> None:
    st = CableStation(mass_kg=10.0, ratio=2, rest_height_m=0.03)
    reps = (RepPlan(rest_s=0.6), RepPlan(rest_s=2.0), RepPlan(faults=frozenset({Fault.LOST_TENSION})))
    plan = SetPlan(leg=Leg.LEFT, reps=reps)
    ts, tension, x = PhysicalForceSimulator(plan, st).tension()
    tl = Timeline(plan)
    first_rest = between(ts, tl.reps[0].end_t, tl.reps[1].start_t)
    assert x[first_rest].min() > 0.02 and tension[first_rest].min() > 0.8 * st.load_n
    set_down = between(ts, tl.reps[1].end_t, tl.reps[2].start_t)
    assert x[set_down].min() == 0.0 and tension[set_down].min() < 0.1 * st.load_n


def test_a_slack_start_sits_on_the_pins_until_the_first_curl_lifts_it() -> None:
    st = CableStation(mass_kg=15.0)
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(faults=frozenset({Fault.SLACK_START})), RepPlan()), lead_in_s=1.5)
    ts, tension, x = PhysicalForceSimulator(plan, st).tension()
    before = between(ts, 0.0, 1.4)
    assert np.all(x[before] == 0.0) and tension[before].max() < 0.1 * st.load_n
    second_rest = between(ts, Timeline(plan).reps[0].end_t + 0.2, Timeline(plan).reps[1].start_t)
    assert x[second_rest].min() > 0.02  # the member stepped back into the usual stance


def test_a_kick_pulls_well_over_the_static_load_and_a_controlled_curl_does_not() -> None:
    st = CableStation(mass_kg=20.0, friction_share=0.05)
    kick = RepPlan(concentric_s=0.6, faults=frozenset({Fault.JERK}))
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(concentric_s=1.8), kick), lead_in_s=1.0)
    ts, tension, _ = PhysicalForceSimulator(plan, st).tension()
    tl = Timeline(plan)
    peaks = [tension[between(ts, r.start_t, r.start_t + r.plan.concentric_s)].max() / st.load_n for r in tl.reps]
    assert peaks[0] < 1.2 < 1.3 < peaks[1]


def test_samples_come_at_the_stations_rate_with_its_noise() -> None:
    st = CableStation(hz=64.0, noise_n=0.6)
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(),))
    s = np.array(list(PhysicalForceSimulator(plan, st, seed=3).samples()))
    assert np.median(np.diff(s[:, 0])) == pytest.approx(1 / 64.0, abs=1e-3)
    rest = s[s[:, 0] < 1.0, 1]
    assert 0.4 < float(np.std(rest)) < 0.8


def test_generated_sets_hold_the_issues_timing_and_faults() -> None:
    rng = random.Random(5)
    plans = [physical_set(rng) for _ in range(40)]
    reps = [r for p in plans for r in p.reps]
    clean = [r for r in reps if not r.faults & {Fault.JERK, Fault.FAST_ECCENTRIC}]
    assert all(1.6 <= r.concentric_s <= 2.3 and 2.4 <= r.eccentric_s <= 3.4 for r in clean)
    assert all(0.5 <= r.concentric_s <= 0.8 for r in reps if Fault.JERK in r.faults)
    assert all(0.35 <= r.eccentric_s <= 0.6 for r in reps if Fault.FAST_ECCENTRIC in r.faults)
    assert all(Fault.SLACK_START not in r.faults for p in plans for r in p.reps[1:])
    assert all(Fault.LOST_TENSION not in p.reps[0].faults for p in plans)
    stations = [random_cable_station(rng) for _ in range(200)]
    assert {s.ratio for s in stations} == {1, 2}
    assert all(10.0 <= s.mass_kg <= 30.0 and 0.04 <= s.friction_share <= 0.07 and 50 <= s.hz <= 100
               for s in stations)
    assert physical_rep(rng, frozenset({Fault.JERK})).concentric_s <= 0.8
