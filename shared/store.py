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
import json
import logging
from collections.abc import Callable
from typing import Any

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
    """The progression engine's repository over Redis: reads now, writes kept as commands to commit at once."""

    def __init__(self, reader: Reader, keys: Keys, preloaded: dict[str, str | None] | None = None) -> None:
        self.r = reader
        self.k = keys
        self.writes: list[Command] = []
        self._stations: dict[str, StationState] = {}
        self._preloaded = preloaded or {}

    # reads
    def station(self, station_id: str) -> StationState:
        if station_id not in self._stations:
            key = self.k.station_state(station_id)
            raw = self._preloaded[key] if key in self._preloaded else self.r.get(key)
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
        self.writes.append(["SET", self.k.station_state(station_id), state.model_dump_json()])

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
        raw = ev.model_dump_json(by_alias=True)
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
        self.writes.clear()


# One round trip commits an event's writes, only if the event was not applied yet and the station's
# state is still the one the engine read (compare-and-set on its SHA-1); -1 asks the caller to re-read.
# The written keys are not all declared in KEYS: this needs one Redis (or Sentinel), not Cluster.
_APPLY_ONCE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local cur = redis.call('GET', KEYS[2])
local h = ''
if cur then h = redis.sha1hex(cur) end
if h ~= ARGV[1] then return -1 end
for _, cmd in ipairs(cjson.decode(ARGV[4])) do redis.call(unpack(cmd)) end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""


class RedisStore:
    def __init__(self, client: redis.Redis[str], site_id: str) -> None:
        self.r = client
        self.keys = Keys(site_id)
        self._apply = client.register_script(_APPLY_ONCE_LUA)
        # The station states this worker itself committed last, verbatim: the compare-and-set proves
        # whether they are still current, so they need not be read back before the next event.
        self._committed: dict[str, str] = {}

    def ping(self) -> bool:
        try:
            return bool(self.r.ping())
        except RedisErrors:
            return False

    def apply_once(self, event_id: str, work: Callable[[RedisRepo], list[Envelope]],
                   station: str) -> tuple[bool, list[Envelope]]:
        """Run `work` against a repository and commit its writes with the processed mark, once.

        One round trip when this worker committed the station's last state itself (the usual case:
        a station's events mostly reach the same worker): the compare-and-set checks both the mark
        and that nobody else wrote since. Otherwise, or when that check fails, two: read the mark
        and the state, then commit. Returns (applied now, outputs). An event applied before returns
        (False, its stored outputs), so the caller can publish them again with the same event ids.
        """
        mark, state_key = self.keys.processed(event_id), self.keys.station_state(station)
        raw = self._committed.get(station)
        trusted = raw is not None
        while True:
            if not trusted:
                done, raw = self.r.mget(mark, state_key)
                if done is not None:
                    return False, [parse_event(x) for x in json.loads(done)]
            repo = RedisRepo(self.r, self.keys, {state_key: raw})
            outputs = work(repo)
            stored = json.dumps([o.model_dump_json(by_alias=True) for o in outputs])
            digest = hashlib.sha1(raw.encode()).hexdigest() if raw else ""
            res = self._apply(keys=[mark, state_key], args=[digest, stored, PROCESSED_TTL_S, json.dumps(repo.writes)])
            if res == 1:
                written = next((str(w[2]) for w in reversed(repo.writes) if w[:2] == ["SET", state_key]), raw)
                if written is not None:
                    self._committed[station] = written
                return True, outputs
            # 0: applied before (maybe by another worker); -1: someone else wrote the state since.
            # Either way, read what Redis holds: the next pass returns the stored outputs or re-runs.
            self._committed.pop(station, None)
            trusted = False

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


def _as_verdict(raw: str) -> RepVerdictEvent | None:
    ev: Envelope = parse_event(raw)
    return ev if isinstance(ev, RepVerdictEvent) else None
