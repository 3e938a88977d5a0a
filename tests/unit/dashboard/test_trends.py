"""A member's trends and estimated strength, and the charts' axis ticks (pure)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from services.dashboard.history import CSV_FIELDS, csv_rows, member_charts, nice_ticks, session_points
from services.dashboard.trends import EPLEY_MAX_REPS, epley_1rm, leg_trends, recurring_faults
from shared import contract as c
from shared.records import RepRecord, SessionRecord, SetRecord


def rep(i: int, leg: c.Leg, faults: list[c.Fault] = (), unchecked: bool = False,  # type: ignore[assignment]
        knee: float | None = None, load: float | None = None) -> RepRecord:
    v = c.RepVerdict(session_id="s", set_index=1, leg=leg, rep_index=i, start_t=4.0 * i, end_t=4.0 * i + 3,
                     passed=not faults and not unchecked, faults=list(faults), sensors=[c.Sensor.CAMERA],
                     verified=not unchecked)
    cam = None if knee is None else c.CameraRep(leg=leg, rep_index=i, start_t=4.0 * i, end_t=4.0 * i + 3,
                                                concentric_s=1.0, eccentric_s=2.5,
                                                metrics={"peak_knee_flexion_deg": knee})
    ld = None if load is None else c.LoadRep(rep_index=i, start_t=4.0 * i, end_t=4.0 * i + 3, concentric_s=1.0,
                                             eccentric_s=2.5, peak_force_n=150, load_kg=load)
    return RepRecord(rep_index=i, leg=leg, start_t=4.0 * i, end_t=4.0 * i + 3, verdict=v, camera=cam, load=ld)


def session(k: int, sets: list[SetRecord]) -> SessionRecord:
    when = datetime(2026, 11, 2, 18, tzinfo=UTC) + timedelta(days=3 * k)
    return SessionRecord(session_id=f"s{k}", member_id="m1", exercise="hamstring-curl-kickback",
                         goal="hypertrophy", leg_order=[c.Leg.LEFT, c.Leg.RIGHT], started=when, sets=sets)


def test_epley_counts_clean_reps_and_says_nothing_without_one() -> None:
    assert epley_1rm(15.0, 10) == pytest.approx(20.0)  # 15 · (1 + 10/30)
    assert epley_1rm(12.0, 6) == pytest.approx(14.4)
    assert epley_1rm(20.0, 1) == 20.0  # one rep is the maximum itself
    assert epley_1rm(15.0, 0) is None and epley_1rm(0.0, 8) is None
    assert epley_1rm(10.0, 15) == epley_1rm(10.0, EPLEY_MAX_REPS)  # beyond ~10 reps it says endurance


def test_leg_trends_count_faults_per_leg_and_estimate_from_the_best_sets_clean_reps() -> None:
    left = [rep(i, c.Leg.LEFT, [c.Fault.SWING] if i <= 2 else [], knee=100 + i, load=15.2) for i in range(1, 11)]
    left2 = [rep(i, c.Leg.LEFT, [c.Fault.SWING, c.Fault.SQUEEZE] if i == 1 else []) for i in range(1, 9)]
    right = [rep(i, c.Leg.RIGHT, unchecked=i == 3, knee=90) for i in range(1, 6)]
    s = session(0, [SetRecord(set_index=1, leg=c.Leg.LEFT, weight_kg=15, target_reps=10, reps=left),
                    SetRecord(set_index=2, leg=c.Leg.LEFT, weight_kg=17.5, target_reps=10, reps=left2),
                    SetRecord(set_index=1, leg=c.Leg.RIGHT, weight_kg=12.5, target_reps=10, reps=right)])
    t = leg_trends(s)
    lt, rt = t["left"], t["right"]
    assert lt.faults == {"swing": 3, "squeeze": 1} and rt.faults == {}
    assert (lt.reps, lt.passed, lt.failed) == (18, 15, 3) and lt.weight_kg == 17.5 and lt.sets == 2
    # set 1: 8 clean at 15 kg → 19.0; set 2: 7 clean at 17.5 kg → 21.58: the best set counts
    assert lt.strength_kg == pytest.approx(21.6)
    assert lt.rom_deg == pytest.approx(105.5) and lt.load_kg == pytest.approx(15.2)  # medians of the measured reps
    assert (rt.passed, rt.unverified) == (4, 1) and rt.pass_rate == pytest.approx(0.8)
    assert rt.strength_kg == pytest.approx(12.5 * (1 + 4 / 30), abs=0.05)  # a not-checked rep is not clean
    assert recurring_faults([t, t], least=2)[0] == ("swing", 6, 2)
    assert recurring_faults([t], least=2) == []


def test_the_csv_has_one_row_per_session_and_leg_with_every_fault_column() -> None:
    s0 = session(0, [SetRecord(set_index=1, leg=c.Leg.LEFT, weight_kg=15, target_reps=10,
                               reps=[rep(1, c.Leg.LEFT, [c.Fault.HIP_ROTATION]), rep(2, c.Leg.LEFT)])])
    s1 = session(1, [SetRecord(set_index=1, leg=c.Leg.RIGHT, weight_kg=10, target_reps=10,
                               reps=[rep(1, c.Leg.RIGHT)])])
    rows = csv_rows(session_points([s1, s0]))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
    w.writeheader()
    w.writerows(rows)
    back = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [(r["session_id"], r["leg"]) for r in back] == [("s0", "left"), ("s1", "right")]  # oldest first
    assert back[0]["reps_hip_rotation"] == "1" and back[0]["pass_rate_pct"] == "50"
    assert back[0]["estimated_1rm_kg_epley"] == "15" and back[1]["reps_swing"] == "0"
    assert all(f"reps_{f.value}" in back[0] for f in c.Fault)


@pytest.mark.parametrize(("lo", "hi", "want"), [
    (0, 17.5, [0, 5, 10, 15, 20]), (0, 100, [0, 20, 40, 60, 80, 100]), (0, 0.37, [0, 0.1, 0.2, 0.3, 0.4]),
    (96, 121, [95, 100, 105, 110, 115, 120, 125]), (3, 3, [2, 2.5, 3, 3.5, 4])])
def test_axis_ticks_are_round_numbers_covering_the_data(lo: float, hi: float, want: list[float]) -> None:
    assert nice_ticks(lo, hi) == pytest.approx(want)


def test_member_charts_label_round_ticks_and_plot_strength_and_range_per_leg() -> None:
    sets = [SetRecord(set_index=1, leg=leg, weight_kg=w, target_reps=10,
                      reps=[rep(i, leg, knee=100.0) for i in range(1, 11)])
            for leg, w in ((c.Leg.LEFT, 13.75), (c.Leg.RIGHT, 16.25))]
    charts = member_charts(session_points([session(0, sets), session(1, sets)]))
    assert [label for _, label in charts["weight"].y_ticks] == ["0 kg", "5 kg", "10 kg", "15 kg", "20 kg"]
    assert set(charts["strength"].series) == {"left", "right"} and not charts["strength"].empty
    assert set(charts["rom"].series) == {"left", "right"}
    assert charts["faults"].empty  # no fault in any session: the chart says so rather than a flat line
