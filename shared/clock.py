"""Rep times on the station's wall clock, steady through a step of that clock (camera and load cell)."""

from __future__ import annotations

import time


class RepClock:
    """Wall-clock time of a monotonic reading: the monotonic clock plus an offset taken at an anchor.

    A station's wall clock can step (an NTP correction, a unit booted without a real-time clock that
    syncs later). Read directly, a step in the middle of a rep stretches or reverses it, and one
    sensor's reps stop overlapping the other's, so progression no longer pairs them. Both sensors
    anchor when a set starts (they hear the same set.started within milliseconds), so through a set
    their reps keep the spacing the member really gave them and still pair; between sets the anchor
    follows the wall clock, so the times shown on the dashboard stay right.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.anchor()

    def anchor(self) -> None:
        # time.time() is looked up at each call: a stepped clock (services/simulator/clock.py) is seen.
        self.offset = time.time() - time.monotonic()

    def wall(self, monotonic_t: float) -> float:
        return monotonic_t + self.offset
