"""The live load-cell service: counts from a driver → newtons → load.trace batches, load.rep events,
a degraded status while the sensor is unplugged, saturated or stuck; tare and calibrate on command.

It measures and does not judge: a `load.rep` carries the rep's phases, load, peak forces and travel,
and only the faults no one else can see (`lost_tension`, `slack_start`); progression applies the one
judge (`shared.judge`) to it."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from threadpoolctl import threadpool_limits

from services.loadcell.analysis import LoadAnalyzer
from services.loadcell.calibration import (
    Calibration,
    CalibrationError,
    ZeroTracker,
    load_calibration,
    save_calibration,
)
from services.loadcell.drivers import AdcDriver, SensorError
from services.loadcell.health import SensorHealth
from services.loadcell.settings import LoadcellSettings
from shared import telemetry
from shared.bus import Bus
from shared.contract import (
    Leg,
    LoadTrace,
    SetStarted,
    StationCommand,
)
from shared.corpus import SAVE_COMMAND, Recent, entry_dir, label_of, write_force, write_label
from shared.sensor import CommandError, ReplyData, SensorScaffold

log = logging.getLogger(__name__)


def one_blas_thread() -> None:
    """The analyser's stroke fits are small matrix–vector products: OpenBLAS would spread each over every core and
    spend more time waiting on its threads than computing (`python -m bench loadcell`, 1,000 samples/s: 4.4 % of a
    core on two BLAS threads, 1.9 % on one). The process keeps one for as long as it runs."""
    threadpool_limits(limits=1, user_api="blas")

COMMAND_WINDOW_S = 0.5  # tare/calibrate average the last half second: 40–500 samples, noise well averaged
RESYNC_S = 0.5  # re-anchor the sample clock on the monotonic clock when a board's rate drifts this far
HEALTH_EVERY_S = 0.25  # how often the sensor's health is looked at
TRACE_MAX = 5000  # the contract's bound on one load.trace batch


class LoadcellService:
    def __init__(self, bus: Bus, driver: AdcDriver, settings: LoadcellSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # Samples are stamped and judged on the monotonic `clock`; events carry them on the station's
        # wall clock through `rep_clock`, re-anchored between sets, so a step of the wall clock during
        # a set neither splits a rep nor moves it away from the camera's view of it (see RepClock).
        self.bus, self.driver, self.settings, self.clock = bus, driver, settings, clock
        self.station_id = bus.settings.station_id
        saved = load_calibration(settings.calibration_dir, self.station_id)
        self.calibration: Calibration = saved or driver.factory_calibration
        log.info("calibration %s: %s", "loaded" if saved else "factory", self.calibration)
        self.zero = ZeroTracker()
        self.health = SensorHealth(max_counts=settings.max_counts, min_counts=settings.min_counts)
        self.analyzer = LoadAnalyzer(pulley_ratio=settings.pulley_ratio)
        self.leg: Leg | None = None
        self._recent: deque[float] = deque(maxlen=max(1, int(driver.hz * COMMAND_WINDOW_S)))
        self._lock = threading.Lock()
        self._t_next: float | None = None
        self._trace: list[float] = []
        self._trace_t0 = 0.0
        self._last_health = 0.0
        self.reps = 0
        self._rate = telemetry.RateMeter(telemetry.LOADCELL_HZ.labels(self.station_id))
        # The last minutes' force samples (monotonic time, newtons), for a set a trainer labels.
        self.recent: Recent[float] = Recent()
        self.corpus_dir = bus.settings.corpus_dir
        self.sensor = SensorScaffold(bus, "loadcell", {"tare": self.tare, "calibrate": self.calibrate,
                                                       SAVE_COMMAND: self.save_set},
                                     on_set_started=self.on_set_started,
                                     errors=(CalibrationError, SensorError, OSError))
        self.rep_clock = self.sensor.rep_clock

    # ------------------------------------------------------------ events in

    def on_set_started(self, data: SetStarted) -> None:
        with self._lock:
            self.leg = data.leg
            self.analyzer.new_set()

    @property
    def problem(self) -> str:
        """Why the sensor cannot be trusted now ("" when it can)."""
        return self.sensor.problem

    def tare(self, cmd: StationCommand) -> ReplyData:
        return self._recalibrate(cmd, lambda cal, samples: cal.tared(samples))

    def calibrate(self, cmd: StationCommand) -> ReplyData:
        mass = cmd.args.get("known_mass_kg")
        if not isinstance(mass, int | float):
            raise CalibrationError("calibrate needs args.known_mass_kg, a number of kg")
        return self._recalibrate(cmd, lambda cal, samples: cal.calibrated(samples, float(mass)))

    def save_set(self, cmd: StationCommand) -> ReplyData:
        """A set a trainer labelled on the dashboard: its force samples and the label into the corpus."""
        try:
            label = label_of(self.station_id, cmd.args)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with self._lock:
            offset = self.rep_clock.offset  # the station's wall clock = monotonic + offset (this set's anchor)
            kept = self.recent.between(label.from_t - offset, label.to_t - offset)
        if not kept:
            raise SensorError("no force samples of that span are kept (older than the load cell keeps)")
        t0 = label.from_t - offset  # the span's start is t = 0, as the camera's frames
        d = entry_dir(self.corpus_dir, label.station_id, label.review_id)
        write_label(d, label)
        path = write_force(d, [(t - t0, f) for t, f in kept])
        log.info("labelled set saved: %d samples to %s", len(kept), path)
        return {"file": str(path), "samples": float(len(kept))}

    def _recalibrate(self, cmd: StationCommand,
                     change: Callable[[Calibration, list[float]], Calibration]) -> ReplyData:
        """A new calibration from the last half second's counts, saved for the station, used from now on."""
        with self._lock:
            if self.problem:
                raise SensorError(f"cannot {cmd.command}: {self.problem}")
            cal = change(self.calibration, list(self._recent))
            path = save_calibration(self.settings.calibration_dir, self.station_id, cal)
            self.calibration = cal
        return {"tare_counts": round(cal.tare_counts, 2), "n_per_count": cal.n_per_count, "file": str(path)}

    # ------------------------------------------------------------ samples

    def _stamp(self, n: int) -> list[float]:
        """Times of `n` new samples at the board's rate, re-anchored when the board drifts."""
        now, dt = self.clock(), 1 / self.driver.hz
        if self._t_next is None or abs(self._t_next + n * dt - now) > RESYNC_S:
            self._t_next = now - (n - 1) * dt
        ts = [self._t_next + i * dt for i in range(n)]
        self._t_next += n * dt
        return ts

    def handle(self, counts: list[float]) -> None:
        self._rate.tick(len(counts))
        if not counts:
            return
        ts = self._stamp(len(counts))
        with self._lock:
            for t, c in zip(ts, counts, strict=True):
                self.health.sample(t, c)
                self._recent.append(c)
                f = self.calibration.newtons(c)
                self.calibration = self.zero.update(t, f, self.calibration)
                if not self._trace:
                    self._trace_t0 = t
                self._trace.append(max(-5000.0, min(f, 5000.0)))
                self.recent.add(t, f)
                for rep in self.analyzer.feed(t, f):
                    self.reps += 1
                    try:
                        data = rep.to_event_data(self.leg, self.rep_clock.offset)
                    except ValueError as exc:  # a measurement outside the contract: say so, keep running
                        log.error("rep %d not sent, outside the contract: %s", rep.index, exc)
                        continue
                    self.bus.emit("load.rep", data)
                    log.info("rep %d: %.1f kg, %.1f s up, %.1f s down, %s, %s", data.rep_index, data.load_kg,
                             data.concentric_s, data.eccentric_s, data.metrics,
                             [x.value for x in data.faults] or "no sensor fault")
        if ts[-1] - self._trace_t0 >= 1 / self.settings.trace_hz or len(self._trace) >= TRACE_MAX:
            self.flush_trace()

    def flush_trace(self) -> None:
        if self._trace:
            batch, self._trace = self._trace[:TRACE_MAX], self._trace[TRACE_MAX:]
            self.bus.emit("load.trace", LoadTrace(t0=self.rep_clock.wall(self._trace_t0), hz=self.driver.hz,
                                                  force_n=batch))

    def check_health(self) -> None:
        now = self.clock()
        if now - self._last_health < HEALTH_EVERY_S:
            return
        self._last_health = now
        self.sensor.report(self.health.problem(now) or "", {"hz": self.driver.hz})

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                counts = self.driver.read(0.1)
            except SensorError as exc:
                self.health.failed(str(exc))
                self.check_health()
                stop.wait(0.5)  # retry opening the board twice a second
                continue
            if counts is None:
                break  # a finite source (a replay) ended
            self.handle(counts)
            self.check_health()
        self.flush_trace()
