"""Jinja templates with what every page needs: the signed-in user and the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from services.dashboard.api.deps import csrf_token, optional_user

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def render(request: Request, name: str, ctx: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    base = {"user": optional_user(request), "csrf": csrf_token(request.session), "path": request.url.path,
            "central": request.app.state.settings.dashboard_central}
    return templates.TemplateResponse(request, name, {**base, **(ctx or {})}, status_code=status_code,
                                      headers=headers)
