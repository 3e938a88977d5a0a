"""A source that hands out samples at their time, as a live board would (a replay, a simulated amplifier)."""

from __future__ import annotations

import threading
import time


class Paced:
    """Counts the samples due since the start at `hz`; `close` stops whoever waits on `_stop`."""

    def __init__(self, hz: float) -> None:
        self.hz = hz
        self._start = time.monotonic()
        self._n = 0
        self._stop = threading.Event()

    def due(self) -> int:
        return int((time.monotonic() - self._start) * self.hz) - self._n

    def close(self) -> None:
        self._stop.set()


__all__ = ["Paced"]
