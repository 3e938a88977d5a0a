"""The live camera service: frames from a source → analyzer → camera.rep / camera.pose events."""

from __future__ import annotations

import logging
import time
from typing import Any

from services.camera.analysis import PoseAnalyzer
from services.camera.sources import PoseSource
from shared.contract import CameraPose, Envelope, Leg, SetStarted
from shared.mqtt import MqttBus

log = logging.getLogger(__name__)

POSE_HZ = 10.0  # camera.pose rate: enough for a live gauge on the kiosk, cheap on the broker


class CameraService:
    def __init__(self, bus: MqttBus, source: PoseSource, leg: Leg = Leg.LEFT) -> None:
        self.bus, self.source = bus, source
        self.analyzer = PoseAnalyzer(leg)
        self.t_offset = time.time()  # source t 0 on the station clock
        self._last_pose = 0.0
        bus.subscribe("set.started", self.on_set_started, site_id=bus.settings.site_id,
                      station_id=bus.settings.station_id)

    def on_set_started(self, ev: Envelope) -> None:
        data = ev.data  # type: ignore[attr-defined]
        assert isinstance(data, SetStarted)
        if data.leg != self.analyzer.leg:
            log.info("working leg is now %s", data.leg.value)
            self.analyzer = PoseAnalyzer(data.leg)

    def handle(self, frame: dict[str, Any]) -> None:
        judged = self.analyzer.feed(frame)
        t = float(frame["t"])
        if judged:
            data = judged.to_event_data(self.analyzer.leg, self.t_offset)
            self.bus.emit("camera.rep", data)
            log.info("rep %d: %s", data.rep_index, [f.value for f in data.faults] or "clean")
        if t - self._last_pose >= 1 / POSE_HZ:
            self._last_pose = t
            k = self.analyzer.last_knee
            self.bus.emit("camera.pose", CameraPose(
                t=t + self.t_offset, leg=self.analyzer.leg, person_visible=k is not None,
                knee_flexion_deg=None if k is None else round(k, 1)))

    def run(self) -> None:
        for frame in self.source.frames():
            self.handle(frame)
