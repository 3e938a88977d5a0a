"""`make demo`: a whole site and one simulated station on this machine, narrated as it runs.

Private mosquitto and Redis on free loopback ports, the progression service, the
dashboard, the kiosk (offscreen when there is no display), the camera service
watching a virtual member, and the member training. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from services.procs import Child, service_env
from shared.contract import (
    FAULT_WORDS,
    ContractError,
    Envelope,
    RepVerdictEvent,
    SessionEndedEvent,
    parse_event,
)
from shared.mqtt import unique_client_id
from shared.servers import PrivateMosquitto, PrivateRedis, free_port, wait_port
from shared.store import RedisStore, connect
from shared.topics import all_events_filter

QUIET = {"camera.pose", "load.trace"}  # high-rate streams: not narrated


def describe(ev: Envelope) -> str:
    d = ev.data  # type: ignore[attr-defined]
    t = str(ev.type)  # type: ignore[attr-defined]
    if t == "station.status":
        return f"{d.service} is {d.state.value}" + (f" ({d.detail})" if d.detail else "")
    if t == "rep.verdict":
        words = "PASSED" if d.passed else "FAILED: " + ", ".join(FAULT_WORDS[f] for f in d.faults)
        return f"verdict rep {d.rep_index} ({d.leg.value} leg) {words} [judged by {'+'.join(d.sensors)}]"
    if t == "camera.rep":
        return (f"camera saw rep {d.rep_index}: curl {d.concentric_s:.1f}s, return {d.eccentric_s:.1f}s, "
                f"knee {d.metrics.get('peak_knee_flexion_deg', 0):.0f}°"
                + (f", faults {[f.value for f in d.faults]}" if d.faults else ""))
    if t in ("set.started", "set.ended"):
        return f"{t}: set {d.set_index}, {d.leg.value} leg, {d.weight_kg} kg, {d.target_reps} reps"
    if t == "session.started":
        return f"session started: {d.member_name or d.member_id}, goal {d.goal}"
    return t


class Narrator:
    def __init__(self, port: int, site: str) -> None:
        self.verdicts: list[RepVerdictEvent] = []
        self.sessions_ended = 0
        self.t0 = time.monotonic()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("demo-narrator"),
                             protocol=mqtt.MQTTv5)
        self.c.on_connect = lambda c, *_: c.subscribe(all_events_filter(site), qos=1)
        self.c.on_message = self.on_message
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            ev = parse_event(bytes(msg.payload))
        except ContractError as exc:
            print(f"  [invalid event on {msg.topic}: {exc}]", flush=True)
            return
        if ev.type in QUIET:  # type: ignore[attr-defined]
            return
        if isinstance(ev, RepVerdictEvent):
            self.verdicts.append(ev)
        if isinstance(ev, SessionEndedEvent):
            self.sessions_ended += 1
        print(f"{time.monotonic() - self.t0:6.1f}s  {ev.station_id:<6} {describe(ev)}", flush=True)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.demo", description=__doc__)
    p.add_argument("--once", action="store_true", help="one training session, then stop")
    p.add_argument("--dashboard-port", type=int, default=0, help="0 picks a free port")
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="gym-demo-"))
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    broker = PrivateMosquitto(work / "mosquitto")
    redis_srv = PrivateRedis(work / "redis")
    children: list[Child] = []
    narrator: Narrator | None = None
    rc = 0
    try:
        broker.start()
        redis_srv.start()
        print(f"broker on 127.0.0.1:{broker.port}, redis on 127.0.0.1:{redis_srv.port}, logs in {work}")
        common: dict[str, str] = {"environment": "demo", "site_id": "main", "mqtt_port": str(broker.port),
                  "redis_url": redis_srv.url}
        demo_password = "demo-" + secrets.token_urlsafe(6)  # the dashboard's demo users, printed below
        site = service_env(None, **common, station_id="site", dashboard_demo_password=demo_password)
        station = service_env(None, **common, station_id="st-01")
        station["QT_QPA_PLATFORM"] = station.get("QT_QPA_PLATFORM") or (
            "offscreen" if not station.get("DISPLAY") else "")
        narrator = Narrator(broker.port, "main")
        dash_port = args.dashboard_port or free_port()
        children.append(Child("progression", ["services.progression", "run"], site, work))
        children.append(Child("dashboard", ["services.dashboard", "run", "--port", str(dash_port)], site, work))
        children.append(Child("kiosk", ["kiosk"], station, work))
        children.append(Child("camera", ["services.camera", "run", "--source", "sim"], station, work))
        station_lc = {**station, "GYM_LOADCELL_CALIBRATION_DIR": str(work / "loadcell")}
        children.append(Child("loadcell", ["services.loadcell", "run", "--source", "sim"], station_lc, work))
        wait_port(dash_port, timeout=30)
        print(f"dashboard: http://127.0.0.1:{dash_port}/  sign in as trainer or operator, password {demo_password}"
              "   (Ctrl-C stops the demo)")
        member = Child("member", ["services.simulator", "run", *(["--once"] if args.once else [])],
                       station, work)
        children.append(member)
        while not stop.wait(0.5):
            dead = [c for c in children if not c.alive() and c is not member]
            if dead:
                for c in dead:
                    print(f"{c.name} exited unexpectedly:\n{c.tail()}", file=sys.stderr)
                rc = 1
                break
            if args.once and not member.alive() and narrator.sessions_ended:
                time.sleep(1.0)  # last verdicts
                break
    finally:
        print("stopping…", flush=True)
        for c in reversed(children):
            c.stop()
        if narrator:
            narrator.close()
        stored = 0
        if redis_srv.running:
            try:
                stored = len(RedisStore(connect(redis_srv.url), "main").verdicts("st-01"))
            except Exception:  # only a summary line
                pass
        redis_srv.stop()
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)
    n = len(narrator.verdicts) if narrator else 0
    passed = sum(1 for v in narrator.verdicts if v.data.passed) if narrator else 0
    print(f"done: {n} verdicts ({passed} passed), {stored} stored in Redis; every process stopped")
    if args.once and n == 0:
        rc = 1
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
