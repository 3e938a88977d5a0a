"""A simulated station's wall clock that a test can step, as an NTP step or a unit booted without a
real-time clock steps a real one.

Set `GYM_SIM_CLOCK_STEP_FILE` to a file holding a number of seconds (e.g. `3600` or `-300`); every
station process started with it (the member simulator, the camera and the load-cell services) reads
its wall clock as the real one plus that number, re-read whenever the file changes. The monotonic
clock is left alone, as a real step leaves it. Without the variable nothing changes.

Why a hook and not libfaketime: Debian 12's libfaketime (0.9.10) breaks Python 3.11's `time.sleep`
(clock_nanosleep on CLOCK_MONOTONIC fails with EINVAL when the monotonic clock is not faked, and
hangs when it is). The wall clock of a station process is read in two places: `time.time()` and the
envelope's `ts` (`shared.contract.set_wall_clock`); the hook steps both.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

STEP_FILE_ENV = "GYM_SIM_CLOCK_STEP_FILE"
RECHECK_S = 0.05  # how often the file is looked at: a step shows within one camera frame or two

log = logging.getLogger(__name__)


class ClockStep:
    """The step read from the file (seconds), cached for RECHECK_S."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds = 0.0
        self._checked = -1.0
        self._mtime = -1.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        now = time.monotonic()
        stepped = None
        with self._lock:
            if now - self._checked >= RECHECK_S:
                self._checked = now
                try:
                    mtime = self.path.stat().st_mtime_ns
                    if mtime != self._mtime:
                        self._mtime = mtime
                        text = self.path.read_text().strip()
                        step = float(text) if text else 0.0
                        stepped, self.seconds = step - self.seconds, step
                except (OSError, ValueError):
                    pass  # a file being rewritten: keep the last step
            seconds = self.seconds
        if stepped:  # logged outside the lock: logging reads the (stepped) clock itself
            log.warning("station clock stepped by %+.1f s", stepped)
        return seconds


def install_from_env() -> ClockStep | None:
    """Step this process's wall clock by the file named in GYM_SIM_CLOCK_STEP_FILE, if it is set."""
    name = os.environ.get(STEP_FILE_ENV)
    if not name:
        return None
    step = ClockStep(Path(name))
    real_time, real_time_ns = time.time, time.time_ns

    def stepped_time() -> float:
        return real_time() + step()

    def stepped_time_ns() -> int:
        return real_time_ns() + int(step() * 1e9)

    time.time = stepped_time
    time.time_ns = stepped_time_ns

    import shared.contract

    # The envelope's `ts` is the one other wall-clock read of a station process.
    shared.contract.set_wall_clock(lambda: datetime.now(UTC) + timedelta(seconds=step()))
    log.info("station wall clock follows %s (stepped by %+.1f s now)", name, step())
    return step
