"""Sign-in throttling: too many wrong passwords for one account, or from one client, get 429.

Counters live in Redis beside the accounts (so every dashboard of the site shares them, and a
restart does not reset them), with Redis's own rate-limiter pattern: `INCR` a key per account
and per client, the window's `EXPIRE` set by the first failure (`NX`). The argon2 hash already
makes each guess slow; this caps how many guesses an attacker gets at all.
"""

from __future__ import annotations

from typing import Any


class SignInLimiter:
    def __init__(self, redis: Any, site_id: str, per_account: int, per_client: int, window_s: int) -> None:
        self.r = redis
        self.prefix = f"gym:{site_id}:dashboard:signin-failures"
        self.per_account = per_account
        self.per_client = per_client
        self.window_s = window_s

    def _keys(self, account: str, client: str) -> tuple[str, str]:
        return f"{self.prefix}:account:{account}", f"{self.prefix}:client:{client}"

    def wait_s(self, account: str, client: str) -> int:
        """Seconds until this account may try again from this client; 0 when it may try now."""
        acc, cli = self._keys(account, client)
        with self.r.pipeline() as p:
            p.get(acc).ttl(acc).get(cli).ttl(cli)
            n_acc, ttl_acc, n_cli, ttl_cli = p.execute()
        waits = [0]
        if n_acc is not None and int(n_acc) >= self.per_account:
            waits.append(max(int(ttl_acc), 1))
        if n_cli is not None and int(n_cli) >= self.per_client:
            waits.append(max(int(ttl_cli), 1))
        return max(waits)

    def failed(self, account: str, client: str) -> None:
        with self.r.pipeline() as p:
            for key in self._keys(account, client):
                p.incr(key).expire(key, self.window_s, nx=True)
            p.execute()

    def succeeded(self, account: str) -> None:
        # The account's owner knows the password: their earlier typos no longer count against it.
        # The client's count stays, so one client cannot reset its budget by signing in to its own account.
        self.r.delete(self._keys(account, "")[0])
