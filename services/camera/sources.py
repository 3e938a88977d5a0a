"""Pose sources behind one interface: a replay file here, a camera in `capture`; the virtual member
(`services.simulator.station`) implements the same protocol from its own package."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol


class PoseSource(Protocol):
    def frames(self) -> Iterator[dict[str, Any]]:
        """Frames with `t` in seconds from the source's start, paced in real time when live."""
        ...

    def close(self) -> None: ...


log = logging.getLogger(__name__)

try:  # orjson parses a pose line ~3x faster than the standard library; same result either way
    import orjson

    _loads: Callable[[str], Any] = orjson.loads  # its JSONDecodeError is a ValueError, like json's
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads


class ReplayReader:
    """Frames of a pose JSON Lines file; a malformed line is skipped and counted, never fatal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.skipped: list[str] = []  # "line N: reason", for the report

    def __iter__(self) -> Iterator[dict[str, Any]]:
        last_t = -math.inf
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    frame = _loads(line)
                    if not isinstance(frame, dict):
                        raise ValueError("not a JSON object")
                    t = float(frame["t"])
                    if not math.isfinite(t) or t < last_t:
                        raise ValueError(f"time {t} does not follow {last_t}")
                    if not isinstance(frame.get("landmarks", {}), dict):
                        raise ValueError("landmarks is not an object")
                except (ValueError, KeyError, TypeError) as exc:
                    reason = f"line {n}: {type(exc).__name__}: {exc}"[:200]
                    self.skipped.append(reason)
                    log.warning("replay %s: skipped %s", self.path, reason)
                    continue
                last_t = t
                yield frame


def read_replay(path: Path) -> Iterator[dict[str, Any]]:
    return iter(ReplayReader(path))


class ReplaySource:
    def __init__(self, path: Path, realtime: bool = True, speed: float = 1.0) -> None:
        self.path, self.realtime, self.speed = path, realtime, speed
        self._stop = threading.Event()

    def frames(self) -> Iterator[dict[str, Any]]:
        start = time.monotonic()
        for f in read_replay(self.path):
            if self._stop.is_set():
                return
            if self.realtime:
                delay = start + float(f["t"]) / self.speed - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
            yield f

    def close(self) -> None:
        self._stop.set()
