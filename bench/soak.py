"""Soak: N simulated stations training against a site (broker, Redis, one progression worker).

Each station runs sessions as a kiosk and its sensors would: session.started, sets of reps
(camera.rep and load.rep of the same movement, a rep every REP_EVERY_S), camera.pose and
load.trace at 10 Hz all the while, set.ended, rest, session.ended, and again. At the end:
every rep done must have exactly one verdict key (station, session, set, rep) judged by both
sensors, every set one summary, every session a recommendation per leg — nothing lost,
nothing counted twice — and the latency from the later sensor event to its verdict.

The load generator must not be what is measured. A real site has a unit per station; here
the stations are split among `--procs` generator processes, each driving its stations from
one scheduling thread (a heap of every station's next event time); each station keeps its own
connection, as it would, and that same thread runs every connection's network loop, so nothing
else in the process competes for its GIL. The watcher that receives verdicts, summaries and
recommendations is a process of its own, also one thread. Each stamps `time.perf_counter()`;
children send their records back to this process over a pipe at the end. A generator or
watcher that raises or dies fails the benchmark.

`python -m bench soak [--stations 100] [--minutes 1] [--procs 4]` (issue target: 100 stations, 10 minutes)
"""

from __future__ import annotations

import argparse
import heapq
import multiprocessing as mp
import os
import random
import resource
import selectors
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_any
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench._site import site_with_worker
from bench.baselines import mqtt_round_trip, percentile
from bench.progression import CAMERA_METRICS
from shared import contract as c
from shared.mqtt import no_delay, unique_client_id
from shared.topics import spec, topic_filter, topic_for

EX = "hamstring-curl-kickback"
REP_EVERY_S = 3.0  # a controlled rep (2 s curl, 3 s return at the slowest goal is 5 s) with its pause: ~3 s
REPS_PER_SET = 8
SETS_PER_LEG = 2
REST_S = 6.0  # shortened from the kiosk's 75 s so a soak minute holds whole sessions
STREAM_HZ = 10  # camera.pose and load.trace batches, as the services publish them
TARGET_P99_MS = 20.0  # the progression service's latency target (issue 5)
PROCS = 4  # generator processes (each one thread); a real site has one unit per station
START_LEAD_S = 1.0  # every generator has its start time before it comes
SERVICE_EVERY_S = 0.005  # a busy generator still reads its PUBACKs at least this often

# Clock: every process stamps time.perf_counter(), which on Linux is CLOCK_MONOTONIC — one clock
# for the whole machine, so a generator's stamp and the watcher's can be subtracted.

RepKey = tuple[str, str, int, int]  # (session, leg, set, rep)


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of another process (the site's broker, Redis, worker)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _check(rc: int, what: str) -> None:
    if rc != mqtt.MQTT_ERR_SUCCESS:
        raise RuntimeError(f"{what}: {mqtt.error_string(rc)}")


def _connect(client: mqtt.Client, port: int, timeout: float = 20.0) -> None:
    """Connect and run the network loop on this thread until the broker's CONNACK is in."""
    _check(client.connect("127.0.0.1", port), "connect")
    deadline = time.monotonic() + timeout
    while not client.is_connected():
        if time.monotonic() > deadline:
            raise TimeoutError("no CONNACK from the broker")
        _check(client.loop(0.05), "mqtt loop")


# --- the load generator: stations as coroutines, one scheduling thread per process --------------------------


class Network:
    """A generator process's connections, one per station as on a real site, all run by its scheduling thread.
    With no network thread, `publish()` builds the packet and writes it to the socket before it returns, and
    nothing in the process stands between a stamp and the publish. (One connection shared by a process's stations
    would be wrong: at 500 messages/s, Nagle's algorithm holds a rep event behind other stations' unacknowledged
    stream messages for up to a delayed ACK, ~40 ms: p50 14.7 ms instead of 3 ms.)

    The send time is stamped right before `publish()`, not after it returns: the write wakes the broker, and on a
    busy machine the scheduler often hands it this process's CPU there and then, so a stamp taken after the
    return can come after the verdict itself is in (one run had 41 of 1,600 latencies negative, publish() p99
    7 ms). Taken before it, the stamp is early by the packet's encoding, tens of µs, unless the process is
    preempted in between; the load.rep publish() times printed bound both."""

    def __init__(self) -> None:
        self.sel = selectors.DefaultSelector()
        self.clients: list[mqtt.Client] = []
        self.unacked: deque[mqtt.MQTTMessageInfo] = deque()  # QoS 1 sends not yet acknowledged, oldest first
        self.load_rep_publish_s: list[float] = []  # how long each load.rep's publish() took, preemption and all
        self.serviced = self.kept_alive = time.perf_counter()

    def connect(self, port: int, name: str) -> mqtt.Client:
        cl = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id(name), protocol=mqtt.MQTTv5)
        cl.on_socket_open = no_delay  # a station's services send as the product's bus does (shared/mqtt.py)
        cl.max_inflight_messages_set(200)
        _check(cl.connect("127.0.0.1", port), f"connect {name}")
        self.sel.register(cl.socket(), selectors.EVENT_READ, cl)  # type: ignore[arg-type]
        self.clients.append(cl)
        return cl

    def wait_connected(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not all(cl.is_connected() for cl in self.clients):
            if time.monotonic() > deadline:
                raise TimeoutError("no CONNACK from the broker")
            self.service(0.05)

    def send(self, cl: mqtt.Client, station: str, event_type: str, data: c.Model) -> float:
        ev = c.make_event(event_type, "main", station, data)
        qos = spec(event_type).qos
        at = time.perf_counter()
        info = cl.publish(topic_for(ev), ev.to_json(), qos=qos)
        _check(info.rc, f"publish {event_type} of {station}")
        if event_type == "load.rep":
            self.load_rep_publish_s.append(time.perf_counter() - at)
        if qos:
            self.unacked.append(info)
        return at

    def service(self, timeout: float = 0.0) -> None:
        """Read acknowledgements, flush what a full socket left, keep connections alive; wait up to `timeout`."""
        for key, _ in self.sel.select(timeout):
            _check(key.data.loop_read(), "mqtt read")
        for cl in self.clients:
            if cl.want_write():
                _check(cl.loop_write(), "mqtt write")
        now = time.perf_counter()
        if now - self.kept_alive > 1.0:
            for cl in self.clients:
                _check(cl.loop_misc(), "mqtt keepalive")
            self.kept_alive = now
        while self.unacked and self.unacked[0].is_published():
            self.unacked.popleft()
        self.serviced = now

    def drain(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.unacked or any(cl.want_write() for cl in self.clients):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(self.unacked)} QoS 1 events never acknowledged by the broker")
            self.service(0.05)
            self.unacked = deque(i for i in self.unacked if not i.is_published())
        for cl in self.clients:
            self.sel.unregister(cl.socket())  # type: ignore[arg-type]
            cl.disconnect()
        self.sel.close()


class Station:
    """A station's whole soak as a coroutine: it sends what is due and yields the time of its next event."""

    def __init__(self, idx: int, net: Network, port: int) -> None:
        self.st = f"st-{idx:03d}"
        self.rng = random.Random(idx)
        self.net = net
        self.c = net.connect(port, self.st)
        self.reps: list[tuple[str, int, str, int]] = []  # (session, set, leg, rep) done
        self.sets: list[tuple[str, str, int]] = []
        self.sessions: list[str] = []
        self.sent_at: dict[RepKey, float] = {}
        self.t = 0.0  # the station's sensor clock
        self.now = 0.0  # the scheduled time (perf_counter) of what it is sending

    def send(self, event_type: str, data: c.Model) -> float:
        return self.net.send(self.c, self.st, event_type, data)

    def streams(self, seconds: float) -> Iterator[float]:
        """Pose and force at 10 Hz for `seconds`: load the broker as real stations do."""
        end = self.now + seconds
        while self.now < end - 1e-6:
            self.send("camera.pose", c.CameraPose(t=self.t, leg=c.Leg.LEFT, knee_flexion_deg=self.rng.uniform(0, 120)))
            force = [120.0 + self.rng.random() for _ in range(8)]  # 80 Hz in batches of 8
            self.send("load.trace", c.LoadTrace(t0=self.t, hz=80, force_n=force))
            self.t += 1 / STREAM_HZ
            self.now = min(self.now + 1 / STREAM_HZ, end)
            yield self.now

    def run(self, t0: float, until: float) -> Iterator[float]:
        self.now = t0 + self.rng.uniform(0, REP_EVERY_S)  # stations do not start in step
        yield self.now
        last_start = until - REP_EVERY_S * (REPS_PER_SET + 1)
        n = 0
        while self.now < last_start:
            n += 1
            sid = f"s-{self.st}-{n}"
            legs = [c.Leg.LEFT, c.Leg.RIGHT]
            self.send("session.started", c.SessionStarted(session_id=sid, member_id=f"guest-{self.st}-{n}",
                                                          exercise=EX, goal="strength_control", leg_order=legs))
            self.sessions.append(sid)
            set_index = 0
            for leg in legs:
                for _ in range(SETS_PER_LEG):
                    if self.now > last_start:
                        break
                    set_index += 1
                    self.send("set.started", c.SetStarted(session_id=sid, set_index=set_index, leg=leg,
                                                          weight_kg=12.5, target_reps=REPS_PER_SET))
                    for r in range(1, REPS_PER_SET + 1):
                        yield from self.streams(REP_EVERY_S - 0.5)
                        start = max(0.0, self.t - 2.5)  # a rep's times are never before the station's 0
                        self.send("camera.rep", c.CameraRep(leg=leg, rep_index=r, start_t=start, end_t=start + 2.4,
                                                            concentric_s=1.0, top_hold_s=0.5, eccentric_s=1.4,
                                                            metrics=CAMERA_METRICS))
                        yield from self.streams(0.2)
                        self.sent_at[(sid, leg.value, set_index, r)] = self.send("load.rep", c.LoadRep(
                            rep_index=r, start_t=start + 0.05, end_t=start + 2.35, concentric_s=1.0,
                            eccentric_s=1.35, peak_force_n=140, load_kg=12.5))
                        self.reps.append((sid, set_index, leg.value, r))
                        yield from self.streams(0.3)
                    self.send("set.ended", c.SetEnded(session_id=sid, set_index=set_index, leg=leg, weight_kg=12.5,
                                                      target_reps=REPS_PER_SET))
                    self.sets.append((sid, leg.value, set_index))
                    yield from self.streams(REST_S)
            self.send("session.ended", c.SessionEnded(session_id=sid, member_id=f"guest-{self.st}-{n}"))

    def record(self) -> dict[str, Any]:
        return {"st": self.st, "reps": self.reps, "sets": self.sets, "sessions": self.sessions,
                "sent_at": self.sent_at, "t": self.t}


def drive(net: Network, stations: list[Station], t0: float, until: float) -> list[float]:
    """Run every station's coroutine in time order from one thread; return how late each wake-up was (s)."""
    heap: list[tuple[float, int, Iterator[float]]] = []
    for k, st in enumerate(stations):
        co = st.run(t0, until)
        heap.append((next(co), k, co))
    heapq.heapify(heap)
    lags: list[float] = []
    while heap:
        due, k, co = heap[0]
        now = time.perf_counter()
        if due > now:
            net.service(min(due - now, 0.5))
            continue
        lags.append(now - due)
        nxt = next(co, None)
        if nxt is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (nxt, k, co))
        if now - net.serviced > SERVICE_EVERY_S:
            net.service()
    return lags


def generator_process(conn: Connection, port: int, indices: list[int]) -> None:
    net = Network()
    stations = [Station(i, net, port) for i in indices]
    net.wait_connected()
    conn.send(("ready", None))
    _, (t0, until) = conn.recv()
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    lags = drive(net, stations, t0, until)
    net.drain()
    cpu, wall = _cpu_s() - cpu0, time.perf_counter() - wall0
    ms = [x * 1000 for x in lags]
    pub = [x * 1000 for x in net.load_rep_publish_s] or [0.0]
    conn.send(("done", {"stations": [s.record() for s in stations], "cpu_s": cpu, "wall_s": wall,
                        "lag_p99_ms": percentile(ms, 99), "lag_max_ms": max(ms),
                        "publish_p99_ms": percentile(pub, 99), "publish_max_ms": max(pub)}))


# --- the watcher: what the site sends back to the stations --------------------------------------------------


class Watcher:
    """Verdicts, summaries, recommendations, received by one thread that runs its own network loop."""

    def __init__(self, port: int) -> None:
        self.verdicts: dict[tuple[str, str, str, int, int], list[int]] = {}  # key → each verdict's sensor count
        self.loose = 0
        self.fused_at: dict[RepKey, float] = {}
        self.summaries: set[tuple[str, str, str, int]] = set()
        self.recs: set[tuple[str, str, str]] = set()
        self.subacks = 0
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("site-watch"),
                             protocol=mqtt.MQTTv5)
        self.c.on_message = self._on
        self.c.on_subscribe = self._subscribed
        self.c.on_socket_open = no_delay
        _connect(self.c, port)
        topics = ("rep.verdict", "set.summary", "recommendation")
        for t in topics:
            self.c.subscribe(topic_filter(t), qos=1)
        deadline = time.monotonic() + 20
        while self.subacks < len(topics):
            if time.monotonic() > deadline:
                raise TimeoutError("no SUBACK from the broker")
            _check(self.c.loop(0.05), "mqtt loop")

    def _subscribed(self, *_: Any) -> None:
        self.subacks += 1

    def _on(self, _c: Any, _u: Any, m: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the generators' stamps
        ev = c.parse_event(bytes(m.payload))
        if isinstance(ev, c.RepVerdictEvent):
            d = ev.data
            if d.set_index is None or d.session_id is None:
                self.loose += 1
                return
            self.verdicts.setdefault((ev.station_id, d.session_id, d.leg.value, d.set_index, d.rep_index),
                                     []).append(len(d.sensors))
            if len(d.sensors) == 2:
                self.fused_at.setdefault((d.session_id, d.leg.value, d.set_index, d.rep_index), now)
        elif isinstance(ev, c.SetSummaryEvent):
            self.summaries.add((ev.station_id, ev.data.session_id, ev.data.leg.value, ev.data.set_index))
        elif isinstance(ev, c.RecommendationEvent):
            self.recs.add((ev.station_id, ev.data.session_id, ev.data.leg.value))

    def record(self) -> dict[str, Any]:
        return {"verdicts": self.verdicts, "loose": self.loose, "fused_at": self.fused_at,
                "summaries": self.summaries, "recs": self.recs}


def watcher_process(conn: Connection, port: int) -> None:
    w = Watcher(port)
    conn.send(("ready", None))
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    while not conn.poll():  # until the parent says stop
        _check(w.c.loop(0.05), "mqtt loop")
    conn.recv()
    cpu, wall = _cpu_s() - cpu0, time.perf_counter() - wall0
    w.c.disconnect()
    conn.send(("done", {**w.record(), "cpu_s": cpu, "wall_s": wall}))


# --- the parent: start, go, collect, judge ------------------------------------------------------------------


class ChildFailed(Exception):
    pass


@dataclass
class Proc:
    name: str
    proc: BaseProcess
    conn: Connection


def _child(target: Callable[..., None], conn: Connection, *args: Any) -> None:
    try:
        target(conn, *args)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        raise SystemExit(1) from None


def _start(ctx: Any, name: str, target: Callable[..., None], *args: Any) -> Proc:
    ours, theirs = ctx.Pipe()
    p = ctx.Process(target=_child, args=(target, theirs, *args), name=name, daemon=True)
    p.start()
    theirs.close()  # so a child that dies is an EOF here
    return Proc(name, p, ours)


def _expect(procs: list[Proc], kind: str, timeout: float, guard: tuple[Proc, ...] = ()) -> dict[str, Any]:
    """The `kind` message of each of `procs`; ChildFailed if one raised, died, or said nothing in time, or if one
    of `guard` (children with nothing to say yet) raised or died meanwhile."""
    got: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while len(got) < len(procs):
        pending = [p for p in procs if p.name not in got]
        left = deadline - time.monotonic()
        if left <= 0:
            raise ChildFailed(f"{', '.join(p.name for p in pending)}: no {kind!r} within {timeout:.0f} s")
        wait_any([p.conn for p in (*pending, *guard)] + [p.proc.sentinel for p in (*pending, *guard)], min(left, 1.0))
        for p in guard:
            message = _receive(p, "")
            if message is not None:
                what, body = message
                raise ChildFailed(f"{p.name} raised:\n{body}" if what == "error" else f"{p.name} said {what!r}")
        for p in pending:
            message = _receive(p, f" before {kind!r}")
            if message is None:
                continue
            what, body = message
            if what == "error":
                raise ChildFailed(f"{p.name} raised:\n{body}")
            if what != kind:
                raise ChildFailed(f"{p.name} said {what!r}, expected {kind!r}")
            got[p.name] = body
    return got


def _receive(p: Proc, when: str) -> tuple[str, Any] | None:
    """A child's message if one is waiting, None if it has none yet; ChildFailed if it died (`when` says when)."""
    if p.conn.poll():
        try:
            what, body = p.conn.recv()
        except EOFError:
            p.proc.join(5)
            raise ChildFailed(f"{p.name} died (exit code {p.proc.exitcode}){when}") from None
        return what, body
    if not p.proc.is_alive():
        raise ChildFailed(f"{p.name} died (exit code {p.proc.exitcode}){when}")
    return None


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench soak")
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--procs", type=int, default=PROCS, help="load generator processes the stations are split among")
    args = ap.parse_args(argv)
    ctx = mp.get_context("spawn")  # children start clean: no copies of this process's threads or sockets
    nprocs = max(1, args.procs)
    split = [ix for ix in (list(range(args.stations))[k::nprocs] for k in range(nprocs)) if ix]  # round robin
    procs: list[Proc] = []
    try:
        with site_with_worker() as (broker, redis, worker):
            base = mqtt_round_trip(broker.port, n=1000)
            watcher = _start(ctx, "watcher", watcher_process, broker.port)
            procs.append(watcher)
            gens = [_start(ctx, f"generator-{k}", generator_process, broker.port, ix) for k, ix in enumerate(split)]
            procs += gens
            _expect(procs, "ready", 120)
            site_pids = {"broker": broker.proc.pid if broker.proc else 0, "redis": redis.proc.pid if redis.proc else 0,
                         "worker": worker.pid}
            site_cpu0 = {k: _proc_cpu_s(pid) for k, pid in site_pids.items()}
            t0 = time.perf_counter() + START_LEAD_S
            until = t0 + args.minutes * 60
            for g in gens:
                g.conn.send(("go", (t0, until)))
            done = _expect(gens, "done", until - time.perf_counter() + REST_S + 2 * REP_EVERY_S + 120,
                           guard=(watcher,))
            time.sleep(5.0)  # the last verdicts and recommendations in flight
            elapsed = time.perf_counter() - t0
            site_cpu = {k: _proc_cpu_s(pid) for k, pid in site_pids.items()}
            watcher.conn.send(("stop", None))
            seen = _expect([watcher], "done", 60)["watcher"]
            alive = worker.alive()
        for p in procs:
            p.proc.join(10)
            if p.proc.exitcode != 0:
                raise ChildFailed(f"{p.name} exited with code {p.proc.exitcode}")
    except ChildFailed as e:
        print(f"load generator or watcher failed: {e}")
        print("SOAK FAILED")
        return 1
    finally:
        for p in procs:
            if p.proc.is_alive():
                p.proc.terminate()
                p.proc.join(5)

    stations = [s for g in gens for s in done[g.name]["stations"]]
    reps = [(s["st"], *r) for s in stations for r in s["reps"]]
    keys = {(st, sid, leg, k, r) for st, sid, k, leg, r in reps}
    got: dict[tuple[str, str, str, int, int], list[int]] = seen["verdicts"]
    fused_at: dict[RepKey, float] = seen["fused_at"]
    lost = [k for k in keys if k not in got]
    extra = [k for k in got if k not in keys]
    fused = sum(1 for k in keys if k in got and got[k][-1] == 2)
    sets = {(s["st"], *x) for s in stations for x in s["sets"]}
    sessions = {(s["st"], sid) for s in stations for sid in s["sessions"]}
    missing_summaries = len(sets - seen["summaries"])
    missing_recs = sum(1 for st, sid in sessions for leg in ("left", "right")
                       if any(x[:3] == (st, sid, leg) for x in sets) and (st, sid, leg) not in seen["recs"])
    lat = [(fused_at[k] - t) * 1000 for s in stations for k, t in s["sent_at"].items() if k in fused_at]
    pose_msgs = sum(int(s["t"] * STREAM_HZ) for s in stations) * 2
    print(f"{args.stations} stations for {elapsed / 60:.1f} min: {len(reps)} reps, {len(sets)} sets, "
          f"{len(sessions)} sessions, ~{pose_msgs:,} pose/force stream messages; worker alive: {alive}")
    print(f"verdicts: {len(keys) - len(lost)}/{len(keys)} reps judged, lost {len(lost)}, extra keys {len(extra)}, "
          f"judged by both sensors {fused}, loose {seen['loose']}")
    print(f"summaries missing {missing_summaries}/{len(sets)}; recommendations missing {missing_recs}")
    if lat:
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        print(f"later sensor event → fused verdict: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(lat):.1f} ms "
              f"(target p99 ≤ {TARGET_P99_MS:.0f} ms; broker round trip p99 {base['p99_ms']:.2f} ms, "
              f"ratio {p99 / base['p99_ms']:.1f}x)")
    cores = [done[g.name]["cpu_s"] / done[g.name]["wall_s"] for g in gens]
    ncpu = os.cpu_count() or 1

    def worst(key: str) -> float:
        return max(float(done[g.name][key]) for g in gens)

    print(f"load generator: {len(gens)} processes of one thread, {sum(cores):.2f} cores "
          f"({' + '.join(f'{x:.2f}' for x in cores)}), {100 * sum(cores) / ncpu:.0f} % of the machine's {ncpu}; "
          f"schedule lag p99 {worst('lag_p99_ms'):.1f} ms, max {worst('lag_max_ms'):.1f} ms; "
          f"load.rep publish() p99 {worst('publish_p99_ms'):.2f} ms, max {worst('publish_max_ms'):.2f} ms; "
          f"watcher {seen['cpu_s'] / seen['wall_s']:.2f} cores")
    site = {k: (v - v0) / elapsed for k, v in site_cpu.items()
            if v is not None and (v0 := site_cpu0[k]) is not None}
    if site:
        print("site under test: " + ", ".join(f"{k} {v:.2f} cores" for k, v in site.items()))
    ok = alive and not lost and not extra and not missing_summaries and not missing_recs and fused == len(keys)
    print("soak clean" if ok else "SOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
