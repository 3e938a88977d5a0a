"""Who a request or a WebSocket belongs to: the server-side session named by the cookie's random id.

The cookie (Starlette's `SessionMiddleware`, signed with the secret key, `SameSite=Lax`, `Secure` behind TLS)
carries only the session id (``sid``) and the CSRF token; the session — user, role, idle and absolute expiry —
is in Redis (`shared.store.DashboardAccess`), so deleting it there signs the browser out at once, whatever
copy of the cookie anyone kept.

While Redis is away a session this process verified within `offline_grace_s` may still *read* (pages, the
live floor's WebSockets): the floor keeps working through a Redis restart. Anything that changes state
needs Redis, and gets 503 without it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from services.dashboard.users import Role
from shared.store import DashboardAccess, RedisErrors, SignInSession, session_digest

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CACHE_MAX = 10_000  # verified sessions remembered for Redis outages; a site has a few dozen browsers


class SessionUser(BaseModel):
    name: str
    role: Role

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR


@dataclass(frozen=True)
class _Verified:
    session: SignInSession
    at: float  # monotonic time of the last check against Redis


class SignIns:
    """Sessions as the dashboard uses them: create at sign-in, resolve per request, revoke at logout."""

    def __init__(self, access: DashboardAccess, offline_grace_s: float) -> None:
        self.access = access
        self.grace_s = offline_grace_s
        self._seen: dict[str, _Verified] = {}
        self._lock = threading.Lock()

    def start(self, user: str, role: Role, client: str) -> str:
        return self.access.create(user, role.value, client)

    def end(self, sid: str) -> None:
        with self._lock:
            self._seen.pop(session_digest(sid), None)
        self.access.revoke(sid)

    def user(self, sid: Any, *, reading: bool, touch: bool = True) -> SessionUser | None:
        """The signed-in user of session id `sid`, or None. Raises a Redis error when Redis is away and
        the session cannot be vouched for (not reading, or not verified within the grace)."""
        if not isinstance(sid, str) or not sid:
            return None
        digest = session_digest(sid)
        try:
            s = self.access.get(sid, touch=touch)
        except RedisErrors:
            with self._lock:
                seen = self._seen.get(digest)
            if (reading and seen is not None and time.monotonic() - seen.at <= self.grace_s
                    and seen.session.expires_at > time.time()):
                return _user(seen.session)
            raise
        with self._lock:
            if s is None:
                self._seen.pop(digest, None)
                return None
            if len(self._seen) >= _CACHE_MAX:
                self._seen.clear()
            self._seen[digest] = _Verified(s, time.monotonic())
        return _user(s)


def _user(s: SignInSession) -> SessionUser | None:
    try:
        return SessionUser(name=s.user, role=Role(s.role))
    except ValueError:
        return None
