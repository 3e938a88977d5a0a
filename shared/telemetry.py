"""What a gym's monitoring reads of every service: Prometheus metrics (prometheus_client) and logs as text or
JSON lines.

Every service's bus counts what it receives, publishes, dead-letters and fails on, and how many messages wait
for its handlers; each service adds its own figures (reps judged and the verdict's latency, the camera's frame
rate, the load cell's sample rate, the kiosk being up, the dashboard's WebSocket clients). A service serves
them on `GYM_METRICS_PORT` (`serve`); the dashboard on its own app's `/metrics`.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from shared.settings import Settings

# The bus's own figures, labelled by service (one process may hold several buses: the demo, tests).
RECEIVED = Counter("gym_bus_received", "Messages handed to this service's handlers", ["service", "event_type"])
PUBLISHED = Counter("gym_bus_published", "Events this service published", ["service", "event_type"])
DEAD_LETTERS = Counter("gym_bus_dead_letters", "Messages refused with a dead letter (bad input)", ["service"])
HANDLER_ERRORS = Counter("gym_bus_handler_errors", "Handlers that raised (the bus went on)", ["service"])
QUEUED = Gauge("gym_bus_queued", "Messages waiting for this service's handlers", ["service"])
CONNECTED = Gauge("gym_bus_connected", "1 while this service is connected to its broker", ["service"])

# The progression worker: what the product is for, and how fast a member hears it.
REPS_JUDGED = Counter("gym_reps_judged", "Rep verdicts published, by the sensors behind them", ["sensors"])
# From the later sensor's rep event reaching the worker to its verdict published (the worker's own share of
# what a member waits for: the docs' target is 20 ms p99 end to end at 100 stations).
VERDICT_LATENCY = Histogram("gym_verdict_latency_seconds", "Rep event received -> verdict published",
                            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))

# Sensors and screens.
CAMERA_FPS = Gauge("gym_camera_fps", "Pose frames analysed per second, last second", ["station"])
LOADCELL_HZ = Gauge("gym_loadcell_sample_hz", "Force samples read per second, last second", ["station"])
KIOSK_UP = Gauge("gym_kiosk_up", "1 while the station's kiosk runs", ["station"])
WEBSOCKET_CLIENTS = Gauge("gym_dashboard_websocket_clients", "Browsers watching the live floor or a station")


class RateMeter:
    """Counts events and reports their rate over the last whole second into a gauge."""

    def __init__(self, gauge: Gauge, clock: Any = time.monotonic) -> None:
        self.gauge, self.clock = gauge, clock
        self._n, self._t0 = 0, clock()

    def tick(self, n: int = 1) -> None:
        self._n += n
        now = self.clock()
        if now - self._t0 >= 1.0:
            self.gauge.set(self._n / (now - self._t0))
            self._n, self._t0 = 0, now


def serve(settings: Settings) -> int | None:
    """Serve this process's metrics on `settings.metrics_port` (none when it is 0); returns the port."""
    if not settings.metrics_port:
        return None
    start_http_server(settings.metrics_port, addr=settings.metrics_host)
    return settings.metrics_port


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, service, logger, message (and the exception's text)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "service": self.service, "logger": record.name,
               "message": record.getMessage()}
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(service: str, settings: Settings) -> None:
    """The process's logging as the settings ask: text for a person, JSON lines for a collector."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        fmt: logging.Formatter = JsonLines(service)
        fmt.converter = time.gmtime
    else:
        fmt = logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s")
    handler.setFormatter(fmt)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)


__all__ = ["CAMERA_FPS", "CONNECTED", "DEAD_LETTERS", "HANDLER_ERRORS", "KIOSK_UP", "LOADCELL_HZ", "PUBLISHED",
           "QUEUED", "RECEIVED", "REPS_JUDGED", "VERDICT_LATENCY", "WEBSOCKET_CLIENTS", "JsonLines", "RateMeter",
           "configure_logging", "serve"]
