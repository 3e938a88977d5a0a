"""Drivers: the serial amplifier through a real pseudo-terminal pair, HX711 against a recorded pin sequence,
calibration and health (no server)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.loadcell.calibration import Calibration, CalibrationError, ZeroTracker, load_calibration, save_calibration
from services.loadcell.drivers import HX711, SensorError, SerialAmplifier, parse_counts
from services.loadcell.health import SensorHealth


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    yield master, path
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def test_serial_board_counts_garbage_and_unplug(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    amp = SerialAmplifier(path, hz=1000)
    assert amp.read(0.05) == []  # opened (pyserial drops what was queued before it opened)
    os.write(master, b"100\n101\nxx#!garbage\n102\n")
    got = amp.read(0.5)
    assert got == [100.0, 101.0, 102.0] and amp.garbage_lines == 1
    assert amp.read(0.1) == []  # a board that stops: no counts, no error
    os.write(master, b"1" * 100 + b"\n7\n")  # an endless line is garbage, the next count still arrives
    assert amp.read(0.5) == [7.0]
    os.close(master)  # unplugged
    with pytest.raises(SensorError, match="unplugged"):
        for _ in range(20):
            amp.read(0.05)
    amp.close()


def test_serial_board_absent_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SensorError, match="not available"):
        SerialAmplifier(str(tmp_path / "ttyUSB9")).read(0.1)


def test_parse_counts_keeps_the_unfinished_line() -> None:
    counts, rest, bad = parse_counts(b"-5\n12\n3")
    assert counts == [-5.0, 12.0] and rest == b"3" and bad == 0


class RecordedPins:
    """Replays DOUT as recorded from an HX711 (one level per read) and records every SCK edge."""

    def __init__(self, dout_levels: list[int]) -> None:
        self.levels = list(dout_levels)
        self.sck_edges: list[int] = []

    def dout(self) -> int:
        return self.levels.pop(0)

    def sck(self, level: int) -> None:
        self.sck_edges.append(level)


def recording(value: int, busy: int = 2) -> list[int]:
    """The DOUT levels a logic analyser shows for one conversion: busy (high), ready (low), 24 bits MSB first."""
    bits = [(value & 0xFFFFFF) >> (23 - i) & 1 for i in range(24)]
    return [1] * busy + [0] + bits


@pytest.mark.parametrize(("value", "gain", "pulses"), [(0x012345, 128, 25), (-8000, 64, 27), (8_388_607, 32, 26)])
def test_hx711_decodes_the_recorded_sequence(value: int, gain: int, pulses: int) -> None:
    pins = RecordedPins(recording(value))
    assert HX711(pins, gain=gain).read_one(timeout=1.0) == float(value)
    assert pins.sck_edges == [1, 0] * pulses  # 24 data pulses + the gain's 1–3
    assert pins.levels == []


def test_hx711_not_ready_returns_nothing() -> None:
    assert HX711(RecordedPins([1] * 1000)).read(0.02) == []


def test_calibration_tare_scale_and_file(tmp_path: Path) -> None:
    cal = Calibration().tared([1000.0, 1002.0]).calibrated([11001.0, 11001.0], known_mass_kg=10.0)
    assert cal.tare_counts == 1001.0
    assert cal.newtons(11001.0) == pytest.approx(98.0665)
    save_calibration(tmp_path, "st-01", cal)
    assert load_calibration(tmp_path, "st-01") == cal
    assert load_calibration(tmp_path, "st-02") is None
    with pytest.raises(CalibrationError, match="hung on"):
        cal.calibrated([1001.0], known_mass_kg=10.0)
    (tmp_path / "st-03.json").write_text("{broken")
    with pytest.raises(CalibrationError, match="st-03"):
        load_calibration(tmp_path, "st-03")


def test_zero_tracking_follows_an_unloaded_drift_but_never_a_load() -> None:
    cal, zt = Calibration(tare_counts=0.0, n_per_count=0.1), ZeroTracker()
    for i in range(400):  # 5 s at 80 Hz, drifted 20 counts (2 N)
        cal = zt.update(i / 80, cal.newtons(20.0), cal)
    assert 10.0 < cal.tare_counts <= 20.0
    loaded = zt.update(10.0, 150.0, cal)
    assert loaded == cal


def test_health_stuck_saturated_silent() -> None:
    h = SensorHealth(max_counts=1000)
    for i in range(300):
        h.sample(i / 100, 500.0)
    assert "stuck" in (h.problem(3.0) or "")
    for i in range(30):
        h.sample(3 + i / 100, 1000.0 + i % 2)
    assert "saturated" in (h.problem(3.3) or "")
    assert "no samples" in (h.problem(10.0) or "")
    h.sample(10.0, 1.0)
    assert h.problem(10.0) is None


def test_the_simulated_station_standing_idle_is_not_a_stuck_sensor() -> None:
    """An idle station (no set performed) still reads an amplifier's noise, as a real board does."""
    from services.simulator.station import SimulatedAmplifier

    amp = SimulatedAmplifier(seed=7)
    health = SensorHealth()
    counts = amp.counts(3 * 80)  # 3 s at 80 Hz
    for i, n in enumerate(counts):
        health.sample(i / 80, float(n))
    assert health.problem(len(counts) / 80) is None


def test_the_service_runs_its_fits_on_one_blas_thread() -> None:
    """Two BLAS threads on the stroke fits' small products cost twice the CPU (`python -m bench loadcell`)."""
    code = ("from threadpoolctl import threadpool_info\n"
            "from services.loadcell.service import one_blas_thread\n"
            "one_blas_thread()\n"
            "print(max(p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert out.stdout.strip() == "1"
