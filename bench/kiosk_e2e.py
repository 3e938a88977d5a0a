"""End to end as a member feels it: from the moment the virtual member's leg is back at rest (its ground
truth) to the rep's verdict painted on the kiosk, with both sensors in the loop.

The real camera service replays, in real time at 30 fps, a set the virtual member performs (its pose
frames and, from the same plan, when each rep's leg is back at rest); the real load-cell service replays
the same plan's force on the cable (the force simulator, 80 Hz, on the stack the set was started with);
the real progression service judges and fuses the two; the kiosk (its own bootstrap, Qt offscreen, in
this process) shows the set under way for an enrolled member. Each rep's latency is the Paint of the rep
counter showing it minus the rep's ground-truth end on the station's clock (the camera's first
`camera.pose` carries the replay's start on that clock). Printed beside it: each sensor's own detection
delay (its `camera.rep` / `load.rep` heard here minus the same ground truth, on its own replay's clock),
what follows the camera (`camera.rep` heard → painted), how many reps' verdicts were fused from both
sensors (first verdict, and after the later sensor refined it), and the broker's round trip.
Target: p99 ≤ 250 ms over ≥ 200 reps.

**Ground truth.** A rep's "leg back at rest" is the end of its eccentric in the plan (`Timeline`'s
`end_t`: curl + pause + return from its start), where the pose model's knee reaches its rest angle with
no speed left. The camera closes a rep sooner, as the knee passes its segmenter's end angle (15°,
`services/camera/reps.py` END_DEG) on the way down: on a smooth return the last 7° take about a sixth
of it (~0.28 s of this 1.6 s return), so "leg at rest → painted" is negative — the verdict is on screen
before the leg is still — and that is the member's experience, not a clock error. What the system adds
after the camera could know is printed too: from the moment the knee truly passed 15° to the Paint.

**Starting both replays together.** A replay starts when its service begins reading it, and progression
fuses a camera rep and a load rep by their overlap on the station's clock, so the two must play the same
moment. The camera reads its file; the load cell reads its force replay through a named pipe, which it
parses whole before it starts pacing: once the camera's first pose says when its replay began, the bench
writes the force from that moment of the plan on (plus the time the parse takes), and the load cell's
first `load.trace` says when its replay began. Their difference (the skew) is printed; each sensor's
delay is measured on its own replay's clock, so the skew does not enter it.

`python -m bench kiosk_e2e [--reps N]`
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.baselines import mqtt_round_trip, percentile
from services.camera.reps import END_DEG
from services.loadcell.drivers import read_force_csv
from services.procs import Child, service_env, wait_online
from services.simulator.force import ForceSimulator, Station, write_csv
from services.simulator.pose import REST_KNEE_DEG, PoseSimulator
from services.simulator.script import RepPlan, SetPlan, Timeline
from shared import contract as c
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.settings import Settings

TARGET_P99_MS = 250.0
# A controlled rep, quicker than a member's (3.8 s with its rest) so 200 reps take 13 minutes: a 1.2 s
# curl (over the 0.9 s kick limit), a 0.4 s pause, a 1.6 s return (over the 1.2 s drop limit).
REP = RepPlan(concentric_s=1.2, top_hold_s=0.4, eccentric_s=1.6, rest_s=0.6)
LEAD_IN_S = 20.0  # the replay stands still while the kiosk signs a member in and starts the set
FUSED = {c.Sensor.CAMERA, c.Sensor.LOAD}


def knee_under_end_deg(rep: RepPlan) -> float:
    """Seconds from a rep's start to the moment its knee truly passes the camera's end angle on the way down
    (the pose model's return: knee = rest + (peak − rest)·½(1 + cos πu), u the share of the return done)."""
    share = (END_DEG - REST_KNEE_DEG) / (rep.peak_knee_deg - REST_KNEE_DEG)
    return rep.concentric_s + rep.top_hold_s + rep.eccentric_s * math.acos(2 * share - 1) / math.pi


def force_rows(samples: list[tuple[float, float]], from_t: float) -> str:
    """The force replay from `from_t` of the plan on, its time counted from there."""
    rows = [f"{t - from_t:.4f},{f:.3f}" for t, f in samples if t >= from_t]
    return "t,force_n\n" + "\n".join(rows) + "\n"



def spread(ms: list[float]) -> str:
    """A latency list as its median, p99 and worst (ms)."""
    return f"p50 {percentile(ms, 50):.0f} ms  p99 {percentile(ms, 99):.0f} ms  max {max(ms):.0f} ms"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench kiosk_e2e")
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args(argv)
    plan = SetPlan(leg=c.Leg.LEFT, reps=(REP,) * args.reps, lead_in_s=LEAD_IN_S, tail_s=2.0)
    reps_truth = Timeline(plan).reps
    truth = [r.end_t for r in reps_truth]  # the leg back at rest (end of the eccentric), seconds into the replay
    knee_out = [r.start_t + knee_under_end_deg(r.plan) for r in reps_truth]  # the knee truly under 15°

    from PyQt6.QtCore import QEvent, QObject
    from PyQt6.QtWidgets import QApplication

    from kiosk.app import bootstrap
    from kiosk.settings import KioskSettings
    from kiosk.state.flow import Page

    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        broker = PrivateMosquitto(work / "m").start()
        redis = PrivateRedis(work / "r")
        redis.start()
        kids: list[Child] = []
        try:
            base = mqtt_round_trip(broker.port)
            replay = work / "set.jsonl"
            with open(replay, "w") as fh:
                for f in PoseSimulator(plan, noise_px=1.0, seed=7).frames():
                    fh.write(json.dumps(f) + "\n")
            env = service_env(None, ENVIRONMENT="test", MQTT_PORT=str(broker.port), REDIS_URL=redis.url)
            prog = Child("progression", ["services.progression", "run"], {**env, "GYM_STATION_ID": "site"}, work)
            kids.append(prog)
            wait_online(broker.port, "progression", "site", child=prog, timeout=30)

            # What the sensors and the judge say, heard here: each replay's start (the camera's first pose, the
            # load cell's first trace), each sensor's reps and every verdict.
            heard: dict[str, list[tuple[float, Any]]] = {"pose": [], "rep": [], "trace": [], "load": [],
                                                         "verdict": []}
            lock = threading.Lock()
            ear = MqttBus(Settings(_env_file=None, mqtt_port=broker.port, station_id="st-e2e"), "bench-ear")

            def on(kind: str) -> Callable[[c.Envelope], None]:
                def handle(ev: c.Envelope) -> None:
                    with lock:
                        if kind in ("pose", "trace") and heard[kind]:
                            return  # only the first says when the replay began
                        heard[kind].append((time.time(), ev.data))  # type: ignore[attr-defined]
                return handle

            for topic, kind in (("camera.pose", "pose"), ("camera.rep", "rep"), ("load.trace", "trace"),
                                ("load.rep", "load"), ("rep.verdict", "verdict")):
                ear.subscribe(topic, on(kind), site_id="main", station_id="st-e2e")
            assert ear.start()

            app = QApplication.instance() or QApplication(sys.argv[:1])
            settings = KioskSettings(_env_file=None, mqtt_port=broker.port, station_id="st-e2e", environment="test",
                                     fullscreen=False)
            bus, flow, win, _bridge = bootstrap(settings)
            win.resize(1920, 1080)
            win.show()
            assert bus.start(), "kiosk bus did not connect"
            painted: dict[int, float] = {}

            class Painted(QObject):
                def eventFilter(self, obj: QObject | None, ev: QEvent | None) -> bool:
                    if ev is not None and ev.type() == QEvent.Type.Paint:
                        n = int(win.execution.count.text() or 0)
                        if n and n not in painted:
                            painted[n] = time.time()
                    return False

            watcher = Painted()
            win.execution.count.installEventFilter(watcher)

            # The load cell waits on its pipe (it reads a replay whole before pacing it) until the bench writes.
            pipe = work / "force.csv"
            os.mkfifo(pipe)
            load = Child("loadcell", ["services.loadcell", "run", "--source", str(pipe)],
                         {**env, "GYM_STATION_ID": "st-e2e", "GYM_LOADCELL_CALIBRATION_DIR": str(work / "cal")}, work)
            kids.append(load)
            cam = Child("camera", ["services.camera", "run", "--source", str(replay), "--leg", "left"],
                        {**env, "GYM_STATION_ID": "st-e2e"}, work)
            kids.append(cam)

            def pump(pred: Callable[[], object], timeout: float) -> None:
                end = time.monotonic() + timeout
                while not pred():
                    if time.monotonic() > end:
                        raise RuntimeError(f"timed out; camera: {cam.tail()}\nload cell: {load.tail()}")
                    app.processEvents()
                    time.sleep(0.005)

            # A member signs in (progression keeps members' sessions) and picks a goal during the lead-in.
            pump(lambda: flow.station.broker_online, 10)
            flow.identify(c.IdMethod.BADGE, "bench-e2e-0001")
            pump(lambda: flow.enrol_needed or flow.page == Page.WELCOME, 15)
            if flow.enrol_needed:  # a new badge: the member's profile first
                flow.enrol("Bench", c.Leg.LEFT)
                pump(lambda: flow.page == Page.WELCOME, 15)
            flow.choose_goal("strength_control")
            assert flow.current is not None
            # The same plan on the stack the set is started with, and how long the load cell takes to parse it.
            force = list(ForceSimulator(plan, Station(mass_kg=flow.current.weight_kg), seed=7).samples())
            write_csv(work / "parse.csv", iter(force))
            t = time.monotonic()
            read_force_csv(work / "parse.csv")
            parse_s = time.monotonic() - t
            pump(lambda: bool(heard["pose"]), 30)
            with lock:
                first_pose = heard["pose"][0][1]
            start_wall = first_pose.t  # the camera replay's t = 0 on the station's clock

            fds: list[int] = []

            def opened() -> bool:
                try:
                    fds.append(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:  # no reader yet: the load cell is still starting
                    return False
                return True

            pump(opened, 30)
            os.set_blocking(fds[0], True)
            skip_s = time.time() - start_wall + parse_s  # the moment of the plan the load cell will start at
            with os.fdopen(fds[0], "w") as fh:
                fh.write(force_rows(force, skip_s))
            pump(lambda: bool(heard["trace"]), 30)
            with lock:
                load_start = heard["trace"][0][1].t0 - skip_s  # the load replay's plan t = 0 on the station clock
            # The set starts once both sensors listen (a set.started is an event, not retained).
            wait_online(broker.port, "loadcell", "st-e2e", child=load, timeout=30)
            flow.start_training()
            if time.time() - start_wall > LEAD_IN_S - 2:
                raise RuntimeError("the set started too late for the first rep")
            pump(lambda: len(painted) >= args.reps, plan.duration_s + 60)
            time.sleep(2.0)  # the last reps' load.rep and refined verdicts
            bus.stop()
            win.close()
            ear.stop()
        finally:
            for k in kids:
                k.stop()
            redis.kill()
            broker.kill()

    n = args.reps
    lat = [1000 * (painted[i] - (start_wall + truth[i - 1])) for i in range(1, n + 1)]
    own = [1000 * (painted[i] - (start_wall + knee_out[i - 1])) for i in range(1, n + 1)]
    with lock:
        cam_reps = {r.rep_index: t for t, r in heard["rep"]}
        load_heard = [(t, r) for t, r in heard["load"]]
        verdicts = list(heard["verdict"])
    cam_ms = [1000 * (cam_reps[i] - (start_wall + truth[i - 1])) for i in range(1, n + 1) if i in cam_reps]
    after_ms = [1000 * (painted[i] - cam_reps[i]) for i in range(1, n + 1) if i in cam_reps]
    # A load rep is the plan's rep whose end (on the load replay's clock) is nearest its own end.
    load_ms: dict[int, float] = {}
    for t, r in load_heard:
        i = min(range(n), key=lambda k: abs(load_start + truth[k] - r.end_t))
        if abs(load_start + truth[i] - r.end_t) < 1.0:
            load_ms.setdefault(i + 1, 1000 * (t - (load_start + truth[i])))
    first: dict[int, set[c.Sensor]] = {}
    ever: dict[int, set[c.Sensor]] = {}
    both_ms: dict[int, float] = {}  # leg at rest → the verdict on both sensors' evidence heard here
    for t, v in verdicts:
        if v.set_index is None or not 1 <= v.rep_index <= n:
            continue
        first.setdefault(v.rep_index, set(v.sensors))
        ever.setdefault(v.rep_index, set()).update(v.sensors)
        if set(v.sensors) == FUSED:
            both_ms.setdefault(v.rep_index, 1000 * (t - (start_wall + truth[v.rep_index - 1])))
    fused_first = sum(1 for i in range(1, n + 1) if first.get(i) == FUSED)
    fused = sum(1 for i in range(1, n + 1) if ever.get(i) == FUSED)
    print(f"broker round trip (baseline): p50 {base['p50_ms']:.2f} ms  p99 {base['p99_ms']:.2f} ms")
    print(f"replays' skew (load cell's start − camera's, same moment of the plan): "
          f"{1000 * (load_start - start_wall):.0f} ms")
    # Negative: the camera closes a rep as the knee passes 15° on its way down (its segmenter's end), before
    # the stroke's last slow degrees reach the rest angle the ground truth ends at.
    print(f"camera's detection delay (leg at rest → camera.rep heard, {len(cam_ms)} reps): "
          f"p50 {percentile(cam_ms, 50):.0f} ms  p99 {percentile(cam_ms, 99):.0f} ms")
    if load_ms:
        lm = list(load_ms.values())
        print(f"load cell's detection delay (leg at rest → load.rep heard, {len(lm)} of {n} reps): {spread(lm)}")
    else:
        print(f"load cell's detection delay: no load.rep matched a rep of the plan ({len(load_heard)} heard)")
    print(f"verdicts fused from both sensors: {fused} of {n} reps ({100 * fused / n:.0f} %); "
          f"already in the first verdict painted: {fused_first} of {n}")
    if both_ms:
        bm = list(both_ms.values())
        print(f"leg at rest → verdict on both sensors heard (the camera's refined by the load cell): {spread(bm)}")
    print(f"camera.rep heard → verdict painted (progression, broker, kiosk): {spread(after_ms)}")
    print(f"knee truly under the camera's {END_DEG:.0f}° → verdict painted: {spread(own)}")
    print(f"leg at rest → verdict painted on the kiosk ({len(lat)} reps): {spread(lat)}"
          f"  (target p99 ≤ {TARGET_P99_MS:.0f} ms)")
    ok = percentile(lat, 99) <= TARGET_P99_MS
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
