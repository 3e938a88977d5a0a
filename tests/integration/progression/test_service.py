"""The progression service against real mosquitto and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.procs import Child, wait_online
from shared import contract as c
from shared.catalogue import DEFAULT_EXERCISE as EX
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.store import RedisStore, connect
from tests.conftest import wait_for
from tests.measured import camera_metrics
from tests.wire import StationClient

pytestmark = pytest.mark.integration


class Kiosk(StationClient):
    """The station's kiosk: what progression answers on st-01."""

    def __init__(self, port: int) -> None:
        super().__init__(port, ("rep.verdict", "set.summary", "recommendation", "member.profile"))


@pytest.fixture
def workers(service_env: dict[str, str], tmp_path: Path, mosquitto: PrivateMosquitto,
            request: pytest.FixtureRequest) -> Iterator[list[Child]]:
    n = getattr(request, "param", 1)
    env = {**service_env, "GYM_STATION_ID": "site"}
    share = ["--shared"] if n > 1 else []
    kids = [Child(f"progression-{i}", ["services.progression", "run", "--worker", str(i), *share], env, tmp_path)
            for i in range(n)]
    for k in kids:
        wait_online(mosquitto.port, "progression", "site", child=k)
    yield kids
    for k in kids:
        assert k.alive(), k.tail()
        k.stop()


def test_member_lookup_and_enrol_are_answered_on_the_station(workers: list[Child], mosquitto: PrivateMosquitto,
                                                             redis_server: PrivateRedis) -> None:
    k = Kiosk(mosquitto.port)
    k.bus.emit("member.lookup", c.MemberLookup(correlation_id="q1", method=c.IdMethod.BADGE, token="77",
                                               exercise=EX))
    wait_for(lambda: k.of(c.MemberProfileEvent), what="answer")
    assert k.of(c.MemberProfileEvent)[0].status == "unknown"
    k.bus.emit("member.enrol", c.MemberEnrol(correlation_id="q2", method=c.IdMethod.BADGE, token="77", name="Zoe",
                                             weaker_leg=c.Leg.RIGHT, goal="hypertrophy", exercise=EX))
    wait_for(lambda: len(k.of(c.MemberProfileEvent)) == 2, what="enrol answer")
    prof = k.of(c.MemberProfileEvent)[1]
    assert prof.correlation_id == "q2" and prof.status == "ok"
    assert [p.leg for p in prof.plan] == [c.Leg.RIGHT, c.Leg.LEFT]
    stored = RedisStore(connect(redis_server.url), "main").member_by_token(c.IdMethod.BADGE, "77")
    assert stored is not None and stored.info.name == "Zoe"
    k.bus.stop()


def scripted_session(port: int) -> Kiosk:
    """Two legs, two sets each, a few faulty reps; events spaced as a real station spaces them."""
    k = Kiosk(port)
    k.bus.emit("session.started", c.SessionStarted(session_id="s1", member_id="guest-1", exercise=EX,
                                                   goal="strength_control", leg_order=[c.Leg.LEFT, c.Leg.RIGHT]))
    t = 1000.0
    faults = {(c.Leg.LEFT, 1, 2): (c.Fault.SWING,), (c.Leg.RIGHT, 2, 5): (c.Fault.HIP_ROTATION,)}
    n = 0
    for leg in (c.Leg.LEFT, c.Leg.RIGHT):
        for s in (1, 2):
            k.bus.emit("set.started", c.SetStarted(session_id="s1", set_index=s, leg=leg, weight_kg=10,
                                                   target_reps=6))
            for r in range(1, 7):
                t += 5
                k.bus.emit("camera.rep", c.CameraRep(leg=leg, rep_index=r, start_t=t, end_t=t + 3.5,
                                                     concentric_s=1, top_hold_s=0.5, eccentric_s=2.2,
                                                     metrics=camera_metrics(faults.get((leg, s, r), ()))))
                k.bus.emit("load.rep", c.LoadRep(rep_index=r, start_t=t + 0.1, end_t=t + 3.4, concentric_s=1,
                                                 eccentric_s=2.1, peak_force_n=120, load_kg=10))
                n += 1
                # (a loose verdict, judged before its set.started reached a worker, does not count)
                def judged(n: int = n) -> bool:
                    return len({(v.leg, v.set_index, v.rep_index) for v in k.of(c.RepVerdictEvent)
                                if v.set_index is not None}) >= n

                wait_for(judged, what="verdict before the next rep")
            k.bus.emit("set.ended", c.SetEnded(session_id="s1", set_index=s, leg=leg, weight_kg=10, target_reps=6))
    k.bus.emit("session.ended", c.SessionEnded(session_id="s1", member_id="guest-1"))
    wait_for(lambda: len(k.of(c.RecommendationEvent)) == 2, timeout=20, what="recommendations")
    return k


RepKey = tuple[c.Leg, int | None, int]  # leg, set, rep
Verdicts = list[tuple[RepKey, tuple[c.Fault, ...], tuple[c.Sensor, ...]]]
Recs = list[tuple[c.Leg, c.Action, float, int, tuple[str, ...]]]
Summaries = list[tuple[c.Leg, int, int, int]]  # leg, set, reps, passed


def outcome(k: Kiosk) -> tuple[Verdicts, Recs, Summaries]:
    final: dict[RepKey, c.RepVerdict] = {}
    all_verdicts = k.of(c.RepVerdictEvent)
    in_set = [v for v in all_verdicts if v.set_index is not None]
    # A rep handled before its set.started (another worker) is first judged loose, then claimed by
    # the set: no loose verdict may stay unclaimed.
    for loose in (v for v in all_verdicts if v.set_index is None):
        assert any(abs(v.start_t - loose.start_t) < 0.5 and v.revision > loose.revision for v in in_set), loose
    for v in in_set:
        key = (v.leg, v.set_index, v.rep_index)
        if key not in final or v.revision > final[key].revision:
            final[key] = v
    verdicts = sorted((key, tuple(v.faults), tuple(v.sensors)) for key, v in final.items())
    recs = [(r.leg, r.action, r.next_weight_kg, r.next_target_reps, tuple(r.reasons))
            for r in k.of(c.RecommendationEvent)]
    # A late rep re-sends its set's summary: the last one of each set counts.
    last = {(s.leg, s.set_index): s for s in k.of(c.SetSummaryEvent)}
    summaries = sorted((s.leg, s.set_index, s.reps, s.passed_reps) for s in last.values())
    return verdicts, sorted(recs), summaries


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2], indirect=True, ids=["one worker", "two workers"])
def test_workers_sharing_the_site_give_the_same_results_as_the_engine(workers: list[Child],
                                                                      mosquitto: PrivateMosquitto) -> None:
    k = scripted_session(mosquitto.port)
    verdicts, recs, summaries = outcome(k)
    assert len(verdicts) == 24 and all(sensors == ("camera", "load") for _, _, sensors in verdicts)
    assert [f for _, f, _ in verdicts if f] == [(c.Fault.SWING,), (c.Fault.HIP_ROTATION,)]
    assert summaries == [(c.Leg.LEFT, 1, 6, 5), (c.Leg.LEFT, 2, 6, 6), (c.Leg.RIGHT, 1, 6, 6),
                         (c.Leg.RIGHT, 2, 6, 5)]
    assert [r[1] for r in recs] == [c.Action.HOLD, c.Action.HOLD]
    assert recs[0][4][0] == "1 rep swung the thigh: keep 10 kg for 6 reps"
    k.bus.stop()



def test_a_single_worker_gets_what_was_published_after_a_broker_restart_before_it_reconnected(
        service_env: dict[str, str], tmp_path: Path, mosquitto: PrivateMosquitto) -> None:
    """Mosquitto drops messages to an offline shared-subscription member after a restart; the single
    worker's plain persistent subscription must not lose them."""
    env = {**service_env, "GYM_STATION_ID": "site"}
    first = Child("progression-a", ["services.progression", "run"], env, tmp_path)
    wait_online(mosquitto.port, "progression", "site", child=first)
    first.stop()
    mosquitto.restart()
    k = Kiosk(mosquitto.port)
    k.bus.emit("member.lookup", c.MemberLookup(correlation_id="q9", method=c.IdMethod.PIN, token="4321",
                                               exercise=EX))
    again = Child("progression-b", ["services.progression", "run"], env, tmp_path)
    try:
        wait_for(lambda: k.of(c.MemberProfileEvent), timeout=20, what="the answer after the restart")
        assert k.of(c.MemberProfileEvent)[0].correlation_id == "q9"
    finally:
        again.stop()
        k.bus.stop()
