"""The audit log (paging, filters, retention) and a member's export and erasure through the JSON API."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from shared.servers import PrivateRedis
from shared.store import AuditLog, connect

pytestmark = pytest.mark.integration


def test_the_audit_log_pages_newest_first_and_filters(redis_server: PrivateRedis) -> None:
    log = AuditLog(connect(redis_server.url), "main", retention_days=30)
    for i in range(7):
        log.record("tina" if i % 2 else "olga", "member.edit" if i < 5 else "cue.send", f"m-{i}", {"i": i})
    first = log.entries(limit=3)
    assert [e.target for e in first] == ["m-6", "m-5", "m-4"]
    assert [e.target for e in log.entries(limit=10, before=first[-1].id)] == ["m-3", "m-2", "m-1", "m-0"]
    assert [e.target for e in log.entries(actor="tina")] == ["m-5", "m-3", "m-1"]
    assert [e.target for e in log.entries(action="cue.")] == ["m-6", "m-5"]
    assert [e.target for e in log.entries(target="m-2")] == ["m-2"]
    assert log.entries(before="0-0") == [] and log.entries(before="0-1")[0:1] == []
    assert log.entries(limit=1)[0].detail == {"i": 6}


def test_audit_entries_older_than_the_retention_are_trimmed(redis_server: PrivateRedis) -> None:
    r = connect(redis_server.url)
    old_ms = int((time.time() - 40 * 86400) * 1000)
    r.xadd("gym:main:audit", {"actor": "olga", "action": "member.edit", "target": "m-old", "detail": "{}"},
           id=f"{old_ms}-0")
    AuditLog(r, "main", retention_days=30).record("olga", "member.edit", "m-new")
    assert [e.target for e in AuditLog(r, "main").entries()] == ["m-new"]


def test_the_audit_api_is_for_operators_and_validates_its_paging(
        client: TestClient, sign_in: Callable[[str], str]) -> None:
    tok = sign_in("tina")
    assert client.post("/api/v1/members", json={"name": "Ann"}, headers={"x-csrf-token": tok}).status_code == 201
    assert client.get("/api/v1/audit").status_code == 403
    sign_in("olga")
    rows = client.get("/api/v1/audit", params={"action": "member.create"}).json()
    assert [(e["actor"], e["role"], e["action"]) for e in rows] == [("tina", "trainer", "member.create")]
    assert client.get("/api/v1/audit", params={"before": "99999999999999999999-0"}).status_code == 422
    assert client.get("/api/v1/audit", params={"limit": 0}).status_code == 422
    page = client.get("/audit", headers={"accept": "text/html"})
    assert page.status_code == 200 and "member.create" in page.text and 'href="/audit"' in page.text


def test_an_operator_exports_and_erases_a_member_through_the_api(
        client: TestClient, sign_in: Callable[[str], str]) -> None:
    tok = sign_in("tina")
    ann = client.post("/api/v1/members", json={"name": "Ann", "badge": "B-1"}, headers={"x-csrf-token": tok}).json()
    mid = ann["member_id"]
    assert client.delete(f"/api/v1/members/{mid}", params={"confirm": mid}, headers={"x-csrf-token": tok}
                         ).status_code == 403
    tok = sign_in("olga")
    assert client.get("/api/v1/members/m-nobody/export").status_code == 404
    assert client.get(f"/api/v1/members/{mid}/export").json()["member"]["info"]["name"] == "Ann"
    assert client.delete(f"/api/v1/members/{mid}", params={"confirm": mid}).status_code == 403  # no CSRF
    assert client.delete(f"/api/v1/members/{mid}", params={"confirm": "m-other"},
                         headers={"x-csrf-token": tok}).status_code == 400
    r = client.delete(f"/api/v1/members/{mid}", params={"confirm": mid}, headers={"x-csrf-token": tok})
    assert r.status_code == 200 and r.json()["member"] == 1 and r.json()["tokens"] == 1
    assert client.get(f"/api/v1/members/{mid}").status_code == 404
    assert client.delete(f"/api/v1/members/{mid}", params={"confirm": mid},
                         headers={"x-csrf-token": tok}).status_code == 404
    # the badge is free for someone else now
    assert client.post("/api/v1/members", json={"name": "Bob", "badge": "B-1"},
                       headers={"x-csrf-token": tok}).status_code == 201
    actions = [e["action"] for e in client.get("/api/v1/audit", params={"target": mid}).json()]
    assert actions[:2] == ["member.erase", "member.export"]
