"""The pure floor reducer, driven by contract events only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from services.dashboard.api.routes.members import goal_label, goal_names
from services.dashboard.app import sets_for
from services.dashboard.config import DashboardSettings
from services.dashboard.floor import STRUGGLE_FAILED_REPS, FloorState
from services.dashboard.history import member_charts, rom_words, session_points
from shared import contract as c
from shared.catalogue import BUILTIN_DIR, DEFAULT_EXERCISE, default_catalogue
from shared.records import RepRecord, SessionRecord, SetRecord, StationRecord


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
        DashboardSettings(_env_file=None, environment="production", mqtt_username="u",
                          mqtt_password="p" * 12)
    with pytest.raises(ValidationError, match="GYM_DASHBOARD_SECRET_KEY"):
        DashboardSettings(_env_file=None, environment="development", dashboard_secret_key="short")
    ok = DashboardSettings(_env_file=None, environment="development", dashboard_secret_key="k" * 40)
    assert ok.station_id == "site"
    assert DashboardSettings(_env_file=None, environment="demo").dashboard_secret_key


# ------------------------------------------------------------ unverified reps, planned sets, range of motion

HIPS_HIDDEN = c.RepCheck(check=c.Check.HIP_ROTATION, outcome=c.Outcome.NOT_CHECKED, blocking=True,
                         sensor=c.Sensor.CAMERA, why="hips not in view")


def unverified_verdict(rep: int, set_index: int = 1) -> c.RepVerdict:
    """No fault found, but the camera could not see the hips: the rep is neither passed nor failed."""
    return c.RepVerdict(
        session_id="s1", set_index=set_index, leg=c.Leg.LEFT, rep_index=rep, start_t=10.0 * rep,
        end_t=10.0 * rep + 3, passed=False, faults=[], sensors=[c.Sensor.CAMERA, c.Sensor.LOAD], verified=False,
        checks=[HIPS_HIDDEN, c.RepCheck(check=c.Check.SWING, outcome=c.Outcome.PASSED, blocking=True,
                                        sensor=c.Sensor.CAMERA, value=4.0, limit=15.0)],
        reasons=["hips square not checked: hips not in view"])


def unverified(rep: int, set_index: int = 1) -> c.Envelope:
    return ev("rep.verdict", unverified_verdict(rep, set_index))


def test_an_unverified_rep_counts_neither_as_passed_nor_failed() -> None:
    floor = FloorState()
    started_set(floor)
    floor.apply(verdict(1, True))
    floor.apply(verdict(2, False))
    for i in (3, 4, 5):
        floor.apply(unverified(i))
    t = floor.tiles["st-01"]
    j = t.to_json()
    assert (j["reps"], j["passed_reps"], j["failed_reps"], j["unverified_reps"]) == (5, 1, 1, 3)
    assert not t.attention and t.alerts == []  # three reps the camera could not judge are not a struggling member
    assert j["last_verdict"]["status"] == "unverified" and j["last_verdict"]["verified"] is False
    assert j["last_verdict"]["unchecked"] == [{"check": "hip_rotation", "words": "hips square",
                                               "why": "hips not in view", "sensor": "camera"}]


def test_a_rep_row_says_which_blocking_check_was_not_made_and_why() -> None:
    floor = FloorState()
    started_set(floor)
    ch = floor.apply(unverified(1))
    assert ch is not None and ch.rep is not None
    row = ch.rep
    assert (row["status"], row["verified"], row["passed"], row["faults"]) == ("unverified", False, False, [])
    assert [(k["check"], k["why"]) for k in row["unchecked"]] == [("hip_rotation", "hips not in view")]
    assert {k["check"]: k["outcome"] for k in row["checks"]} == {"hip_rotation": "not_checked", "swing": "passed"}
    # a later verdict that made the check replaces it, as any revision does
    floor.apply(verdict(1, True, revision=1))
    assert floor.rows("st-01")[0]["status"] == "passed" and floor.tiles["st-01"].unverified_reps == 0


def test_a_set_summary_keeps_unverified_reps_apart() -> None:
    floor = FloorState()
    started_set(floor)
    floor.apply(unverified(2))
    floor.apply(ev("set.summary", c.SetSummary(session_id="s1", set_index=1, leg=c.Leg.LEFT, weight_kg=15,
                                               target_reps=10, reps=5, passed_reps=2, unverified_reps=2,
                                               faults_per_rep=[[], [], [c.Fault.SWING], [], []])))
    t = floor.tiles["st-01"]
    assert (t.reps, t.passed_reps, t.failed_reps, t.unverified_reps) == (5, 2, 1, 2)
    assert t.set_verdicts[2] == "unverified"  # the one whose own verdict said so, then one we never saw


def test_sets_planned_come_from_the_members_choice_else_the_goals_least() -> None:
    floor = FloorState(sets_for=lambda ex, goal: 3)
    floor.apply(ev("session.started", c.SessionStarted(session_id="s1", member_id="m1", exercise="ex",
                                                       goal="hypertrophy", leg_order=[c.Leg.LEFT], planned_sets=4)))
    assert floor.tiles["st-01"].to_json()["sets_planned"] == 4
    floor.apply(ev("session.started", c.SessionStarted(session_id="s2", member_id="m2", exercise="ex",
                                                       goal="hypertrophy", leg_order=[c.Leg.LEFT])))
    assert floor.tiles["st-01"].sets_planned == 3


def test_the_dashboard_plans_the_goals_least_sets_as_the_kiosk_does() -> None:
    ex = default_catalogue()[DEFAULT_EXERCISE]
    goal = ex.goal("hypertrophy")
    assert goal.sets.min < goal.sets.max  # else this test proves nothing
    assert sets_for(DEFAULT_EXERCISE, "hypertrophy") == goal.sets.min
    assert sets_for(DEFAULT_EXERCISE, "no-such-goal") is None and sets_for("no-such-exercise", "x") is None


def test_seeded_tile_takes_the_recorded_planned_sets_and_statuses() -> None:
    rec = SessionRecord(session_id="s1", member_id="m1", exercise=DEFAULT_EXERCISE, goal="hypertrophy",
                        leg_order=[c.Leg.LEFT], started=datetime(2026, 3, 1, tzinfo=UTC), sets=[
                            SetRecord(set_index=1, leg=c.Leg.LEFT, weight_kg=15, target_reps=10, reps=[
                                RepRecord(rep_index=1, leg=c.Leg.LEFT, start_t=10, end_t=13,
                                          verdict=unverified_verdict(1))])])
    floor = FloorState(sets_for=sets_for)
    floor.seed("st-01", StationRecord(session=rec, current_set=0))
    t = floor.tiles["st-01"]
    assert t.sets_planned == 3 and t.unverified_reps == 1 and t.failed_reps == 0
    assert floor.rows("st-01")[0]["unchecked"][0]["why"] == "hips not in view"
    if "planned_sets" not in SessionRecord.model_fields:
        pytest.skip("SessionRecord has no planned_sets yet (the progression change)")
    floor = FloorState(sets_for=sets_for)
    floor.seed("st-01", StationRecord(session=rec.model_copy(update={"planned_sets": 4}), current_set=0))
    assert floor.tiles["st-01"].sets_planned == 4


def test_history_counts_unverified_reps_apart_and_charts_them() -> None:
    s = _session(1, 10, 15, [True, True])
    s.sets[0].reps[1].verdict = unverified_verdict(2)
    s.sets[1].reps[1].verdict = c.RepVerdict(leg=c.Leg.RIGHT, rep_index=2, start_t=1, end_t=2, passed=False,
                                             faults=[c.Fault.SWING], sensors=[c.Sensor.CAMERA])
    (p,) = session_points([s])
    j = p.to_json()
    assert (j["reps"], j["passed_reps"], j["failed_reps"], j["unverified_reps"]) == (4, 2, 1, 1)
    assert p.quality == 0.5 and p.unverified_share == 0.25
    charts = member_charts([p])
    assert set(charts["quality"].series) == {"passed", "not checked"}
    assert set(member_charts(session_points([_session(2, 10, 15, [True])]))["quality"].series) == {"passed"}


def test_range_of_motion_in_words() -> None:
    assert rom_words({c.Leg.LEFT: 104.4, c.Leg.RIGHT: 97.6}) == "left 104°, right 98°"
    assert rom_words({c.Leg.RIGHT: 98.0}) == "left not recorded yet, right 98°"
    assert rom_words({}) == ""


def test_an_exercise_added_as_data_plans_its_sets_and_names_its_goals(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load((BUILTIN_DIR / f"{DEFAULT_EXERCISE}.yaml").read_text(encoding="utf-8"))
    data.update(id="cable-glute-kickback", name="Cable Glute Kickback")
    data["goals"] = [{"id": "glute_power", "name": "Glute power", "sets": {"min": 4, "max": 6},
                      "reps": {"min": 5, "max": 8}, "load": "heavy"}]
    (tmp_path / "cable-glute-kickback.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv("GYM_CATALOGUE_DIR", str(tmp_path))
    assert sets_for("cable-glute-kickback", "glute_power") == 4
    assert goal_names()["glute_power"] == "Glute power" and goal_names()["hypertrophy"] == "Hypertrophy"
    assert goal_label("cable-glute-kickback", "glute_power") == "Cable Glute Kickback · Glute power"
    assert goal_label(DEFAULT_EXERCISE, "hypertrophy") == "Hypertrophy"
