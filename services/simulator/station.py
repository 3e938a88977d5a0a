"""The simulated station's sensors for `--source sim`: the virtual member in front of the camera, and the
wiring that makes it perform each set the kiosk starts.

They implement the camera's `PoseSource` protocol (structurally: nothing here imports a service) and are
wired in only by the sensor services' `--source sim` entry points, the demo and the tests. A deployed
station never loads this module, so its wall clock is never stepped.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from services.simulator.clock import install_from_env
from services.simulator.pose import PoseSimulator
from services.simulator.script import SetPlan, scripted_set
from shared.contract import Leg, SetStarted, SetStartedEvent
from shared.handlers import HandlerTable
from shared.mqtt import MqttBus
from shared.settings import Settings


class SimulatedMemberSource:
    """The virtual member at the station: standing still until told to perform a set.

    `unplugged` stands for the camera's cable pulled: while it is set the member goes on training
    but the service gets `camera_lost` frames, as from a real camera that stopped giving pictures.
    """

    IDLE_FPS = 10.0  # no rep can happen while idle, so a low rate saves the CPU
    UNPLUGGED = "simulated camera unplugged"

    def __init__(self, fps: float = 30.0) -> None:
        self.fps = fps
        self._plans: list[SetPlan] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.unplugged = threading.Event()

    def perform(self, plan: SetPlan) -> None:
        with self._lock:
            self._plans.append(plan)

    def frames(self) -> Iterator[dict[str, Any]]:
        start = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                plan = self._plans.pop(0) if self._plans else None
            if plan is None:
                time.sleep(1 / self.IDLE_FPS)
                continue
            t0 = time.monotonic() - start
            for f in PoseSimulator(plan, t0=t0, fps=self.fps).frames():
                delay = start + float(f["t"]) - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if self._stop.is_set():
                    return
                yield {"t": f["t"], "camera_lost": self.UNPLUGGED} if self.unplugged.is_set() else f

    def close(self) -> None:
        self._stop.set()


def follow_sets(bus: MqttBus, settings: Settings, perform: Callable[[SetStarted], None]) -> None:
    """The virtual member performs each set its station's kiosk starts; a test may step the station's wall
    clock (`services.simulator.clock`), which only a simulated station follows."""
    install_from_env()
    sets = HandlerTable[[], None]().on(SetStartedEvent, lambda ev: perform(ev.data))
    for event_type in sets.event_types:
        bus.subscribe(event_type, sets, site_id=settings.site_id, station_id=settings.station_id)


def simulate_camera(bus: MqttBus, settings: Settings, source: SimulatedMemberSource, script: str) -> None:
    """The camera's `--source sim`: the member performs the script's sets; SIGUSR1 pulls the virtual camera's
    cable and SIGUSR2 plugs it back (fault tests)."""
    def perform(data: SetStarted) -> None:
        source.perform(scripted_set(script, data.leg, data.set_index))

    follow_sets(bus, settings, perform)
    signal.signal(signal.SIGUSR1, lambda *_: source.unplugged.set())
    signal.signal(signal.SIGUSR2, lambda *_: source.unplugged.clear())


__all__ = ["Leg", "SimulatedMemberSource", "follow_sets", "simulate_camera"]
