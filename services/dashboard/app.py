"""The dashboard's FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.dashboard.floor import Floor
from shared.contract import FAULT_WORDS
from shared.mqtt import MqttBus
from shared.settings import Settings
from shared.store import RedisStore, connect

log = logging.getLogger(__name__)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def get_floor(request: Request) -> Floor:
    floor: Floor = request.app.state.floor
    return floor


def get_store(request: Request) -> RedisStore:
    store: RedisStore = request.app.state.store
    return store


FloorDep = Annotated[Floor, Depends(get_floor)]
StoreDep = Annotated[RedisStore, Depends(get_store)]

api = APIRouter(prefix="/api/v1")
pages = APIRouter()


def station_rows(floor: Floor) -> list[dict[str, Any]]:
    rows = []
    for v in floor.snapshot():
        lv = v.last_verdict
        rows.append({
            "station_id": v.station_id,
            "state": v.state,
            "services": {k: s.state.value for k, s in v.services.items()},
            "last_verdict": None if lv is None else {
                "rep_index": lv.rep_index, "leg": lv.leg.value, "passed": lv.passed,
                "faults": [f.value for f in lv.faults],
                "words": [FAULT_WORDS[f] for f in lv.faults],
            },
            "last_seen": v.last_seen.isoformat() if v.last_seen else None,
        })
    return rows


@api.get("/stations")
def list_stations(floor: FloorDep) -> list[dict[str, Any]]:
    return station_rows(floor)


@pages.get("/health")
def health(request: Request, store: StoreDep) -> dict[str, Any]:
    bus: MqttBus = request.app.state.bus
    return {"status": "ok", "mqtt": bus.connected.is_set(), "redis": store.ping()}


@pages.get("/", response_class=HTMLResponse)
def floor_page(request: Request, floor: FloorDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "floor.html", {"stations": station_rows(floor)})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        floor = Floor()
        store = RedisStore(connect(settings.redis_url), settings.site_id)
        # Fill the floor from Redis first, so a restarted dashboard is not blank.
        try:
            for st in store.stations():
                last = store.last_verdict(st)
                if last:
                    floor.apply(last)
        except Exception as exc:  # Redis down: the live feed still fills the floor
            log.warning("could not read history from redis: %s", exc)
        bus = MqttBus(settings, "dashboard")
        bus.subscribe("station.status", floor.apply, site_id=settings.site_id)
        bus.subscribe("rep.verdict", floor.apply, site_id=settings.site_id)
        bus.start(wait_s=5.0)
        app.state.floor, app.state.store, app.state.bus = floor, store, bus
        yield
        bus.stop()

    app = FastAPI(title="Smart cable station — trainer dashboard", version="0.1.0", lifespan=lifespan)
    app.include_router(api)
    app.include_router(pages)
    return app
