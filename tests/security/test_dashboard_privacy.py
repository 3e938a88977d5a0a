"""Finding 13: an operator exports one member's data as JSON and erases a member completely — from the
dashboard (operators only, CSRF, a confirm step) and from `gymctl member export|erase`; finished sessions
older than the retention are deleted (`gymctl retention`, and the dashboard daily)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from shared import contract as c
from shared.records import RepRecord, SessionRecord, SetRecord, StationRecord
from shared.store import Keys, RedisRepo, connect
from tests.conftest import wait_for
from tests.dashboard import csrf_of
from tests.security.dashboard_prod import ProdDashboard

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXERCISE = "hamstring-curl-kickback"
NOW = datetime.now(UTC)


def enrol(prod: ProdDashboard, name: str, badge: str) -> str:
    with prod.client() as tina:
        tok = prod.sign_in(tina, "tina")
        r = tina.post("/api/v1/members", json={"name": name, "badge": badge},
                      headers={"x-csrf-token": tok, "accept": "application/json"})
        assert r.status_code == 201, r.text
        return str(r.json()["member_id"])


def verdict(session_id: str, rep: int, ts: datetime) -> c.Envelope:
    v = c.RepVerdict(session_id=session_id, set_index=1, leg=c.Leg.LEFT, rep_index=rep, start_t=4.0 * rep,
                     end_t=4.0 * rep + 3, passed=True, sensors=[c.Sensor.CAMERA])
    return c.make_event("rep.verdict", "main", "st-01", v, ts=ts)


def session(mid: str, name: str, sid: str, started: datetime) -> SessionRecord:
    reps = [RepRecord(rep_index=1, leg=c.Leg.LEFT, start_t=4.0, end_t=7.0,
                      verdict=verdict(sid, 1, started).data)]  # type: ignore[attr-defined]
    return SessionRecord(session_id=sid, member_id=mid, member_name=name, exercise=EXERCISE, goal="hypertrophy",
                         leg_order=[c.Leg.LEFT], started=started, ended=started + timedelta(minutes=20),
                         sets=[SetRecord(set_index=1, leg=c.Leg.LEFT, weight_kg=15, target_reps=10, reps=reps)])


def train(r: redis.Redis[str], mid: str, name: str, started: list[datetime], live: bool = False) -> list[str]:
    """What the progression service keeps of a member who trained: history, progress, the station's feed
    with their verdicts, a processed mark holding their session.started, and (live) a session under way."""
    k = Keys("main")
    repo = RedisRepo(r, k)
    sids = [f"{mid}-s{i}" for i in range(len(started))]
    for sid, t in zip(sids, started, strict=True):
        repo.add_session(session(mid, name, sid, t))
        repo.add_verdict("st-01", verdict(sid, 1, t), assigned=True)
        start_ev = c.make_event("session.started", "main", "st-01", c.SessionStarted(
            session_id=sid, member_id=mid, member_name=name, exercise=EXERCISE, goal="hypertrophy",
            leg_order=[c.Leg.LEFT]), ts=t)
        r.set(k.processed(start_ev.event_id), "[" + start_ev.to_json().decode() + "]", ex=3600)
    with r.pipeline(transaction=True) as p:
        repo.flush(p)
        p.execute()
    r.set(f"gym:main:progress:{mid}:{EXERCISE}:left", json.dumps(
        {"weight_kg": 17.5, "target_reps": 10, "goal": "hypertrophy", "last_action": "increase"}))
    if live:
        now_sid = f"{mid}-live"
        r.set(k.station_state("st-02"), StationRecord(session=SessionRecord(
            session_id=now_sid, member_id=mid, member_name=name, exercise=EXERCISE, goal="hypertrophy",
            leg_order=[c.Leg.LEFT], started=NOW)).model_dump_json())
        sids.append(now_sid)
    return sids


def everything(r: redis.Redis[str]) -> dict[str, str]:
    """Every key of the site with its whole value as text."""
    out: dict[str, str] = {}
    read: dict[str, Callable[[str], Any]] = {
        "string": r.get, "list": lambda k: r.lrange(k, 0, -1), "set": lambda k: sorted(r.smembers(k)),
        "hash": r.hgetall, "zset": lambda k: r.zrange(k, 0, -1), "stream": r.xrange}
    for key in r.scan_iter("gym:*"):
        out[key] = json.dumps(read[r.type(key)](key), default=str)  # type: ignore[no-untyped-call]  # untyped in types-redis
    return out


def test_an_operator_exports_a_members_data_and_a_trainer_cannot(prod: ProdDashboard) -> None:
    r = connect(prod.redis_url)
    mid = enrol(prod, "Ann Lee", "B-100")
    sids = train(r, mid, "Ann Lee", [NOW - timedelta(days=9), NOW - timedelta(days=2)], live=True)
    with prod.client() as tina:
        prod.sign_in(tina, "tina")
        assert tina.get(f"/api/v1/members/{mid}/export").status_code == 403
    with prod.client() as olga:
        prod.sign_in(olga, "olga")
        page = olga.get(f"/members/{mid}")
        assert f"/api/v1/members/{mid}/export" in page.text and f"/members/{mid}/erase" in page.text
        exp = olga.get(f"/api/v1/members/{mid}/export")
        assert exp.status_code == 200 and "attachment" in exp.headers["content-disposition"]
        data = exp.json()
    assert (data["member"]["info"]["member_id"], data["member"]["info"]["name"]) == (mid, "Ann Lee")
    assert [s["session_id"] for s in data["sessions"]] == sids[:2]
    assert data["sessions"][0]["sets"][0]["reps"][0]["verdict"]["passed"] is True
    assert [s["session_id"] for s in data["sessions_under_way"]] == [sids[2]]
    assert data["progress"] == [{"exercise": EXERCISE, "leg": "left", "weight_kg": 17.5, "target_reps": 10,
                                 "goal": "hypertrophy", "last_action": "increase"}]
    assert sorted(v["data"]["session_id"] for v in data["verdicts"]) == sids[:2]


def test_an_operator_erases_a_member_completely_after_a_confirm_step(prod: ProdDashboard) -> None:
    r = connect(prod.redis_url)
    mid = enrol(prod, "Ann Lee", "B-100")
    train(r, mid, "Ann Lee", [NOW - timedelta(days=9), NOW - timedelta(days=2)], live=True)
    other = enrol(prod, "Bob Ray", "B-200")
    train(r, other, "Bob Ray", [NOW - timedelta(days=3)])
    assert any("Ann Lee" in v for v in everything(r).values())

    with prod.client() as tina:
        tok = prod.sign_in(tina, "tina")
        assert tina.get(f"/members/{mid}/erase").status_code == 403
        assert tina.post(f"/members/{mid}/erase", data={"csrf_token": tok, "confirm": mid}).status_code == 403
        assert tina.delete(f"/api/v1/members/{mid}", params={"confirm": mid},
                           headers={"x-csrf-token": tok}).status_code in (403, 405)
    with prod.client() as olga:
        tok = prod.sign_in(olga, "olga")
        confirm = olga.get(f"/members/{mid}/erase")
        assert confirm.status_code == 200 and "cannot be undone" in confirm.text
        form_tok = csrf_of(confirm.text)
        assert olga.post(f"/members/{mid}/erase", data={"confirm": mid}).status_code == 403  # no CSRF token
        again = olga.post(f"/members/{mid}/erase", data={"csrf_token": form_tok, "confirm": "yes"})
        assert again.status_code == 422 and "to confirm" in again.text  # the confirm step is not a click
        assert olga.get(f"/api/v1/members/{mid}", headers={"accept": "application/json"}).status_code == 200
        done = olga.post(f"/members/{mid}/erase", data={"csrf_token": form_tok, "confirm": mid})
        assert done.status_code == 303
        assert olga.get(f"/api/v1/members/{mid}", headers={"accept": "application/json"}).status_code == 404
        log = olga.get("/api/v1/audit", params={"action": "member.erase"},
                       headers={"accept": "application/json"}).json()
        assert log[0]["actor"] == "olga" and log[0]["target"] == mid

    left = everything(r)
    assert not [k for k, v in left.items() if "Ann Lee" in v or "B-100" in v], "the name or badge survived"
    holding_id = [k for k, v in left.items() if mid in k or mid in v]
    assert holding_id == ["gym:main:audit"], holding_id  # only the record that she was erased, by id
    assert any("Bob Ray" in v for v in left.values())  # nobody else's data went with hers
    assert r.llen(f"gym:main:history:{other}") == 1


def test_gymctl_exports_and_erases_a_member(prod: ProdDashboard, tmp_path: Path) -> None:
    r = connect(prod.redis_url)
    mid = enrol(prod, "Carl Sun", "B-300")
    train(r, mid, "Carl Sun", [NOW - timedelta(days=1)])
    out = tmp_path / "carl.json"
    res = prod.cli("services.gymctl", "member", "export", mid, "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["member"]["info"]["name"] == "Carl Sun"
    res = prod.cli("services.gymctl", "member", "erase", mid)
    assert res.returncode == 2 and "--yes" in res.stderr  # the confirm step
    assert r.exists(f"gym:main:member:{mid}")
    res = prod.cli("services.gymctl", "member", "erase", mid, "--yes")
    assert res.returncode == 0, res.stderr
    assert not [k for k, v in everything(r).items() if "Carl Sun" in v or (mid in v and k != "gym:main:audit")]
    assert prod.cli("services.gymctl", "member", "erase", mid, "--yes").returncode == 2  # no such member


def test_sessions_older_than_the_retention_are_deleted(start_dashboard: Callable[..., ProdDashboard]) -> None:
    prod = start_dashboard()
    r = connect(prod.redis_url)
    mid = enrol(prod, "Dee Fox", "B-400")
    old, recent = NOW - timedelta(days=31 * 30), NOW - timedelta(days=40)
    train(r, mid, "Dee Fox", [old, recent])
    res = prod.cli("services.gymctl", "retention", "--months", "24")
    assert res.returncode == 0, res.stderr
    assert [SessionRecord.model_validate_json(x).started for x in r.lrange(f"gym:main:history:{mid}", 0, -1)] \
        == [recent]
    feed = [c.parse_event(x).ts for x in r.lrange("gym:main:station:st-01:verdicts", 0, -1)]
    assert old not in feed and recent in feed

    # the dashboard applies its own setting by itself (at start, then daily)
    start_dashboard(history_retention_months="1")
    wait_for(lambda: r.llen(f"gym:main:history:{mid}") == 0, what="the dashboard's own retention")
    assert r.exists(f"gym:main:member:{mid}")  # the member stays; only old sessions go
