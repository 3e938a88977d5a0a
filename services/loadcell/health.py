"""Sensor health (pure): silent, saturated or stuck — each with a reason a person understands."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SensorHealth:
    """Judges a stream of raw counts; `problem()` is None when the sensor is fine."""

    # The ADC's full scale: readings at or beyond it are clipped, so force above it is unknown.
    max_counts: float = 8_388_607.0  # the HX711's 24-bit two's complement limit
    min_counts: float = -8_388_608.0
    # A live amplifier always shows a few counts of noise; the same count for 2 s is a stuck board.
    stuck_s: float = 2.0
    # No sample for 1 s from a board that sends 80–1,000 a second is a stopped or unplugged board.
    silent_s: float = 1.0
    # Saturated when 20 samples in a row are at full scale (a brief spike is not a fault).
    saturated_samples: int = 20
    _last_value: float | None = None
    _same_since: float | None = None
    _last_t: float | None = None
    _at_limit: int = 0
    error: str | None = None

    def sample(self, t: float, counts: float) -> None:
        self.error = None
        self._last_t = t
        if counts != self._last_value:
            self._last_value, self._same_since = counts, t
        self._at_limit = self._at_limit + 1 if counts >= self.max_counts or counts <= self.min_counts else 0

    def failed(self, reason: str) -> None:
        """The driver could not read (unplugged, port gone)."""
        self.error = reason

    def problem(self, now: float) -> str | None:
        if self.error:
            return self.error
        if self._last_t is None:
            self._last_t = now  # the silence is counted from the first look, not from the epoch
        if now - self._last_t > self.silent_s:
            return "no samples from the load cell (stopped or unplugged)"
        if self._at_limit >= self.saturated_samples:
            return "load cell saturated (reading at the ADC's full scale)"
        if self._same_since is not None and now - self._same_since >= self.stuck_s:
            return "load cell stuck (the same reading for 2 s)"
        return None
