"""Fleet health, for operators only: every station's services, versions, last seen, frame rate, load cell."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.dashboard.api.deps import CurrentOperator, LiveDep
from services.dashboard.templating import render

router = APIRouter(tags=["fleet"])


@router.get("/fleet", include_in_schema=False)
def fleet_page(request: Request, user: CurrentOperator, live: LiveDep) -> Response:
    return render(request, "fleet.html", {"fleet": live.fleet()})


@router.get("/api/v1/fleet", summary="Every station's services (operators only)")
def fleet(user: CurrentOperator, live: LiveDep) -> dict[str, Any]:
    return live.fleet()
