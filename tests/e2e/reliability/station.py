"""A whole simulated station and its site, from the product's own entry points, as `make demo` runs them.

Site: the progression worker and the dashboard on the test's private broker and Redis. Station: the
kiosk (offscreen), the camera and the load-cell services watching the same virtual member, and the
member simulator, which trains the `quick` script (services/simulator/script.py) and reports the
session as the kiosk does. The expected verdicts and recommendations come from the progression
engine fed with the script's ground truth (`reference()`); a fault-free run must agree with it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from services.procs import Child, wait_online
from services.progression.engine import Engine
from services.progression.service import ProgressionSettings
from services.simulator.clock import STEP_FILE_ENV
from services.simulator.script import SCRIPTS, RepPlan, SetPlan, Timeline
from shared import contract as c
from shared.catalogue import load_catalogue
from shared.mqtt import unique_client_id
from shared.repo import MemoryRepo
from shared.servers import PrivateMosquitto, PrivateRedis, free_port, wait_port
from shared.store import RedisStore, connect
from shared.topics import topic_filter
from tests.conftest import wait_for

SCRIPT = "quick"
PLANS: list[SetPlan] = SCRIPTS[SCRIPT]()
GOAL = "strength_control"  # the member simulator's goal: no tempo rule, so the script's timing is free
MEMBER = "m-demo"  # the member simulator's (not enrolled: no stored progress, each run decides afresh)
STATION = "st-01"
# What the wire watcher records: the outcomes, and the inputs the faults are timed on.
WATCHED = ("rep.verdict", "recommendation", "set.summary", "set.started", "session.ended", "camera.rep",
           "load.rep", "station.status")
HEALTH_EVERY_S = 0.5  # how often the dashboard's /health is asked during a run
HEALTH_TIMEOUT_S = 5.0  # one answer may wait for a Redis or broker call to fail; longer is a hung dashboard
# A process's start on a loaded 2-core machine (imports of Qt, pydantic, numpy) takes 2–8 s.
START_S = 30.0

RepKey = tuple[str, int, int]  # leg, set index within the leg, rep index within the set


@dataclass(frozen=True)
class Outcome:
    """What progression made of a session: each rep's last verdict, and the recommendation per leg."""

    verdicts: dict[RepKey, tuple[list[str], list[str]]]  # faults, sensors
    recommendations: dict[str, tuple[str, float, int]]  # leg: action, next weight, next target reps


def expected_keys() -> list[RepKey]:
    out: list[RepKey] = []
    per_leg: dict[c.Leg, int] = {}
    for p in PLANS:
        per_leg[p.leg] = per_leg.get(p.leg, 0) + 1
        out += [(p.leg.value, per_leg[p.leg], i) for i in range(1, len(p.reps) + 1)]
    return out


def truth_faults() -> dict[RepKey, list[str]]:
    reps = [r for p in PLANS for r in p.reps]
    return {k: sorted(f.value for f in r.faults) for k, r in zip(expected_keys(), reps, strict=True)}


def reference() -> Outcome:
    """The engine fed the script's ground truth: one camera rep per planned rep, with its planned faults."""
    settings = ProgressionSettings(_env_file=None)
    engine, repo = Engine(load_catalogue(settings.catalogue_dir), settings.stack()), MemoryRepo()
    t = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    out: list[c.Envelope] = []

    def send(event_type: str, data: c.Model, at: float = 0.0) -> None:
        out.extend(engine.handle(c.make_event(event_type, "main", STATION, data, ts=t + timedelta(seconds=at)),
                                 repo))

    sid = "s-reference"
    send("session.started", c.SessionStarted(session_id=sid, member_id=MEMBER, exercise="hamstring-curl-kickback",
                                             goal=GOAL, leg_order=list(dict.fromkeys(p.leg for p in PLANS))))
    clock, per_leg = 0.0, dict[c.Leg, int]()
    for p in PLANS:
        per_leg[p.leg] = per_leg.get(p.leg, 0) + 1
        common = {"session_id": sid, "set_index": per_leg[p.leg], "leg": p.leg, "weight_kg": p.weight_kg,
                  "target_reps": len(p.reps)}
        send("set.started", c.SetStarted(**common), clock)
        for r in Timeline(p, clock).reps:
            send("camera.rep", c.CameraRep(
                leg=p.leg, rep_index=r.index, start_t=1000 + r.start_t, end_t=1000 + r.end_t,
                concentric_s=r.plan.concentric_s, top_hold_s=r.plan.top_hold_s, eccentric_s=r.plan.eccentric_s,
                metrics=measured(r.plan)), r.end_t)
        clock += p.duration_s
        send("set.ended", c.SetEnded(**common), clock)
    send("session.ended", c.SessionEnded(session_id=sid, member_id=MEMBER, reason="completed"), clock)
    return outcome(out)


def measured(plan: RepPlan) -> dict[str, float]:
    """The camera's measurements of a planned rep, as the camera service reports them."""
    return {"peak_knee_flexion_deg": plan.peak_knee_deg, "thigh_excursion_deg": plan.swing_deg,
            "pelvis_rotation_deg": plan.pelvis_deg, "torso_change_deg": plan.arch_deg}


def outcome(events: list[c.Envelope]) -> Outcome:
    verdicts: dict[RepKey, c.RepVerdict] = {}
    recs: dict[str, tuple[str, float, int]] = {}
    for ev in events:
        if isinstance(ev, c.RepVerdictEvent):
            v = ev.data
            key = (v.leg.value, v.set_index or 0, v.rep_index)
            if key not in verdicts or v.revision >= verdicts[key].revision:
                verdicts[key] = v
        elif isinstance(ev, c.RecommendationEvent):
            d = ev.data
            recs[d.leg.value] = (d.action.value, d.next_weight_kg, d.next_target_reps)
    return Outcome({k: ([f.value for f in v.faults], [s.value for s in v.sensors]) for k, v in verdicts.items()},
                   recs)


class Wire:
    """Every event of the watched types on the wire, once by event id (QoS 1 may repeat one)."""

    def __init__(self, port: int) -> None:
        self.by_id: dict[str, c.Envelope] = {}
        self.arrived: dict[str, float] = {}  # event id: monotonic time it first came
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("wire"),
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda cl, *_: cl.subscribe([(topic_filter(t), 1) for t in WATCHED])
        self.client.on_message = self._on
        self.client.reconnect_delay_set(1, 2)  # back within 2 s of a broker restart
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on(self, _c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        ev = c.parse_event(bytes(m.payload))
        with self.lock:
            if ev.event_id not in self.by_id:
                self.by_id[ev.event_id] = ev
                self.arrived[ev.event_id] = time.monotonic()

    def events(self, cls: type[c.Envelope] | None = None) -> list[c.Envelope]:
        with self.lock:
            evs = sorted(self.by_id.values(), key=lambda e: self.arrived[e.event_id])
        return [e for e in evs if cls is None or isinstance(e, cls)]

    def first(self, cls: type[c.Envelope], **match: object) -> tuple[c.Envelope, float] | None:
        """The first event of `cls` whose data has the `match` values, and when it came."""
        for e in self.events(cls):
            if all(getattr(e.data, k) == v for k, v in match.items()):  # type: ignore[attr-defined]
                return e, self.arrived[e.event_id]
        return None

    def verdicts_of(self, leg: str, set_index: int = 1) -> set[int]:
        return {e.data.rep_index for e in self.events(c.RepVerdictEvent)  # type: ignore[attr-defined]
                if e.data.leg.value == leg and e.data.set_index == set_index}  # type: ignore[attr-defined]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class HealthWatch:
    """Asks the dashboard's /health twice a second from a thread; records every failure to answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[str] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="health-watch")
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=HEALTH_TIMEOUT_S) as client:
            while not self._stop.wait(HEALTH_EVERY_S):
                try:
                    r = client.get(self.url)
                    if r.status_code != 200:
                        self.failures.append(f"HTTP {r.status_code}")
                    else:
                        self.answers.append(r.json()["status"])
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(HEALTH_TIMEOUT_S + 1)


class WholeStation:
    """The site and one station as separate processes; `train()` lets the member do the session."""

    def __init__(self, env: dict[str, str], logs: Path, broker: PrivateMosquitto, redis: PrivateRedis) -> None:
        self.logs, self.broker, self.redis = logs, broker, redis
        self.clock_file = logs / "station-clock-step"
        self.clock_file.write_text("0")
        self.site_env = {**env, "GYM_STATION_ID": "site", "GYM_SITE_ID": "main"}
        self.station_env = {**env, "GYM_STATION_ID": STATION, "GYM_SITE_ID": "main",
                            STEP_FILE_ENV: str(self.clock_file),
                            "GYM_LOADCELL_CALIBRATION_DIR": str(logs / "loadcell")}
        self.kids: list[Child] = []
        self.member: Child | None = None
        self.wire = Wire(broker.port)
        self.progression = self.start_progression()
        port = free_port()
        self.dashboard = self._child("dashboard", ["services.dashboard", "run", "--port", str(port)], self.site_env)
        self.kiosk = self._child("kiosk", ["kiosk"], self.station_env)
        self.camera = self._child("camera", ["services.camera", "run", "--source", "sim", "--script", SCRIPT],
                                  self.station_env)
        self.loadcell = self._child("loadcell", ["services.loadcell", "run", "--source", "sim", "--script", SCRIPT],
                                    self.station_env)
        wait_port(port, timeout=START_S)
        self.health = HealthWatch(f"http://127.0.0.1:{port}/health")
        for svc in ("camera", "loadcell", "kiosk"):
            wait_for(partial(self.online, svc), timeout=START_S, what=f"{svc} online")
        wait_online(self.broker.port, "progression", "site", timeout=START_S, child=self.progression)
        wait_for(lambda: self.health.answers[-1:] == ["ok"], timeout=START_S, what="dashboard healthy")
        self.health.answers = ["ok"]  # from here on: what it said before it was up is not a fault's doing

    def _child(self, name: str, args: list[str], env: dict[str, str]) -> Child:
        kid = Child(f"{name}-{len(self.kids)}", args, env, self.logs)
        self.kids.append(kid)
        return kid

    def start_progression(self) -> Child:
        self.progression = self._child("progression", ["services.progression", "run"], self.site_env)
        return self.progression

    def online(self, service: str) -> bool:
        states = [e.data.state for e in self.wire.events(c.StationStatusEvent)  # type: ignore[attr-defined]
                  if e.data.service == service]  # type: ignore[attr-defined]
        return bool(states) and states[-1] == c.ServiceState.ONLINE

    def train(self) -> None:
        self.member = self._child("member", ["services.simulator", "run", "--once", "--script", SCRIPT],
                                  self.station_env)

    def set_started_at(self, leg: str, set_index: int = 1) -> float:
        """When the set's set.started came (monotonic): the virtual member's t = 0 for that set."""
        def started() -> tuple[c.Envelope, float] | None:
            return self.wire.first(c.SetStartedEvent, set_index=set_index, leg=c.Leg(leg))

        return wait_for(started, timeout=START_S, what=f"{leg} set {set_index} started")[1]

    def step_clock(self, seconds: float) -> None:
        """Step the station's wall clock to `seconds` from the true time (services/simulator/clock.py)."""
        self.clock_file.write_text(f"{seconds}")

    def finished(self) -> Outcome:
        """Waits for the session's end and its late verdicts; each rep's last verdict and the recommendations."""
        legs = {p.leg.value for p in PLANS}
        total = sum(p.duration_s for p in PLANS)
        wait_for(lambda: legs <= set(outcome(self.wire.events()).recommendations), timeout=total + 40,
                 interval=0.2, what="a recommendation for each leg")
        # A sensor's rep may come after the session's end (it is still joined to its set): wait until
        # every planned rep has both sensors' view or nothing has changed for a while.
        wait_for(lambda: self._settled(), timeout=15, interval=0.5, what="the verdicts settled")
        return outcome(self.wire.events())

    def _settled(self) -> bool:
        evs = self.wire.events()
        if not evs:
            return False
        return time.monotonic() - self.wire.arrived[evs[-1].event_id] > 2.0 or all(
            sensors == ["camera", "load"] for _, sensors in outcome(evs).verdicts.values())

    def stored(self) -> list[c.RepVerdictEvent]:
        return RedisStore(connect(self.redis.url), "main").verdicts(STATION)

    def unassigned(self) -> list[c.RepVerdictEvent]:
        return RedisStore(connect(self.redis.url), "main").unassigned(STATION)

    def tails(self) -> str:
        return "\n".join(f"--- {k.name}\n{k.tail(1500)}" for k in self.kids)

    def close(self) -> None:
        self.health.close()
        for k in reversed(self.kids):
            k.stop()
        self.wire.close()
