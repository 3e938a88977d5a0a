"""`make demo`: a whole site and one simulated station on this machine, narrated as it runs.

Private mosquitto and Redis on free loopback ports, the progression service, the
dashboard, the kiosk (offscreen when there is no display), the camera service
watching a virtual member, and the member training. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
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
    CHECK_UNITS,
    CHECK_WORDS,
    FAULT_WORDS,
    ContractError,
    Envelope,
    Outcome,
    RecommendationEvent,
    RepVerdict,
    RepVerdictEvent,
    SessionEndedEvent,
    SessionStartedEvent,
    SetStartedEvent,
    SetSummaryEvent,
    StationStatusEvent,
    parse_event,
)
from shared.handlers import HandlerTable
from shared.mqtt import unique_client_id
from shared.servers import PrivateMosquitto, PrivateRedis, free_port, wait_port
from shared.store import RedisStore, connect
from shared.topics import all_events_filter

# High-rate streams, and the sensors' own reps (each rep is told once, as its verdict): not narrated.
QUIET = {"camera.pose", "load.trace", "camera.rep", "load.rep", "set.ended"}
# A rep's verdict is told once both sensors have judged it, or this long after its first verdict
# (the camera and load cell close a rep within a second of each other).
SETTLE_S = 1.5
_MARK = {Outcome.PASSED: "✓", Outcome.FAILED: "✗", Outcome.NOT_CHECKED: "?"}


def say(text: str, err: bool = False) -> None:
    """Print a line of the narration. A reader that went away (`make demo | tee log`, then Ctrl-C, which stops
    `tee` first) must not stop the demo before it has stopped its processes: the rest goes nowhere."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(text, file=stream, flush=True)
    except (BrokenPipeError, ValueError, OSError):
        try:
            setattr(sys, "stderr" if err else "stdout", open(os.devnull, "w"))  # noqa: SIM115 - for the process
        except OSError:
            pass


def describe_verdict(v: RepVerdict) -> str:
    """One rep as a member would read it: the outcome, then every check with its mark and measure."""
    head = {"passed": "PASSED", "failed": "FAILED: " + ", ".join(FAULT_WORDS[f] for f in v.faults),
            "unverified": "NOT VERIFIED (no fault seen, but not every blocking check could be made)"}[v.status]
    parts = []
    for ch in v.checks:
        unit = CHECK_UNITS[ch.check]
        shown = (f" {ch.value:.3g}{unit}, limit {ch.limit:g}{unit}"
                 if ch.outcome is Outcome.FAILED and ch.value is not None and ch.limit is not None else "")
        why = f" ({ch.why})" if ch.outcome is Outcome.NOT_CHECKED and ch.why else ""
        parts.append(f"{CHECK_WORDS[ch.check]} {_MARK[ch.outcome]}{shown}{why}")
    checks = ("\n" + " " * 16 + "checks: " + "; ".join(parts)) if parts else ""
    return f"rep {v.rep_index} ({v.leg.value} leg) {head} [seen by {'+'.join(v.sensors)}]{checks}"


def _status(ev: StationStatusEvent) -> str:
    d = ev.data
    return f"{d.service} is {d.state.value}" + (f" ({d.detail})" if d.detail else "")


def _set_started(ev: SetStartedEvent) -> str:
    d = ev.data
    return f"set {d.set_index} started: {d.leg.value} leg, {d.weight_kg:g} kg, {d.target_reps} reps"


def _set_summary(ev: SetSummaryEvent) -> str:
    d = ev.data
    extra = f", {d.unverified_reps} not verified" if d.unverified_reps else ""
    return f"set {d.set_index} ({d.leg.value} leg) done: {d.passed_reps} of {d.reps} reps passed{extra}"


def _recommendation(ev: RecommendationEvent) -> str:
    d = ev.data
    reasons = "".join("\n" + " " * 16 + "- " + r for r in d.reasons)
    return (f"NEXT TIME, {d.leg.value} leg: {d.action.value} → {d.next_weight_kg:g} kg for "
            f"{d.next_target_reps} reps{reasons}" + "".join("\n" + " " * 16 + "! " + f for f in d.flags))


def _session_started(ev: SessionStartedEvent) -> str:
    d = ev.data
    sets = f", {d.planned_sets} sets per leg" if d.planned_sets else ""
    return f"session started: {d.member_name or d.member_id}, goal {d.goal}{sets}"


# What the narration says of each kind of event; any other kind is told by its name.
DESCRIBE = (HandlerTable[[], str]()
            .on(StationStatusEvent, _status)
            .on(RepVerdictEvent, lambda ev: describe_verdict(ev.data))
            .on(SetStartedEvent, _set_started)
            .on(SetSummaryEvent, _set_summary)
            .on(RecommendationEvent, _recommendation)
            .on(SessionStartedEvent, _session_started)
            .on(SessionEndedEvent, lambda ev: f"session ended ({ev.data.reason})"))


def describe(ev: Envelope) -> str:
    return DESCRIBE(ev) if DESCRIBE.handles(ev) else ev.type


class Narrator:
    """Prints each event of the site as it happens; a rep once, when its verdict has settled."""

    def __init__(self, port: int, site: str) -> None:
        self.verdicts: list[RepVerdictEvent] = []  # the settled verdict of each rep
        self.sessions_ended = 0
        self.t0 = time.monotonic()
        self._lock = threading.Lock()
        self._pending: dict[tuple[object, ...], tuple[float, RepVerdictEvent]] = {}
        self._stop = threading.Event()
        threading.Thread(target=self._settle_loop, daemon=True, name="narrator-settle").start()
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
            say(f"  [invalid event on {msg.topic}: {exc}]")
            return
        if ev.type in QUIET:
            return
        with self._lock:
            if isinstance(ev, RepVerdictEvent):
                v = ev.data
                key = (ev.station_id, v.session_id, v.set_index, v.leg, v.rep_index, v.start_t if v.set_index is None
                       else 0)
                first = self._pending.get(key, (time.monotonic(), ev))[0]
                self._pending[key] = (first, ev)
                if len(v.sensors) > 1:
                    self._flush([key])
                return
            if ev.type in ("set.summary", "session.ended", "recommendation"):
                self._flush(list(self._pending))  # a set's reps are told before its summary
            if isinstance(ev, SessionEndedEvent):
                self.sessions_ended += 1
            self._say(ev)

    def _say(self, ev: Envelope) -> None:
        say(f"{time.monotonic() - self.t0:6.1f}s  {ev.station_id:<6} {describe(ev)}")

    def _flush(self, keys: list[tuple[object, ...]]) -> None:
        for key in keys:
            _, ev = self._pending.pop(key)
            self.verdicts.append(ev)
            self._say(ev)

    def _settle_loop(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            with self._lock:
                self._flush([k for k, (first, _) in self._pending.items() if now - first >= SETTLE_S])

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._flush(list(self._pending))
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
        say(f"broker on 127.0.0.1:{broker.port}, redis on 127.0.0.1:{redis_srv.port}, logs in {work}")
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
        say(f"dashboard: http://127.0.0.1:{dash_port}/  sign in as trainer or operator, password {demo_password}"
              "   (Ctrl-C stops the demo)")
        member = Child("member", ["services.simulator", "run", *(["--once"] if args.once else [])],
                       station, work)
        children.append(member)
        while not stop.wait(0.5):
            dead = [c for c in children if not c.alive() and c is not member]
            if dead:
                for c in dead:
                    say(f"{c.name} exited unexpectedly:\n{c.tail()}", err=True)
                rc = 1
                break
            if args.once and not member.alive() and narrator.sessions_ended:
                time.sleep(1.0)  # last verdicts
                break
    finally:
        say("stopping…")
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
    say(f"done: {n} reps told ({passed} passed), {stored} verdicts stored in Redis; every process stopped")
    if args.once and n == 0:
        rc = 1
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
