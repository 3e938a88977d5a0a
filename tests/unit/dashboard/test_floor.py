"""The pure floor reducer, driven by contract events only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.dashboard.config import DashboardSettings
from services.dashboard.floor import STRUGGLE_FAILED_REPS, FloorState
from services.dashboard.history import member_charts, session_points
from shared import contract as c
from shared.records import RepRecord, SessionRecord, SetRecord


def ev(etype: str, data: c.Model, station: str = "st-01") -> c.Envelope:
    return c.make_event(etype, "main", station, data)


def status(service: str, state: c.ServiceState, station: str = "st-01") -> c.Envelope:
    return ev("station.status", c.StationStatus(service=service, state=state, detail="x"), station)


def verdict(rep: int, passed: bool, set_index: int = 1, revision: int = 0) -> c.Envelope:
    return ev("rep.verdict", c.RepVerdict(
        session_id="s1", set_index=set_index, leg=c.Leg.LEFT, rep_index=rep, start_t=10.0 * rep, end_t=10.0 * rep + 3,
        passed=passed, faults=[] if passed else [c.Fault.SWING], sensors=[c.Sensor.CAMERA], revision=revision))


def started_set(floor: FloorState, set_index: int = 1) -> None:
    floor.apply(ev("session.started", c.SessionStarted(session_id="s1", member_id="m1", member_name="Ann",
                                                       exercise="ex", goal="hypertrophy", leg_order=[c.Leg.LEFT])))
    floor.apply(ev("set.started", c.SetStarted(session_id="s1", set_index=set_index, leg=c.Leg.LEFT, weight_kg=15,
                                               target_reps=10)))


def test_station_state_follows_the_retained_statuses() -> None:
    floor = FloorState()
    floor.apply(status("camera", c.ServiceState.ONLINE))
    floor.apply(status("kiosk", c.ServiceState.ONLINE))
    assert floor.tiles["st-01"].state == "online" and not floor.tiles["st-01"].attention
    floor.apply(status("camera", c.ServiceState.DEGRADED))
    assert floor.tiles["st-01"].state == "degraded" and floor.tiles["st-01"].alerts == ["degraded — camera: x"]
    floor.apply(status("camera", c.ServiceState.OFFLINE))
    floor.apply(status("kiosk", c.ServiceState.STOPPED))
    t = floor.tiles["st-01"]
    assert t.state == "offline" and t.attention and "station offline" in t.alerts


def test_site_services_do_not_make_a_tile() -> None:
    floor = FloorState()
    assert floor.apply(status("progression", c.ServiceState.ONLINE, station="site")) is None
    assert floor.tiles == {} and floor.site_services["progression"].state == "online"


def test_set_k_of_n_weight_member_and_reps() -> None:
    floor = FloorState(sets_for=lambda ex, goal: 4 if goal == "hypertrophy" else None)
    started_set(floor, 2)
    floor.apply(verdict(1, True, 2))
    j = floor.tiles["st-01"].to_json()
    assert (j["member_name"], j["set_index"], j["sets_planned"], j["weight_kg"]) == ("Ann", 2, 4, 15)
    assert (j["reps"], j["passed_reps"], j["last_verdict"]["passed"]) == (1, 1, True)


def test_a_member_failing_several_reps_stands_out_and_a_new_set_clears_it() -> None:
    floor = FloorState()
    started_set(floor)
    for i in range(1, STRUGGLE_FAILED_REPS):
        floor.apply(verdict(i, False))
    assert not floor.tiles["st-01"].attention
    floor.apply(verdict(STRUGGLE_FAILED_REPS, False))
    t = floor.tiles["st-01"]
    assert t.attention and t.last_verdict is not None and t.last_verdict["words"] == ["swung the thigh"]
    started_set(floor, 2)
    assert not floor.tiles["st-01"].attention and floor.tiles["st-01"].reps == 0


def test_a_revised_verdict_replaces_the_first_one() -> None:
    floor = FloorState()
    started_set(floor)
    floor.apply(verdict(1, False))
    ch = floor.apply(verdict(1, True, revision=1))
    assert ch is not None and ch.rep is not None and ch.rep["revision"] == 1
    assert floor.tiles["st-01"].failed_reps == 0 and len(floor.rows("st-01")) == 1


def test_a_verdict_row_carries_the_sensors_metrics() -> None:
    floor = FloorState()
    floor.apply(ev("camera.rep", c.CameraRep(leg=c.Leg.LEFT, rep_index=7, start_t=10.2, end_t=13, concentric_s=1.1,
                                             eccentric_s=2.9, metrics={"peak_knee_flexion_deg": 121.37})))
    floor.apply(ev("load.rep", c.LoadRep(rep_index=7, start_t=30.0, end_t=33, concentric_s=1, eccentric_s=2,
                                         peak_force_n=150, load_kg=15)))  # another rep: not matched
    ch = floor.apply(verdict(1, True))
    assert ch is not None and ch.rep is not None
    assert ch.rep["metrics"] == {"concentric_s": 1.1, "eccentric_s": 2.9, "top_hold_s": 0.0,
                                 "peak_knee_flexion_deg": 121.37}


def test_trace_pose_and_session_end() -> None:
    floor = FloorState()
    started_set(floor)
    floor.apply(ev("load.trace", c.LoadTrace(t0=1, hz=80, force_n=[10, 20, 33.33])))
    floor.apply(ev("camera.pose", c.CameraPose(t=1, leg=c.Leg.LEFT, cues=["Hips square"])))
    t = floor.tiles["st-01"]
    assert t.force_n == 33.3 and t.cues == ["Hips square"]
    floor.apply(ev("session.ended", c.SessionEnded(session_id="other", member_id="m9")))
    assert t.member_id == "m1"  # a late end of another session changes nothing
    floor.apply(ev("session.ended", c.SessionEnded(session_id="s1", member_id="m1")))
    assert t.member_id is None and t.set_index is None and t.cues == []


def test_set_summary_is_authoritative() -> None:
    floor = FloorState()
    started_set(floor)
    floor.apply(ev("set.summary", c.SetSummary(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=15,
                                               target_reps=10, reps=4, passed_reps=1,
                                               faults_per_rep=[[], [c.Fault.SWING], [c.Fault.TEMPO], [c.Fault.JERK]])))
    assert floor.tiles["st-01"].reps == 4 and floor.tiles["st-01"].failed_reps == 3


def _session(day: int, left: float, right: float, passed: list[bool]) -> SessionRecord:
    def reps(leg: c.Leg) -> list[RepRecord]:
        return [RepRecord(rep_index=i + 1, leg=leg, start_t=i, end_t=i + 1, verdict=c.RepVerdict(
            leg=leg, rep_index=i + 1, start_t=i, end_t=i + 1, passed=p, sensors=[c.Sensor.LOAD]))
            for i, p in enumerate(passed)]
    return SessionRecord(session_id=f"s{day}", member_id="m1", exercise="ex", goal="hypertrophy",
                         leg_order=[c.Leg.LEFT, c.Leg.RIGHT], started=datetime(2026, 3, day, tzinfo=UTC), sets=[
                             SetRecord(set_index=1, leg=c.Leg.LEFT, weight_kg=left, target_reps=10,
                                       reps=reps(c.Leg.LEFT)),
                             SetRecord(set_index=1, leg=c.Leg.RIGHT, weight_kg=right, target_reps=10,
                                       reps=reps(c.Leg.RIGHT))])


def test_history_points_gap_and_quality() -> None:
    pts = session_points([_session(5, 12.5, 15, [True, False]), _session(1, 10, 15, [True, True])])
    assert [p.session_id for p in pts] == ["s1", "s5"]
    assert pts[0].gap_kg == 5 and pts[0].gap_flag  # 5 kg of 15 is a third: worth a look
    assert pts[1].quality == 0.5 and pts[1].weight == {"left": 12.5, "right": 15}
    charts = member_charts(pts)
    assert not charts["weight"].empty and set(charts["weight"].series) == {"left", "right"}
    ys = [float(p.split(",")[1]) for p in charts["quality"].series["passed"].split()]
    assert ys[0] < ys[1]  # 100 % is drawn higher (smaller y) than 50 %
    assert member_charts([])["weight"].empty


def test_settings_refuse_the_default_secret_outside_demo_and_test() -> None:
    with pytest.raises(ValidationError, match="GYM_DASHBOARD_SECRET_KEY"):
        DashboardSettings(_env_file=None, environment="production", mqtt_username="u",  # type: ignore[call-arg]
                          mqtt_password="p" * 12)
    with pytest.raises(ValidationError, match="GYM_DASHBOARD_SECRET_KEY"):
        DashboardSettings(_env_file=None, environment="development", dashboard_secret_key="short")  # type: ignore[call-arg]
    ok = DashboardSettings(_env_file=None, environment="development", dashboard_secret_key="k" * 40)  # type: ignore[call-arg]
    assert ok.station_id == "site"
    assert DashboardSettings(_env_file=None, environment="demo").dashboard_secret_key  # type: ignore[call-arg]
