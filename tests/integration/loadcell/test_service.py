"""The load-cell service process against the private mosquitto: reps over a serial pty, degraded on unplug,
tare by command."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from services.procs import Child, wait_online
from services.simulator.force import ForceSimulator, Station
from services.simulator.script import clean_set
from shared import contract as c
from shared.servers import PrivateMosquitto
from tests.conftest import wait_for
from tests.wire import StationClient

pytestmark = pytest.mark.integration

HZ = 80.0
N_PER_COUNT = 0.01  # the calibration the test board is given: 100 counts a newton


class Station01(StationClient):
    def __init__(self, port: int) -> None:
        super().__init__(port, ("load.rep", "load.trace", "station.status", "station.reply"))

    def loadcell_states(self) -> list[tuple[str, str]]:
        return [(s.state.value, s.detail) for s in self.of(c.StationStatusEvent) if s.service == "loadcell"]


def feed(master: int, samples: list[float], stop: threading.Event) -> None:
    """Play counts into the pty at the board's rate, a few samples per write as a USB board does."""
    start = time.monotonic()
    for i in range(0, len(samples), 4):
        if stop.is_set():
            return
        lines = b"".join(b"%d\n" % round(f / N_PER_COUNT) for f in samples[i:i + 4])
        try:
            os.write(master, lines)
        except OSError:
            return
        delay = start + (i + 4) / HZ - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def test_reps_over_serial_then_degraded_when_unplugged(mosquitto: PrivateMosquitto, tmp_path: Path) -> None:
    cal_dir = tmp_path / "cal"
    cal_dir.mkdir()
    (cal_dir / "st-01.json").write_text(f'{{"tare_counts": 0.0, "n_per_count": {N_PER_COUNT}}}')
    master, slave = os.openpty()
    kiosk = Station01(mosquitto.port)
    env = {**os.environ, "GYM_ENVIRONMENT": "test", "GYM_MQTT_PORT": str(mosquitto.port),
           "GYM_STATION_ID": "st-01", "GYM_LOADCELL_CALIBRATION_DIR": str(cal_dir),
           "GYM_LOADCELL_SERIAL_HZ": str(HZ), "PYTHONUNBUFFERED": "1"}
    child = Child("loadcell", ["services.loadcell", "run", "--source", f"serial:{os.ttyname(slave)}"], env, tmp_path)
    stop = threading.Event()
    try:
        wait_online(mosquitto.port, "loadcell", "st-01", child=child)
        assert "calibration loaded" in child.log()  # the saved calibration, not the factory one (logged at start)
        time.sleep(0.3)  # pyserial drops what arrives before the port is open
        force = [f for _, f in ForceSimulator(clean_set(n=3), Station(mass_kg=15.0), seed=7).samples()]
        player = threading.Thread(target=feed, args=(master, force, stop), daemon=True)
        player.start()
        reps = wait_for(lambda: len(kiosk.of(c.LoadRepEvent)) >= 3 and kiosk.of(c.LoadRepEvent),
                        timeout=30, what="three load.rep events")
        assert [r.rep_index for r in reps] == [1, 2, 3]
        assert all(abs(r.load_kg - 15.0) < 0.75 for r in reps)  # within 5 %
        # Measurements, and no fault of its own: the stack hung lightly loaded before the first rep.
        assert all(r.faults == [] and r.metrics["concentric_peak_n"] > 15.0 * 9.8 for r in reps)
        assert reps[0].metrics["start_tension_n"] > 0.9 * 15.0 * 9.8 and "start_tension_n" not in reps[1].metrics
        traces = kiosk.of(c.LoadTraceEvent)
        assert traces and traces[0].hz == HZ and sum(len(t.force_n) for t in traces) > 500
        seen = len(kiosk.loadcell_states())  # a "no samples" before the board first sent is not this one
        player.join(5)

        # The board stops sending: degraded with the reason, and a tare is refused with it.
        wait_for(lambda: any(s == "degraded" and "no samples" in d for s, d in kiosk.loadcell_states()[seen:]),
                 timeout=10, what="degraded: no samples")
        kiosk.bus.emit("station.command", c.StationCommand(correlation_id="t1", service="loadcell",
                                                           command="tare"))
        wait_for(lambda: kiosk.of(c.StationReplyEvent), timeout=10, what="tare reply")
        reply = kiosk.of(c.StationReplyEvent)[0]
        assert reply.correlation_id == "t1" and reply.status == "error" and "no samples" in reply.error

        os.write(master, b"".join(b"%d\n" % (150_000 + i % 3) for i in range(200)))  # it comes back
        wait_for(lambda: kiosk.loadcell_states()[-1][0] == "online", timeout=10, what="online again")
        os.close(master)  # unplugged
        wait_for(lambda: any(s == "degraded" and "unplugged" in d for s, d in kiosk.loadcell_states()),
                 timeout=10, what="degraded: unplugged")
        assert child.alive(), child.tail()
    finally:
        stop.set()
        child.stop()
        kiosk.bus.stop()
        os.close(slave)


def test_simulated_set_confirms_the_weight_then_tare_saves_the_calibration(mosquitto: PrivateMosquitto,
                                                                           tmp_path: Path) -> None:
    kiosk = Station01(mosquitto.port)
    env = {**os.environ, "GYM_ENVIRONMENT": "test", "GYM_MQTT_PORT": str(mosquitto.port),
           "GYM_STATION_ID": "st-01", "GYM_LOADCELL_CALIBRATION_DIR": str(tmp_path / "cal"), "PYTHONUNBUFFERED": "1"}
    child = Child("loadcell", ["services.loadcell", "run", "--source", "sim"], env, tmp_path)
    try:
        wait_online(mosquitto.port, "loadcell", "st-01", child=child)
        wait_for(lambda: kiosk.of(c.LoadTraceEvent), timeout=10, what="a trace from the simulator")
        # The virtual member performs the camera's demo set on the weight selected at the kiosk.
        kiosk.bus.emit("set.started", c.SetStarted(session_id="s1", set_index=1, leg=c.Leg.RIGHT, weight_kg=17.5,
                                                   target_reps=6))
        reps = wait_for(lambda: len(kiosk.of(c.LoadRepEvent)) >= 2 and kiosk.of(c.LoadRepEvent), timeout=25,
                        what="two reps of the simulated set")
        assert [r.rep_index for r in reps[:2]] == [1, 2] and all(r.leg is c.Leg.RIGHT for r in reps)
        assert all(abs(r.load_kg - 17.5) < 17.5 * 0.05 for r in reps)  # the selected weight, within 5 %
        kiosk.bus.emit("station.command", c.StationCommand(correlation_id="t2", service="loadcell", command="tare"))
        kiosk.bus.emit("station.command", c.StationCommand(correlation_id="t3", service="loadcell",
                                                           command="calibrate", args={}))
        kiosk.bus.emit("station.command", c.StationCommand(correlation_id="t4", service="camera",
                                                           command="placement_check"))
        wait_for(lambda: len(kiosk.of(c.StationReplyEvent)) >= 2, timeout=10, what="two replies")
        replies = {r.correlation_id: r for r in kiosk.of(c.StationReplyEvent)}
        assert replies["t2"].status == "ok" and replies["t2"].data["tare_counts"] > 0
        assert replies["t3"].status == "error" and "known_mass_kg" in replies["t3"].error
        assert "t4" not in replies  # another service's command is not ours to answer
        saved = (tmp_path / "cal" / "st-01.json").read_text()
        assert str(replies["t2"].data["tare_counts"]).split(".")[0] in saved
        assert child.alive(), child.tail()
    finally:
        child.stop()
        kiosk.bus.stop()
