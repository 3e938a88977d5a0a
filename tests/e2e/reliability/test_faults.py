"""Faults through the real processes of a whole station and its site (tests/e2e/reliability/station.py).

The member trains the scripted session; mid-set one part fails. Whatever fails, every rep the member
did gets exactly one verdict (one rep record, its last revision judged by the sensors that saw it), no
rep is left unassigned, and the recommendation per leg is the one the fault-free session gives. The
dashboard stays up and answers /health throughout.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from services.simulator.script import Timeline
from shared.contract import CameraRepEvent
from shared.servers import PrivateMosquitto, PrivateRedis
from tests.conftest import wait_for
from tests.e2e.reliability.station import (
    PLANS,
    Outcome,
    WholeStation,
    expected_keys,
    reference,
    truth_faults,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BOTH = ["camera", "load"]  # the contract's Sensor names, in the order a verdict lists them
LOAD_ONLY = ["load"]
FAULT_S = 3.0  # how long the broker, Redis or progression stays away: most of a quick rep
# A fault lands "mid-set": once the left set's second rep is judged, with three reps still to come.
REPS_BEFORE_FAULT = 2
LOST_REPS = (2, 3, 4)  # the left set's reps done while the camera is unplugged
# The camera is plugged back this long before rep 4's return ends: the knee is then below the
# camera's 25° rep-start angle (a rep cannot begin in the camera's eyes), and rep 5 is still 1.1 s
# away, so a wake-up late by a loaded machine's scheduling still sees rep 5 whole.
REPLUG_BEFORE_END_S = 0.1


@pytest.fixture(scope="module")
def expected() -> Outcome:
    return reference()


def fault_point(st: WholeStation) -> None:
    wait_for(lambda: len(st.wire.verdicts_of("left")) >= REPS_BEFORE_FAULT, timeout=60,
             what=f"{REPS_BEFORE_FAULT} verdicts of the left set before the fault")


def check(st: WholeStation, expected: Outcome, load_only: frozenset[tuple[str, int, int]] = frozenset()) -> Outcome:
    """The session's outcome is the fault-free one; the processes and the dashboard lived through it."""
    got = st.finished()
    keys = expected_keys()
    info = st.tails()
    assert sorted(got.verdicts) == sorted(keys), f"{sorted(got.verdicts)}\n{info}"  # each rep once: none lost or split
    assert {k: f for k, (f, _) in got.verdicts.items()} == truth_faults(), info
    assert {k: s for k, (_, s) in got.verdicts.items()} == {k: LOAD_ONLY if k in load_only else BOTH
                                                           for k in keys}, info
    assert got.recommendations == expected.recommendations, info
    # Redis holds the same reps (every revision is kept; their keys are the reps) and none unassigned.
    stored = {(v.data.leg.value, v.data.set_index, v.data.rep_index) for v in st.stored()}
    assert stored == set(keys)
    assert st.unassigned() == []
    for kid in (st.progression, st.dashboard, st.kiosk, st.camera, st.loadcell):
        assert kid.alive(), f"{kid.name} died:\n{kid.tail()}"
    assert st.health.failures == [], st.health.failures  # /health answered every time it was asked
    wait_for(lambda: st.health.answers[-1:] == ["ok"], timeout=10, what="the dashboard healthy again")
    return got


def test_the_reference_is_what_the_engine_makes_of_the_script(expected: Outcome) -> None:
    # The reference itself: the script's truth, judged by the camera alone, and a recommendation per leg.
    assert {k: f for k, (f, _) in expected.verdicts.items()} == truth_faults()
    assert set(expected.recommendations) == {p.leg.value for p in PLANS}
    # The left set ends on a dropped return: its leg cannot go up (the seed's rule: every rep must pass).
    assert expected.recommendations["left"][0] != "increase"


def test_fault_free_session_gives_the_reference(station: WholeStation, expected: Outcome) -> None:
    station.train()
    check(station, expected)
    assert station.health.answers and set(station.health.answers) == {"ok"}  # nothing was ever down


def test_broker_restart_mid_set(station: WholeStation, mosquitto: PrivateMosquitto, expected: Outcome) -> None:
    station.train()
    fault_point(station)
    mosquitto.restart(pause_s=FAULT_S)  # a rep is done while the broker is away
    check(station, expected)
    assert "degraded" in station.health.answers  # the dashboard saw the broker go, and said so


def test_redis_restart_mid_set(station: WholeStation, redis_server: PrivateRedis, expected: Outcome) -> None:
    station.train()
    fault_point(station)
    redis_server.stop()
    threading.Event().wait(FAULT_S)  # a rep is done while Redis is down
    redis_server.start()
    check(station, expected)
    assert "degraded" in station.health.answers


def test_progression_killed_mid_set_and_restarted(station: WholeStation, expected: Outcome) -> None:
    station.train()
    fault_point(station)
    station.progression.kill()  # SIGKILL: nothing flushed; the broker keeps the worker's session queue
    threading.Event().wait(FAULT_S)  # a rep is done while no worker runs
    station.start_progression()
    check(station, expected)


def test_camera_lost_for_three_reps_the_load_cell_judges_them(station: WholeStation, expected: Outcome) -> None:
    station.train()
    t0 = station.set_started_at("left")
    wait_for(lambda: station.wire.first(CameraRepEvent, rep_index=1), timeout=30,
             what="the camera's first rep")
    os.kill(station.camera.pid, signal.SIGUSR1)  # the camera's cable pulled, between rep 1 and rep 2
    wait_for(lambda: not station.online("camera"), timeout=5, what="the camera saying it is lost")
    rep4 = Timeline(PLANS[0]).reps[LOST_REPS[-1] - 1]
    threading.Event().wait(max(0.0, t0 + rep4.end_t - REPLUG_BEFORE_END_S - time.monotonic()))
    os.kill(station.camera.pid, signal.SIGUSR2)  # plugged back before rep 5
    got = check(station, expected, load_only=frozenset(("left", 1, i) for i in LOST_REPS))
    assert got.verdicts[("left", 1, 5)][1] == BOTH  # the camera judges again once it is back
    assert station.online("camera")


# +1 h: a unit whose clock is set forward (a wrong time zone fixed by hand); -5 min: NTP stepping
# back a clock that ran fast. Both are larger than a set, so a rep spanning the step would be
# stretched or reversed beyond any real rep, and the sensors' views of one rep would not overlap.
@pytest.mark.parametrize("step_s", [3600.0, -300.0], ids=["forward-1h", "back-5min"])
def test_station_clock_step_mid_set(station: WholeStation, expected: Outcome, step_s: float) -> None:
    station.train()
    fault_point(station)
    station.step_clock(step_s)
    check(station, expected)
    assert "station clock stepped" in station.camera.log() and "station clock stepped" in station.loadcell.log()
