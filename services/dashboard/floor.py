"""The live floor: what the dashboard knows of every station, folded from events (pure)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from shared.contract import Envelope, RepVerdict, RepVerdictEvent, StationStatus, StationStatusEvent


@dataclass
class StationView:
    station_id: str
    services: dict[str, StationStatus] = field(default_factory=dict)
    last_verdict: RepVerdict | None = None
    last_seen: datetime | None = None

    @property
    def state(self) -> str:
        """online when every service is online, offline when none is, degraded otherwise."""
        states = {s.state.value for s in self.services.values()}
        if not states:
            return "unknown"
        if states <= {"online"}:
            return "online"
        if states <= {"offline", "stopped"}:
            return "offline"
        return "degraded"


class Floor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stations: dict[str, StationView] = {}

    def _view(self, station: str) -> StationView:
        return self.stations.setdefault(station, StationView(station))

    def apply(self, ev: Envelope) -> None:
        with self._lock:
            if isinstance(ev, StationStatusEvent):
                if ev.station_id == "site":
                    return
                v = self._view(ev.station_id)
                v.services[ev.data.service] = ev.data
            elif isinstance(ev, RepVerdictEvent):
                v = self._view(ev.station_id)
                v.last_verdict = ev.data
            else:
                return
            v.last_seen = ev.ts

    def snapshot(self) -> list[StationView]:
        with self._lock:
            return [self.stations[k] for k in sorted(self.stations)]
