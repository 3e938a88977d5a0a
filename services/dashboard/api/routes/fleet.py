"""Fleet health, for operators only: every station's services, versions, last seen, frame rate, load cell."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import Response

from services.dashboard.api.deps import CurrentOperator, LiveDep
from services.dashboard.api.routes.floor import pump
from services.dashboard.templating import render

router = APIRouter(tags=["fleet"])


@router.get("/fleet", include_in_schema=False)
def fleet_page(request: Request, user: CurrentOperator, live: LiveDep) -> Response:
    return render(request, "fleet.html", {"fleet": live.fleet()})


@router.get("/api/v1/fleet", summary="Every station's services (operators only)")
def fleet(user: CurrentOperator, live: LiveDep) -> dict[str, Any]:
    return live.fleet()


@router.websocket("/ws/fleet")
async def fleet_ws(ws: WebSocket) -> None:
    await pump(ws, ws.app.state.live, "fleet", operators_only=True)
