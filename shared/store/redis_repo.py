"""The progression engine's repository over Redis (`RedisRepo`) and the store every service reads and
commits through (`RedisStore`): events applied once, in batches, and the reads of the dashboard and tools."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import orjson
import redis
from redis.client import Pipeline

from shared.contract import Envelope, IdMethod, Leg, RepVerdictEvent, parse_event
from shared.identity import REF_PREFIX, TOKEN, TapFlag, TapGate, TapLimits, is_ref
from shared.records import MemberRecord, ProgressRecord, SessionRecord, SetRecord, StationRecord
from shared.store.commit import APPLY_BATCH_LUA, outputs_of, stored_outputs
from shared.store.keys import (
    ARCHIVE_TTL_S,
    PROCESSED_TTL_S,
    STATION_FEED_LEN,
    UNASSIGNED_LEN,
    Command,
    Keys,
    Reader,
    RedisErrors,
)
from shared.store.tokens import MemberTokens


class RedisRepo:
    """The progression engine's repository over Redis: reads now, writes kept as commands to commit at once.

    A station's state is written once per commit, however many events changed it: `commands()`
    appends its final value after the other writes.
    """

    def __init__(self, reader: Reader, keys: Keys, states: dict[str, StationRecord] | None = None,
                 tokens: MemberTokens | None = None) -> None:
        self.r = reader
        self.k = keys
        self.tokens = tokens
        self.writes: list[Command] = []
        self._stations: dict[str, StationRecord] = dict(states or {})
        self._dirty: set[str] = set()

    # reads
    def station(self, station_id: str) -> StationRecord:
        if station_id not in self._stations:
            raw = self.r.get(self.k.station_state(station_id))
            self._stations[station_id] = StationRecord.model_validate_json(raw) if raw else StationRecord()
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
    def save_station(self, station_id: str, state: StationRecord) -> None:
        self._stations[station_id] = state
        self._dirty.add(station_id)

    def saved_state(self, station_id: str) -> tuple[StationRecord, str] | None:
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


Work = Callable[[Envelope, RedisRepo], list[Envelope]]
Applied = tuple[bool, list[Envelope]]  # (applied now, outputs)


@dataclass
class _Known:
    """A station state this worker committed itself: verbatim, parsed, and its SHA-1."""

    raw: str | None
    state: StationRecord
    digest: str


def _known(raw: str | None) -> _Known:
    state = StationRecord.model_validate_json(raw) if raw else StationRecord()
    return _Known(raw, state, hashlib.sha1(raw.encode()).hexdigest() if raw else "")


class RedisStore:
    def __init__(self, client: redis.Redis[str], site_id: str, token_key: bytes | None = None,
                 tap_limits: TapLimits | None = None) -> None:
        """`token_key`: the site secret (`Settings.site_token_key`); None outside production only."""
        self.r = client
        self.keys = Keys(site_id)
        self.tokens = MemberTokens(client, self.keys, token_key, tap_limits)
        self._apply = client.register_script(APPLY_BATCH_LUA)
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
            plan: list[tuple[str, list[Envelope], tuple[StationRecord, str] | None, list[list[Envelope]]]] = []
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
                args += [stored_outputs(o) for o in outs]
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
                results[e.event_id] = (False, outputs_of(done))

    def _remember(self, station: str, saved: tuple[StationRecord, str] | None) -> None:
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
                        results.append((False, outputs_of(done)))
                        break
                    known = self._known[station] = _known(raw)
                repo = RedisRepo(self.r, self.keys, {station: known.state}, self.tokens)
                try:
                    outputs = fn(repo)
                    saved = repo.saved_state(station)
                    res = self._apply(args=[PROCESSED_TTL_S, state_key, known.digest, saved[1] if saved else "", 1,
                                            mark, stored_outputs(outputs), orjson.dumps(repo.writes).decode()])
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

    def station_state(self, station: str) -> StationRecord:
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


def _as_verdict(raw: str) -> RepVerdictEvent | None:
    ev: Envelope = parse_event(raw)
    return ev if isinstance(ev, RepVerdictEvent) else None
