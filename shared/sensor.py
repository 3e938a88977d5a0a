"""What every sensor service of a station shares (the camera, the load cell), written once:

- **commands**: `station.command` addressed to the service is routed by name to its handler, and
  answered on `station.reply` — an unknown command, bad arguments or a failure as an error with the
  reason, never silence; a handler that answers later (the placement check waits for frames) says so;
- **status**: online or degraded with the reason, published only when it changes, and logged;
- **the rep clock**: anchored when a set starts (`shared.clock.RepClock`), so the two sensors' reps of
  one set keep their spacing through a step of the station's wall clock and still pair;
- **the process**: logging and metrics as the settings ask, SIGTERM/SIGINT stop it cleanly,
  the bus started and stopped around the service's own loop (`bootstrap`).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping

from shared import telemetry
from shared.bus import Bus
from shared.clock import RepClock
from shared.contract import (
    ServiceState,
    SessionStarted,
    SessionStartedEvent,
    SetStarted,
    SetStartedEvent,
    StationCommand,
    StationCommandEvent,
    StationReply,
)
from shared.handlers import HandlerTable
from shared.mqtt import MqttBus
from shared.settings import Settings

log = logging.getLogger(__name__)

ReplyData = dict[str, float | str | bool]
# A command's handler: its reply's data, or None when it answers later itself (`SensorScaffold.reply`).
CommandHandler = Callable[[StationCommand], ReplyData | None]


class CommandError(Exception):
    """A command that cannot be done: the message is the reply's error, for the operator who asked."""


class SensorScaffold:
    """One sensor service's commands, status and rep clock on its station's bus."""

    def __init__(self, bus: Bus, service: str, commands: Mapping[str, CommandHandler], *,
                 on_set_started: Callable[[SetStarted], None] | None = None,
                 on_session_started: Callable[[SessionStarted], None] | None = None,
                 errors: tuple[type[Exception], ...] = ()) -> None:
        self.bus, self.service, self.commands = bus, service, dict(commands)
        # The failures a command's handler may raise to be answered with their message.
        self.errors: tuple[type[Exception], ...] = (CommandError, *errors)
        self.rep_clock = RepClock()
        self.problem = ""  # the current degraded reason, "" when online
        self._on_set, self._on_session = on_set_started, on_session_started
        table = HandlerTable[[], None]().on(SetStartedEvent, self._set_started).on(StationCommandEvent,
                                                                                   self._command)
        if on_session_started is not None:
            table.on(SessionStartedEvent, lambda ev: on_session_started(ev.data))
        s = bus.settings
        for event_type in table.event_types:
            bus.subscribe(event_type, table, site_id=s.site_id, station_id=s.station_id)

    # ------------------------------------------------------------ events in

    def _set_started(self, ev: SetStartedEvent) -> None:
        self.rep_clock.anchor()  # between sets: rep times follow the wall clock again (see RepClock)
        if self._on_set is not None:
            self._on_set(ev.data)

    def _command(self, ev: StationCommandEvent) -> None:
        cmd = ev.data
        if cmd.service != self.service:
            return
        handler = self.commands.get(cmd.command)
        if handler is None:
            self.reply(cmd, "error", error=f"unknown command {cmd.command!r} ({', '.join(sorted(self.commands))})")
            return
        try:
            data = handler(cmd)
        except self.errors as exc:
            self.reply(cmd, "error", error=str(exc)[:500])
            return
        if data is not None:
            self.reply(cmd, "ok", data)

    def reply(self, cmd: StationCommand, status: str = "ok", data: ReplyData | None = None,
              error: str = "") -> None:
        reply = StationReply(correlation_id=cmd.correlation_id, service=self.service,
                             status="ok" if status == "ok" else "error", data=data or {}, error=error)
        log.info("command %s: %s %s", cmd.command, reply.status, reply.error or reply.data)
        self.bus.emit("station.reply", reply)

    # ------------------------------------------------------------ status

    def report(self, problem: str, metrics: dict[str, float] | None = None) -> None:
        """Degraded with `problem`, or online when it is ""; published only when it changes."""
        if problem == self.problem:
            return
        self.problem = problem
        if problem:
            log.warning("degraded: %s", problem)
            self.bus.set_status(ServiceState.DEGRADED, problem)
        else:
            log.info("online")
            self.bus.set_status(ServiceState.ONLINE, "", metrics)


def bootstrap(service: str, settings: Settings, wire: Callable[[MqttBus, threading.Event], Callable[[], None]]) -> int:
    """Run a station service as a process: logging and metrics from the settings, its bus, the service's own
    wiring (`wire(bus, stop)` returns its loop, which returns once `stop` is set or its source ended),
    SIGTERM/SIGINT for a clean stop. Returns the exit code."""
    telemetry.configure_logging(service, settings)
    telemetry.serve(settings)
    bus = MqttBus(settings, service)
    stop = threading.Event()
    loop = wire(bus, stop)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    bus.start(wait_s=None)
    try:
        loop()
    finally:
        bus.stop()
    return 0


__all__ = ["CommandError", "CommandHandler", "ReplyData", "SensorScaffold", "bootstrap"]
