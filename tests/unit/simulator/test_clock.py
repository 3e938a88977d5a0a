"""The simulated station's clock step: wall clock and envelope stamps move, the monotonic clock does not."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.simulator import clock
from shared import contract as c
from tests.samples import SAMPLES


def test_a_step_written_to_the_file_moves_the_wall_clock_and_the_envelopes_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step_file = tmp_path / "step"
    step_file.write_text("0")
    monkeypatch.setenv(clock.STEP_FILE_ENV, str(step_file))
    real_time, real_time_ns = time.time, time.time_ns
    try:
        step = clock.install_from_env()
        assert step is not None
        mono = time.monotonic()
        step_file.write_text("3600")
        os.utime(step_file, ns=(time.time_ns(), real_time_ns() + 10**9))  # a new mtime, whatever the fs's grain
        time.sleep(clock.RECHECK_S * 2)
        assert time.time() - real_time() == pytest.approx(3600, abs=1)
        ts = c.make_event("camera.rep", "main", "st-01", SAMPLES["camera.rep"]).ts
        assert (ts - datetime.now(UTC)).total_seconds() == pytest.approx(3600, abs=1)
        assert time.monotonic() - mono < 5  # as a real NTP step leaves it
    finally:
        time.time, time.time_ns = real_time, real_time_ns
        c.set_wall_clock()
    ts = c.make_event("camera.rep", "main", "st-01", SAMPLES["camera.rep"]).ts
    assert abs((ts - datetime.now(UTC)).total_seconds()) < 1


def test_without_the_setting_nothing_is_stepped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.STEP_FILE_ENV, raising=False)
    assert clock.install_from_env() is None
