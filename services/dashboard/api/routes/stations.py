"""One station: live force trace, rep verdicts with every metric, what the station decided, camera cues, and a
trainer's cue to the kiosk (one tap from the seed's tips and mistakes, or typed), shown for a chosen lifetime."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request, WebSocket, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError, model_validator

from services.dashboard.api.deps import Audit, AuditDep, Csrf, CurrentTrainer, LiveDep, StoreDep
from services.dashboard.api.routes.floor import pump
from services.dashboard.metrics import catalogue_json
from services.dashboard.plans import OneTapCue, cues_for
from services.dashboard.templating import render
from shared.contract import KioskCue
from shared.store import RedisErrors

router = APIRouter(tags=["stations"])

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # the contract's Ident: a valid topic level
StationId = Annotated[str, Path(pattern=ID_PATTERN)]


# How long the kiosk shows a cue (KioskCue.ttl_s): long enough to read between reps (a rep of the seed's tempo is
# ~5 s), the longest for a cue meant to last the set.
TTL_CHOICES = (5, 8, 15, 30, 60)
TTL_DEFAULT = 8


class CueIn(BaseModel):
    """A typed cue (`message`) or a one-tap cue by its id (`cue`, from GET …/cues), and its lifetime."""

    message: Annotated[str, Field(max_length=200)] = ""
    cue: Annotated[str, Field(max_length=40, description="Id of a one-tap cue (GET /api/v1/stations/{id}/cues)")] = ""
    ttl_s: float = Field(default=float(TTL_DEFAULT), ge=1.0, le=120.0, description="How long the kiosk shows it")

    @model_validator(mode="after")
    def _one_of(self) -> CueIn:
        if not self.message.strip() and not self.cue:
            raise ValueError("a cue needs a message or a one-tap cue id")
        return self


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


def _quick_cues(live: Any, station_id: str) -> list[OneTapCue]:
    """The one-tap cues of the exercise trained at the station (the default exercise when it is free)."""
    with live.lock:
        tile = live.floor.tiles.get(station_id)
        exercise = tile.exercise if tile else None
    return cues_for(exercise)


def _page(request: Request, live: Any, station_id: str, sent: bool, error: str, status_code: int = 200) -> Response:
    return render(request, "station.html", {
        "station_id": station_id, "snapshot": live.station_snapshot(station_id), "sent": sent, "error": error,
        "cues": _quick_cues(live, station_id), "metrics": catalogue_json(), "ttl_choices": TTL_CHOICES,
        "ttl_default": TTL_DEFAULT}, status_code=status_code)


@router.get("/stations/{station_id}", include_in_schema=False)
def station_page(request: Request, station_id: StationId, user: CurrentTrainer, live: LiveDep,
                 store: StoreDep) -> Response:
    _seed_from_redis(live, store, station_id)
    return _page(request, live, station_id, request.query_params.get("sent") == "1", "")


@router.get("/api/v1/stations/{station_id}/cues", summary="The one-tap cues of the station's exercise")
def quick_cues(station_id: StationId, user: CurrentTrainer, live: LiveDep) -> list[dict[str, Any]]:
    return [q.to_json() for q in _quick_cues(live, station_id)]


@router.get("/api/v1/stations/{station_id}", summary="One station's tile, recent reps and force trace")
def station_detail(station_id: StationId, user: CurrentTrainer, live: LiveDep) -> dict[str, Any]:
    snap = live.station_snapshot(station_id)
    if snap["station"] is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no station {station_id} has reported")
    snap.pop("type")
    return snap


class UnknownCue(ValueError):
    pass


def _cue(live: Any, station_id: str, cue_in: CueIn, audit: Audit) -> str:
    message = cue_in.message.strip()
    if cue_in.cue:
        quick = next((q for q in _quick_cues(live, station_id) if q.id == cue_in.cue), None)
        if quick is None:
            raise UnknownCue(f"no one-tap cue {cue_in.cue!r} for this station's exercise")
        message = quick.message
    cue = KioskCue(message=message, trainer=audit.user.name, ttl_s=cue_in.ttl_s)
    event_id: str = live.send_cue(station_id, cue)
    audit("cue.send", station_id, message=message, cue=cue_in.cue or None, ttl_s=cue_in.ttl_s, event_id=event_id)
    return event_id


@router.post("/api/v1/stations/{station_id}/cues", status_code=status.HTTP_202_ACCEPTED,
             summary="Send a trainer's cue to the station's kiosk", dependencies=[Csrf])
def send_cue(station_id: StationId, body: CueIn, user: CurrentTrainer, live: LiveDep, audit: AuditDep) -> CueSent:
    try:
        return CueSent(event_id=_cue(live, station_id, body, audit), station_id=station_id)
    except UnknownCue as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


@router.post("/stations/{station_id}/cue", include_in_schema=False, dependencies=[Csrf])
def send_cue_form(request: Request, station_id: StationId, user: CurrentTrainer, live: LiveDep, audit: AuditDep,
                  message: Annotated[str, Form()] = "", cue: Annotated[str, Form()] = "",
                  ttl_s: Annotated[float, Form()] = float(TTL_DEFAULT)) -> Response:
    try:
        _cue(live, station_id, CueIn(message=message.strip(), cue=cue, ttl_s=ttl_s), audit)
    except (ValidationError, UnknownCue):
        return _page(request, live, station_id, False, "A cue needs 1 to 200 characters, or a tap on a tip.", 422)
    return RedirectResponse(f"/stations/{station_id}?sent=1", status_code=status.HTTP_303_SEE_OTHER)


@router.websocket("/ws/stations/{station_id}")
async def station_ws(ws: WebSocket, station_id: str) -> None:
    if not re.fullmatch(ID_PATTERN, station_id):
        await ws.close(code=4400)
        return
    await pump(ws, ws.app.state.live, "station", station_id)
