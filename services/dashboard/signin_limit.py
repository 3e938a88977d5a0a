"""Sign-in throttling: growing waits per account and per client, counted atomically in Redis.

Each sign-in try is admitted or refused by one Lua script that reads and counts at once, so concurrent
guesses cannot all slip past a check made before any of them was counted: a try is counted as a wrong
password *before* the password is checked (a right one then takes it back). After `free` wrong passwords
each next try waits: `delay`, then twice that, … up to a cap, per account and per client address.

There is no hard lock anyone can trigger: the account's cap is short (a minute by default), so the real
owner, from a device nobody guessed from, is back in after that wait at most; the guesser's own address
climbs to the client's cap (15 minutes). Refused tries are not counted, so retrying early does not make the
wait longer. Counts are forgotten `window_s` after the last wait ends.

Keys: ``gym:{site}:dashboard:signin:account:{name}`` and ``…:client:{address}``, hashes of ``n`` (tries
counted) and ``next`` (Unix ms before which the next try waits), built in `shared.store.Keys`.
"""

from __future__ import annotations

import math
import time
from typing import Any

from shared.store import Keys

# KEYS: the account's key, the client's key. ARGV: now (ms), window (ms), then per key: free tries, first delay
# (ms), longest delay (ms). Returns 0 when the try is admitted (and counted), else the wait in ms.
_ADMIT_LUA = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
for i = 1, #KEYS do
  local nxt = tonumber(redis.call('HGET', KEYS[i], 'next') or '0')
  if nxt - now > wait then wait = nxt - now end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  local free, base, cap = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
  local d = 0
  if n >= free then
    d = math.min(base * 2 ^ (n - free), cap)
    redis.call('HSET', KEYS[i], 'next', now + d)
  end
  redis.call('PEXPIRE', KEYS[i], math.floor(d + window))
end
return 0
"""

# A right password: the account's count is cleared (its owner knows it); the client's try is taken back, and
# its wait too when that brings it under its free tries (a shared front-desk PC). KEYS as above; ARGV[1] the
# client's free tries.
_SUCCEEDED_LUA = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  local n = redis.call('HINCRBY', KEYS[2], 'n', -1)
  if n < tonumber(ARGV[1]) then redis.call('HDEL', KEYS[2], 'next') end
  if n <= 0 then redis.call('DEL', KEYS[2]) end
end
return 1
"""


class SignInLimiter:
    def __init__(self, redis: Any, site_id: str, per_account: int, per_client: int, window_s: int,
                 delay_s: float = 1.0, max_delay_account_s: int = 60, max_delay_client_s: int = 900) -> None:
        self.r = redis
        self.keys = Keys(site_id)
        self.per_account = per_account
        self.per_client = per_client
        self.window_s = window_s
        self.delay_ms = int(delay_s * 1000)
        self.cap_account_ms = max_delay_account_s * 1000
        self.cap_client_ms = max_delay_client_s * 1000
        self._admit = redis.register_script(_ADMIT_LUA)
        self._succeeded = redis.register_script(_SUCCEEDED_LUA)

    def _keys(self, account: str, client: str) -> list[str]:
        return [self.keys.signin_failures("account", account), self.keys.signin_failures("client", client)]

    def admit(self, account: str, client: str) -> int:
        """0 when this try may check its password (it is counted as wrong until `succeeded`), else the seconds
        to wait. Atomic: of N concurrent tries, only those within the free tries are admitted."""
        wait_ms = int(self._admit(keys=self._keys(account, client), args=[
            int(time.time() * 1000), self.window_s * 1000,
            self.per_account, self.delay_ms, self.cap_account_ms,
            self.per_client, self.delay_ms, self.cap_client_ms]))
        return math.ceil(wait_ms / 1000) if wait_ms > 0 else 0

    def succeeded(self, account: str, client: str) -> None:
        self._succeeded(keys=self._keys(account, client), args=[self.per_client])

    def wait_s(self, account: str, client: str) -> int:
        """Seconds until a try for this account from this client would be admitted (read only, counts nothing)."""
        now = time.time() * 1000
        with self.r.pipeline(transaction=False) as p:
            for key in self._keys(account, client):
                p.hget(key, "next")
            nexts = p.execute()
        wait = max((float(n) - now for n in nexts if n is not None), default=0.0)
        return math.ceil(wait / 1000) if wait > 0 else 0

    def clear(self, account: str) -> None:
        """An operator lets an account's owner try again now."""
        self.r.delete(self._keys(account, "")[0])
