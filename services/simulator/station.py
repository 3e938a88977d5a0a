"""The simulated station's sensors for `--source sim`: the virtual member in front of the camera, the stack
the member pulls on the load cell's amplifier, and the wiring that makes them perform each set the kiosk
starts.

They implement the camera's `PoseSource` and the load cell's counts source (structurally: nothing here
imports a service) and are
wired in only by the sensor services' `--source sim` entry points, the demo and the tests. A deployed
station never loads this module, so its wall clock is never stepped.
"""

from __future__ import annotations

import dataclasses
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from services.simulator.clock import install_from_env
from services.simulator.force import HZ as SIM_HZ
from services.simulator.force import ForceSimulator, Station
from services.simulator.pose import PoseSimulator
from services.simulator.script import SetPlan, scripted_set
from shared.contract import SetStarted, SetStartedEvent
from shared.handlers import HandlerTable
from shared.mqtt import MqttBus
from shared.pacing import Paced
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


# The simulated amplifier's counts: an offset and 0.01 N a count, like a 24-bit board on a 50 kg cell (the
# load cell's `--source sim` takes them as the board's factory calibration).
TARE_COUNTS = 8421.0
N_PER_COUNT = 0.01


class SimulatedAmplifier(Paced):
    """The virtual member's station: the stack hangs still until a set is performed on it."""

    def __init__(self, station: Station | None = None, seed: int = 0) -> None:
        super().__init__(SIM_HZ)
        self.station = station or Station()
        self._plans: list[tuple[SetPlan, float | None]] = []
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._current: Iterator[tuple[float, float]] | None = None

    def perform(self, plan: SetPlan, mass_kg: float | None = None) -> None:
        """Perform `plan` next, on a stack of `mass_kg` (the weight the member selected) when given."""
        with self._lock:
            self._plans.append((plan, mass_kg))

    def _next_force(self) -> float:
        if self._current is None:
            with self._lock:
                plan, mass = self._plans.pop(0) if self._plans else (None, None)
            if plan is None:  # standing still, the stack hanging, with the amplifier's own noise (a real
                # board never repeats one count for seconds; without it the health check calls it stuck)
                return self.station.mass_kg * 9.80665 + self._rng.gauss(0.0, self.station.noise_n)
            if mass:
                self.station = dataclasses.replace(self.station, mass_kg=mass)
            self._seed += 1
            self._current = ForceSimulator(plan, self.station, seed=self._seed).samples()
        try:
            return next(self._current)[1]
        except StopIteration:
            self._current = None
            return self._next_force()

    def counts(self, n: int) -> list[float]:
        """The next `n` counts, unpaced (what `read` hands out at the board's rate)."""
        self._n += n
        return [float(round(TARE_COUNTS + self._next_force() / N_PER_COUNT)) for _ in range(n)]

    def read(self, timeout: float) -> list[float]:
        if self._stop.wait(min(timeout, 1 / self.hz)):
            return []
        return self.counts(max(0, self.due()))


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


def simulate_loadcell(bus: MqttBus, settings: Settings, amp: SimulatedAmplifier, script: str) -> None:
    """The load cell's `--source sim`: the same sets the camera's virtual member performs, on the weight
    the member selected."""
    def perform(data: SetStarted) -> None:
        amp.perform(scripted_set(script, data.leg, data.set_index), data.weight_kg)

    follow_sets(bus, settings, perform)


__all__ = ["N_PER_COUNT", "TARE_COUNTS", "SimulatedAmplifier", "SimulatedMemberSource", "follow_sets",
           "simulate_camera", "simulate_loadcell"]
