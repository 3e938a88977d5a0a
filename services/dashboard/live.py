"""The live feed: MQTT events in, coalesced WebSocket frames out, all on the event loop.

At a busy site the dashboard reads 2,000 messages a second (200 stations x 10 Hz of force
and pose). So the read path is lean:

- `LiveStream` is a paho client driven by the asyncio loop (its socket is registered with
  `add_reader`/`add_writer`, as in paho's own asyncio example): no network thread, no queue
  between threads, no GIL hand-off per message. Each payload is parsed once (`parse_event`,
  the contract's pydantic model) and must belong on its topic; QoS 1 repeats are dropped by
  event id. Publishing (cues) and the dashboard's own retained status stay on the shared
  `MqttBus`.
- `LiveFeed.on_event` folds each event into the pure `FloorState` and notes what changed.
- Every `tick_s` one floor frame (the changed fields of the changed tiles) is encoded once
  (orjson) and offered to every floor browser; each watched station gets one frame of its
  trace samples, pose and rep rows; the fleet page gets the stations whose services changed.
- Each browser has its own sender. While a send to a slow browser is still in flight, the
  next ticks' frames wait for it and are merged into one (the newest state of a tile wins,
  trace samples are appended up to `TRACE_KEEP`, the newest pose and rep rows kept), so a slow
  browser costs bounded memory and never holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from services.dashboard.floor import REP_ROWS, SITE_STATION, FloorState, tile_key
from services.dashboard.reports import SessionUse
from services.dashboard.reviews import VerdictReview
from shared import telemetry
from shared.contract import (
    CameraPoseEvent,
    Envelope,
    KioskCue,
    LoadTraceEvent,
    SessionEndedEvent,
    StationCommand,
    StationReplyEvent,
    StationStatusEvent,
)
from shared.corpus import SAVE_COMMAND, Label, save_args
from shared.inbox import Inbox, Rejected
from shared.mqtt import RECONNECT_MAX_S, RECONNECT_MIN_S, MqttBus, no_delay, unique_client_id, use_credentials
from shared.settings import Settings
from shared.topics import topic_filter

log = logging.getLogger(__name__)

LIVE_TYPES = ("station.status", "session.started", "session.ended", "set.started", "set.ended", "set.summary",
              "rep.verdict", "camera.rep", "load.rep", "load.trace", "camera.pose", "recommendation", "station.reply")
# A labelled set's save is asked of these services of its station (shared/corpus.py), each answering for its part.
SAVING_SERVICES = ("camera", "loadcell")
# Around the labelled set's reps: the rest before its first rep and after its last (a rep's start is its curl's).
SAVE_MARGIN_S = 3.0
# Force samples a station page keeps for its first paint, and at most per frame for a slow
# browser: 10 s at the load cell's 80 Hz.
TRACE_KEEP = 800
# Ticks a slow browser may have waiting before they are merged into one frame: 1 s at 50 ms.
# Merging is what bounds its memory (at most one entry per station), not dropping.
MERGE_AFTER = 20
# Event ids remembered to drop repeats and refuse a reused id (shared/inbox.py): two seconds of 200 stations'
# 2,000 messages a second; a broker's repeat comes within its in-flight window, far sooner.
DEDUP_IDS = 4096
# Messages read in one readiness callback before yielding to the WebSocket senders: enough to
# drain a burst (a tick's worth at 2,000 msg/s is 100), small enough that a frame is never held up.
READ_BURST = 200
# Ended sessions waiting for the usage log: written every few seconds, at most a busy day's kept while Redis is away.
USAGE_EVERY_S = 2.0
USAGE_PENDING = 5000
# Invalid payloads are counted always and logged at most this often (a broken station repeats at 10 Hz).
INVALID_LOG_EVERY_S = 10.0

Channel = Literal["floor", "station", "fleet"]


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


@dataclass
class Frame:
    """One tick's update for one channel: its parts (to merge) and its text (encoded once, shared)."""

    tiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    fleet: dict[str, dict[str, Any]] = field(default_factory=dict)
    text: str | None = None

    def encode(self, channel: Channel, station: str | None) -> str:
        if self.text is None:
            if channel == "floor":
                self.text = dumps({"type": "update", "stations": list(self.tiles.values())})
            elif channel == "fleet":
                self.text = dumps({"type": "update", "stations": list(self.fleet.values())})
            else:
                self.text = dumps({"type": "update", "station": self.tiles.get(station or ""), "items": self.items})
        return self.text


def merge(frames: list[Frame]) -> Frame:
    """Several ticks as one frame: the newest fields of each tile win, items keep their order."""
    if len(frames) == 1:
        return frames[0]
    out = Frame()
    for f in frames:
        for st, delta in f.tiles.items():
            prev = out.tiles.get(st)
            out.tiles[st] = {**prev, **delta} if prev else delta
        out.items.extend(f.items)
        out.fleet.update(f.fleet)
    # A slow browser gets what its page can show, not a growing backlog: the newest 10 s of force,
    # the newest pose, the newest rows of the rep table.
    samples = poses = reps = 0
    kept: list[dict[str, Any]] = []
    for it in reversed(out.items):
        kind = it.get("kind")
        if kind == "trace":
            if samples >= TRACE_KEEP:
                continue
            samples += len(it["force_n"])
        elif kind == "pose":
            if poses:
                continue
            poses += 1
        elif kind == "rep":
            if reps >= REP_ROWS:
                continue
            reps += 1
        kept.append(it)
    out.items = kept[::-1]
    return out


@dataclass(eq=False)
class Client:
    """One connected browser: the floor, one station's page, or the fleet page."""

    channel: Channel
    station: str | None = None
    pending: list[Frame] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    merged: int = 0  # ticks merged because the browser was still receiving the previous frame

    def offer(self, frame: Frame) -> None:
        self.pending.append(frame)
        if len(self.pending) > MERGE_AFTER:
            self.merged += len(self.pending) - 1
            self.pending = [merge(self.pending)]
        self.wake.set()

    def take(self) -> str | None:
        """The text of everything waiting, as one frame; None when nothing waits."""
        self.wake.clear()
        if not self.pending:
            return None
        frames, self.pending = self.pending, []
        if len(frames) > 1:
            self.merged += len(frames) - 1
        return merge(frames).encode(self.channel, self.station)


class LiveStream:
    """A read-only MQTT subscriber on the event loop (paho with an external loop).

    `run()` connects, subscribes and reads until cancelled, reconnecting with backoff. The
    blocking TCP connect runs in a worker thread; everything else runs on the loop.
    """

    def __init__(self, settings: Settings, filters: list[tuple[str, int]],
                 on_message: Callable[[str, bytes, int], None]) -> None:
        self.settings = settings
        self.filters = filters
        self.on_message = on_message
        self.connected = threading.Event()  # read by /health from the thread pool
        self.received = 0
        # MQTT 3.1.1 with a clean session: a read-only live view needs nothing of MQTT 5, and paho parses
        # the v5 properties of every PUBLISH in Python (a third of this stream's CPU at 2,000 msg/s).
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("dashboard-live"),
                        protocol=mqtt.MQTTv311, clean_session=True)
        use_credentials(c, settings)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_socket_close = self._on_socket_close
        c.on_socket_open = no_delay
        c.on_socket_register_write = self._register_write
        c.on_socket_unregister_write = self._unregister_write
        self.client = c
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed: asyncio.Event | None = None
        self._sock: Any = None  # the connected socket, while the loop watches it
        self._fd: int | None = None  # and its descriptor: paho closes the socket before saying so
        self._loop_thread: int | None = None
        self._accepted = False  # the broker accepted the current connection

    # paho calls these from the loop thread, except during connect (a worker thread). It says a socket
    # is closing before it closes it: the loop must forget the descriptor then, before its number can be
    # reused by a browser's socket.
    def _on_loop(self, fn: Callable[[], None]) -> None:
        if self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            fn()
        else:
            self._loop.call_soon_threadsafe(fn)

    def _register_write(self, _c: mqtt.Client, _u: Any, _sock: Any) -> None:
        self._on_loop(self._add_writer)

    def _add_writer(self) -> None:
        if self._loop is not None and self._fd is not None:
            self._loop.add_writer(self._fd, self._writable)

    def _unregister_write(self, _c: mqtt.Client, _u: Any, _sock: Any) -> None:
        self._on_loop(self._remove_writer)

    def _remove_writer(self) -> None:
        if self._loop is not None and self._fd is not None:
            self._loop.remove_writer(self._fd)

    def _forget_socket(self, sock: Any = None) -> None:
        """Stop watching the current socket (or `sock`, if it still is the current one) and wake `run`."""
        if sock is not None and sock is not self._sock:
            return  # a socket paho closed earlier: already forgotten
        if self._loop is not None and self._fd is not None:
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
        self._fd = self._sock = None
        if self._closed is not None:
            self._closed.set()

    def _writable(self) -> None:
        self.client.loop_write()

    def _readable(self) -> None:
        for _ in range(READ_BURST):
            before = self.received
            if self.client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
            if self.received == before and not self._tls_pending():
                return  # nothing more waiting (or a non-message packet: the loop calls again if more is there)

    def _tls_pending(self) -> int:
        # TLS may hold decrypted bytes the socket no longer signals as readable: read those now.
        sock: Any = self.client.socket()
        pending = getattr(sock, "pending", None)
        return int(pending()) if callable(pending) else 0

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("live stream: broker refused the connection: %s", rc)
            return
        client.subscribe(self.filters)
        self._accepted = True

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, _codes: Any, _p: Any) -> None:
        # Connected for /health once the broker acknowledged the subscriptions: what is published from
        # then on reaches the floor.
        self.connected.set()
        log.info("live stream connected")

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.received += 1
        self.on_message(msg.topic, bytes(msg.payload), msg.qos)

    def _on_socket_close(self, _c: mqtt.Client, _u: Any, sock: Any) -> None:
        self.connected.clear()
        self._on_loop(lambda: self._forget_socket(sock))

    async def run(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        s = self.settings
        delay = RECONNECT_MIN_S
        while True:
            self._closed = asyncio.Event()
            self._accepted = False
            try:
                # no session to resume: the dashboard reads live state (retained status and what follows)
                await asyncio.to_thread(self.client.connect, s.mqtt_host, s.mqtt_port, s.mqtt_keepalive_s)
            except (OSError, ValueError) as exc:
                log.warning("live stream: broker %s:%s not reached (%s); retry in %.1fs",
                            s.mqtt_host, s.mqtt_port, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            self._sock = sock = self.client.socket()
            if sock is not None:
                self._fd = fd = sock.fileno()
                loop.add_reader(fd, self._readable)
                if self.client.want_write():
                    loop.add_writer(fd, self._writable)
                try:
                    while not self._closed.is_set():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._closed.wait(), timeout=1.0)
                        self.client.loop_misc()  # keepalive pings, and notices a silent broker
                finally:
                    self._forget_socket()
                log.warning("live stream: connection to the broker lost; reconnecting")
            if self._accepted:
                delay = RECONNECT_MIN_S  # it was a working connection: retry soon
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_S)

    def close(self) -> None:
        """A clean DISCONNECT (called on the loop after `run` was cancelled)."""
        self.connected.clear()
        sock = self.client.socket()
        if sock is None:
            return
        self.client.on_socket_register_write = None
        self.client.on_socket_close = None
        with contextlib.suppress(OSError):
            self.client.disconnect()  # with no register-write callback paho writes it at once
        with contextlib.suppress(OSError):
            sock.close()


class LiveFeed:
    def __init__(self, settings: Settings, floor: FloorState, tick_s: float = 0.05,
                 bus_factory: Callable[[], MqttBus] | None = None) -> None:
        self.settings = settings
        self.floor = floor
        self.tick_s = tick_s
        # The floor is folded on the loop; pages rendered in the thread pool read it under this lock.
        self.lock = threading.Lock()
        self._dirty: dict[str, tuple[str, ...] | None] = {}  # station -> changed fields (None: any)
        self._fleet_dirty: set[str] = set()
        self._station_items: dict[str, list[dict[str, Any]]] = {}
        self._traces: dict[str, list[float]] = {}
        self._trace_hz: dict[str, float] = {}
        self.clients: set[Client] = set()
        self._watched: set[str] = set()
        self._sent: dict[str, dict[str, Any]] = {}  # station -> tile as last sent, to send only what changed
        # The same decisions as every service's bus (parse, topic, repeats, reused ids), from one pure piece.
        self._inbox = Inbox(window=DEDUP_IDS)
        self.invalid = 0
        self._invalid_logged = 0.0
        self.usage: list[SessionUse] = []  # sessions ended since the usage log was last written
        self.frames_sent = 0
        # review id -> service -> what the station answered to saving its labelled set (kept while running)
        self.saves: dict[str, dict[str, str]] = {}
        # The shared bus: the dashboard's retained status (and last will), and the cues it publishes.
        self.bus = (bus_factory or (lambda: self._make_bus(settings)))()
        # QoS 0 for every type, the rare QoS 1 events too. A clean session gains nothing from QoS 1 (what is in
        # flight when the connection drops is gone either way; TCP loses nothing while it holds), and it cost:
        # with 40 QoS 1 events a second among 2,000 traces (bench dashboard, recommendations included) the floor's
        # p50 was 71 ms at QoS 1 and 37 ms at QoS 0, back to back — most likely the broker's in-flight window
        # holding later deliveries until the dashboard's acks come back.
        # The chain's central view reads every site's (those its sites' bridges forward: docs/DEPLOY.md).
        filters = [(topic_filter(t, site_id="+" if floor.central else settings.site_id), 0) for t in LIVE_TYPES]
        self.stream = LiveStream(settings, filters, self.on_message)

    @staticmethod
    def _make_bus(settings: Settings) -> MqttBus:
        # A dashboard only publishes (cues, its status), so it needs no persistent session; a unique
        # client id lets two dashboards (desk and a spare) share a broker.
        live_settings = settings.model_copy(update={"mqtt_session_expiry_s": 0})
        return MqttBus(live_settings, "dashboard", version="0.3.0", client_id=unique_client_id("dashboard"))

    # ------------------------------------------------------------ MQTT side (on the loop)

    def on_message(self, topic: str, payload: bytes, qos: int) -> None:
        res = self._inbox.accept(topic, payload)
        if isinstance(res, Rejected):
            if res.duplicate:
                return  # a repeat changes nothing
            # The producing service's own bus dead-letters it; the read-only dashboard counts and skips.
            self.invalid += 1
            now = time.monotonic()
            if now - self._invalid_logged >= INVALID_LOG_EVERY_S:
                self._invalid_logged = now
                log.warning("skipped an invalid event on %s (%d so far): %s", topic, self.invalid, res.reason)
            return
        self._inbox.remember(res, payload)
        try:
            self.on_event(res)
        except Exception:  # one event the floor cannot fold must not stop the live feed
            log.exception("live feed could not fold %s from %s", res.type, res.station_id)

    def on_event(self, ev: Envelope) -> None:
        with self.lock:
            change = self.floor.apply(ev)
            st = self.floor.key(ev)
            if isinstance(ev, StationStatusEvent):
                self._fleet_dirty.add(st)
            elif isinstance(ev, SessionEndedEvent) and not self.floor.central:  # the usage log is a site's
                self._used(ev)
            elif isinstance(ev, StationReplyEvent):
                if ev.data.correlation_id.startswith("save-"):  # a station's answer to saving a labelled set
                    review = ev.data.correlation_id.removeprefix("save-").rsplit("-", 1)[0]
                    self.saves.setdefault(review, {})[ev.data.service] = (
                        "saved" if ev.data.status == "ok" else f"not saved: {ev.data.error}")
                return
            if isinstance(ev, LoadTraceEvent):
                buf = self._traces.setdefault(st, [])
                buf.extend(ev.data.force_n)
                del buf[:-TRACE_KEEP]
                self._trace_hz[st] = ev.data.hz
            if change is None or ev.station_id == SITE_STATION:
                return
            if change.tile:
                if st in self._dirty:
                    had = self._dirty[st]
                    self._dirty[st] = None if had is None or change.fields is None else \
                        tuple(dict.fromkeys(had + change.fields))
                else:
                    self._dirty[st] = change.fields
            if st in self._watched:
                items = self._station_items.setdefault(st, [])
                ts = ev.ts.isoformat()
                if isinstance(ev, LoadTraceEvent):
                    items.append({"kind": "trace", "hz": ev.data.hz, "force_n": list(ev.data.force_n), "ts": ts})
                elif isinstance(ev, CameraPoseEvent):
                    items.append({"kind": "pose", **ev.data.model_dump(mode="json"), "ts": ts})
                if change.rep is not None:
                    items.append({"kind": "rep", "rep": change.rep, "ts": ts})

    def _used(self, ev: SessionEndedEvent) -> None:
        tile = self.floor.tiles.get(ev.station_id)
        ended = tile.ended if tile else None
        if ended and ended["session_id"] == ev.data.session_id and ended["started"] is not None:
            self.usage.append(SessionUse(ev.station_id, ev.data.session_id, ended["started"], ev.ts, ended["reps"]))
            del self.usage[:-USAGE_PENDING]

    def take_usage(self) -> list[SessionUse]:
        with self.lock:
            out, self.usage = self.usage, []
        return out

    async def record_usage(self, sink: Callable[[list[SessionUse]], None]) -> None:
        """Write the sessions that ended to the usage log every few seconds, off the loop; kept for the next
        try while Redis is away (at most `USAGE_PENDING`)."""
        while True:
            await asyncio.sleep(USAGE_EVERY_S)
            uses = self.take_usage()
            if not uses:
                continue
            try:
                await asyncio.to_thread(sink, uses)
            except Exception as exc:  # Redis away: the live floor goes on; the entries wait
                log.warning("usage log not written (%d sessions kept): %s", len(uses), exc)
                with self.lock:
                    self.usage[:0] = uses
                    del self.usage[:-USAGE_PENDING]

    def send_cue(self, station_id: str, cue: KioskCue) -> str:
        if self.floor.central:  # no route sends one there either: a cue is the site's trainers' to give
            raise PermissionError("the central view is read-only: cues are sent from the site's dashboard")
        ev = self.bus.emit("kiosk.cue", cue, station_id=station_id)
        return ev.event_id

    def request_save(self, station_id: str, review: VerdictReview) -> None:
        """Ask the station's camera and load cell to save the labelled rep's set into their corpus: the set's
        span from its reps on the floor (the rep's own, when the floor no longer holds its set)."""
        if self.floor.central:
            raise PermissionError("the central view is read-only: sets are labelled at the site")
        with self.lock:
            rows = [r for r in self.floor.rows(station_id) if (r["session_id"], r["set_index"], r["leg"]) ==
                    (review.session_id, review.set_index, review.leg.value)]
        starts = [float(r["start_t"]) for r in rows] or [review.start_t]
        ends = [float(r["end_t"]) for r in rows] or [review.end_t]
        label = Label(station_id=station_id, review_id=review.review_id, leg=review.leg, set_index=review.set_index,
                      rep_index=review.rep_index, rep_start_t=review.start_t, rep_end_t=review.end_t,
                      from_t=min(starts) - SAVE_MARGIN_S, to_t=max(ends) + SAVE_MARGIN_S,
                      true_faults=review.true_faults, station_faults=review.verdict_faults)
        self.saves[review.review_id] = {}
        for service in SAVING_SERVICES:
            self.bus.emit("station.command", StationCommand(
                correlation_id=f"save-{review.review_id}-{service}", service=service, command=SAVE_COMMAND,
                args=save_args(label)), station_id=station_id)

    @property
    def mqtt_connected(self) -> bool:
        return self.stream.connected.is_set() and self.bus.connected.is_set()

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

    @staticmethod
    def _site_services_key(key: str) -> bool:
        """Whether a fleet key is a site's own services (`site`, or `north/site` on the central view)."""
        return key.rpartition("/")[2] == SITE_STATION

    def _fleet_station(self, key: str) -> dict[str, Any]:
        # The site and key on the central view only: at a site the station id is the key (as it always was).
        if self._site_services_key(key):
            site = key.rpartition("/")[0] or None
            services = self.floor.sites_services.get(site, {}) if site else self.floor.site_services
            return {"station_id": SITE_STATION, **({"site_id": site, "key": key} if site else {}), "state": None,
                    "last_seen": None, "services": [s.to_json() for _, s in sorted(services.items())]}
        t = self.floor.tiles[key]
        return {"station_id": t.station_id, **({"site_id": t.site_id, "key": key} if t.site_id else {}),
                "state": t.state, "last_seen": t.last_seen.isoformat() if t.last_seen else None,
                "services": [s.to_json() for _, s in sorted(t.services.items())]}

    def fleet(self) -> dict[str, Any]:
        """Every station's services and the site's own; on the central view, `sites`: each site's, apart."""
        with self.lock:
            if not self.floor.central:
                return {
                    "site": self._fleet_station(SITE_STATION)["services"],
                    "stations": [self._fleet_station(k) for k in sorted(self.floor.tiles)],
                }
            sites = sorted({t.site_id or "" for t in self.floor.tiles.values()} | set(self.floor.sites_services))
            return {"site": [], "sites": [
                {"site_id": site, "services": self._fleet_station(tile_key(site, SITE_STATION))["services"],
                 "stations": [self._fleet_station(k) for k, t in sorted(self.floor.tiles.items())
                              if t.site_id == site]}
                for site in sites]}

    def snapshot(self, c: Client) -> dict[str, Any]:
        if c.channel == "floor":
            return self.floor_snapshot()
        if c.channel == "fleet":
            return {"type": "snapshot", **self.fleet()}
        return self.station_snapshot(c.station or "")

    # ------------------------------------------------------------ browser side (event loop)

    def join(self, channel: Channel, station: str | None = None) -> Client:
        c = Client(channel, station)
        with self.lock:
            self.clients.add(c)
            if station is not None:
                self._watched.add(station)
            telemetry.WEBSOCKET_CLIENTS.set(len(self.clients))
        return c

    def leave(self, c: Client) -> None:
        with self.lock:
            self.clients.discard(c)
            telemetry.WEBSOCKET_CLIENTS.set(len(self.clients))
            if c.station is not None and not any(o.station == c.station for o in self.clients):
                self._watched.discard(c.station)
                self._station_items.pop(c.station, None)

    def _deltas(self, dirty: dict[str, tuple[str, ...] | None]) -> dict[str, dict[str, Any]]:
        """The changed fields of each changed tile (under the lock)."""
        out: dict[str, dict[str, Any]] = {}
        for st, fields in dirty.items():
            tile = self.floor.tiles.get(st)
            if tile is None:
                continue
            prev = self._sent.get(st)
            if fields is not None and prev is not None:
                # A stream sample: only the field or two it changed, without serialising the tile.
                delta = tile.fields_json(fields)
                prev.update(delta)
            else:
                # A browser merges what it gets into the tile it has: send only what differs.
                full = tile.to_json()
                delta = {k: v for k, v in full.items()
                         if prev is None or prev.get(k) != v or k in ("station_id", "site_id", "key")}
                self._sent[st] = full
            out[st] = delta
        return out

    def flush(self) -> int:
        """Offer what changed since the last flush; returns the number of browsers offered a frame."""
        with self.lock:
            dirty, self._dirty = self._dirty, {}
            fleet_dirty, self._fleet_dirty = self._fleet_dirty, set()
            items, self._station_items = self._station_items, {}
            tiles = self._deltas(dirty)
            # A station page shows the whole tile (header, member, set): the few watched ones go in full.
            full = {st: self.floor.tiles[st].to_json() for st in dirty
                    if st in self._watched and st in self.floor.tiles}
            fleet = {st: self._fleet_station(st) for st in sorted(fleet_dirty)
                     if self._site_services_key(st) or st in self.floor.tiles}
            clients = list(self.clients)
        floor_frame = Frame(tiles=tiles) if tiles else None
        fleet_frame = Frame(fleet=fleet) if fleet else None
        per_station: dict[str, Frame] = {}
        offered = 0
        for c in clients:
            frame: Frame | None
            if c.channel == "floor":
                frame = floor_frame
            elif c.channel == "fleet":
                frame = fleet_frame
            else:
                st = c.station or ""
                frame = per_station.get(st)
                if frame is None and (items.get(st) or st in full):
                    tile = full.get(st)
                    frame = per_station[st] = Frame(tiles={st: tile} if tile else {}, items=items.get(st, []))
            if frame is not None:
                c.offer(frame)
                offered += 1
        return offered

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                self.flush()
            except Exception:  # one bad frame must not stop the live floor
                log.exception("live flush failed")
