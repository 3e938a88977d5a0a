"""What the progression engine reads and writes (`Repo`), and the same repository in memory (`MemoryRepo`)
for `replay` and unit tests of the engine."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from shared.contract import Envelope, IdMethod, Leg
from shared.identity import TapGate, TapLimits, is_ref, token_ref
from shared.records import MemberRecord, ProgressRecord, SessionRecord, SetRecord, StationRecord


class Repo(Protocol):
    def station(self, station_id: str) -> StationRecord: ...
    def save_station(self, station_id: str, state: StationRecord) -> None: ...
    def member(self, member_id: str) -> MemberRecord | None: ...
    def member_by_token(self, method: IdMethod, token: str) -> MemberRecord | None: ...
    def token_ref(self, method: IdMethod, token: str) -> str: ...
    def tap_gate(self, scopes: Sequence[str], event_id: str) -> TapGate: ...
    def tap_failed(self, scopes: Sequence[str], event_id: str) -> TapGate: ...
    def save_member(self, rec: MemberRecord) -> None: ...
    def progress(self, member_id: str, exercise: str, leg: Leg) -> ProgressRecord | None: ...
    def save_progress(self, member_id: str, exercise: str, leg: Leg, rec: ProgressRecord) -> None: ...
    def last_session(self, member_id: str) -> SessionRecord | None: ...
    def add_session(self, rec: SessionRecord) -> None: ...
    def add_verdict(self, station_id: str, ev: Envelope, assigned: bool) -> None: ...
    def archive_set(self, station_id: str, session_id: str, rec: SetRecord) -> None: ...
    def archived_sets(self, station_id: str, session_id: str) -> list[SetRecord]: ...
    def drop_archive(self, station_id: str, session_id: str) -> None: ...


class MemoryRepo:
    """The same repository in memory: for `replay` and unit tests of the engine."""

    def __init__(self, token_key: bytes | None = None, tap_limits: TapLimits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token_key = token_key or secrets.token_bytes(32)  # in memory: nothing outlives the process
        self.tap_limits = tap_limits or TapLimits()
        self.clock = clock
        self.taps: dict[str, dict[str, float]] = {}
        self.tap_counted: set[str] = set()
        self.stations: dict[str, StationRecord] = {}
        self.members: dict[str, MemberRecord] = {}
        self.tokens: dict[tuple[IdMethod, str], str] = {}  # (method, reference) -> member id
        self.progresses: dict[tuple[str, str, Leg], ProgressRecord] = {}
        self.histories: dict[str, list[SessionRecord]] = {}
        self.verdicts: dict[str, list[Envelope]] = {}
        self.unassigned: dict[str, list[Envelope]] = {}
        self.archives: dict[tuple[str, str], list[SetRecord]] = {}

    def station(self, station_id: str) -> StationRecord:
        return self.stations.setdefault(station_id, StationRecord())

    def save_station(self, station_id: str, state: StationRecord) -> None:
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
