"""The live floor: the page, its JSON, and the WebSocket that keeps it current."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from services.dashboard.api.deps import CurrentTrainer, LiveDep, resolve_user
from services.dashboard.config import DashboardSettings
from services.dashboard.live import Channel, Client, LiveFeed, dumps
from services.dashboard.sessions import SignIns
from services.dashboard.templating import render
from shared.store import RedisErrors

router = APIRouter(tags=["floor"])

WS_UNAUTHORISED = 4401  # application close code: the page sends the browser to the sign-in form
WS_FORBIDDEN = 4403  # application close code: signed in, but not allowed (a trainer on the fleet feed)
WS_TRY_AGAIN = 1013  # "try again later": the page reconnects by itself with its backoff


@router.get("/", include_in_schema=False)
def floor_page(request: Request, user: CurrentTrainer, live: LiveDep) -> Response:
    return render(request, "floor.html", {"snapshot": live.floor_snapshot()})


@router.get("/api/v1/stations", summary="Every station's live tile")
def list_stations(user: CurrentTrainer, live: LiveDep) -> list[dict[str, Any]]:
    stations: list[dict[str, Any]] = live.floor_snapshot()["stations"]
    return stations


def origin_allowed(ws: WebSocket, extra: list[str]) -> bool:
    """A browser always names the page that opens a socket: only the dashboard's own pages may (a foreign
    page would ride on the trainer's cookie). No `Origin` at all is not a browser (the bench, a script)."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    if origin.rstrip("/") in extra:
        return True
    parts = urlsplit(origin)
    host = ws.headers.get("host", "")
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.lower()


async def pump(ws: WebSocket, live: LiveFeed, channel: Channel, station: str | None = None,
               operators_only: bool = False) -> None:
    """Check the origin, accept, check the session, send the snapshot, then send each coalesced frame until
    the browser leaves or its session ends (re-checked every `dashboard_session_recheck_s`).

    The sender awaits each send: a slow browser only makes its own next frame bigger (merged
    ticks, see `live.Client`), never the other browsers' frames later.
    """
    settings: DashboardSettings = ws.app.state.settings
    if not origin_allowed(ws, [o.rstrip("/") for o in settings.dashboard_allowed_origins]):
        await ws.close(code=WS_FORBIDDEN, reason="foreign origin")  # before accept: the handshake gets 403
        return
    await ws.accept()
    try:
        user = await asyncio.to_thread(resolve_user, ws)
    except (*RedisErrors, OSError):
        await ws.close(code=WS_TRY_AGAIN, reason="sessions cannot be checked; retrying")
        return
    if user is None:
        await ws.close(code=WS_UNAUTHORISED, reason="sign in first")
        return
    if operators_only and not user.is_operator:
        await ws.close(code=WS_FORBIDDEN, reason="operators only")
        return
    signins: SignIns = ws.app.state.signins
    sid = ws.session.get("sid")
    loop = asyncio.get_running_loop()
    client: Client = live.join(channel, station)
    try:
        await ws.send_text(dumps(live.snapshot(client)))

        async def drain_incoming() -> None:
            while True:  # browsers send nothing; reading is how a closed socket is noticed
                await ws.receive_text()

        async def still_signed_in() -> bool:
            try:  # a re-check is not activity: an open page alone does not keep a tablet signed in
                return await asyncio.to_thread(signins.user, sid, reading=True, touch=False) is not None
            except (*RedisErrors, OSError):
                return True  # Redis away: nobody can revoke anything meanwhile; this socket was verified

        reader = asyncio.create_task(drain_incoming())
        next_check = loop.time() + settings.dashboard_session_recheck_s
        try:
            while not reader.done():
                waiter = asyncio.create_task(client.wake.wait())
                done, _ = await asyncio.wait({waiter, reader}, timeout=max(0.0, next_check - loop.time()),
                                             return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    waiter.cancel()
                    next_check = loop.time() + settings.dashboard_session_recheck_s
                    if not await still_signed_in():
                        await ws.close(code=WS_UNAUTHORISED, reason="signed out")
                        break
                    continue
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
