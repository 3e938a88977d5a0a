"""The dashboard's sign-in sessions and accounts in Redis."""

from __future__ import annotations

import hashlib
import secrets
import time

import redis
from pydantic import BaseModel, ConfigDict, Field

from shared.store.keys import Keys

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
