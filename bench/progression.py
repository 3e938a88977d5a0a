"""Progression service against the real broker and Redis (one worker process).

1. Throughput: 10,000 rep events (camera.rep) from 100 stations, sets of 10 reps, wait for the
   worker while it is paused (SIGSTOP: the broker queues them in its session, as for a busy
   site), then it is resumed; rep events judged per second = events / time from the resume to
   the last verdict. So the publisher's own speed (one Python client) does not count.
   Target: >= 2,000 rep events/s.
2. Latency at the load of 100 stations (each a rep every 3 s, seen by both sensors, so 67
   rep events/s): time from the later sensor's event to its rep.verdict, p50/p99.
   Target: p99 <= 20 ms. Printed beside the broker's own round trip measured in the same run.

`python -m bench progression`
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench._site import site_with_worker
from bench.baselines import mqtt_round_trip, percentile, redis_benchmark
from shared import contract as c
from shared.mqtt import no_delay, unique_client_id
from shared.topics import topic_filter, topic_for

STATIONS = 100
REPS_PER_SET = 10
THROUGHPUT_EVENTS = 10_000
LATENCY_SECONDS = 20.0
REP_EVERY_S = 3.0  # a controlled rep with its rest takes about 3 s
TARGET_PER_S = 2000
# What the camera measures of a clean rep (knee bend, thigh, hips, torso): every check of the judge is made.
CAMERA_METRICS = {"peak_knee_flexion_deg": 100.0, "thigh_excursion_deg": 3.0, "pelvis_rotation_deg": 2.0,
                  "torso_change_deg": 1.0}
TARGET_P99_MS = 20.0


class Client:
    def __init__(self, port: int, name: str) -> None:
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id(name), protocol=mqtt.MQTTv5)
        self.c.on_socket_open = no_delay  # stations and kiosks send as the product's bus does (shared/mqtt.py)
        self.c.max_inflight_messages_set(1000)
        self.c.max_queued_messages_set(0)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def send(self, ev: c.Envelope) -> mqtt.MQTTMessageInfo:
        return self.c.publish(topic_for(ev), ev.to_json(), qos=1)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


class VerdictCounter(Client):
    def __init__(self, port: int) -> None:
        super().__init__(port, "verdicts")
        self.n = 0
        self.arrived: dict[tuple[str, int, int], float] = {}
        self.lock = threading.Lock()
        self.c.on_message = self._on
        self.c.subscribe(topic_filter("rep.verdict"), qos=1)
        time.sleep(0.3)

    def _on(self, _c: Any, _u: Any, m: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        ev = c.parse_event(bytes(m.payload))
        assert isinstance(ev, c.RepVerdictEvent)
        with self.lock:
            self.n += 1
            if ev.data.set_index is not None and len(ev.data.sensors) == 2:
                self.arrived[(ev.station_id, ev.data.set_index, ev.data.rep_index)] = now


def start_sets(pub: Client, set_index: int) -> None:
    for s in range(STATIONS):
        st = f"st-{s:03d}"
        if set_index == 1:
            pub.send(c.make_event("session.started", "main", st, c.SessionStarted(
                session_id=f"s-{st}", member_id=f"guest-{s}", exercise="hamstring-curl-kickback",
                goal="strength_control", leg_order=[c.Leg.LEFT])))
        pub.send(c.make_event("set.started", "main", st, c.SetStarted(
            session_id=f"s-{st}", set_index=set_index, leg=c.Leg.LEFT, weight_kg=12.5, target_reps=REPS_PER_SET)))


def cam(st: str, t: float, idx: int) -> c.Envelope:
    return c.make_event("camera.rep", "main", st, c.CameraRep(leg=c.Leg.LEFT, rep_index=idx, start_t=t,
                                                              end_t=t + 2.5, concentric_s=1.0, top_hold_s=0.5,
                                                              eccentric_s=1.5, metrics=CAMERA_METRICS))


def load(st: str, t: float, idx: int) -> c.Envelope:
    return c.make_event("load.rep", "main", st, c.LoadRep(rep_index=idx, start_t=t + 0.05, end_t=t + 2.45,
                                                          concentric_s=1.0, eccentric_s=1.4, peak_force_n=140,
                                                          load_kg=12.5))


def throughput(port: int, worker_pid: int) -> float:
    counter = VerdictCounter(port)
    pub = Client(port, "flood")
    events = []
    per_station = THROUGHPUT_EVENTS // STATIONS
    for k in range(per_station):
        for s in range(STATIONS):
            events.append(cam(f"st-{s:03d}", 10_000 + 5.0 * k, k % REPS_PER_SET + 1))
    start_sets(pub, 1)
    time.sleep(1.0)
    os.kill(worker_pid, signal.SIGSTOP)
    try:
        for i, ev in enumerate(events):
            if i and i % (STATIONS * REPS_PER_SET) == 0:
                start_sets(pub, 1 + i // (STATIONS * REPS_PER_SET))
            sent = pub.send(ev)
        sent.wait_for_publish(60)  # the broker acknowledges in order: every event is queued for the worker
        time.sleep(0.5)
    finally:
        os.kill(worker_pid, signal.SIGCONT)
    t0 = time.perf_counter()
    deadline = time.monotonic() + 120
    while counter.n < len(events) and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    got = counter.n
    pub.close()
    counter.close()
    print(f"throughput: {got}/{len(events)} verdicts in {elapsed:.2f} s")
    return got / elapsed


def latency(port: int) -> list[float]:
    counter = VerdictCounter(port)
    pub = Client(port, "stations")
    start_sets(pub, 20)
    time.sleep(1.0)
    sent: dict[tuple[str, int, int], float] = {}
    t_end = time.monotonic() + LATENCY_SECONDS
    k = 0
    interval = REP_EVERY_S / STATIONS
    nxt = time.monotonic()
    while time.monotonic() < t_end:
        for s in range(STATIONS):
            st = f"st-{s:03d}"
            idx = k + 1
            if idx > 20:
                break
            pub.send(cam(st, 50_000 + 5.0 * k, idx))
            time.sleep(0.001)
            sent[(st, 20, idx)] = time.perf_counter()
            pub.send(load(st, 50_000 + 5.0 * k, idx))
            nxt += interval
            time.sleep(max(0.0, nxt - time.monotonic()))
        k += 1
    time.sleep(2.0)
    lat = [(counter.arrived[key] - t) * 1000 for key, t in sent.items() if key in counter.arrived]
    print(f"latency: {len(lat)}/{len(sent)} fused verdicts measured")
    pub.close()
    counter.close()
    return lat


def main(argv: list[str]) -> int:
    with site_with_worker() as (broker, redis, worker):
        base = mqtt_round_trip(broker.port, n=1000)
        rate = throughput(broker.port, worker.pid)
        plain = redis_benchmark(redis.port)
        lat = latency(broker.port)
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    print(f"one worker: {rate:,.0f} rep events/s (target {TARGET_PER_S:,}; ratio {rate / TARGET_PER_S:.2f})")
    print(f"redis-benchmark on the same Redis, same run: SET {plain['set_per_s']:,.0f}/s "
          f"(a rep event judged costs {plain['set_per_s'] / rate:.0f} plain SETs' time)")
    print(f"100 stations: later sensor event -> rep.verdict p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"(target {TARGET_P99_MS:.0f} ms; ratio {p99 / TARGET_P99_MS:.2f})")
    print(f"broker's own round trip, same run: p50 {base['p50_ms']:.2f} ms, p99 {base['p99_ms']:.2f} ms "
          f"(verdict p99 / broker p99 = {p99 / base['p99_ms']:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
