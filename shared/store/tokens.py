"""Tap-in tokens in Redis: keyed references and the throttle on unknown tap-ins (one Lua step per try)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence

import redis

from shared.contract import IdMethod
from shared.identity import TapFlag, TapGate, TapLimits, token_ref
from shared.store.keys import Keys

log = logging.getLogger(__name__)

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
