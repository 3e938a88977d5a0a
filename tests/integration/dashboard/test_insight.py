"""What the station decided, one-tap cues, a member's CSV and weekly report, the site's usage — through the app
against the real broker and Redis."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.dashboard.reports import week_name
from shared import contract as c
from shared.catalogue import DEFAULT_EXERCISE
from shared.records import MemberRecord, RepRecord, SessionRecord, SetRecord
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.store import Keys, RedisRepo, RedisStore, connect
from tests.conftest import wait_for
from tests.dashboard import csrf_of, kiosk_cues
from tests.wire import station_bus

pytestmark = pytest.mark.integration
GAP = "Leg gap 20%: right 15 kg, left 12.5 kg"


def test_a_session_end_shows_its_recommendations_and_flag_and_the_usage_log_counts_it(
        client: TestClient, sign_in: Callable[[str], str], mosquitto: PrivateMosquitto) -> None:
    sign_in("olga")
    kiosk = station_bus(mosquitto.port, service="kiosk")
    progression = station_bus(mosquitto.port, service="progression")
    try:
        kiosk.emit("session.started", c.SessionStarted(session_id="s1", member_id="m1", member_name="Ann",
                                                       exercise=DEFAULT_EXERCISE, goal="tempo_focus",
                                                       leg_order=[c.Leg.LEFT, c.Leg.RIGHT]))
        tile = wait_for(lambda: client.get("/api/v1/stations/st-01").json()["station"] if
                        client.get("/api/v1/stations/st-01").status_code == 200 else None, what="the session")
        assert tile["goal_view"]["tempo"] == "2 s up · 3 s down" and tile["goal_view"]["name"] == "Tempo focus"
        kiosk.emit("session.ended", c.SessionEnded(session_id="s1", member_id="m1"))
        for leg, action in ((c.Leg.LEFT, c.Action.INCREASE), (c.Leg.RIGHT, c.Action.HOLD)):
            progression.emit("recommendation", c.Recommendation(
                session_id="s1", member_id="m1", exercise=DEFAULT_EXERCISE, leg=leg, goal="tempo_focus",
                current_weight_kg=12.5, next_weight_kg=13.75 if action is c.Action.INCREASE else 12.5,
                next_target_reps=8, action=action, reasons=[f"why {leg.value}"], flags=[GAP]))

        def decided() -> dict[str, Any] | None:
            t = client.get("/api/v1/stations/st-01").json()["station"]
            return t if t["decided"] and len(t["decided"]["legs"]) == 2 else None

        t = wait_for(decided, what="both legs' recommendations on the station")
        assert t["attention"] and f"Ann: {GAP}" in t["alerts"] and t["decided"]["flags"] == [GAP]
        assert [leg["action"] for leg in t["decided"]["legs"]] == ["increase", "hold"]
        # the usage log: the session, its station, no member
        week = week_name(datetime.now(UTC).date())

        def used() -> list[dict[str, Any]] | None:
            rows = client.get(f"/api/v1/usage?week={week}").json()["stations"]
            return rows if rows and rows[0]["sessions"] else None

        usage = wait_for(used, what="the session in the usage log")
        assert [(u["station_id"], u["sessions"]) for u in usage] == [("st-01", 1)] and "m1" not in str(usage)
    finally:
        kiosk.stop()
        progression.stop()


def test_a_one_tap_cue_reaches_the_kiosk_with_the_seeds_words_and_its_lifetime(
        client: TestClient, sign_in: Callable[[str], str], mosquitto: PrivateMosquitto) -> None:
    sign_in("tina")
    kiosk = kiosk_cues(mosquitto.port)  # subscribed (its SUBACK seen) before it returns
    try:
        cues = client.get("/api/v1/stations/st-01/cues").json()
        swing = next(q for q in cues if q["label"] == "Do not swing")
        page = client.get("/stations/st-01", headers={"accept": "text/html"}).text
        assert f'value="{swing["id"]}"' in page and 'name="ttl_s"' in page
        r = client.post("/stations/st-01/cue", data={"cue": swing["id"], "message": "", "ttl_s": "30",
                                                     "csrf_token": csrf_of(page)}, follow_redirects=False)
        assert r.status_code == 303
        wait_for(lambda: kiosk.payloads, what="the one-tap cue on the kiosk topic")
        ev = c.parse_event(kiosk.payloads[0])
        assert isinstance(ev, c.KioskCueEvent) and ev.data.message == swing["message"] and ev.data.ttl_s == 30.0
        assert ev.data.trainer == "tina"
        bad = client.post("/stations/st-01/cue", data={"cue": "tip-99", "csrf_token": csrf_of(page)})
        assert bad.status_code == 422 and len(kiosk.payloads) == 1
    finally:
        kiosk.close()


def test_a_members_csv_and_weekly_report(
        client: TestClient, sign_in: Callable[[str], str], redis_server: PrivateRedis) -> None:
    store = RedisStore(connect(redis_server.url), "main")
    store.save_member(MemberRecord(info=c.MemberInfo(member_id="m-9", name="Kim"), created=datetime.now(UTC)))
    repo = RedisRepo(store.r, Keys("main"))
    when = datetime.now(UTC) - timedelta(hours=2)
    reps = [RepRecord(rep_index=i, leg=c.Leg.LEFT, start_t=4.0 * i, end_t=4.0 * i + 3, verdict=c.RepVerdict(
        session_id="k1", set_index=1, leg=c.Leg.LEFT, rep_index=i, start_t=4.0 * i, end_t=4.0 * i + 3,
        passed=i > 2, faults=[c.Fault.HIP_ROTATION] if i <= 2 else [], sensors=[c.Sensor.CAMERA]))
        for i in range(1, 11)]
    repo.add_session(SessionRecord(session_id="k1", member_id="m-9", exercise=DEFAULT_EXERCISE, goal="hypertrophy",
                                   leg_order=[c.Leg.LEFT], started=when, ended=when, end_reason="completed",
                                   sets=[SetRecord(set_index=1, leg=c.Leg.LEFT, weight_kg=15, target_reps=10,
                                                   reps=reps)]))
    with store.r.pipeline(transaction=True) as p:
        repo.flush(p)
        p.execute()
    sign_in("tina")
    r = client.get("/members/m-9/sessions.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1 and rows[0]["reps_hip_rotation"] == "2" and rows[0]["estimated_1rm_kg_epley"] == "19"
    page = client.get("/members/m-9/report", headers={"accept": "text/html"})
    assert page.status_code == 200 and "weekly report" in page.text
    assert "opened the hips" in page.text and "Keep both hip bones facing the floor" in page.text
    assert client.get("/members/m-9/report?week=2026-W60").status_code == 422
    assert client.get("/usage", headers={"accept": "text/html"}).status_code == 403  # operators only


def test_a_trainer_marks_a_verdict_wrong_and_the_label_is_kept_for_the_corpus(
        client: TestClient, sign_in: Callable[[str], str], mosquitto: PrivateMosquitto) -> None:
    csrf = sign_in("tina")
    progression = station_bus(mosquitto.port, service="progression")
    try:
        progression.emit("rep.verdict", c.RepVerdict(
            session_id="s7", set_index=2, leg=c.Leg.LEFT, rep_index=3, start_t=40.0, end_t=44.5, passed=False,
            faults=[c.Fault.SWING], sensors=[c.Sensor.CAMERA]))
        wait_for(lambda: client.get("/api/v1/stations/st-01").status_code == 200 and
                 client.get("/api/v1/stations/st-01").json()["reps"], what="the rep on the station")
        h = {"x-csrf-token": csrf}
        rep = {"session_id": "s7", "set_index": 2, "leg": "left", "rep_index": 3}
        same = client.post("/api/v1/stations/st-01/reviews", json={**rep, "true_faults": ["swing"]}, headers=h)
        assert same.status_code == 422  # agreeing with the station is not a correction
        gone = client.post("/api/v1/stations/st-01/reviews", json={**rep, "rep_index": 9, "true_faults": []},
                           headers=h)
        assert gone.status_code == 404
        r = client.post("/api/v1/stations/st-01/reviews", headers=h,
                        json={**rep, "true_faults": ["hip_rotation"], "note": "the hips opened, the thigh was still"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["missed"] == ["hip_rotation"] and body["wrongly_found"] == ["swing"]
        assert body["start_t"] == 40.0 and body["end_t"] == 44.5 and body["trainer"] == "tina"
        assert body["set_saved"] is False and body["review_id"]  # the stations are asked to save it (below)
        listed = client.get("/api/v1/reviews?station_id=st-01").json()
        assert len(listed) == 1 and listed[0]["true_faults"] == ["hip_rotation"]
        assert listed[0]["verdict_faults"] == ["swing"] and listed[0]["verdict_status"] == "failed"
    finally:
        progression.stop()
