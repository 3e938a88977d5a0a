"""The dashboard's log of station usage: each session a station ran (when, how long, how many reps — never who),
one Redis hash per ISO week, written as the live feed sees sessions end.

Idempotent: a session is one field (`station|session`), so two dashboards of a site, or a repeat of the event,
write the same entry. A week's hash expires after `KEEP_WEEKS`: usage is for planning, not an archive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from services.dashboard.reports import SessionUse, week_name
from shared.store import Keys

KEEP_WEEKS = 60  # a year and a season: this week against the same week last year


class UsageLog:
    def __init__(self, redis: Any, site_id: str) -> None:
        self.r = redis
        self.keys = Keys(site_id)

    def key(self, week: str) -> str:
        return self.keys.dashboard_usage(week)

    def record(self, uses: list[SessionUse]) -> None:
        if not uses:
            return
        with self.r.pipeline(transaction=False) as p:
            for u in uses:
                k = self.key(week_name(u.started.date()))
                p.hset(k, f"{u.station_id}|{u.session_id}", orjson.dumps(
                    {"started": u.started.isoformat(), "ended": u.ended.isoformat(), "reps": u.reps}).decode())
                p.expire(k, KEEP_WEEKS * 7 * 86400)
            p.execute()

    def week(self, week: str) -> list[SessionUse]:
        out = []
        for field, raw in (self.r.hgetall(self.key(week)) or {}).items():
            station, _, session = str(field).partition("|")
            d = orjson.loads(raw)
            out.append(SessionUse(station, session, datetime.fromisoformat(d["started"]),
                                  datetime.fromisoformat(d["ended"]), int(d.get("reps", 0))))
        return out
