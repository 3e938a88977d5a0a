"""Dependencies every route takes as `Annotated` aliases (the full-stack-fastapi-template way)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from pydantic import BaseModel

from services.dashboard.config import DashboardSettings
from services.dashboard.live import LiveFeed
from services.dashboard.signin_limit import SignInLimiter
from services.dashboard.users import Role, UserStore
from shared.store import RedisStore

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


class NotSignedIn(Exception):
    """No valid session: pages redirect to the sign-in form, the API answers 401."""


class SessionUser(BaseModel):
    name: str
    role: Role

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR


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


def get_live(request: Request) -> LiveFeed:
    live: LiveFeed = request.app.state.live
    return live


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use (also for the anonymous sign-in form)."""
    tok = session.get("csrf")
    if not isinstance(tok, str):
        tok = session["csrf"] = secrets.token_urlsafe(32)
    return tok


def session_user(session: dict[str, Any]) -> SessionUser | None:
    name, role = session.get("user"), session.get("role")
    if not isinstance(name, str) or role not in (Role.TRAINER.value, Role.OPERATOR.value):
        return None
    return SessionUser(name=name, role=Role(role))


def current_user(request: Request) -> SessionUser:
    user = session_user(request.session)
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


SettingsDep = Annotated[DashboardSettings, Depends(get_settings)]
RedisDep = Annotated[Any, Depends(get_redis)]
StoreDep = Annotated[RedisStore, Depends(get_store)]
UsersDep = Annotated[UserStore, Depends(get_users)]
LiveDep = Annotated[LiveFeed, Depends(get_live)]
SignInLimitDep = Annotated[SignInLimiter, Depends(get_signin_limit)]
CurrentUser = Annotated[SessionUser, Depends(current_user)]
CurrentTrainer = Annotated[SessionUser, Depends(current_trainer)]
CurrentOperator = Annotated[SessionUser, Depends(current_operator)]
Csrf = Depends(check_csrf)
