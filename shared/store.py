"""The Redis adapter. Every key the product writes is built here and documented here.

Keys (``{site}`` is the site id; JSON values are the models of `shared.records` or
contract envelopes):

| key | type | holds |
|---|---|---|
| ``gym:{site}:processed:{event_id}`` | string (JSON list), TTL 7 days | the outputs of an applied event (idempotence, re-publication) |
| ``gym:{site}:stations`` | set | every station that has produced a verdict |
| ``gym:{site}:station:{station}:state`` | string (JSON `StationState`) | the live session and its sets, so a restarted worker carries on |
| ``gym:{site}:station:{station}:last_verdict`` | string (JSON envelope) | no longer written: the latest verdict is the ``verdicts`` list's last (older sites' keys are still erased with a member's data) |
| ``gym:{site}:station:{station}:verdicts`` | list (JSON envelopes) | recent verdicts, newest last, capped |
| ``gym:{site}:station:{station}:archive:{session_id}`` | list (JSON `SetRecord`), TTL 2 days | a live session's older ended sets, out of the hot state until the session ends |
| ``gym:{site}:station:{station}:unassigned`` | list (JSON envelopes) | verdicts of reps done outside any set, kept |
| ``gym:{site}:members`` | set | every member id |
| ``gym:{site}:member:{member_id}`` | string (JSON `MemberRecord`) | name, weaker leg, goal, badge/QR/PIN references (never the tokens) |
| ``gym:{site}:token:{method}:hmac:{hex}`` | string | member id of a badge, QR text or PIN, by its keyed reference (`shared.identity.token_ref`); written before references were kept: ``…:{method}:{token}``, moved when read |
| ``gym:{site}:tap:station:{station}`` / ``…:tap:token:{method}:{hex}`` | hash ``n``, ``first``, ``last``, ``next``, ``locked``; TTL the window, a week once locked | unknown tap-ins counted against a station and a token, the time before which the next try waits, the lock |
| ``gym:{site}:tap-counted:{event_id}`` | string, TTL the window | a lookup or enrol counted once, however often it is delivered |
| ``gym:{site}:tap-flagged`` | sorted set (scope by last failure) | stations and tokens that wait or are locked, for the dashboard |
| ``gym:{site}:dev-token-key`` | string | outside production only, when no GYM_TOKEN_KEY is set: the site's random development key |
| ``gym:{site}:progress:{member_id}:{exercise}:{leg}`` | string (JSON `ProgressRecord`) | next weight, reps, recent failure shares |
| ``gym:{site}:history:{member_id}`` | list (JSON `SessionRecord`) | every finished session with every set and rep verdict, oldest first |
| ``gym:{site}:dashboard:users`` | hash | dashboard account name -> JSON account (role, argon2 hash, created) |
| ``gym:{site}:dashboard:disabled`` | set | dashboard accounts an operator disabled: no sign-in, no session |
| ``gym:{site}:dashboard:session:{sha256(id)}`` | string (JSON `SignInSession`), TTL = idle limit, never past the absolute one | a signed-in browser; the cookie holds the random id, Redis only its hash |
| ``gym:{site}:dashboard:user-sessions:{user}`` | set, TTL = absolute limit | the hashed session ids of one account, to revoke them all |
| ``gym:{site}:dashboard:signin:account:{user}`` / ``…:client:{address}`` | hash ``n``, ``next``, TTL sliding | failed sign-ins and the time before which the next try waits |
| ``gym:{site}:audit`` | stream, trimmed by age | who did what when: member edits, badge moves, cues, operator commands |

Writes that must happen once per event go through `apply_once`: the writes and the
processed mark are committed by one Lua script that checks the mark is absent and the
station's state is the one read (so two workers never interleave on one station); a
crash between reading and committing can neither lose the write nor apply it twice.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson
import redis
from pydantic import BaseModel, ConfigDict, Field
from redis.client import Pipeline

from shared.contract import Envelope, IdMethod, Leg, RepVerdictEvent, parse_event
from shared.identity import REF_PREFIX, TOKEN, TapFlag, TapGate, TapLimits, is_ref, token_ref
from shared.records import MemberRecord, ProgressRecord, SessionRecord, SetRecord, StationState

log = logging.getLogger(__name__)

# Redeliveries of an event come within minutes (broker restart, worker restart);
# a week also covers a station that was offline over a long weekend.
PROCESSED_TTL_S = 7 * 24 * 3600
# The live feed of one station: a few sessions' worth (a session is at most ~100 reps).
STATION_FEED_LEN = 500
# A session's archived sets outlive an abandoned session (no session.ended) by a day or two, then go.
ARCHIVE_TTL_S = 2 * 24 * 3600
# Loose reps (no set under way) are rare; a thousand is weeks of them.
UNASSIGNED_LEN = 1000

RedisErrors = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, redis.ReadOnlyError)


class Keys:
    def __init__(self, site_id: str) -> None:
        self.p = f"gym:{site_id}"

    def processed(self, event_id: str) -> str:
        return f"{self.p}:processed:{event_id}"

    def stations(self) -> str:
        return f"{self.p}:stations"

    def station_state(self, station: str) -> str:
        return f"{self.p}:station:{station}:state"

    def last_verdict(self, station: str) -> str:
        return f"{self.p}:station:{station}:last_verdict"

    def verdicts(self, station: str) -> str:
        return f"{self.p}:station:{station}:verdicts"

    def archive(self, station: str, session_id: str) -> str:
        return f"{self.p}:station:{station}:archive:{session_id}"

    def unassigned(self, station: str) -> str:
        return f"{self.p}:station:{station}:unassigned"

    def members(self) -> str:
        return f"{self.p}:members"

    def member(self, member_id: str) -> str:
        return f"{self.p}:member:{member_id}"

    def token(self, method: IdMethod, ref: str) -> str:
        """The index entry of a token's reference (or, written before references were kept, of the token)."""
        return f"{self.p}:token:{method.value}:{ref}"

    def tokens_prefix(self) -> str:
        return f"{self.p}:token:"

    def tap(self, scope: str) -> str:
        return f"{self.p}:tap:{scope}"

    def tap_counted(self, event_id: str) -> str:
        return f"{self.p}:tap-counted:{event_id}"

    def tap_flagged(self) -> str:
        return f"{self.p}:tap-flagged"

    def dev_token_key(self) -> str:
        return f"{self.p}:dev-token-key"

    def progress(self, member_id: str, exercise: str, leg: Leg) -> str:
        return f"{self.p}:progress:{member_id}:{exercise}:{leg.value}"

    def history(self, member_id: str) -> str:
        return f"{self.p}:history:{member_id}"

    # The dashboard's accounts, sign-in sessions and the audit log: built here so `gymctl` can disable an
    # account or read the log without importing the dashboard.
    def dashboard_users(self) -> str:
        return f"{self.p}:dashboard:users"

    def dashboard_disabled(self) -> str:
        return f"{self.p}:dashboard:disabled"

    def dashboard_session(self, digest: str) -> str:
        return f"{self.p}:dashboard:session:{digest}"

    def dashboard_user_sessions(self, user: str) -> str:
        return f"{self.p}:dashboard:user-sessions:{user}"

    def signin_failures(self, kind: str, who: str) -> str:
        return f"{self.p}:dashboard:signin:{kind}:{who}"

    def audit(self) -> str:
        return f"{self.p}:audit"


def connect(url: str) -> redis.Redis[str]:
    """A client that fails fast (so callers can report degraded) and retries a dropped socket once."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        retry_on_timeout=True,
        health_check_interval=30,
    )


Reader = Any  # a redis.Redis or a watching Pipeline in immediate mode: both answer reads


Command = list[str | int]


# Count a failed tap-in (lookup or enrol) against each of its scopes, or only read them, in one step: of N
# concurrent guesses from one station none slips past a wait that another one's failure started. Redis's own
# clock, so workers on several hosts agree. A failure is counted once per event (its mark), however often
# the event is delivered or re-run. KEYS: the flagged set, one hash per scope, then the event's mark.
# ARGV: count (1/0), number of scopes, free failures, lock failures, first delay (ms), longest delay (ms),
# window (ms), lock (ms), then the scopes' names. Returns {wait (ms), 1-based index of a locked scope or 0}.
# Only reading, an event already counted passes: it is the same try again (its commit was retried), not a new one.
_TAP_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n_scopes, free, lock = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local first, cap, window, hold = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
if ARGV[1] == '0' and redis.call('EXISTS', KEYS[n_scopes + 2]) == 1 then return {0, 0} end
if ARGV[1] == '1' and redis.call('SET', KEYS[n_scopes + 2], '1', 'NX', 'PX', window) then
  for i = 1, n_scopes do
    local k, name = KEYS[i + 1], ARGV[8 + i]
    local n = redis.call('HINCRBY', k, 'n', 1)
    if n == 1 then
      redis.call('HSET', k, 'first', now)
      redis.call('PEXPIRE', k, window)
    end
    redis.call('HSET', k, 'last', now)
    if n >= lock then
      if redis.call('HSETNX', k, 'locked', now) == 1 then redis.call('PEXPIRE', k, hold) end
      redis.call('ZADD', KEYS[1], now, name)
    elseif n > free then
      redis.call('HSET', k, 'next', now + math.floor(math.min(cap, first * 2 ^ (n - free - 1))))
      redis.call('ZADD', KEYS[1], now, name)
    end
  end
end
local wait, locked = 0, 0
for i = 1, n_scopes do
  local v = redis.call('HMGET', KEYS[i + 1], 'next', 'locked')
  if v[2] and locked == 0 then locked = i end
  if v[1] and tonumber(v[1]) - now > wait then wait = tonumber(v[1]) - now end
end
return {wait, locked}
"""


class MemberTokens:
    """Members' tap-in tokens in Redis: their keyed references (`shared.identity`) and the throttle on trying
    them (`TapLimits`), shared by every worker of the site and the dashboard.

    `key` None (outside production only, `Settings.site_token_key`): the site's development key, made once at
    random and kept in Redis so that every process of the site agrees on the references.
    """

    def __init__(self, client: redis.Redis[str], keys: Keys, key: bytes | None = None,
                 limits: TapLimits | None = None) -> None:
        self.r = client
        self.k = keys
        self._key = key
        self.limits = limits or TapLimits()
        self._tap = client.register_script(_TAP_LUA)

    def key(self) -> bytes:
        if self._key is None:
            name = self.k.dev_token_key()
            self.r.set(name, secrets.token_urlsafe(32), nx=True)
            value = self.r.get(name)
            if not value:
                raise redis.ConnectionError("the development token key vanished as it was written")
            log.warning("no GYM_TOKEN_KEY: members' tokens are keyed with the development key kept in Redis "
                        "(refused in production)")
            self._key = value.encode()
        return self._key

    def ref(self, method: IdMethod, token: str) -> str:
        return token_ref(self.key(), method, token)

    def gate(self, scopes: Sequence[str], event_id: str) -> TapGate:
        """May the tap-in of event `event_id` be tried now (reads, counts nothing)."""
        return self._run(scopes, event_id, count=False)

    def failed(self, scopes: Sequence[str], event_id: str) -> TapGate:
        """Count one failure of the event `event_id` against each scope (once); the gate after it."""
        return self._run(scopes, event_id, count=True)

    def _run(self, scopes: Sequence[str], event_id: str, count: bool) -> TapGate:
        lim = self.limits
        keys = [self.k.tap_flagged(), *(self.k.tap(s) for s in scopes), self.k.tap_counted(event_id)]
        args: list[str | int] = [1 if count else 0, len(scopes), lim.free_failures,
                                 lim.lock_failures, int(lim.first_delay_s * 1000), int(lim.max_delay_s * 1000),
                                 int(lim.window_s * 1000), int(lim.lock_s * 1000), *scopes]
        wait_ms, locked = self._tap(keys=keys, args=args)
        kind = scopes[int(locked) - 1].split(":", 1)[0] if int(locked) else ""
        return TapGate(wait_s=max(0, int(wait_ms)) / 1000, locked=kind)

    def flags(self) -> list[TapFlag]:
        """Stations and tokens that wait or are locked, the most recent failure first."""
        sec, usec = self.r.time()
        now_ms = sec * 1000 + usec // 1000
        out: list[TapFlag] = []
        stale: list[str] = []
        for scope in self.r.zrevrange(self.k.tap_flagged(), 0, -1):
            h = self.r.hgetall(self.k.tap(scope))
            if not h:
                stale.append(scope)  # its window ended or it was unlocked
                continue
            wait = max(0, int(h.get("next", 0)) - now_ms) / 1000
            locked = "locked" in h
            if not locked and wait <= 0 and int(h.get("n", 0)) <= self.limits.free_failures:
                continue
            out.append(TapFlag(scope=scope, failures=int(h.get("n", 0)), locked=locked, wait_s=wait,
                               first_ts=int(h.get("first", 0)) / 1000, last_ts=int(h.get("last", 0)) / 1000))
        if stale:
            self.r.zrem(self.k.tap_flagged(), *stale)
        return out

    def unlock(self, scope: str) -> bool:
        """An operator lifts a station's or a token's lock and forgets its failures."""
        with self.r.pipeline(transaction=True) as p:
            p.delete(self.k.tap(scope))
            p.zrem(self.k.tap_flagged(), scope)
            deleted, _ = p.execute()
        return bool(deleted)


class RedisRepo:
    """The progression engine's repository over Redis: reads now, writes kept as commands to commit at once.

    A station's state is written once per commit, however many events changed it: `commands()`
    appends its final value after the other writes.
    """

    def __init__(self, reader: Reader, keys: Keys, states: dict[str, StationState] | None = None,
                 tokens: MemberTokens | None = None) -> None:
        self.r = reader
        self.k = keys
        self.tokens = tokens
        self.writes: list[Command] = []
        self._stations: dict[str, StationState] = dict(states or {})
        self._dirty: set[str] = set()

    # reads
    def station(self, station_id: str) -> StationState:
        if station_id not in self._stations:
            raw = self.r.get(self.k.station_state(station_id))
            self._stations[station_id] = StationState.model_validate_json(raw) if raw else StationState()
        return self._stations[station_id]

    def member(self, member_id: str) -> MemberRecord | None:
        raw = self.r.get(self.k.member(member_id))
        return MemberRecord.model_validate_json(raw) if raw else None

    def member_by_token(self, method: IdMethod, token: str) -> MemberRecord | None:
        """The member of a badge id, QR text or PIN (given in clear: the reference is made here)."""
        mid = self.r.get(self.k.token(method, self.token_ref(method, token)))
        if mid:
            return self.member(mid)
        if is_ref(token):
            return None  # a reference is not a token: whoever read one from a record may not sign in with it
        # Written before references were kept: the index entry holds the token. The record moves to references
        # (committed with the caller's writes) and the clear entry goes.
        mid = self.r.get(self.k.token(method, token))
        rec = self.member(mid) if mid else None
        if rec is None:
            return None
        if (method, token) not in rec.tokens:
            rec = rec.model_copy(update={"tokens": [*rec.tokens, (method, token)]})
        rec = self._with_refs(rec)
        self._write_member(rec)
        return rec

    def token_ref(self, method: IdMethod, token: str) -> str:
        if self.tokens is None:
            raise RuntimeError("this repository was opened without the site's token key")
        return self.tokens.ref(method, token)

    def tap_gate(self, scopes: Sequence[str], event_id: str) -> TapGate:
        if self.tokens is None:
            raise RuntimeError("this repository was opened without the tap-in throttle")
        return self.tokens.gate(scopes, event_id)

    def tap_failed(self, scopes: Sequence[str], event_id: str) -> TapGate:
        """Counted at once, not with the event's other writes: a failure must count even if the event's commit
        is retried (the count is kept once per event id)."""
        if self.tokens is None:
            raise RuntimeError("this repository was opened without the tap-in throttle")
        return self.tokens.failed(scopes, event_id)

    def progress(self, member_id: str, exercise: str, leg: Leg) -> ProgressRecord | None:
        raw = self.r.get(self.k.progress(member_id, exercise, leg))
        return ProgressRecord.model_validate_json(raw) if raw else None

    def last_session(self, member_id: str) -> SessionRecord | None:
        raw = self.r.lindex(self.k.history(member_id), -1)
        return SessionRecord.model_validate_json(raw) if raw else None

    # writes
    def save_station(self, station_id: str, state: StationState) -> None:
        self._stations[station_id] = state
        self._dirty.add(station_id)

    def saved_state(self, station_id: str) -> tuple[StationState, str] | None:
        """The state the engine saved for a station and its JSON, or None when it saved none."""
        if station_id not in self._dirty:
            return None
        st = self._stations[station_id]
        return st, st.model_dump_json()

    def save_member(self, rec: MemberRecord) -> None:
        """Write a member and its tokens' index entries; a token still in clear (a record written before
        references were kept) is written as its reference, and its clear entry is deleted."""
        self._write_member(self._with_refs(rec))

    def _write_member(self, rec: MemberRecord) -> None:
        mid = rec.info.member_id
        self.writes.append(["SET", self.k.member(mid), rec.model_dump_json()])
        self.writes.append(["SADD", self.k.members(), mid])
        self.writes.extend(["SET", self.k.token(m, t), mid] for m, t in rec.tokens)

    def _with_refs(self, rec: MemberRecord) -> MemberRecord:
        if all(is_ref(t) for _, t in rec.tokens):
            return rec
        mid = rec.info.member_id
        tokens: list[tuple[IdMethod, str]] = []
        for m, t in rec.tokens:
            if is_ref(t):
                tokens.append((m, t))
                continue
            ref = self.token_ref(m, t)
            holder = self.r.get(self.k.token(m, t)) or self.r.get(self.k.token(m, ref))
            if holder not in (None, mid):
                continue  # the token moved to another member since: theirs, not this stale record's
            self.writes.append(["DEL", self.k.token(m, t)])
            tokens.append((m, ref))
        return rec.model_copy(update={"tokens": list(dict.fromkeys(tokens))})

    def save_progress(self, member_id: str, exercise: str, leg: Leg, rec: ProgressRecord) -> None:
        self.writes.append(["SET", self.k.progress(member_id, exercise, leg), rec.model_dump_json()])

    def add_session(self, rec: SessionRecord) -> None:
        self.writes.append(["RPUSH", self.k.history(rec.member_id), rec.model_dump_json()])

    def add_verdict(self, station_id: str, ev: Envelope, assigned: bool) -> None:
        raw = ev.to_json().decode()
        self.writes += [
            ["SADD", self.k.stations(), station_id],
            ["RPUSH", self.k.verdicts(station_id), raw],
            ["LTRIM", self.k.verdicts(station_id), -STATION_FEED_LEN, -1],
        ]
        if not assigned:
            self.writes += [["RPUSH", self.k.unassigned(station_id), raw],
                            ["LTRIM", self.k.unassigned(station_id), -UNASSIGNED_LEN, -1]]

    def archive_set(self, station_id: str, session_id: str, rec: SetRecord) -> None:
        key = self.k.archive(station_id, session_id)
        self.writes += [["RPUSH", key, rec.model_dump_json()], ["EXPIRE", key, ARCHIVE_TTL_S]]

    def archived_sets(self, station_id: str, session_id: str) -> list[SetRecord]:
        rows = self.r.lrange(self.k.archive(station_id, session_id), 0, -1)
        return [SetRecord.model_validate_json(r) for r in rows]

    def drop_archive(self, station_id: str, session_id: str) -> None:
        self.writes.append(["DEL", self.k.archive(station_id, session_id)])

    def flush(self, pipe: Pipeline[str]) -> None:
        for cmd in self.writes:
            pipe.execute_command(*cmd)  # type: ignore[no-untyped-call]
        for sid in self._dirty:
            pipe.set(self.k.station_state(sid), self._stations[sid].model_dump_json())
        self.writes.clear()
        self._dirty.clear()


# One round trip commits a batch of events, station by station: a station's events are applied only if
# none of them was applied yet and the station's state is still the one the engine read (compare-and-set
# on its SHA-1); the reply says, per station, 1 (committed) or 0 (the caller re-reads and re-runs it).
# ARGV: the processed marks' TTL, then per station: state key, SHA-1 read ('' = none), new state JSON,
# number of events n, n processed-mark keys, n stored outputs, the other writes as a JSON list.
# The written keys are not all declared in KEYS: this needs one Redis (or Sentinel), not Cluster.
_APPLY_BATCH_LUA = """
local ttl = ARGV[1]
local i = 2
local res = {}
while i <= #ARGV do
  local key, digest, state, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local marks, outs, writes = i + 4, i + 4 + n, ARGV[i + 4 + 2 * n]
  i = i + 5 + 2 * n
  local cur = redis.call('GET', key)
  local h = ''
  if cur then h = redis.sha1hex(cur) end
  local ok = h == digest
  for j = 0, n - 1 do
    if ok and redis.call('EXISTS', ARGV[marks + j]) == 1 then ok = false end
  end
  if ok then
    for _, cmd in ipairs(cjson.decode(writes)) do redis.call(unpack(cmd)) end
    if state ~= '' then redis.call('SET', key, state) end
    for j = 0, n - 1 do redis.call('SET', ARGV[marks + j], ARGV[outs + j], 'EX', ttl) end
    res[#res + 1] = 1
  else
    res[#res + 1] = 0
  end
end
return res
"""

Work = Callable[[Envelope, RedisRepo], list[Envelope]]
Applied = tuple[bool, list[Envelope]]  # (applied now, outputs)


@dataclass
class _Known:
    """A station state this worker committed itself: verbatim, parsed, and its SHA-1."""

    raw: str | None
    state: StationState
    digest: str


def _known(raw: str | None) -> _Known:
    state = StationState.model_validate_json(raw) if raw else StationState()
    return _Known(raw, state, hashlib.sha1(raw.encode()).hexdigest() if raw else "")


class RedisStore:
    def __init__(self, client: redis.Redis[str], site_id: str, token_key: bytes | None = None,
                 tap_limits: TapLimits | None = None) -> None:
        """`token_key`: the site secret (`Settings.site_token_key`); None outside production only."""
        self.r = client
        self.keys = Keys(site_id)
        self.tokens = MemberTokens(client, self.keys, token_key, tap_limits)
        self._apply = client.register_script(_APPLY_BATCH_LUA)
        # The station states this worker itself committed last: the compare-and-set proves whether they
        # are still current, so they are neither read back nor parsed again before the next event.
        self._known: dict[str, _Known] = {}

    def ping(self) -> bool:
        try:
            return bool(self.r.ping())
        except RedisErrors:
            return False

    def apply_once(self, event_id: str, work: Callable[[RedisRepo], list[Envelope]],
                   station: str) -> Applied:
        """Run `work` against a repository and commit its writes with the processed mark, once.

        Returns (applied now, outputs). An event applied before returns (False, its stored
        outputs), so the caller can publish them again with the same event ids.
        """
        return self._apply_station(station, [(event_id, work)])[0]

    def apply_batch(self, events: list[Envelope], work: Work) -> list[Applied]:
        """`apply_once` for many events in one round trip, in their order within each station.

        The engine folds each station's events in memory from the state this worker committed last;
        one script then commits every station whose state nobody else changed since, with every
        event's processed mark. A station that was changed (another worker, a redelivery) is re-read
        and re-run alone. `work` may only read what no event of the batch writes except the stations'
        states (the caller sends events that read members, progress or archives through `apply_once`).
        """
        groups: dict[str, list[Envelope]] = {}
        for ev in events:
            groups.setdefault(ev.station_id, []).append(ev)
        results: dict[str, Applied] = {}
        try:
            self._learn([s for s in groups if s not in self._known], groups, results)
            plan: list[tuple[str, list[Envelope], tuple[StationState, str] | None, list[list[Envelope]]]] = []
            args: list[str | int] = [PROCESSED_TTL_S]
            for sid, evs in groups.items():
                todo = [e for e in evs if e.event_id not in results]
                if not todo:
                    continue
                known = self._known[sid]
                repo = RedisRepo(self.r, self.keys, {sid: known.state}, self.tokens)
                outs = [work(e, repo) for e in todo]
                saved = repo.saved_state(sid)
                args += [self.keys.station_state(sid), known.digest, saved[1] if saved else "", len(todo)]
                args += [self.keys.processed(e.event_id) for e in todo]
                args += [_stored(o) for o in outs]
                args.append(orjson.dumps(repo.writes).decode())
                plan.append((sid, todo, saved, outs))
            done = self._apply(args=args) if plan else []
        except BaseException:
            for sid in groups:  # the engine may have changed the cached states in place
                self._known.pop(sid, None)
            raise
        for (sid, todo, saved, outs), ok in zip(plan, done, strict=True):
            if ok == 1:
                self._remember(sid, saved)
                results.update((e.event_id, (True, o)) for e, o in zip(todo, outs, strict=True))
            else:
                # Someone else wrote the station or applied one of its events: each again, alone, from Redis.
                self._known.pop(sid, None)
                items = [(e.event_id, partial(work, e)) for e in todo]
                results.update(zip([e.event_id for e in todo], self._apply_station(sid, items), strict=True))
        return [results[e.event_id] for e in events]

    def _learn(self, stations: list[str], groups: dict[str, list[Envelope]], results: dict[str, Applied]) -> None:
        """Read the states of stations this worker does not know, and which of their events were applied."""
        if not stations:
            return
        marks = [e for s in stations for e in groups[s]]
        vals = self.r.mget([self.keys.station_state(s) for s in stations] + [self.keys.processed(e.event_id)
                                                                            for e in marks])
        for sid, raw in zip(stations, vals[:len(stations)], strict=True):
            self._known[sid] = _known(raw)
        for e, done in zip(marks, vals[len(stations):], strict=True):
            if done is not None:
                results[e.event_id] = (False, _outputs(done))

    def _remember(self, station: str, saved: tuple[StationState, str] | None) -> None:
        if saved is not None:
            self._known[station] = _Known(saved[1], saved[0], hashlib.sha1(saved[1].encode()).hexdigest())
        else:
            # Nothing saved: Redis keeps the state read, but the engine may have touched the parsed copy.
            self._known.pop(station, None)

    def _apply_station(self, station: str,
                       items: Sequence[tuple[str, Callable[[RedisRepo], list[Envelope]]]]) -> list[Applied]:
        """Apply events of one station one by one, each its own compare-and-set (the careful path)."""
        results: list[Applied] = []
        for event_id, fn in items:
            mark, state_key = self.keys.processed(event_id), self.keys.station_state(station)
            while True:
                known = self._known.get(station)
                if known is None:
                    done, raw = self.r.mget(mark, state_key)
                    if done is not None:
                        results.append((False, _outputs(done)))
                        break
                    known = self._known[station] = _known(raw)
                repo = RedisRepo(self.r, self.keys, {station: known.state}, self.tokens)
                try:
                    outputs = fn(repo)
                    saved = repo.saved_state(station)
                    res = self._apply(args=[PROCESSED_TTL_S, state_key, known.digest, saved[1] if saved else "", 1,
                                            mark, _stored(outputs), orjson.dumps(repo.writes).decode()])
                except BaseException:
                    self._known.pop(station, None)
                    raise
                if res == [1]:
                    self._remember(station, saved)
                    results.append((True, outputs))
                    break
                # Applied before (maybe by another worker), or someone else wrote the state since:
                # read what Redis holds; the next pass returns the stored outputs or re-runs.
                self._known.pop(station, None)
        return results

    def was_processed(self, event_id: str) -> bool:
        return bool(self.r.exists(self.keys.processed(event_id)))

    # ------------------------------------------------------------ reads for the dashboard and tools

    def stations(self) -> list[str]:
        return sorted(self.r.smembers(self.keys.stations()))

    def last_verdict(self, station: str) -> RepVerdictEvent | None:
        """The station's latest verdict: the feed's last (each verdict is written once, not twice)."""
        raw = self.r.lindex(self.keys.verdicts(station), -1)
        return _as_verdict(raw) if raw else None

    def verdicts(self, station: str, last: int = STATION_FEED_LEN) -> list[RepVerdictEvent]:
        rows = self.r.lrange(self.keys.verdicts(station), -last, -1)
        return [v for v in (_as_verdict(r) for r in rows) if v is not None]

    def unassigned(self, station: str) -> list[RepVerdictEvent]:
        rows = self.r.lrange(self.keys.unassigned(station), 0, -1)
        return [v for v in (_as_verdict(r) for r in rows) if v is not None]

    def station_state(self, station: str) -> StationState:
        return RedisRepo(self.r, self.keys).station(station)

    def member_ids(self) -> list[str]:
        return sorted(self.r.smembers(self.keys.members()))

    def member(self, member_id: str) -> MemberRecord | None:
        return RedisRepo(self.r, self.keys).member(member_id)

    def member_by_token(self, method: IdMethod, token: str) -> MemberRecord | None:
        """The member of a badge id, QR text or PIN given in clear (a record found by its clear token, written
        before references were kept, is moved to references now)."""
        repo = RedisRepo(self.r, self.keys, tokens=self.tokens)
        rec = repo.member_by_token(method, token)
        if repo.writes:
            with self.r.pipeline(transaction=True) as p:
                repo.flush(p)
                p.execute()
        return rec

    def members(self) -> list[MemberRecord]:
        return [m for m in (self.member(i) for i in self.member_ids()) if m is not None]

    def save_member(self, rec: MemberRecord, old: MemberRecord | None = None) -> None:
        """Create or update a member (enrol/edit), moving its token index entries atomically.

        The tokens of `rec` that `old` (the stored record) does not hold are new ones given in clear (a trainer
        typed a badge id): each is kept as its reference, even one that looks like a reference. Those `old`
        holds are kept as they are (a form shows a stored reference and sends it back unchanged).
        """
        repo = RedisRepo(self.r, self.keys, tokens=self.tokens)
        kept = set(old.tokens) if old is not None else set()
        tokens = [(m, t) if (m, t) in kept else (m, repo.token_ref(m, t)) for m, t in rec.tokens]
        rec = rec.model_copy(update={"tokens": tokens})
        repo.save_member(rec)
        with self.r.pipeline(transaction=True) as p:
            for m, t in kept:
                if (m, t) not in rec.tokens:
                    p.delete(self.keys.token(m, t))
            repo.flush(p)
            p.execute()

    def migrate_clear_tokens(self) -> int:
        """Move every token still kept in clear (records and index entries written before references were kept)
        to its reference, once for the whole site; returns the members changed. Safe to run again, and while
        the services run (a lookup meanwhile moves the member it finds in the same way)."""
        changed: set[str] = set()
        for mid in self.member_ids():
            rec = self.member(mid)
            if rec is not None and not all(is_ref(t) for _, t in rec.tokens):
                self.save_member(rec, rec)
                changed.add(mid)
        prefix = self.keys.tokens_prefix()
        for key in self.r.scan_iter(match=prefix + "*", count=1000):
            method, _, token = key[len(prefix):].partition(":")
            if is_ref(token):
                continue
            # An index entry whose record does not list it: the member keeps signing in with it, by reference.
            holder = self.r.get(key)
            rec = self.member(holder) if holder else None
            if rec is not None and method in {m.value for m in IdMethod}:
                m = IdMethod(method)
                if self.r.get(self.keys.token(m, self.tokens.ref(m, token))) is None:
                    self.member_by_token(m, token)
                    changed.add(rec.info.member_id)
            self.r.delete(key)  # moved, stale (its reference belongs to someone else) or of no member
        return len(changed)

    # ------------------------------------------------------------ the tap-in throttle, for the dashboard

    def tap_flags(self) -> list[TapFlag]:
        return self.tokens.flags()

    def tap_holder(self, flag: TapFlag) -> MemberRecord | None:
        """The member whose token a flag is about, when it is one's (a station's flag: None)."""
        if flag.kind != TOKEN or flag.method not in {m.value for m in IdMethod}:
            return None
        mid = self.r.get(self.keys.token(IdMethod(flag.method), REF_PREFIX + flag.scope.rsplit(":", 1)[-1]))
        return self.member(mid) if mid else None

    def tap_unlock(self, scope: str) -> bool:
        return self.tokens.unlock(scope)

    def progress(self, member_id: str, exercise: str, leg: Leg) -> ProgressRecord | None:
        return RedisRepo(self.r, self.keys).progress(member_id, exercise, leg)

    def history(self, member_id: str, last: int = 200) -> list[SessionRecord]:
        rows = self.r.lrange(self.keys.history(member_id), -last, -1)
        return [SessionRecord.model_validate_json(r) for r in rows]


class MemoryRepo:
    """The same repository in memory: for `replay` and unit tests of the engine."""

    def __init__(self, token_key: bytes | None = None, tap_limits: TapLimits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token_key = token_key or secrets.token_bytes(32)  # in memory: nothing outlives the process
        self.tap_limits = tap_limits or TapLimits()
        self.clock = clock
        self.taps: dict[str, dict[str, float]] = {}
        self.tap_counted: set[str] = set()
        self.stations: dict[str, StationState] = {}
        self.members: dict[str, MemberRecord] = {}
        self.tokens: dict[tuple[IdMethod, str], str] = {}  # (method, reference) -> member id
        self.progresses: dict[tuple[str, str, Leg], ProgressRecord] = {}
        self.histories: dict[str, list[SessionRecord]] = {}
        self.verdicts: dict[str, list[Envelope]] = {}
        self.unassigned: dict[str, list[Envelope]] = {}
        self.archives: dict[tuple[str, str], list[SetRecord]] = {}

    def station(self, station_id: str) -> StationState:
        return self.stations.setdefault(station_id, StationState())

    def save_station(self, station_id: str, state: StationState) -> None:
        self.stations[station_id] = state

    def member(self, member_id: str) -> MemberRecord | None:
        return self.members.get(member_id)

    def member_by_token(self, method: IdMethod, token: str) -> MemberRecord | None:
        mid = self.tokens.get((method, self.token_ref(method, token)))
        return self.members.get(mid) if mid else None

    def token_ref(self, method: IdMethod, token: str) -> str:
        return token_ref(self.token_key, method, token)

    def save_member(self, rec: MemberRecord) -> None:
        tokens = [(m, t if is_ref(t) else self.token_ref(m, t)) for m, t in rec.tokens]
        rec = rec.model_copy(update={"tokens": tokens})
        self.members[rec.info.member_id] = rec
        for m, t in rec.tokens:
            self.tokens[(m, t)] = rec.info.member_id

    def tap_gate(self, scopes: Sequence[str], event_id: str) -> TapGate:
        return self._tap(scopes, event_id, count=False)

    def tap_failed(self, scopes: Sequence[str], event_id: str) -> TapGate:
        return self._tap(scopes, event_id, count=True)

    def _tap(self, scopes: Sequence[str], event_id: str, count: bool) -> TapGate:
        """`MemberTokens`'s script, in memory, on this repository's clock."""
        lim, now = self.tap_limits, self.clock()
        for s in scopes:
            e = self.taps.get(s)
            if e is not None and now - e.get("locked", e["first"]) >= (lim.lock_s if "locked" in e else lim.window_s):
                del self.taps[s]
        if not count and event_id in self.tap_counted:
            return TapGate()  # the same try again, not a new one
        if count and event_id not in self.tap_counted:
            self.tap_counted.add(event_id)
            for s in scopes:
                e = self.taps.setdefault(s, {"n": 0, "first": now})
                e["n"] += 1
                e["last"] = now
                if e["n"] >= lim.lock_failures:
                    e.setdefault("locked", now)
                elif e["n"] > lim.free_failures:
                    e["next"] = now + lim.delay_after(int(e["n"]))
        wait = max((self.taps[s].get("next", 0.0) - now for s in scopes if s in self.taps), default=0.0)
        locked = next((s.split(":", 1)[0] for s in scopes if "locked" in self.taps.get(s, {})), "")
        return TapGate(wait_s=max(0.0, wait), locked=locked)

    def progress(self, member_id: str, exercise: str, leg: Leg) -> ProgressRecord | None:
        return self.progresses.get((member_id, exercise, leg))

    def save_progress(self, member_id: str, exercise: str, leg: Leg, rec: ProgressRecord) -> None:
        self.progresses[(member_id, exercise, leg)] = rec

    def last_session(self, member_id: str) -> SessionRecord | None:
        h = self.histories.get(member_id)
        return h[-1] if h else None

    def add_session(self, rec: SessionRecord) -> None:
        self.histories.setdefault(rec.member_id, []).append(rec.model_copy(deep=True))

    def add_verdict(self, station_id: str, ev: Envelope, assigned: bool) -> None:
        self.verdicts.setdefault(station_id, []).append(ev)
        if not assigned:
            self.unassigned.setdefault(station_id, []).append(ev)


    def archive_set(self, station_id: str, session_id: str, rec: SetRecord) -> None:
        self.archives.setdefault((station_id, session_id), []).append(rec)

    def archived_sets(self, station_id: str, session_id: str) -> list[SetRecord]:
        return list(self.archives.get((station_id, session_id), []))

    def drop_archive(self, station_id: str, session_id: str) -> None:
        self.archives.pop((station_id, session_id), None)


def _stored(outputs: list[Envelope]) -> str:
    """An applied event's outputs as its processed mark keeps them."""
    return "[" + ",".join(o.to_json().decode() for o in outputs) + "]"


def _outputs(stored: str) -> list[Envelope]:
    return [parse_event(orjson.dumps(x)) if isinstance(x, dict) else parse_event(x) for x in orjson.loads(stored)]


def _as_verdict(raw: str) -> RepVerdictEvent | None:
    ev: Envelope = parse_event(raw)
    return ev if isinstance(ev, RepVerdictEvent) else None


# ------------------------------------------------------------------ the dashboard's sign-in sessions and accounts
#
# A signed-in browser holds a random session id (in the dashboard's signed cookie); Redis holds the session under
# the id's SHA-256, so neither a backup nor a `KEYS` listing carries a usable cookie. Deleting the key signs the
# browser out everywhere at once: logout, a password reset, a role change, `gymctl user disable|remove`.

# A trainer's shift: signed in in the morning, signed out by closing time whatever they do.
SESSION_ABSOLUTE_S = 12 * 3600
# A tablet left on a bench signs itself out after two hours without a page opened.
SESSION_IDLE_S = 2 * 3600


class SignInSession(BaseModel):
    """One signed-in browser. Times are Unix seconds: the touch script reads `expires_at` in Lua."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str
    role: str
    created_at: int
    expires_at: int = Field(description="The absolute limit; the key's TTL is the idle one, never past this")
    client: str = Field(default="", description="Address that signed in")


# Read a session and, when asked, push its idle expiry on: never past the absolute limit (then it is deleted).
# KEYS[1] session key; ARGV: now (s), touch (1/0), idle limit (s).
_SESSION_TOUCH_LUA = """
local v = redis.call('GET', KEYS[1])
if not v then return false end
local left = tonumber(cjson.decode(v)['expires_at']) - tonumber(ARGV[1])
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return false
end
if ARGV[2] == '1' then redis.call('EXPIRE', KEYS[1], math.min(tonumber(ARGV[3]), math.ceil(left))) end
return v
"""

# Delete every session of one account and its index in one step, so a sign-in cannot slip between the two.
# KEYS[1] the account's index; ARGV[1] the session key prefix (up to the digest).
_REVOKE_USER_LUA = """
local n = 0
for _, d in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('DEL', ARGV[1] .. d)
end
redis.call('DEL', KEYS[1])
return n
"""


def session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class DashboardAccess:
    """Sign-in sessions of the dashboard and the switches on its accounts (disable, enable, remove).

    The accounts themselves (argon2 hashes, roles) are the dashboard's `UserStore`; what `gymctl` needs to cut an
    account off lives here, so the operator's tool does not import the dashboard.
    """

    def __init__(self, client: redis.Redis[str], site_id: str, idle_s: int = SESSION_IDLE_S,
                 absolute_s: int = SESSION_ABSOLUTE_S) -> None:
        self.r = client
        self.keys = Keys(site_id)
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self._touch = client.register_script(_SESSION_TOUCH_LUA)
        self._revoke_user = client.register_script(_REVOKE_USER_LUA)

    # sessions
    def create(self, user: str, role: str, client: str = "", now: float | None = None) -> str:
        """A new session for `user`; returns its id, which only the browser's cookie holds."""
        at = int(now if now is not None else time.time())
        sid = secrets.token_urlsafe(32)
        digest = session_digest(sid)
        rec = SignInSession(user=user, role=role, created_at=at, expires_at=at + self.absolute_s, client=client)
        index = self.keys.dashboard_user_sessions(user)
        known = self.r.smembers(index)
        with self.r.pipeline(transaction=True) as p:
            p.set(self.keys.dashboard_session(digest), rec.model_dump_json(), ex=min(self.idle_s, self.absolute_s))
            p.sadd(index, digest)
            p.expire(index, self.absolute_s)
            p.execute()
        if known:  # forget the index entries of sessions that expired, so it does not grow over the months
            alive = self.r.exists(*(self.keys.dashboard_session(d) for d in known))
            if alive < len(known):
                gone = [d for d in known if not self.r.exists(self.keys.dashboard_session(d))]
                if gone:
                    self.r.srem(index, *gone)
        return sid

    def get(self, session_id: str, *, touch: bool = True, now: float | None = None) -> SignInSession | None:
        """The live session of this id, or None (unknown, revoked, idle too long or past its absolute limit).

        `touch` (a page or API request) restarts the idle clock; a WebSocket's periodic re-check does not.
        """
        if not session_id:
            return None
        at = int(now if now is not None else time.time())
        raw = self._touch(keys=[self.keys.dashboard_session(session_digest(session_id))],
                          args=[at, 1 if touch else 0, self.idle_s])
        return SignInSession.model_validate_json(raw) if raw else None

    def revoke(self, session_id: str) -> bool:
        """Sign one browser out (logout)."""
        digest = session_digest(session_id)
        key = self.keys.dashboard_session(digest)
        raw = self.r.get(key)
        if raw is None:
            return False
        user = SignInSession.model_validate_json(raw).user
        with self.r.pipeline(transaction=True) as p:
            p.delete(key)
            p.srem(self.keys.dashboard_user_sessions(user), digest)
            p.execute()
        return True

    def revoke_user(self, user: str) -> int:
        """Sign every browser of `user` out; returns how many sessions ended."""
        prefix = self.keys.dashboard_session("")
        return int(self._revoke_user(keys=[self.keys.dashboard_user_sessions(user)], args=[prefix]))

    def sessions_of(self, user: str) -> int:
        known = self.r.smembers(self.keys.dashboard_user_sessions(user))
        return int(self.r.exists(*(self.keys.dashboard_session(d) for d in known))) if known else 0

    # accounts
    def exists(self, user: str) -> bool:
        return bool(self.r.hexists(self.keys.dashboard_users(), user))

    def is_disabled(self, user: str) -> bool:
        return bool(self.r.sismember(self.keys.dashboard_disabled(), user))

    def disabled(self) -> set[str]:
        return set(self.r.smembers(self.keys.dashboard_disabled()))

    def disable(self, user: str) -> int:
        """No more sign-ins for `user`, and every session of theirs ends now; returns the sessions ended."""
        if not self.exists(user):
            raise KeyError(user)
        self.r.sadd(self.keys.dashboard_disabled(), user)
        return self.revoke_user(user)

    def enable(self, user: str) -> bool:
        if not self.exists(user):
            raise KeyError(user)
        return bool(self.r.srem(self.keys.dashboard_disabled(), user))

    def remove(self, user: str) -> int:
        """Delete the account and end its sessions; returns the sessions ended."""
        if not self.exists(user):
            raise KeyError(user)
        with self.r.pipeline(transaction=True) as p:
            p.hdel(self.keys.dashboard_users(), user)
            p.srem(self.keys.dashboard_disabled(), user)
            p.execute()
        return self.revoke_user(user)


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
        st = StationState.model_validate_json(raw)
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
            st = StationState.model_validate_json(raw)
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
                st = StationState.model_validate_json(raw)
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
