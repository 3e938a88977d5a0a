"""Pose sources behind one interface: a replay file, or the virtual member (simulator)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from services.simulator.pose import PoseSimulator
from services.simulator.script import SetPlan


class PoseSource(Protocol):
    def frames(self) -> Iterator[dict[str, Any]]:
        """Frames with `t` in seconds from the source's start, paced in real time when live."""
        ...

    def close(self) -> None: ...


def read_replay(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


class ReplaySource:
    def __init__(self, path: Path, realtime: bool = True) -> None:
        self.path, self.realtime = path, realtime
        self._stop = threading.Event()

    def frames(self) -> Iterator[dict[str, Any]]:
        start = time.monotonic()
        for f in read_replay(self.path):
            if self._stop.is_set():
                return
            if self.realtime:
                delay = start + float(f["t"]) - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield f

    def close(self) -> None:
        self._stop.set()


class SimulatedMemberSource:
    """The virtual member at the station: standing still until told to perform a set."""

    IDLE_FPS = 10.0  # no rep can happen while idle, so a low rate saves the CPU

    def __init__(self, fps: float = 30.0) -> None:
        self.fps = fps
        self._plans: list[SetPlan] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def perform(self, plan: SetPlan) -> None:
        with self._lock:
            self._plans.append(plan)

    def frames(self) -> Iterator[dict[str, Any]]:
        start = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                plan = self._plans.pop(0) if self._plans else None
            if plan is None:
                time.sleep(1 / self.IDLE_FPS)
                continue
            t0 = time.monotonic() - start
            for f in PoseSimulator(plan, t0=t0, fps=self.fps).frames():
                delay = start + float(f["t"]) - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if self._stop.is_set():
                    return
                yield f

    def close(self) -> None:
        self._stop.set()
