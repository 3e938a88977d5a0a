"""The audit log: who did what when (member edits, badge moves, cues, operator commands), a Redis stream."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
from pydantic import BaseModel, ConfigDict, Field

from shared.store.keys import Keys

# ------------------------------------------------------------------ the audit log

# Long enough to answer a member's or a trainer's question about last season; the dashboard's setting may differ.
AUDIT_RETENTION_DAYS = 365


class AuditEntry(BaseModel):
    """Who did what, to what, when. `target` is an id (member, station, account), never a member's name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="The stream entry's id (time-ordered)")
    ts: datetime
    actor: str = Field(description="Dashboard account, or gymctl:<os user> / cli:<os user>")
    role: str = ""
    action: str = Field(description="member.create, member.edit, badge.move, cue.send, member.export, …")
    target: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)
    client: str = Field(default="", description="Address the request came from, when it came over HTTP")


class AuditLog:
    """An append-only Redis stream; each append trims entries older than the retention (when one is given)."""

    def __init__(self, client: redis.Redis[str], site_id: str, retention_days: int | None = None) -> None:
        self.r = client
        self.key = Keys(site_id).audit()
        self.retention_days = retention_days

    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None,
               role: str = "", client: str = "") -> str:
        fields: dict[str, str] = {"actor": actor, "role": role, "action": action, "target": target,
                                  "detail": orjson.dumps(detail or {}).decode(), "client": client}
        if self.retention_days is None:
            return str(self.r.xadd(self.key, fields))
        cutoff_ms = int((time.time() - self.retention_days * 86400) * 1000)
        # exact trimming: a few hundred human actions a day, and an entry past its retention must go
        return str(self.r.xadd(self.key, fields, minid=f"{cutoff_ms}-0", approximate=False))

    def entries(self, limit: int = 100, before: str | None = None, actor: str | None = None,
                action: str | None = None, target: str | None = None) -> list[AuditEntry]:
        """Newest first; `before` is an entry id to page on from. Filters match exactly (`action` also a prefix
        ending in '.', e.g. 'member.')."""
        out: list[AuditEntry] = []
        top: str | None = _id_before(before) if before else "+"
        while top is not None and len(out) < limit:
            rows = self.r.xrevrange(self.key, max=top, min="-", count=500)
            if not rows:
                break
            for entry_id, f in rows:
                e = _audit_entry(entry_id, f)
                if (actor and e.actor != actor) or (target and e.target != target):
                    continue
                if action and e.action != action and not (action.endswith(".") and e.action.startswith(action)):
                    continue
                out.append(e)
                if len(out) == limit:
                    break
            top = _id_before(rows[-1][0])
        return out


def _id_before(entry_id: str) -> str | None:
    """The greatest stream id below `entry_id` (None below 0-0): an inclusive bound Redis always accepts."""
    ms, _, seq = entry_id.partition("-")
    m, q = int(ms), int(seq or 0)
    if q > 0:
        return f"{m}-{q - 1}"
    return f"{m - 1}-{2**64 - 1}" if m > 0 else None


def _audit_entry(entry_id: str, f: dict[str, str]) -> AuditEntry:
    ms = int(entry_id.split("-", 1)[0])
    return AuditEntry(id=entry_id, ts=datetime.fromtimestamp(ms / 1000, UTC), actor=f.get("actor", ""),
                      role=f.get("role", ""), action=f.get("action", ""), target=f.get("target", ""),
                      detail=orjson.loads(f.get("detail") or "{}"), client=f.get("client", ""))
