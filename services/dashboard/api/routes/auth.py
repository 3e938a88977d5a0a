"""Sign-in and sign-out; `/api/v1/me` says who is signed in."""

from __future__ import annotations

import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from services.dashboard.api.deps import (
    AuditLogDep,
    Csrf,
    CurrentUser,
    SignInLimitDep,
    SignInsDep,
    UsersDep,
    client_address,
    optional_user,
)
from services.dashboard.sessions import SessionUser
from services.dashboard.templating import render

router = APIRouter(tags=["auth"])


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an open redirect would let a link sign a trainer in elsewhere.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": ""})


@router.post("/login", include_in_schema=False, dependencies=[Csrf])
def login(request: Request, users: UsersDep, limit: SignInLimitDep, signins: SignInsDep, audit_log: AuditLogDep,
          username: Annotated[str, Form(max_length=40)], password: Annotated[str, Form(max_length=200)],
          next: Annotated[str, Form(max_length=300)] = "/") -> Response:
    name = username.strip().lower()
    client = client_address(request)
    wait = limit.admit(name, client)  # counted as a wrong password until it proves right
    if wait:
        msg = (f"Too many wrong passwords for this account or from this device. Try again in {_wait_words(wait)}, "
               f"or ask an operator to reset the password.")
        return render(request, "login.html", {"next": _safe_next(next), "error": msg},
                      status_code=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(wait)})
    user = users.authenticate(name, password)
    if user is None:
        return render(request, "login.html", {"next": _safe_next(next), "error": "Wrong name or password."},
                      status_code=status.HTTP_401_UNAUTHORIZED)
    limit.succeeded(name, client)
    if users.is_disabled(user.name):
        return render(request, "login.html", {"next": _safe_next(next),
                                              "error": "This account is disabled. Ask an operator."},
                      status_code=status.HTTP_403_FORBIDDEN)
    # A fresh session (new random id and CSRF token) at sign-in: nothing chosen before it carries over.
    old = request.session.get("sid")
    if isinstance(old, str):
        signins.end(old)
    request.session.clear()
    sid = signins.start(user.name, user.role, client)
    request.session.update({"sid": sid, "csrf": secrets.token_urlsafe(32)})
    audit_log.record(user.name, "signin", user.name, role=user.role.value, client=client)
    return RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)


def _wait_words(wait_s: int) -> str:
    if wait_s < 60:
        return f"{wait_s} second{'s' if wait_s > 1 else ''}"
    minutes = math.ceil(wait_s / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


@router.post("/logout", include_in_schema=False, dependencies=[Csrf])
def logout(request: Request, signins: SignInsDep, audit_log: AuditLogDep) -> Response:
    sid = request.session.get("sid")
    user = optional_user(request)
    request.session.clear()  # this browser forgets it first, even if Redis cannot be reached below (503)
    if isinstance(sid, str):
        signins.end(sid)  # the session is gone from Redis: any copy of the cookie is worthless now
        if user is not None:
            audit_log.record(user.name, "signout", user.name, role=user.role.value, client=client_address(request))
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/api/v1/me", summary="Who is signed in")
def me(user: CurrentUser) -> SessionUser:
    return user
