"""Weekly reports (pure): a member's week against the week before, and the site's station usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dashboard.history import session_points
from services.dashboard.reports import SessionUse, member_week, station_usage, week_name, week_start
from shared import contract as c
from shared.records import RepRecord, SessionRecord, SetRecord

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # ISO week 2026-W48


def rec(k: str, when: datetime, weight: float, swing_reps: int) -> SessionRecord:
    reps = [RepRecord(rep_index=i, leg=c.Leg.LEFT, start_t=4.0 * i, end_t=4.0 * i + 3, verdict=c.RepVerdict(
        session_id=k, set_index=1, leg=c.Leg.LEFT, rep_index=i, start_t=4.0 * i, end_t=4.0 * i + 3,
        passed=i > swing_reps, faults=[c.Fault.SWING] if i <= swing_reps else [], sensors=[c.Sensor.CAMERA]))
        for i in range(1, 11)]
    return SessionRecord(session_id=k, member_id="m1", exercise="hamstring-curl-kickback", goal="hypertrophy",
                         leg_order=[c.Leg.LEFT], started=when,
                         sets=[SetRecord(set_index=1, leg=c.Leg.LEFT, weight_kg=weight, target_reps=10, reps=reps)])


def test_week_names_are_iso_weeks_from_monday() -> None:
    assert week_name(MONDAY.date()) == "2026-W48" and week_name((MONDAY + timedelta(days=6)).date()) == "2026-W48"
    assert week_start("2026-W48") == MONDAY and week_name(datetime(2027, 1, 1).date()) == "2026-W53"
    with pytest.raises(ValueError):
        week_start("2026-48")


def test_a_members_week_counts_its_own_sessions_and_names_the_fault_that_came_back() -> None:
    points = session_points([rec("a", MONDAY - timedelta(days=3), 12.5, 0),  # the week before
                             rec("b", MONDAY + timedelta(days=1, hours=18), 15.0, 2),
                             rec("c", MONDAY + timedelta(days=4, hours=18), 15.0, 1),
                             rec("d", MONDAY + timedelta(days=7), 17.5, 5)])  # the week after
    w = member_week(points, "2026-W48", flags=["Leg gap 20%"])
    assert [p.session_id for p in w.sessions] == ["b", "c"] and w.reps == 20
    assert w.pass_rate == pytest.approx(17 / 20)
    assert w.legs["left"].weights == [15.0, 15.0] and w.before["left"].weights == [12.5]
    assert w.legs["left"].strength_kg == pytest.approx(15 * (1 + 9 / 30), abs=0.05)  # the best set: 9 clean
    assert w.faults == [("swing", 3, 2)]
    assert w.work_on[0].startswith("Keep the thigh still") and w.work_on[-1] == "Leg gap 20%"
    assert member_week(points, "2026-W40").sessions == []


def test_station_usage_lists_idle_stations_and_counts_by_the_day_a_session_started() -> None:
    uses = [SessionUse("st-02", "s1", MONDAY + timedelta(hours=9), MONDAY + timedelta(hours=9, minutes=15), 60),
            SessionUse("st-02", "s2", MONDAY + timedelta(days=2, hours=23, minutes=55),
                       MONDAY + timedelta(days=3, minutes=10), 40),
            SessionUse("st-01", "s3", MONDAY - timedelta(hours=1), MONDAY + timedelta(minutes=5), 10)]
    rows = station_usage(uses, "2026-W48", ["st-01", "st-02", "st-03"])
    by = {r.station_id: r for r in rows}
    assert [r.station_id for r in rows] == ["st-01", "st-02", "st-03"]
    assert by["st-02"].sessions_per_day == [1, 0, 1, 0, 0, 0, 0] and by["st-02"].minutes == pytest.approx(30)
    assert by["st-02"].reps == 100
    assert by["st-01"].sessions == 0 and by["st-03"].sessions == 0  # the week before does not count
