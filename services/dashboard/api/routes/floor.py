"""The live floor: the page, its JSON, and the WebSocket that keeps it current."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from services.dashboard.api.deps import CurrentTrainer, LiveDep, session_user
from services.dashboard.live import Channel, Client, LiveFeed, dumps
from services.dashboard.templating import render

router = APIRouter(tags=["floor"])

WS_UNAUTHORISED = 4401  # application close code: the page sends the browser to the sign-in form
WS_FORBIDDEN = 4403  # application close code: signed in, but not allowed (a trainer on the fleet feed)


@router.get("/", include_in_schema=False)
def floor_page(request: Request, user: CurrentTrainer, live: LiveDep) -> Response:
    return render(request, "floor.html", {"snapshot": live.floor_snapshot()})


@router.get("/api/v1/stations", summary="Every station's live tile")
def list_stations(user: CurrentTrainer, live: LiveDep) -> list[dict[str, Any]]:
    stations: list[dict[str, Any]] = live.floor_snapshot()["stations"]
    return stations


async def pump(ws: WebSocket, live: LiveFeed, channel: Channel, station: str | None = None,
               operators_only: bool = False) -> None:
    """Accept, check the session, send the snapshot, then send each coalesced frame until the browser leaves.

    The sender awaits each send: a slow browser only makes its own next frame bigger (merged
    ticks, see `live.Client`), never the other browsers' frames later.
    """
    await ws.accept()
    user = session_user(ws.session)
    if user is None:
        await ws.close(code=WS_UNAUTHORISED, reason="sign in first")
        return
    if operators_only and not user.is_operator:
        await ws.close(code=WS_FORBIDDEN, reason="operators only")
        return
    client: Client = live.join(channel, station)
    try:
        await ws.send_text(dumps(live.snapshot(client)))

        async def drain_incoming() -> None:
            while True:  # browsers send nothing; reading is how a closed socket is noticed
                await ws.receive_text()

        reader = asyncio.create_task(drain_incoming())
        try:
            while not reader.done():
                waiter = asyncio.create_task(client.wake.wait())
                done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if waiter not in done:
                    waiter.cancel()
                    break
                text = client.take()
                if text is not None:
                    await ws.send_text(text)
                    live.frames_sent += 1
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
    await pump(ws, ws.app.state.live, "floor")
