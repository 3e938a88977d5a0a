"""One station: live force trace, rep verdicts with every metric, what the station decided, camera cues, and a
trainer's cue to the kiosk (one tap from the seed's tips and mistakes, or typed), shown for a chosen lifetime."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request, WebSocket, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError, model_validator

from services.dashboard.api.deps import Audit, AuditDep, Csrf, CurrentTrainer, LiveDep, StoreDep
from services.dashboard.api.routes.floor import pump
from services.dashboard.metrics import catalogue_json
from services.dashboard.plans import OneTapCue, cues_for
from services.dashboard.reviews import ReviewIn, ReviewLog, VerdictReview
from services.dashboard.templating import render
from shared.contract import FAULT_WORDS, Fault, KioskCue
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
        "ttl_default": TTL_DEFAULT, "faults": [(f.value, FAULT_WORDS[f]) for f in Fault],
        "reviewed": request.query_params.get("reviewed") == "1"}, status_code=status_code)


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


# ------------------------------------------------------------------ verdict review (a label for the corpus)

class RepGone(LookupError):
    pass


def _review(request: Request, live: Any, station_id: str, body: ReviewIn, audit: Audit) -> VerdictReview:
    """The rep as the station page lists it, labelled; RepGone when the page's rows no longer hold it."""
    key = (body.session_id, body.set_index, body.leg.value, body.rep_index)
    with live.lock:
        row = next((r for r in live.floor.rows(station_id)
                    if (r["session_id"], r["set_index"], r["leg"], r["rep_index"]) == key), None)
    if row is None:
        raise RepGone(f"rep {body.rep_index} is no longer among the station's recent reps")
    review = VerdictReview(station_id=station_id, session_id=body.session_id, set_index=body.set_index, leg=body.leg,
                           rep_index=body.rep_index, start_t=row["start_t"], end_t=row["end_t"],
                           verdict_faults=[Fault(f) for f in row["faults"]], verdict_status=row["status"],
                           true_faults=sorted(set(body.true_faults)), note=body.note.strip(),
                           trainer=audit.user.name, made=datetime.now(UTC), review_id="r" + uuid.uuid4().hex[:12])
    reviews: ReviewLog = request.app.state.reviews
    entry = reviews.add(review)
    live.request_save(station_id, review)  # the station's camera and load cell save the set into their corpus
    audit("verdict.review", station_id, rep=list(key), verdict=[f.value for f in review.verdict_faults],
          label=[f.value for f in review.true_faults], entry=entry)
    return review


@router.post("/api/v1/stations/{station_id}/reviews", status_code=status.HTTP_201_CREATED, dependencies=[Csrf],
             summary="Mark a rep's verdict wrong: the faults really there (none: it was clean), for the corpus")
def review_verdict(request: Request, station_id: StationId, body: ReviewIn, user: CurrentTrainer, live: LiveDep,
                   audit: AuditDep) -> dict[str, Any]:
    try:
        rv = _review(request, live, station_id, body, audit)
    except RepGone as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.errors()[0]["msg"]) from None
    return {**rv.model_dump(mode="json"), "missed": [f.value for f in rv.missed],
            "wrongly_found": [f.value for f in rv.wrongly_found]}


@router.get("/api/v1/reviews", summary="The latest verdict reviews (labels for the corpus), newest first")
def list_reviews(request: Request, user: CurrentTrainer, station_id: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    reviews: ReviewLog = request.app.state.reviews
    return [rv.model_dump(mode="json") for rv in reviews.latest(limit, station_id)]


@router.post("/stations/{station_id}/review", include_in_schema=False, dependencies=[Csrf])
async def review_form(request: Request, station_id: StationId, user: CurrentTrainer, live: LiveDep,
                      audit: AuditDep) -> Response:
    form = await request.form()
    try:
        body = ReviewIn(session_id=str(form.get("session_id") or "") or None,
                        set_index=int(str(form.get("set_index"))) if form.get("set_index") else None,
                        leg=str(form.get("leg") or ""), rep_index=int(str(form.get("rep_index") or 0)),
                        true_faults=[str(f) for f in form.getlist("fault")], note=str(form.get("note") or ""))
        await asyncio.to_thread(_review, request, live, station_id, body, audit)
    except (ValidationError, ValueError, RepGone) as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ") if isinstance(exc, ValidationError) else str(exc)
        return _page(request, live, station_id, False, f"Review not saved: {msg}", 422)
    return RedirectResponse(f"/stations/{station_id}?reviewed=1", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/reviews", include_in_schema=False)
def reviews_page(request: Request, user: CurrentTrainer, station_id: str | None = None) -> Response:
    """The labels kept for the corpus, newest first: what each station said and what the trainer saw."""
    if station_id is not None and not re.fullmatch(ID_PATTERN, station_id):
        station_id = None
    reviews: ReviewLog = request.app.state.reviews
    return render(request, "reviews.html", {"reviews": reviews.latest(200, station_id), "station_id": station_id,
                                            "words": FAULT_WORDS, "saves": request.app.state.live.saves})
