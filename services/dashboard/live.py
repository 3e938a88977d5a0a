"""The live feed: MQTT events in (paho's thread), batched WebSocket frames out (the event loop).

The bus's handler thread folds each event into the pure `FloorState` under a lock and
marks the station dirty; one asyncio task wakes every `tick_s`, turns the dirty tiles into
a single floor frame shared by every floor browser, and the watched stations' traces, pose
cues and reps into one frame per station page. A browser that falls behind gets its queue
replaced by a fresh snapshot instead of growing memory without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.dashboard.floor import SITE_STATION, Change, FloorState
from shared.contract import CameraPoseEvent, Envelope, KioskCue, LoadTraceEvent
from shared.mqtt import MqttBus, unique_client_id
from shared.settings import Settings

log = logging.getLogger(__name__)

LIVE_TYPES = ("station.status", "session.started", "session.ended", "set.started", "set.ended", "set.summary",
              "rep.verdict", "camera.rep", "load.rep", "load.trace", "camera.pose")
# Frames a browser may have waiting before it is resynchronised with a snapshot:
# 3 s of ticks at 50 ms — longer than any hiccup of a healthy tablet on gym Wi-Fi.
CLIENT_QUEUE = 60
# Force samples a station page keeps for its first paint: 10 s at the load cell's 80 Hz.
TRACE_KEEP = 800


@dataclass(eq=False)
class Client:
    """One connected browser: the floor (station None) or one station's page."""

    station: str | None
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(CLIENT_QUEUE))
    resyncs: int = 0


class LiveFeed:
    def __init__(self, settings: Settings, floor: FloorState, tick_s: float = 0.05,
                 bus_factory: Callable[[], MqttBus] | None = None) -> None:
        self.settings = settings
        self.floor = floor
        self.tick_s = tick_s
        self.lock = threading.Lock()
        self._dirty: set[str] = set()
        self._station_items: dict[str, list[dict[str, Any]]] = {}
        self._traces: dict[str, list[float]] = {}
        self._trace_hz: dict[str, float] = {}
        self.clients: set[Client] = set()
        self._watched: set[str] = set()
        self._sent: dict[str, dict[str, Any]] = {}  # station -> tile as last sent, to send only what changed
        self.bus = (bus_factory or (lambda: self._make_bus(settings)))()
        for t in LIVE_TYPES:
            self.bus.subscribe(t, self.on_event, site_id=settings.site_id)
        self.frames_sent = 0

    @staticmethod
    def _make_bus(settings: Settings) -> MqttBus:
        # A dashboard only reads live state (the retained status plus what comes next), so it needs no
        # persistent session; a unique client id lets two dashboards (desk and a spare) share a broker.
        live_settings = settings.model_copy(update={"mqtt_session_expiry_s": 0})
        return MqttBus(live_settings, "dashboard", version="0.2.0", client_id=unique_client_id("dashboard"))

    # ------------------------------------------------------------ MQTT side (bus worker thread)

    def on_event(self, ev: Envelope) -> None:
        with self.lock:
            change: Change | None = self.floor.apply(ev)
            st = ev.station_id
            if isinstance(ev, LoadTraceEvent):
                buf = self._traces.setdefault(st, [])
                buf.extend(ev.data.force_n)
                del buf[:-TRACE_KEEP]
                self._trace_hz[st] = ev.data.hz
            if change is None or st == SITE_STATION:
                return
            if change.tile:
                self._dirty.add(st)
            if st in self._watched:
                items = self._station_items.setdefault(st, [])
                if isinstance(ev, LoadTraceEvent):
                    items.append({"kind": "trace", "hz": ev.data.hz, "force_n": list(ev.data.force_n)})
                elif isinstance(ev, CameraPoseEvent):
                    items.append({"kind": "pose", **ev.data.model_dump(mode="json")})
                if change.rep is not None:
                    items.append({"kind": "rep", "rep": change.rep})

    def send_cue(self, station_id: str, cue: KioskCue) -> str:
        ev = self.bus.emit("kiosk.cue", cue, station_id=station_id)
        return ev.event_id

    @property
    def mqtt_connected(self) -> bool:
        return self.bus.connected.is_set()

    # ------------------------------------------------------------ snapshots

    def floor_snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"type": "snapshot", "stations": self.floor.snapshot()}

    def station_snapshot(self, station_id: str) -> dict[str, Any]:
        with self.lock:
            tile = self.floor.tiles.get(station_id)
            return {"type": "snapshot", "station": tile.to_json() if tile else None,
                    "reps": self.floor.rows(station_id),
                    "trace": {"hz": self._trace_hz.get(station_id, 80.0),
                              "force_n": list(self._traces.get(station_id, []))}}

    def fleet(self) -> dict[str, Any]:
        with self.lock:
            return {
                "site": [s.to_json() for _, s in sorted(self.floor.site_services.items())],
                "stations": [{"station_id": k, "state": t.state,
                              "last_seen": t.last_seen.isoformat() if t.last_seen else None,
                              "services": [s.to_json() for _, s in sorted(t.services.items())]}
                             for k, t in sorted(self.floor.tiles.items())],
            }

    # ------------------------------------------------------------ browser side (event loop)

    def join(self, station: str | None) -> Client:
        c = Client(station)
        with self.lock:
            self.clients.add(c)
            if station is not None:
                self._watched.add(station)
        return c

    def leave(self, c: Client) -> None:
        with self.lock:
            self.clients.discard(c)
            if c.station is not None and not any(o.station == c.station for o in self.clients):
                self._watched.discard(c.station)
                self._station_items.pop(c.station, None)

    def _offer(self, c: Client, text: str) -> None:
        try:
            c.queue.put_nowait(text)
        except asyncio.QueueFull:
            # A browser that cannot keep up: drop its backlog, send the whole state once.
            while not c.queue.empty():
                c.queue.get_nowait()
            c.resyncs += 1
            snap = self.floor_snapshot() if c.station is None else self.station_snapshot(c.station)
            c.queue.put_nowait(json.dumps(snap))

    def flush(self) -> int:
        """Send what changed since the last flush; returns the number of frames queued."""
        with self.lock:
            dirty, self._dirty = self._dirty, set()
            tiles = {st: self.floor.tiles[st].to_json() for st in dirty if st in self.floor.tiles}
            items, self._station_items = self._station_items, {}
            clients = list(self.clients)
        # A busy floor changes one or two fields of a tile per event (force, last seen): send only those,
        # which keeps a 200-station frame at a few kilobytes. Browsers merge them into the tile they have.
        deltas = []
        for st, full in tiles.items():
            prev = self._sent.get(st)
            deltas.append({k: v for k, v in full.items() if prev is None or prev.get(k) != v or k == "station_id"})
            self._sent[st] = full
        sent = 0
        floor_text = json.dumps({"type": "update", "stations": deltas}) if deltas else None
        per_station: dict[str, str] = {}
        for c in clients:
            if c.station is None:
                if floor_text is not None:
                    self._offer(c, floor_text)
                    sent += 1
                continue
            if c.station not in per_station:
                its = items.get(c.station, [])
                tile = tiles.get(c.station)
                if not its and tile is None:
                    continue
                per_station[c.station] = json.dumps({"type": "update", "station": tile, "items": its})
            self._offer(c, per_station[c.station])
            sent += 1
        self.frames_sent += sent
        return sent

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                self.flush()
            except Exception:  # one bad frame must not stop the live floor
                log.exception("live flush failed")
