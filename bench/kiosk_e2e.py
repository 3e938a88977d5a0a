"""End to end as a member feels it: from the moment the virtual member's leg is back at rest (its ground
truth) to the rep's verdict painted on the kiosk.

The real camera service replays, in real time at 30 fps, a set the virtual member performs (its pose
frames and, from the same plan, when each rep's leg is back at rest); the real progression service
judges; the kiosk (its own bootstrap, Qt offscreen, in this process) shows the set under way for an
enrolled member. Each rep's latency is the Paint of the rep counter showing it minus the rep's
ground-truth end on the station's clock (the camera's first `camera.pose` carries the replay's start
on that clock). Printed beside the camera's own detection delay (its `camera.rep` heard here minus the
same ground truth), what follows it (`camera.rep` heard → painted) and the broker's round trip.
Target: p99 ≤ 250 ms over ≥ 200 reps.

Not in the loop: the load cell (its service is being rebuilt; its reps refine a verdict after the
camera's and do not hold the first one back).

`python -m bench kiosk_e2e [--reps N]`
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.baselines import mqtt_round_trip, percentile
from services.procs import Child, service_env, wait_online
from services.simulator.pose import PoseSimulator
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


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench kiosk_e2e")
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args(argv)
    plan = SetPlan(leg=c.Leg.LEFT, reps=(REP,) * args.reps, lead_in_s=LEAD_IN_S, tail_s=2.0)
    truth = [r.end_t for r in Timeline(plan).reps]  # the leg back at rest, seconds into the replay

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

            # What the camera says, heard here: the replay's start (first pose) and each rep.
            heard: dict[str, list[tuple[float, object]]] = {"pose": [], "rep": []}
            lock = threading.Lock()
            ear = MqttBus(Settings(_env_file=None, mqtt_port=broker.port, station_id="st-e2e"), "bench-ear")

            def on(kind: str) -> Callable[[c.Envelope], None]:
                def handle(ev: c.Envelope) -> None:
                    with lock:
                        heard[kind].append((time.time(), ev.data))  # type: ignore[attr-defined]
                return handle

            ear.subscribe("camera.pose", on("pose"), site_id="main", station_id="st-e2e")
            ear.subscribe("camera.rep", on("rep"), site_id="main", station_id="st-e2e")
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

            cam = Child("camera", ["services.camera", "run", "--source", str(replay), "--leg", "left"],
                        {**env, "GYM_STATION_ID": "st-e2e"}, work)
            kids.append(cam)

            def pump(pred, timeout: float) -> None:  # type: ignore[no-untyped-def]
                end = time.monotonic() + timeout
                while not pred():
                    if time.monotonic() > end:
                        raise RuntimeError(f"timed out; camera: {cam.tail()}")
                    app.processEvents()
                    time.sleep(0.005)

            # A member signs in (progression keeps members' sessions) and starts the set during the lead-in.
            pump(lambda: flow.station.broker_online, 10)
            flow.identify(c.IdMethod.BADGE, "bench-e2e-0001")
            pump(lambda: flow.enrol_needed or flow.page == Page.WELCOME, 15)
            if flow.enrol_needed:  # a new badge: the member's profile first
                flow.enrol("Bench", c.Leg.LEFT)
                pump(lambda: flow.page == Page.WELCOME, 15)
            flow.choose_goal("strength_control")
            flow.start_training()
            pump(lambda: bool(heard["pose"]), 10)
            with lock:
                first_pose = heard["pose"][0][1]
            start_wall = first_pose.t  # type: ignore[attr-defined]  # the replay's t = 0 on the station's clock
            if time.time() - start_wall > LEAD_IN_S - 2:
                raise RuntimeError("the set started too late for the first rep")
            pump(lambda: len(painted) >= args.reps, plan.duration_s + 60)
            bus.stop()
            win.close()
            ear.stop()
        finally:
            for k in kids:
                k.stop()
            redis.kill()
            broker.kill()

    lat = [1000 * (painted[i] - (start_wall + truth[i - 1])) for i in range(1, args.reps + 1)]
    with lock:
        reps = {r.rep_index: t for t, r in heard["rep"]}  # type: ignore[attr-defined]
    cam_ms = [1000 * (reps[i] - (start_wall + truth[i - 1])) for i in range(1, args.reps + 1) if i in reps]
    after_ms = [1000 * (painted[i] - reps[i]) for i in range(1, args.reps + 1) if i in reps]
    print(f"broker round trip (baseline): p50 {base['p50_ms']:.2f} ms  p99 {base['p99_ms']:.2f} ms")
    # Negative: the camera closes a rep as the knee passes 15° on its way down (its segmenter's end), before
    # the stroke's last slow degrees reach the rest angle the ground truth ends at.
    print(f"camera's detection delay (leg at rest → camera.rep heard, {len(cam_ms)} reps): "
          f"p50 {percentile(cam_ms, 50):.0f} ms  p99 {percentile(cam_ms, 99):.0f} ms")
    print(f"camera.rep heard → verdict painted (progression, broker, kiosk): p50 {percentile(after_ms, 50):.0f} ms  "
          f"p99 {percentile(after_ms, 99):.0f} ms  max {max(after_ms):.0f} ms")
    print(f"leg at rest → verdict painted on the kiosk ({len(lat)} reps): p50 {percentile(lat, 50):.0f} ms  "
          f"p99 {percentile(lat, 99):.0f} ms  max {max(lat):.0f} ms  (target p99 ≤ {TARGET_P99_MS:.0f} ms)")
    ok = percentile(lat, 99) <= TARGET_P99_MS
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
