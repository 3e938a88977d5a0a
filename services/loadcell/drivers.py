"""ADC drivers behind one interface: a USB-serial amplifier, an HX711 on GPIO, a replay; the simulated
amplifier (`services.simulator.station`) implements the counts side from its own package.

Every driver gives raw counts (`read`) at its own rate and a factory calibration used until the
station is calibrated. A driver that cannot read raises `SensorError` with the reason and tries
to reopen on the next `read`, so an unplugged board recovers when it is plugged back in.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Protocol

import serial

from services.loadcell.calibration import Calibration
from shared.pacing import Paced

# A replay whose first two rows do not give its rate is played at a typical board's.
DEFAULT_HZ = 80.0
# A serial line longer than this is not a count: garbage (wrong baud rate, noise on the line).
MAX_LINE = 32


class SensorError(Exception):
    """The sensor cannot be read: the reason is for people (shown in the degraded status)."""


class CountsSource(Protocol):
    hz: float

    def read(self, timeout: float) -> list[float] | None: ...

    def close(self) -> None: ...


class AdcDriver(Protocol):
    hz: float
    factory_calibration: Calibration

    def read(self, timeout: float) -> list[float] | None:
        """Counts that arrived within `timeout` ([] if none); None at the end of a finite source."""
        ...

    def close(self) -> None: ...


def parse_counts(buf: bytes) -> tuple[list[float], bytes, int]:
    """Complete lines of `buf` as counts: (counts, the unfinished rest, number of garbage lines)."""
    *lines, rest = buf.split(b"\n")
    out, bad = [], 0
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        try:
            if len(line) > MAX_LINE:
                raise ValueError(line)
            out.append(float(int(line)))
        except ValueError:
            bad += 1
    if len(rest) > MAX_LINE:  # a run of bytes without a newline: drop it, keep reading
        rest, bad = b"", bad + 1
    return out, rest, bad


class SerialAmplifier:
    """A USB-serial amplifier board that prints one raw count per line at its own rate."""

    def __init__(self, port: str, baud: int = 115200, hz: float = 1000.0) -> None:
        self.port, self.baud, self.hz = port, baud, hz
        self.factory_calibration = Calibration()
        self.garbage_lines = 0
        self._ser: serial.Serial | None = None
        self._rest = b""

    def _open(self) -> serial.Serial:
        if self._ser is None:
            try:
                self._ser = serial.Serial(self.port, self.baud, timeout=0.05)
            except (serial.SerialException, OSError) as exc:
                raise SensorError(f"load cell amplifier not available at {self.port}: {exc}") from exc
            self._rest = b""
        return self._ser

    def read(self, timeout: float) -> list[float]:
        ser = self._open()
        deadline = time.monotonic() + timeout
        out: list[float] = []
        try:
            while True:
                ser.timeout = max(0.0, min(0.05, deadline - time.monotonic()))
                chunk = ser.read(max(1, ser.in_waiting))
                if chunk:
                    counts, self._rest, bad = parse_counts(self._rest + chunk)
                    out.extend(counts)
                    self.garbage_lines += bad
                if (out and not ser.in_waiting) or time.monotonic() >= deadline:
                    return out
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise SensorError(f"load cell amplifier unplugged ({self.port}): {exc}") from exc

    def close(self) -> None:
        if self._ser is not None:
            try:
                self._ser.close()
            except (serial.SerialException, OSError):
                pass
            self._ser = None


class HX711Pins(Protocol):
    """The two GPIO lines of an HX711: DOUT (input) and PD_SCK (output)."""

    def dout(self) -> int: ...

    def sck(self, level: int) -> None: ...


# Extra clock pulses after the 24 data bits choose the next conversion's channel and gain (datasheet).
GAIN_PULSES = {128: 1, 64: 3, 32: 2}


class HX711:
    """The HX711 bit protocol: wait for DOUT low, clock out 24 bits MSB first, 1–3 pulses for the gain."""

    def __init__(self, pins: HX711Pins, gain: int = 128, hz: float = 80.0) -> None:
        if gain not in GAIN_PULSES:
            raise ValueError(f"HX711 gain must be one of {sorted(GAIN_PULSES)}")
        self.pins, self.gain, self.hz = pins, gain, hz
        self.factory_calibration = Calibration()

    def read_one(self, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while self.pins.dout():  # DOUT high: conversion not ready
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.001)
        value = 0
        for _ in range(24):
            self.pins.sck(1)
            value = (value << 1) | (self.pins.dout() & 1)
            self.pins.sck(0)
        for _ in range(GAIN_PULSES[self.gain]):
            self.pins.sck(1)
            self.pins.sck(0)
        if value & 0x800000:  # 24-bit two's complement
            value -= 1 << 24
        return float(value)

    def read(self, timeout: float) -> list[float]:
        first = self.read_one(timeout)
        if first is None:
            return []
        return [first]

    def close(self) -> None:
        pass


class GpiodPins:
    """HX711 lines through libgpiod (python3-gpiod 2.x on Raspberry Pi OS). Not exercised off a Pi."""

    def __init__(self, chip: str, dout: int, sck: int) -> None:
        try:
            import gpiod  # type: ignore[import-not-found,unused-ignore]
            from gpiod.line import Direction, Value  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise SensorError("HX711 needs libgpiod's Python binding (python3-libgpiod)") from exc
        self._dout, self._sck, self._value = dout, sck, Value
        try:
            self._req = gpiod.request_lines(chip, consumer="gym-loadcell", config={
                dout: gpiod.LineSettings(direction=Direction.INPUT),
                sck: gpiod.LineSettings(direction=Direction.OUTPUT, output_value=Value.INACTIVE)})
        except OSError as exc:
            raise SensorError(f"HX711 GPIO lines not available on {chip}: {exc}") from exc

    def dout(self) -> int:
        return 1 if self._req.get_value(self._dout) == self._value.ACTIVE else 0

    def sck(self, level: int) -> None:
        self._req.set_value(self._sck, self._value.ACTIVE if level else self._value.INACTIVE)


class FactoryCalibrated:
    """A board whose factory calibration comes with it (its label, its data sheet): a counts source that
    knows its rate, given the calibration to use until the station is calibrated."""

    def __init__(self, board: CountsSource, calibration: Calibration) -> None:
        self.board, self.factory_calibration = board, calibration
        self.hz = board.hz

    def read(self, timeout: float) -> list[float] | None:
        return self.board.read(timeout)

    def close(self) -> None:
        self.board.close()


class ReplayAmplifier(Paced):
    """A force replay (`t,force_n`) played in real time; its counts are newtons (identity calibration)."""

    def __init__(self, path: Path, realtime: bool = True) -> None:
        self.samples = read_force_csv(path)
        ts = [t for t, _ in self.samples[:2]]
        super().__init__(1 / (ts[1] - ts[0]) if len(ts) == 2 and ts[1] > ts[0] else DEFAULT_HZ)
        self.realtime = realtime
        self.factory_calibration = Calibration()

    def read(self, timeout: float) -> list[float] | None:
        if self._n >= len(self.samples):
            return None
        if self.realtime and self._stop.wait(min(timeout, 1 / self.hz)):
            return None
        k = max(0, self.due()) if self.realtime else len(self.samples)
        out = [f for _, f in self.samples[self._n:self._n + k]]
        self._n += len(out)
        return out


def read_force_csv(path: Path) -> list[tuple[float, float]]:
    """A force replay; ValueError with the line number for a header or row that is not `t,force_n`."""
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        header = next(rows, None)
        if header is None or [h.strip() for h in header] != ["t", "force_n"]:
            raise ValueError(f"{path}: the header must be 't,force_n', not {header!r}")
        for i, row in enumerate(rows, start=2):
            if not row:
                continue
            try:
                t, f = float(row[0]), float(row[1])
            except (ValueError, IndexError):
                raise ValueError(f"{path}:{i}: not a 't,force_n' row: {row!r}") from None
            if not (abs(f) < 1e6 and t >= 0):
                raise ValueError(f"{path}:{i}: out of range: {row!r}")
            out.append((t, f))
    return out
