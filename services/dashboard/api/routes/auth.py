"""Sign-in and sign-out; `/api/v1/me` says who is signed in."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from services.dashboard.api.deps import Csrf, CurrentUser, SessionUser, UsersDep
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
def login(request: Request, users: UsersDep, username: Annotated[str, Form(max_length=40)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form(max_length=300)] = "/"
          ) -> Response:
    user = users.authenticate(username.strip().lower(), password)
    if user is None:
        return render(request, "login.html", {"next": _safe_next(next), "error": "Wrong name or password."},
                      status_code=status.HTTP_401_UNAUTHORIZED)
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
