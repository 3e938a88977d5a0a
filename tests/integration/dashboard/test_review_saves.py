"""A verdict marked wrong on the dashboard asks the station's camera and load cell to save the rep's set; the
camera (the real service, on the broker) saves its frames of the set's span, and the Labels page says so."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from services.camera.service import CameraService
from services.camera.sources import ReplaySource
from services.simulator.pose import PoseSimulator
from services.simulator.script import scripted_set
from shared import contract as c
from shared.corpus import entries
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto
from shared.settings import Settings
from tests.conftest import wait_for
from tests.wire import RawListener


def test_a_review_saves_the_set_at_the_station_and_the_labels_page_shows_it(
        client: TestClient, sign_in: Callable[[str], str], mosquitto: PrivateMosquitto, tmp_path: Path) -> None:
    csrf = sign_in("tina")
    replay = tmp_path / "set.jsonl"
    replay.write_text("".join(json.dumps(f) + "\n" for f in
                              PoseSimulator(scripted_set("demo", c.Leg.LEFT, 1), noise_px=1.0, seed=3).frames()))
    corpus = tmp_path / "corpus"
    camera_bus = MqttBus(Settings(_env_file=None, mqtt_port=mosquitto.port, station_id="st-01",
                                  corpus_dir=corpus), "camera")
    camera = CameraService(camera_bus, ReplaySource(replay, realtime=False), c.Leg.LEFT)
    progression = MqttBus(Settings(_env_file=None, mqtt_port=mosquitto.port, station_id="st-01"), "progression")
    commands = RawListener(mosquitto.port, "gym/v1/main/st-01/station/command")
    camera_reps = RawListener(mosquitto.port, "gym/v1/main/st-01/camera/rep")
    try:
        assert camera_bus.start() and progression.start()
        runner = threading.Thread(target=camera.run, daemon=True)
        runner.start()
        wait_for(lambda: camera.stopped.is_set(), timeout=30, what="the replayed set measured")
        # (the set's reps reach this listener after the replay ends: wait for the second, the one reviewed)
        reps = wait_for(lambda: [c.CameraRep.model_validate(json.loads(p)["data"]) for _, p, _r in camera_reps.messages]
                        if len(camera_reps.messages) >= 2 else None, what="the camera's reps on the broker")
        rep = reps[1]
        progression.emit("rep.verdict", c.RepVerdict(  # the station said: clean (the trainer saw a swing)
            session_id="s8", set_index=1, leg=c.Leg.LEFT, rep_index=rep.rep_index, start_t=rep.start_t,
            end_t=rep.end_t, passed=True, faults=[], sensors=[c.Sensor.CAMERA]))
        wait_for(lambda: client.get("/api/v1/stations/st-01").json()["reps"], what="the rep on the station page")
        r = client.post("/api/v1/stations/st-01/reviews", headers={"x-csrf-token": csrf},
                        json={"session_id": "s8", "set_index": 1, "leg": "left", "rep_index": rep.rep_index,
                              "true_faults": ["swing"]})
        assert r.status_code == 201, r.text
        review_id = r.json()["review_id"]
        asked = wait_for(lambda: [json.loads(p) for _, p, _r in commands.messages] if len(commands.messages) >= 2
                         else None, what="save_set asked of the camera and the load cell")
        assert {m["data"]["service"] for m in asked} == {"camera", "loadcell"}
        args = asked[0]["data"]["args"]
        assert args["true_faults"] == "swing" and args["review_id"] == review_id
        assert args["from_t"] == rep.start_t - 3.0 and args["to_t"] == rep.end_t + 3.0  # the set: its one rep here
        def labels_page() -> str | None:
            text = client.get("/reviews", headers={"accept": "text/html"}).text
            return text if "camera: saved" in text else None

        page = wait_for(labels_page, timeout=15, what="the camera's answer on the Labels page: "
                        + client.get("/reviews", headers={"accept": "text/html"}).text[-1500:])
        assert "swung the thigh" in page
        [(d, label)] = list(entries(corpus))
        assert label.review_id == review_id and label.true_faults == [c.Fault.SWING]
        assert (d / "camera.jsonl").stat().st_size > 0
    finally:
        commands.close()
        camera_reps.close()
        progression.stop()
        camera_bus.stop()

