"""Calibration of the load cell: raw ADC counts to newtons (pure model, plus its JSON file per station).

tare: the counts with nothing on the cable; scale: newtons per count, from a known mass hung on it.
Automatic zero tracking follows the slow drift of an unloaded cell (temperature, creep) while the
reading rests near zero, as scales do; a loaded cell (the stack hanging) is never re-zeroed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

G = 9.80665
# A known mass must move the reading by at least 50 counts for a scale factor worth keeping
# (an HX711 with a 50 kg cell gives ~10,000 counts per kg; a stuck or unplugged board gives 0).
MIN_CALIBRATION_COUNTS = 50.0


class CalibrationError(ValueError):
    """A calibration that cannot be made: no samples, no known mass, or a reading that did not move."""


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tare_counts: float = Field(default=0.0, description="Raw counts with the cable unloaded")
    n_per_count: float = Field(default=1.0, description="Newtons per raw count (signed: a board may count down)")

    def newtons(self, counts: float) -> float:
        return (counts - self.tare_counts) * self.n_per_count

    def tared(self, samples: Sequence[float]) -> Calibration:
        if not samples:
            raise CalibrationError("no samples from the sensor to tare with")
        return self.model_copy(update={"tare_counts": sum(samples) / len(samples)})

    def calibrated(self, samples: Sequence[float], known_mass_kg: float) -> Calibration:
        if not samples:
            raise CalibrationError("no samples from the sensor to calibrate with")
        if not known_mass_kg > 0:
            raise CalibrationError("known_mass_kg must be a positive mass")
        delta = sum(samples) / len(samples) - self.tare_counts
        if abs(delta) < MIN_CALIBRATION_COUNTS:
            raise CalibrationError(f"the reading moved {delta:.0f} counts under {known_mass_kg} kg: is it hung on?")
        return self.model_copy(update={"n_per_count": known_mass_kg * G / delta})


def calibration_path(directory: Path, station_id: str) -> Path:
    return directory / f"{station_id}.json"


def load_calibration(directory: Path, station_id: str) -> Calibration | None:
    """The station's saved calibration, None when there is none; a damaged file is an error with its path."""
    path = calibration_path(directory, station_id)
    if not path.exists():
        return None
    try:
        return Calibration.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CalibrationError(f"{path}: {exc}") from exc


def save_calibration(directory: Path, station_id: str, cal: Calibration) -> Path:
    """Write atomically (a power cut mid-write leaves the old file, never half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = calibration_path(directory, station_id)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".cal-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(cal.model_dump(), fh, indent=1)
    os.replace(tmp, path)
    return path


@dataclass
class ZeroTracker:
    """Automatic zero tracking: while the reading stays within `band_n` of zero and steady for
    `hold_s`, the tare follows it slowly; any load (the stack hanging, a hand on the cable) stops it."""

    # ±5 N is under the lightest plate (2 kg ≈ 20 N) and over an unloaded cell's drift over an hour.
    band_n: float = 5.0
    # Two still seconds: no one sets the stack down and leaves the cable for less between sets.
    hold_s: float = 2.0
    # Follow 1 % of the offset per sample: drift is slow, and one odd sample cannot move the zero.
    rate: float = 0.01
    _since: float | None = None
    _last: list[float] = field(default_factory=list)

    def update(self, t: float, newtons: float, cal: Calibration) -> Calibration:
        if abs(newtons) > self.band_n:
            self._since = None
            return cal
        if self._since is None:
            self._since = t
        if t - self._since < self.hold_s or cal.n_per_count == 0:
            return cal
        counts_off = newtons / cal.n_per_count
        return cal.model_copy(update={"tare_counts": cal.tare_counts + self.rate * counts_off})
