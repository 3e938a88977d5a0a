"""Members' data: export, erasure, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import redis

from shared.records import StationRecord
from shared.store.redis_repo import RedisStore

# ------------------------------------------------------------------ members' data: export, erasure, retention

EXPORT_FORMAT = "gym-member-export/1"
_SCAN_BATCH = 1000


def _glob(text: str) -> str:
    """`text` matched literally in a SCAN pattern."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _scan(r: redis.Redis[str], pattern: str) -> list[str]:
    return list(r.scan_iter(match=pattern, count=_SCAN_BATCH))


def _station_keys(store: RedisStore) -> dict[str, list[str]]:
    """Every per-station key, by kind: state, last_verdict, verdicts, unassigned, archive."""
    prefix = f"{store.keys.p}:station:"
    out: dict[str, list[str]] = {"state": [], "last_verdict": [], "verdicts": [], "unassigned": [], "archive": []}
    for key in _scan(store.r, _glob(prefix) + "*"):
        parts = key[len(prefix):].split(":")
        kind = parts[1] if len(parts) > 1 else ""
        if kind in out:
            out[kind].append(key)
    return out


def _session_of_verdict(raw: str) -> str | None:
    try:
        data = orjson.loads(raw).get("data") or {}
    except orjson.JSONDecodeError:
        return None
    sid = data.get("session_id")
    return sid if isinstance(sid, str) else None


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _verdict_ts(raw: str) -> datetime | None:
    try:
        ts = orjson.loads(raw).get("ts")
        return _aware(datetime.fromisoformat(ts)) if isinstance(ts, str) else None
    except (orjson.JSONDecodeError, ValueError):
        return None


def member_session_ids(store: RedisStore, member_id: str) -> set[str]:
    """The sessions of a member: finished ones (history) and any under way or just closed at a station."""
    sids = {s.session_id for s in store.history(member_id, last=1_000_000)}
    for key in _station_keys(store)["state"]:
        raw = store.r.get(key)
        if not raw:
            continue
        st = StationRecord.model_validate_json(raw)
        sids.update(s.session_id for s in (st.session, st.closed) if s is not None and s.member_id == member_id)
    return sids


def export_member(store: RedisStore, member_id: str) -> dict[str, Any] | None:
    """Everything the site keeps about one member, as JSON-ready data; None when there is no such member."""
    rec = store.member(member_id)
    if rec is None:
        return None
    p = store.keys.p
    progress = []
    for key in sorted(_scan(store.r, _glob(f"{p}:progress:{member_id}:") + "*")):
        raw = store.r.get(key)
        if raw:
            _, exercise, leg = key.rsplit(":", 2)
            progress.append({"exercise": exercise, "leg": leg, **orjson.loads(raw)})
    sids = member_session_ids(store, member_id)
    live = []
    keys = _station_keys(store)
    for key in keys["state"]:
        raw = store.r.get(key)
        if raw:
            st = StationRecord.model_validate_json(raw)
            live += [s.model_dump(mode="json") for s in (st.session,) if s is not None and s.member_id == member_id]
    verdicts = []
    for key in keys["verdicts"] + keys["unassigned"]:
        for raw in store.r.lrange(key, 0, -1):
            if _session_of_verdict(raw) in sids:
                verdicts.append(orjson.loads(raw))
    verdicts = list({v["event_id"]: v for v in verdicts}.values())  # a rep may be in both lists
    verdicts.sort(key=lambda v: v.get("ts", ""))
    return {
        "format": EXPORT_FORMAT,
        "site_id": p.split(":", 1)[1],
        "exported": datetime.now(UTC).isoformat(),
        "member": rec.model_dump(mode="json"),
        "sessions": [s.model_dump(mode="json") for s in store.history(member_id, last=1_000_000)],
        "sessions_under_way": live,
        "progress": progress,
        "verdicts": verdicts,
    }


def erase_member(store: RedisStore, member_id: str) -> dict[str, int] | None:
    """Delete a member and every trace of them the site keeps; None when there is no such member.

    Gone: the record, its badge/QR/PIN index entries, progress, history, their sessions in the stations' live
    states, their verdicts in the stations' feeds and archives, and their data in the processed-event marks.
    A mark is emptied, not deleted: it still says "applied", so a redelivered event cannot write them back.
    """
    r, k = store.r, store.keys
    rec = store.member(member_id)
    if rec is None:
        return None
    sids = member_session_ids(store, member_id)
    counts = {"member": 1, "tokens": 0, "progress": 0, "sessions": 0, "sessions_under_way": 0, "verdicts": 0,
              "archives": 0, "processed_marks": 0}
    counts["sessions"] = int(r.llen(k.history(member_id)))
    progress_keys = _scan(r, _glob(f"{k.p}:progress:{member_id}:") + "*")
    counts["progress"] = len(progress_keys)
    with r.pipeline(transaction=True) as p:
        for m, t in rec.tokens:
            if r.get(k.token(m, t)) == member_id:  # a token moved to someone else stays theirs
                p.delete(k.token(m, t))
                counts["tokens"] += 1
        p.delete(k.member(member_id), k.history(member_id), *progress_keys)
        p.srem(k.members(), member_id)
        p.execute()

    keys = _station_keys(store)
    for key in keys["state"]:
        counts["sessions_under_way"] += _drop_from_state(r, key, member_id)
    for key in keys["verdicts"] + keys["unassigned"]:
        for raw in r.lrange(key, 0, -1):
            if _session_of_verdict(raw) in sids:
                counts["verdicts"] += int(r.lrem(key, 0, raw))
    for key in keys["last_verdict"]:
        last = r.get(key)
        if last and _session_of_verdict(last) in sids:
            r.delete(key)
    for key in keys["archive"]:
        if key.rsplit(":", 1)[1] in sids:
            counts["archives"] += int(r.delete(key))

    needles = [f'"member_id":"{member_id}"'] + [f'"session_id":"{s}"' for s in sids]
    marks = _scan(r, _glob(f"{k.p}:processed:") + "*")
    for i in range(0, len(marks), _SCAN_BATCH):
        batch = marks[i:i + _SCAN_BATCH]
        for key, stored in zip(batch, r.mget(batch), strict=True):
            if stored and any(n in stored for n in needles):
                r.set(key, "[]", keepttl=True)
                counts["processed_marks"] += 1
    return counts


def _drop_from_state(r: redis.Redis[str], key: str, member_id: str) -> int:
    """Take a member's session out of a station's live state (compare-and-set against the progression worker)."""
    while True:
        with r.pipeline(transaction=True) as p:
            try:
                p.watch(key)
                raw: str | None = p.get(key)  # type: ignore[assignment]  # immediate mode while watching
                if not raw:
                    return 0
                st = StationRecord.model_validate_json(raw)
                n = 0
                if st.session is not None and st.session.member_id == member_id:
                    st = st.model_copy(update={"session": None, "current_set": None})
                    n += 1
                if st.closed is not None and st.closed.member_id == member_id:
                    st = st.model_copy(update={"closed": None})
                    n += 1
                if not n:
                    return 0
                p.multi()
                p.set(key, st.model_dump_json())
                p.execute()
                return n
            except redis.WatchError:
                continue


def drop_history_before(store: RedisStore, cutoff: datetime) -> dict[str, int]:
    """Retention: delete every finished session that started before `cutoff`, and older verdicts in the
    stations' feeds. Members, their progress (next time's plan) and live sessions stay."""
    r, k = store.r, store.keys
    counts = {"sessions": 0, "verdicts": 0}
    for key in _scan(r, _glob(f"{k.p}:history:") + "*"):
        for raw in r.lrange(key, 0, -1):
            started = orjson.loads(raw).get("started")  # only the start: a session with every rep is large
            if isinstance(started, str) and _aware(datetime.fromisoformat(started)) < cutoff:
                counts["sessions"] += int(r.lrem(key, 1, raw))  # by value: a session appended meanwhile stays
    keys = _station_keys(store)
    for key in keys["verdicts"] + keys["unassigned"]:
        for raw in r.lrange(key, 0, -1):
            ts = _verdict_ts(raw)
            if ts is not None and ts < cutoff:
                counts["verdicts"] += int(r.lrem(key, 1, raw))
    for key in keys["last_verdict"]:
        last = r.get(key)
        ts = _verdict_ts(last) if last else None
        if ts is not None and ts < cutoff:
            r.delete(key)
    return counts


def months_ago(months: int, now: datetime | None = None) -> datetime:
    """The cutoff of a retention in months (a month counted as 30.44 days: the calendar's average)."""
    return (now or datetime.now(UTC)) - timedelta(days=30.44 * months)
