"""The live floor: the page, its JSON, and the WebSocket that keeps it current."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from services.dashboard.api.deps import CurrentTrainer, LiveDep, session_user
from services.dashboard.live import Client, LiveFeed
from services.dashboard.templating import render

router = APIRouter(tags=["floor"])

WS_UNAUTHORISED = 4401  # application close code: the page sends the browser to the sign-in form


@router.get("/", include_in_schema=False)
def floor_page(request: Request, user: CurrentTrainer, live: LiveDep) -> Response:
    return render(request, "floor.html", {"snapshot": live.floor_snapshot()})


@router.get("/api/v1/stations", summary="Every station's live tile")
def list_stations(user: CurrentTrainer, live: LiveDep) -> list[dict[str, Any]]:
    stations: list[dict[str, Any]] = live.floor_snapshot()["stations"]
    return stations


async def pump(ws: WebSocket, live: LiveFeed, station: str | None) -> None:
    """Accept, check the session, send the snapshot, then forward queued frames until the browser leaves."""
    await ws.accept()
    if session_user(ws.session) is None:
        await ws.close(code=WS_UNAUTHORISED, reason="sign in first")
        return
    client: Client = live.join(station)
    try:
        snap = live.floor_snapshot() if station is None else live.station_snapshot(station)
        await ws.send_text(json.dumps(snap))

        async def drain_incoming() -> None:
            while True:  # browsers send nothing; reading is how a closed socket is noticed
                await ws.receive_text()

        reader = asyncio.create_task(drain_incoming())
        try:
            while not reader.done():
                getter = asyncio.create_task(client.queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await ws.send_text(getter.result())
                else:
                    getter.cancel()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await reader
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        live.leave(client)


@router.websocket("/ws/floor")
async def floor_ws(ws: WebSocket) -> None:
    await pump(ws, ws.app.state.live, None)
