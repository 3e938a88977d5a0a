"""A set a trainer labelled is saved by the station's camera and load cell (never a picture, never a QR
text), and replays through `analyze` to the measurements the station published."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest

from bench.corpus import score
from services.camera.analysis import analyze as analyze_pose
from services.camera.service import CameraService
from services.camera.sources import ReplaySource
from services.loadcell.analysis import analyze as analyze_force
from services.loadcell.drivers import ReplayAmplifier, read_force_csv
from services.loadcell.service import LoadcellService
from services.loadcell.settings import LoadcellSettings
from services.simulator.force import ForceSimulator, random_station, varied_load_set, write_csv
from services.simulator.pose import PoseSimulator
from services.simulator.script import scripted_set
from shared import contract as c
from shared.bus import MemoryBus
from shared.corpus import SAVE_COMMAND, Label, entries, save_args
from shared.settings import Settings

STATION = "st-01"


def station_bus(corpus: Path, service: str) -> MemoryBus:
    return MemoryBus(Settings(_env_file=None, station_id=STATION, corpus_dir=corpus), service)


def save(bus: MemoryBus, service: str, label: Label) -> c.StationReply:
    bus.as_service("dashboard").emit("station.command", c.StationCommand(
        correlation_id=f"save-{service}", service=service, command=SAVE_COMMAND, args=save_args(label)))
    replies = [e.data for e in bus.published if isinstance(e, c.StationReplyEvent) and e.data.service == service]
    assert replies, "no reply"
    return replies[-1]


def label(review: str, reps: list[c.CameraRep] | list[c.LoadRep], leg: c.Leg = c.Leg.LEFT) -> Label:
    """The trainer saw a swing on rep 2; the span is the set's reps and a few seconds around them, as the
    dashboard asks (services/dashboard/live.py)."""
    r2 = reps[1] if reps else None
    return Label(station_id=STATION, review_id=review, leg=leg, set_index=1, rep_index=2,
                 rep_start_t=r2.start_t if r2 else 0.0, rep_end_t=r2.end_t if r2 else 1.0,
                 from_t=min((r.start_t for r in reps), default=0.0) - 3.0,
                 to_t=max((r.end_t for r in reps), default=1.0) + 3.0,
                 true_faults=[c.Fault.SWING], station_faults=[])


def test_the_cameras_saved_set_replays_to_the_reps_it_published(tmp_path: Path) -> None:
    replay = tmp_path / "set.jsonl"
    frames = list(PoseSimulator(scripted_set("demo", c.Leg.LEFT, 1), noise_px=1.0, seed=3).frames())
    frames[5] = {**frames[5], "qr": "member-token-123"}  # a member's QR code held up: a token, never kept
    replay.write_text("".join(json.dumps(f) + "\n" for f in frames))
    bus = station_bus(tmp_path / "corpus", "camera")
    service = CameraService(bus, ReplaySource(replay, realtime=False), c.Leg.LEFT)
    service.run()
    published = [e.data for e in bus.published if isinstance(e, c.CameraRepEvent)]
    assert len(published) >= 3

    reply = save(bus, "camera", label("r1", published))
    assert reply.status == "ok", reply.error
    [(d, saved)] = list(entries(tmp_path / "corpus"))
    assert saved.true_faults == [c.Fault.SWING] and saved.review_id == "r1"
    text = (d / "camera.jsonl").read_text()
    assert "member-token-123" not in text and "qr" not in text
    again = [m.to_event_data(c.Leg.LEFT) for m in
             analyze_pose((json.loads(line) for line in text.splitlines()), c.Leg.LEFT)]
    assert [(r.concentric_s, r.eccentric_s, r.top_hold_s, r.metrics) for r in again] == \
        [(p.concentric_s, p.eccentric_s, p.top_hold_s, p.metrics) for p in published]
    # `python -m bench camera --corpus DIR` reads it: the labelled rep found, judged, compared with the label.
    scored = score(tmp_path / "corpus", "camera")
    assert scored["sets"] == 1 and scored["reps_found"] == 1
    assert scored["faults"]["swing"]["fn"] + scored["faults"]["swing"]["tp"] == 1  # the trainer's swing, counted


def test_the_load_cells_saved_set_replays_to_the_reps_it_published(tmp_path: Path) -> None:
    rng = random.Random(11)
    replay = tmp_path / "set.csv"
    write_csv(replay, ForceSimulator(varied_load_set(rng), random_station(rng), seed=5).samples())
    bus = station_bus(tmp_path / "corpus", "loadcell")
    service = LoadcellService(bus, ReplayAmplifier(replay, realtime=False),
                              LoadcellSettings(_env_file=None, calibration_dir=tmp_path / "cal"))
    service.run(threading.Event())
    published = [e.data for e in bus.published if isinstance(e, c.LoadRepEvent)]
    assert len(published) >= 3

    reply = save(bus, "loadcell", label("r2", published))
    assert reply.status == "ok", reply.error
    [(d, _)] = list(entries(tmp_path / "corpus"))
    again = analyze_force(read_force_csv(d / "force.csv"))
    assert [(r.load_kg, r.concentric_s, r.eccentric_s) for r in [x.to_event_data(None) for x in again]] == \
        [(p.load_kg, p.concentric_s, p.eccentric_s) for p in published]


def test_a_save_with_nothing_kept_or_bad_arguments_is_answered_with_the_reason(tmp_path: Path) -> None:
    bus = station_bus(tmp_path / "corpus", "camera")
    CameraService(bus, ReplaySource(tmp_path / "none.jsonl", realtime=False), c.Leg.LEFT)
    reply = save(bus, "camera", label("r3", []))
    assert reply.status == "error" and "no pose frames" in reply.error
    bus.as_service("dashboard").emit("station.command", c.StationCommand(
        correlation_id="bad", service="camera", command=SAVE_COMMAND, args={"leg": "left"}))
    bad = [e.data for e in bus.published if isinstance(e, c.StationReplyEvent) and e.data.correlation_id == "bad"]
    assert bad and bad[0].status == "error" and "review_id" in bad[0].error
    assert not any((tmp_path / "corpus").glob("*/label.json"))


pytestmark = pytest.mark.integration
