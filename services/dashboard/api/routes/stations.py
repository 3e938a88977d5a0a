"""One station: live force trace, rep verdicts with metrics, camera cues, and a trainer's cue to the kiosk."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request, WebSocket, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from services.dashboard.api.deps import Audit, AuditDep, Csrf, CurrentTrainer, LiveDep, StoreDep
from services.dashboard.api.routes.floor import pump
from services.dashboard.templating import render
from shared.contract import KioskCue
from shared.store import RedisErrors

router = APIRouter(tags=["stations"])

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # the contract's Ident: a valid topic level
StationId = Annotated[str, Path(pattern=ID_PATTERN)]


class CueIn(BaseModel):
    message: Annotated[str, Field(min_length=1, max_length=200)]
    ttl_s: float = Field(default=8.0, ge=1.0, le=120.0)


class CueSent(BaseModel):
    event_id: str
    station_id: str


def _seed_from_redis(live: Any, store: Any, station_id: str) -> None:
    """A station the live feed has not heard from since start: fill it from Redis (best effort)."""
    if station_id in live.floor.tiles:
        return
    try:
        state = store.station_state(station_id)
    except RedisErrors:
        return
    with live.lock:
        live.floor.seed(station_id, state)


@router.get("/stations/{station_id}", include_in_schema=False)
def station_page(request: Request, station_id: StationId, user: CurrentTrainer, live: LiveDep,
                 store: StoreDep) -> Response:
    _seed_from_redis(live, store, station_id)
    return render(request, "station.html", {"station_id": station_id, "snapshot": live.station_snapshot(station_id),
                                            "sent": request.query_params.get("sent") == "1", "error": ""})


@router.get("/api/v1/stations/{station_id}", summary="One station's tile, recent reps and force trace")
def station_detail(station_id: StationId, user: CurrentTrainer, live: LiveDep) -> dict[str, Any]:
    snap = live.station_snapshot(station_id)
    if snap["station"] is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no station {station_id} has reported")
    snap.pop("type")
    return snap


def _cue(live: Any, station_id: str, cue_in: CueIn, audit: Audit) -> str:
    cue = KioskCue(message=cue_in.message, trainer=audit.user.name, ttl_s=cue_in.ttl_s)
    event_id: str = live.send_cue(station_id, cue)
    audit("cue.send", station_id, message=cue_in.message, event_id=event_id)
    return event_id


@router.post("/api/v1/stations/{station_id}/cues", status_code=status.HTTP_202_ACCEPTED,
             summary="Send a trainer's cue to the station's kiosk", dependencies=[Csrf])
def send_cue(station_id: StationId, body: CueIn, user: CurrentTrainer, live: LiveDep, audit: AuditDep) -> CueSent:
    return CueSent(event_id=_cue(live, station_id, body, audit), station_id=station_id)


@router.post("/stations/{station_id}/cue", include_in_schema=False, dependencies=[Csrf])
def send_cue_form(request: Request, station_id: StationId, user: CurrentTrainer, live: LiveDep, audit: AuditDep,
                  message: Annotated[str, Form()] = "") -> Response:
    try:
        cue_in = CueIn(message=message.strip())
    except ValidationError:
        return render(request, "station.html", {
            "station_id": station_id, "snapshot": live.station_snapshot(station_id), "sent": False,
            "error": "A cue needs 1 to 200 characters."}, status_code=422)
    _cue(live, station_id, cue_in, audit)
    return RedirectResponse(f"/stations/{station_id}?sent=1", status_code=status.HTTP_303_SEE_OTHER)


@router.websocket("/ws/stations/{station_id}")
async def station_ws(ws: WebSocket, station_id: str) -> None:
    if not re.fullmatch(ID_PATTERN, station_id):
        await ws.close(code=4400)
        return
    await pump(ws, ws.app.state.live, "station", station_id)
