"""The Redis adapter. Every key the product writes is built here and documented here.

Keys (``{site}`` is the site id; JSON values are the models of `shared.records` or
contract envelopes):

| key | type | holds |
|---|---|---|
| ``gym:{site}:processed:{event_id}`` | string (JSON list), TTL 7 days | the outputs of an applied event (idempotence, re-publication) |
| ``gym:{site}:stations`` | set | every station that has produced a verdict |
| ``gym:{site}:station:{station}:state`` | string (JSON `StationState`) | the live session and its sets, so a restarted worker carries on |
| ``gym:{site}:station:{station}:last_verdict`` | string (JSON envelope) | the station's latest ``rep.verdict`` |
| ``gym:{site}:station:{station}:verdicts`` | list (JSON envelopes) | recent verdicts, newest last, capped |
| ``gym:{site}:station:{station}:archive:{session_id}`` | list (JSON `SetRecord`), TTL 2 days | a live session's older ended sets, out of the hot state until the session ends |
| ``gym:{site}:station:{station}:unassigned`` | list (JSON envelopes) | verdicts of reps done outside any set, kept |
| ``gym:{site}:members`` | set | every member id |
| ``gym:{site}:member:{member_id}`` | string (JSON `MemberRecord`) | name, weaker leg, goal, badge/QR/PIN tokens |
| ``gym:{site}:token:{method}:{token}`` | string | member id of a badge, QR text or PIN |
| ``gym:{site}:progress:{member_id}:{exercise}:{leg}`` | string (JSON `ProgressRecord`) | next weight, reps, recent failure shares |
| ``gym:{site}:history:{member_id}`` | list (JSON `SessionRecord`) | every finished session with every set and rep verdict, oldest first |

Writes that must happen once per event go through `apply_once`: the writes and the
processed mark are committed by one Lua script that checks the mark is absent and the
station's state is the one read (so two workers never interleave on one station); a
crash between reading and committing can neither lose the write nor apply it twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
import redis
from redis.client import Pipeline

from shared.contract import Envelope, IdMethod, Leg, RepVerdictEvent, parse_event
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

    def token(self, method: IdMethod, token: str) -> str:
        return f"{self.p}:token:{method.value}:{token}"

    def progress(self, member_id: str, exercise: str, leg: Leg) -> str:
        return f"{self.p}:progress:{member_id}:{exercise}:{leg.value}"

    def history(self, member_id: str) -> str:
        return f"{self.p}:history:{member_id}"


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


class RedisRepo:
    """The progression engine's repository over Redis: reads now, writes kept as commands to commit at once.

    A station's state is written once per commit, however many events changed it: `commands()`
    appends its final value after the other writes.
    """

    def __init__(self, reader: Reader, keys: Keys, states: dict[str, StationState] | None = None) -> None:
        self.r = reader
        self.k = keys
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
        mid = self.r.get(self.k.token(method, token))
        return self.member(mid) if mid else None

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
        mid = rec.info.member_id
        self.writes.append(["SET", self.k.member(mid), rec.model_dump_json()])
        self.writes.append(["SADD", self.k.members(), mid])
        self.writes.extend(["SET", self.k.token(m, t), mid] for m, t in rec.tokens)

    def save_progress(self, member_id: str, exercise: str, leg: Leg, rec: ProgressRecord) -> None:
        self.writes.append(["SET", self.k.progress(member_id, exercise, leg), rec.model_dump_json()])

    def add_session(self, rec: SessionRecord) -> None:
        self.writes.append(["RPUSH", self.k.history(rec.member_id), rec.model_dump_json()])

    def add_verdict(self, station_id: str, ev: Envelope, assigned: bool) -> None:
        raw = ev.to_json().decode()
        self.writes += [
            ["SADD", self.k.stations(), station_id],
            ["SET", self.k.last_verdict(station_id), raw],
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
    def __init__(self, client: redis.Redis[str], site_id: str) -> None:
        self.r = client
        self.keys = Keys(site_id)
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
                repo = RedisRepo(self.r, self.keys, {sid: known.state})
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
                repo = RedisRepo(self.r, self.keys, {station: known.state})
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
        raw = self.r.get(self.keys.last_verdict(station))
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
        return RedisRepo(self.r, self.keys).member_by_token(method, token)

    def members(self) -> list[MemberRecord]:
        return [m for m in (self.member(i) for i in self.member_ids()) if m is not None]

    def save_member(self, rec: MemberRecord, old: MemberRecord | None = None) -> None:
        """Create or update a member (enrol/edit), moving its token index entries atomically."""
        repo = RedisRepo(self.r, self.keys)
        repo.save_member(rec)
        with self.r.pipeline(transaction=True) as p:
            if old is not None:
                for m, t in old.tokens:
                    if (m, t) not in rec.tokens:
                        p.delete(self.keys.token(m, t))
            repo.flush(p)
            p.execute()

    def progress(self, member_id: str, exercise: str, leg: Leg) -> ProgressRecord | None:
        return RedisRepo(self.r, self.keys).progress(member_id, exercise, leg)

    def history(self, member_id: str, last: int = 200) -> list[SessionRecord]:
        rows = self.r.lrange(self.keys.history(member_id), -last, -1)
        return [SessionRecord.model_validate_json(r) for r in rows]


class MemoryRepo:
    """The same repository in memory: for `replay` and unit tests of the engine."""

    def __init__(self) -> None:
        self.stations: dict[str, StationState] = {}
        self.members: dict[str, MemberRecord] = {}
        self.tokens: dict[tuple[IdMethod, str], str] = {}
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
        mid = self.tokens.get((method, token))
        return self.members.get(mid) if mid else None

    def save_member(self, rec: MemberRecord) -> None:
        self.members[rec.info.member_id] = rec
        for m, t in rec.tokens:
            self.tokens[(m, t)] = rec.info.member_id

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
