from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from services.progression.engine import Engine
from services.progression.rules import Stack
from shared import contract as c
from shared.catalogue import default_catalogue
from shared.store import MemoryRepo

EX = "hamstring-curl-kickback"


class Station:
    """Drives the engine as a station's events would."""

    def __init__(self, goal: str = "strength_control") -> None:
        self.engine = Engine(default_catalogue(), Stack())
        self.repo = MemoryRepo()
        self.goal = goal
        self.log: list[c.Envelope] = []

    def send(self, event_type: str, data: c.Model) -> list[c.Envelope]:
        ev = c.make_event(event_type, "main", "st-01", data)
        self.log.append(ev)
        return self.engine.handle(ev, self.repo)

    def enrol(self, token: str = "0001", weaker: c.Leg = c.Leg.LEFT) -> c.MemberProfile:
        out = self.send("member.enrol", c.MemberEnrol(correlation_id="q1", method=c.IdMethod.BADGE, token=token,
                                                      name="Ana", weaker_leg=weaker, goal=self.goal, exercise=EX))
        assert isinstance(out[0].data, c.MemberProfile)  # type: ignore[attr-defined]
        return out[0].data  # type: ignore[attr-defined,no-any-return]

    def cam(self, t: float, faults: tuple[c.Fault, ...] = (), leg: c.Leg = c.Leg.LEFT, idx: int = 1):
        return self.send("camera.rep", c.CameraRep(leg=leg, rep_index=idx, start_t=t, end_t=t + 3.5,
                                                   concentric_s=1.0, top_hold_s=0.5, eccentric_s=2.0,
                                                   faults=list(faults)))

    def load(self, t: float, faults: tuple[c.Fault, ...] = (), idx: int = 1):
        return self.send("load.rep", c.LoadRep(rep_index=idx, start_t=t, end_t=t + 3.4, concentric_s=1.0,
                                               eccentric_s=2.0, peak_force_n=150, load_kg=12.4,
                                               faults=list(faults)))


def verdicts(out: list[c.Envelope]) -> list[c.RepVerdict]:
    return [e.data for e in out if isinstance(e, c.RepVerdictEvent)]


def test_camera_then_load_of_one_movement_is_one_rep_refined() -> None:
    s = Station()
    s.send("session.started", c.SessionStarted(session_id="s1", member_id="guest-1", exercise=EX,
                                               goal="strength_control", leg_order=[c.Leg.LEFT]))
    s.send("set.started", c.SetStarted(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=8))
    v1 = verdicts(s.cam(100.0))[0]
    assert (v1.rep_index, v1.passed, v1.sensors, v1.revision) == (1, True, [c.Sensor.CAMERA], 0)
    v2 = verdicts(s.load(100.2, (c.Fault.JERK,)))[0]
    assert (v2.rep_index, v2.passed, v2.revision) == (1, False, 1)
    assert v2.sensors == [c.Sensor.CAMERA, c.Sensor.LOAD] and v2.faults == [c.Fault.JERK]
    # The next movement, seen only by the load cell (camera occluded): judged alone.
    v3 = verdicts(s.load(106.0))[0]
    assert (v3.rep_index, v3.sensors, v3.revision) == (2, [c.Sensor.LOAD], 0)
    summary = s.send("set.ended", c.SetEnded(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=12.5,
                                             target_reps=8))[0].data  # type: ignore[attr-defined]
    assert (summary.reps, summary.passed_reps) == (2, 1)
    assert summary.faults_per_rep == [[c.Fault.JERK], []]


def test_a_rep_outside_any_set_is_kept_and_reported() -> None:
    s = Station()
    v = verdicts(s.cam(50.0, (c.Fault.SWING,)))[0]
    assert v.session_id is None and v.set_index is None and not v.passed
    assert len(s.repo.unassigned["st-01"]) == 1


def test_unknown_badge_then_enrol_then_lookup_gives_a_beginner_plan() -> None:
    s = Station(goal="hypertrophy")
    out = s.send("member.lookup", c.MemberLookup(correlation_id="q0", method=c.IdMethod.BADGE, token="0001",
                                                 exercise=EX))
    assert out[0].data.status == "unknown"  # type: ignore[attr-defined]
    prof = s.enrol()
    assert prof.status == "ok" and prof.member is not None and prof.member.name == "Ana"
    assert [p.leg for p in prof.plan] == [c.Leg.LEFT, c.Leg.RIGHT]  # weaker leg first
    assert prof.plan[0].weight_kg == 5.0 and prof.plan[0].target_reps == 8 and prof.plan[0].sets == 3
    again = s.send("member.enrol", c.MemberEnrol(correlation_id="q2", method=c.IdMethod.BADGE, token="0001",
                                                 name="Bob", exercise=EX))[0].data  # type: ignore[attr-defined]
    assert again.status == "error" and "already" in again.error


def run_session(s: Station, member_id: str, faults_by_set: list[dict[int, tuple[c.Fault, ...]]],
                reps: int, weight: float = 5.0, session: str = "s1") -> list[c.Recommendation]:
    s.send("session.started", c.SessionStarted(session_id=session, member_id=member_id, exercise=EX, goal=s.goal,
                                               leg_order=[c.Leg.LEFT, c.Leg.RIGHT]))
    t = 1000.0 * (len(s.log) + 1)
    for leg in (c.Leg.LEFT, c.Leg.RIGHT):
        for k, faults in enumerate(faults_by_set, start=1):
            s.send("set.started", c.SetStarted(session_id=session, set_index=k, leg=leg, weight_kg=weight,
                                               target_reps=reps))
            for r in range(reps):
                t += 5
                s.cam(t, faults.get(r, ()), leg=leg, idx=r + 1)
            s.send("set.ended", c.SetEnded(session_id=session, set_index=k, leg=leg, weight_kg=weight,
                                           target_reps=reps))
    out = s.send("session.ended", c.SessionEnded(session_id=session, member_id=member_id))
    return [e.data for e in out if isinstance(e, c.RecommendationEvent)]


def test_a_clean_session_at_the_top_of_the_range_recommends_one_step_up_and_is_remembered() -> None:
    s = Station(goal="strength_control")  # 3–5 sets of 6–10
    prof = s.enrol()
    assert prof.member is not None
    recs = run_session(s, prof.member.member_id, [{}, {}, {}], reps=10)
    assert [(r.leg, r.action, r.next_weight_kg, r.next_target_reps) for r in recs] == [
        (c.Leg.LEFT, c.Action.INCREASE, 6.25, 6), (c.Leg.RIGHT, c.Action.INCREASE, 6.25, 6)]
    nxt = s.send("member.lookup", c.MemberLookup(correlation_id="q3", method=c.IdMethod.BADGE, token="0001",
                                                 exercise=EX))[0].data  # type: ignore[attr-defined]
    assert [p.weight_kg for p in nxt.plan] == [6.25, 6.25]
    assert nxt.last_session is not None and "30/30 passed" in nxt.last_session.summary


def test_swinging_reps_hold_the_weight_with_the_reason() -> None:
    s = Station(goal="strength_control")
    prof = s.enrol()
    assert prof.member is not None
    recs = run_session(s, prof.member.member_id, [{0: (c.Fault.SWING,)}, {3: (c.Fault.SWING,)}, {5: (c.Fault.SWING,)}],
                       reps=10, weight=12.5)
    left = recs[0]
    assert left.action == c.Action.HOLD and left.next_weight_kg == 12.5
    assert left.reasons[0] == "3 reps swung the thigh: keep 12.5 kg"


def test_replay_command_prints_what_the_live_service_would_publish(tmp_path: Path) -> None:
    s = Station()
    s.send("session.started", c.SessionStarted(session_id="s1", member_id="guest-1", exercise=EX,
                                               goal="strength_control", leg_order=[c.Leg.LEFT]))
    s.send("set.started", c.SetStarted(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=8))
    s.cam(10.0)
    s.cam(16.0, (c.Fault.FAST_ECCENTRIC,), idx=2)
    s.send("set.ended", c.SetEnded(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=8))
    s.send("session.ended", c.SessionEnded(session_id="s1", member_id="guest-1"))
    log = tmp_path / "events.jsonl"
    lines = [e.to_json().decode() for e in s.log]
    log.write_text("\n".join([*lines, lines[2], "{broken"]) + "\n")  # a repeat and a bad line
    p = subprocess.run([sys.executable, "-m", "services.progression", "replay", str(log)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "line 8: skipped" in p.stderr
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o["type"] for o in out] == ["rep.verdict", "rep.verdict", "set.summary", "recommendation"]
    assert out[1]["data"]["faults"] == ["fast_eccentric"]
    assert out[3]["data"]["action"] == "hold"


def test_a_long_session_keeps_only_recent_sets_live_and_judges_them_all_at_the_end() -> None:
    from services.progression.engine import HOT_SETS

    s = Station()
    member = s.enrol()
    mid = member.member.member_id  # type: ignore[union-attr]
    s.send("session.started", c.SessionStarted(session_id="s1", member_id=mid, exercise=EX,
                                               goal="strength_control", leg_order=[c.Leg.LEFT]))
    t = 100.0
    for k in range(1, 7):
        s.send("set.started", c.SetStarted(session_id="s1", set_index=k, leg=c.Leg.LEFT, weight_kg=12.5,
                                           target_reps=8))
        for r in range(1, 9):
            t += 5
            s.cam(t, (c.Fault.SWING,) if (k, r) == (1, 3) else (), idx=r)  # the one bad rep: first set
        s.send("set.ended", c.SetEnded(session_id="s1", set_index=k, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=8))
        live = s.repo.station("st-01").session
        assert live is not None and len(live.sets) <= HOT_SETS  # the per-event state stays small
    out = s.send("session.ended", c.SessionEnded(session_id="s1", member_id=mid))
    rec = next(e.data for e in out if isinstance(e, c.RecommendationEvent))
    assert rec.action == c.Action.HOLD  # the swing in set 1, long archived, still holds the weight
    history = s.repo.histories[mid][-1]
    assert [x.set_index for x in history.sets] == [1, 2, 3, 4, 5, 6]
    assert sum(len(x.reps) for x in history.sets) == 48
    assert s.repo.archives == {}  # the archive is dropped once the session is filed


def test_a_station_clock_that_jumps_back_mid_session_keeps_reps_in_the_set_under_way() -> None:
    from datetime import UTC, datetime, timedelta

    s = Station()
    now = datetime.now(UTC)

    def at(event_type: str, data: c.Model, ts: datetime) -> list[c.Envelope]:
        return s.engine.handle(c.make_event(event_type, "main", "st-01", data, ts=ts), s.repo)

    at("session.started", c.SessionStarted(session_id="s1", member_id="guest-1", exercise=EX, goal="strength_control",
                                           leg_order=[c.Leg.LEFT]), now)
    set1 = c.SetStarted(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=3)
    at("set.started", set1, now + timedelta(seconds=1))
    rep = c.CameraRep(leg=c.Leg.LEFT, rep_index=1, start_t=10, end_t=13, concentric_s=1, eccentric_s=2)
    at("camera.rep", rep, now + timedelta(seconds=5))
    at("set.ended", c.SetEnded(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=3),
       now + timedelta(seconds=20))
    at("set.started", set1.model_copy(update={"set_index": 2}), now + timedelta(seconds=90))
    # The unit's clock steps back an hour mid-set: its reps are stamped before the session began.
    back = now - timedelta(hours=1)
    for k in range(3):
        out = at("camera.rep", rep.model_copy(update={"start_t": 100.0 + 5 * k, "end_t": 103.0 + 5 * k}),
                 back + timedelta(seconds=5 * k))
        v = verdicts(out)[0]
        assert (v.set_index, v.rep_index) == (2, k + 1)
    assert s.repo.unassigned == {}
    # A rep made in the rest between the sets (clock fine) is still not the next set's.
    at("set.ended", c.SetEnded(session_id="s1", set_index=2, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=3),
       back + timedelta(seconds=30))
    loose = verdicts(at("camera.rep", rep.model_copy(update={"start_t": 300.0, "end_t": 303.0}),
                        back + timedelta(seconds=40)))[0]
    assert loose.set_index is None
