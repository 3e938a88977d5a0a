"""Dependencies every route takes as `Annotated` aliases (the full-stack-fastapi-template way)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from starlette.requests import HTTPConnection

from services.dashboard.config import DashboardSettings
from services.dashboard.live import LiveFeed
from services.dashboard.sessions import SAFE_METHODS, SessionUser, SignIns
from services.dashboard.signin_limit import SignInLimiter
from services.dashboard.users import UserStore
from shared.store import AuditLog, RedisErrors, RedisStore

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_UNRESOLVED = object()


class NotSignedIn(Exception):
    """No valid session: pages redirect to the sign-in form, the API answers 401."""


def get_settings(request: Request) -> DashboardSettings:
    s: DashboardSettings = request.app.state.settings
    return s


def get_redis(request: Request) -> Any:
    return request.app.state.redis


def get_store(request: Request) -> RedisStore:
    s: RedisStore = request.app.state.store
    return s


def get_users(request: Request) -> UserStore:
    u: UserStore = request.app.state.users
    return u


def get_signin_limit(request: Request) -> SignInLimiter:
    lim: SignInLimiter = request.app.state.signin_limit
    return lim


def get_signins(request: Request) -> SignIns:
    si: SignIns = request.app.state.signins
    return si


def get_live(request: Request) -> LiveFeed:
    live: LiveFeed = request.app.state.live
    return live


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use (also for the anonymous sign-in form)."""
    tok = session.get("csrf")
    if not isinstance(tok, str):
        tok = session["csrf"] = secrets.token_urlsafe(32)
    return tok


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


def resolve_user(conn: HTTPConnection, *, reading: bool | None = None) -> SessionUser | None:
    """The signed-in user of this request or socket (its server-side session), looked up once per request.

    `reading` (default: the method is GET/HEAD/OPTIONS, or a WebSocket) lets a session verified shortly
    before keep reading while Redis is away; otherwise a Redis outage raises (→ 503).
    """
    cached: object = getattr(conn.state, "user", _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cached if isinstance(cached, SessionUser) else None
    if reading is None:
        reading = conn.scope["type"] == "websocket" or conn.scope.get("method") in SAFE_METHODS
    signins: SignIns = conn.app.state.signins
    sid = conn.session.get("sid")
    user = signins.user(sid, reading=reading)
    if user is None and sid is not None and conn.scope["type"] == "http":
        conn.session.pop("sid")  # revoked or expired: the browser's cookie forgets it with this response
    conn.state.user = user
    return user


def optional_user(conn: HTTPConnection) -> SessionUser | None:
    """For what a page shows around its content (the nav): nobody when the session cannot be checked."""
    try:
        return resolve_user(conn)
    except (*RedisErrors, OSError):
        return None


def current_user(request: Request) -> SessionUser:
    user = resolve_user(request)
    if user is None:
        raise NotSignedIn()
    return user


def current_trainer(user: Annotated[SessionUser, Depends(current_user)]) -> SessionUser:
    """A trainer's pages: operators see them too (they run the site the trainers use)."""
    return user


def current_operator(user: Annotated[SessionUser, Depends(current_user)]) -> SessionUser:
    if not user.is_operator:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "operators only")
    return user


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token: a form field or the X-CSRF-Token header."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it: the route reads the same form
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = request.session.get("csrf")
    if not sent or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token; reload the page")


class Audit:
    """Writes one audit entry for the signed-in user of this request: `audit("member.edit", member_id, ...)`."""

    def __init__(self, log: AuditLog, user: SessionUser, client: str, key: bytes) -> None:
        self.log, self.user, self.client, self._key = log, user, client, key

    def __call__(self, action: str, target: str = "", **detail: Any) -> None:
        self.log.record(self.user.name, action, target, detail, role=self.user.role.value, client=self.client)

    def fingerprint(self, value: str) -> str:
        """A badge as the log keeps it: keyed (the dashboard's secret), so two entries about the same badge match
        but the log neither holds the card's number nor lets anyone without the key test guesses against it."""
        return "#" + hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:16]


def get_audit(request: Request, user: Annotated[SessionUser, Depends(current_user)]) -> Audit:
    key = request.app.state.settings.dashboard_secret_key.get_secret_value().encode()
    return Audit(request.app.state.audit, user, client_address(request), key)


def get_audit_log(request: Request) -> AuditLog:
    log: AuditLog = request.app.state.audit
    return log


SettingsDep = Annotated[DashboardSettings, Depends(get_settings)]
RedisDep = Annotated[Any, Depends(get_redis)]
StoreDep = Annotated[RedisStore, Depends(get_store)]
UsersDep = Annotated[UserStore, Depends(get_users)]
LiveDep = Annotated[LiveFeed, Depends(get_live)]
SignInLimitDep = Annotated[SignInLimiter, Depends(get_signin_limit)]
SignInsDep = Annotated[SignIns, Depends(get_signins)]
AuditDep = Annotated[Audit, Depends(get_audit)]
AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]
CurrentUser = Annotated[SessionUser, Depends(current_user)]
CurrentTrainer = Annotated[SessionUser, Depends(current_trainer)]
CurrentOperator = Annotated[SessionUser, Depends(current_operator)]
Csrf = Depends(check_csrf)
