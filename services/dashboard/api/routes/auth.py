"""Sign-in and sign-out; `/api/v1/me` says who is signed in."""

from __future__ import annotations

import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from services.dashboard.api.deps import Csrf, CurrentUser, SessionUser, SignInLimitDep, UsersDep
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
def login(request: Request, users: UsersDep, limit: SignInLimitDep, username: Annotated[str, Form(max_length=40)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form(max_length=300)] = "/"
          ) -> Response:
    name = username.strip().lower()
    client = request.client.host if request.client else "unknown"
    wait = limit.wait_s(name, client)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        msg = (f"Too many wrong passwords for this account or from this device. Try again in {minutes} "
               f"minute{'s' if minutes > 1 else ''}, or ask an operator to reset the password.")
        return render(request, "login.html", {"next": _safe_next(next), "error": msg},
                      status_code=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(wait)})
    user = users.authenticate(name, password)
    if user is None:
        limit.failed(name, client)
        return render(request, "login.html", {"next": _safe_next(next), "error": "Wrong name or password."},
                      status_code=status.HTTP_401_UNAUTHORIZED)
    limit.succeeded(name)
    # A fresh session (and CSRF token) at sign-in: nothing chosen before it carries over.
    request.session.clear()
    request.session.update({"user": user.name, "role": user.role.value, "csrf": secrets.token_urlsafe(32)})
    return RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout", include_in_schema=False, dependencies=[Csrf])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/api/v1/me", summary="Who is signed in")
def me(user: CurrentUser) -> SessionUser:
    return user
