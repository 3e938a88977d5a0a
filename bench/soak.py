"""Soak: N simulated stations training against a site (broker, Redis, one progression worker).

Each station runs sessions as a kiosk and its sensors would: session.started, sets of reps
(camera.rep and load.rep of the same movement, a rep every REP_EVERY_S), camera.pose and
load.trace at 10 Hz all the while, set.ended, rest, session.ended, and again. At the end:
every rep done must have exactly one verdict key (station, session, set, rep) judged by both
sensors, every set one summary, every session a recommendation per leg — nothing lost,
nothing counted twice — and the latency from the later sensor event to its verdict.

`python -m bench soak [--stations 100] [--minutes 1]` (issue target: 100 stations, 10 minutes)
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import defaultdict
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench._site import site_with_worker
from bench.baselines import mqtt_round_trip, percentile
from bench.progression import CAMERA_METRICS
from shared import contract as c
from shared.mqtt import unique_client_id
from shared.topics import spec, topic_filter, topic_for

EX = "hamstring-curl-kickback"
REP_EVERY_S = 3.0  # a controlled rep (2 s curl, 3 s return at the slowest goal is 5 s) with its pause: ~3 s
REPS_PER_SET = 8
SETS_PER_LEG = 2
REST_S = 6.0  # shortened from the kiosk's 75 s so a soak minute holds whole sessions
STREAM_HZ = 10  # camera.pose and load.trace batches, as the services publish them
TARGET_P99_MS = 20.0  # the progression service's latency target (issue 5)


class Station(threading.Thread):
    def __init__(self, idx: int, port: int, until: float) -> None:
        super().__init__(daemon=True, name=f"st-{idx:03d}")
        self.st = f"st-{idx:03d}"
        self.until = until
        self.rng = random.Random(idx)
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id(self.st), protocol=mqtt.MQTTv5)
        self.c.max_inflight_messages_set(200)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        self.reps: list[tuple[str, int, str, int]] = []  # (session, set, leg, rep) done
        self.sets: list[tuple[str, str, int]] = []
        self.sessions: list[str] = []
        self.sent_at: dict[tuple[str, str, int, int], float] = {}
        self.t = 0.0  # the station's sensor clock

    def send(self, event_type: str, data: c.Model) -> float:
        ev = c.make_event(event_type, "main", self.st, data)
        at = time.perf_counter()
        self.c.publish(topic_for(ev), ev.to_json(), qos=spec(event_type).qos)
        return at

    def streams(self, seconds: float) -> None:
        """Pose and force at 10 Hz for `seconds`: load the broker as real stations do."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.send("camera.pose", c.CameraPose(t=self.t, leg=c.Leg.LEFT, knee_flexion_deg=self.rng.uniform(0, 120)))
            force = [120.0 + self.rng.random() for _ in range(8)]  # 80 Hz in batches of 8
            self.send("load.trace", c.LoadTrace(t0=self.t, hz=80, force_n=force))
            self.t += 1 / STREAM_HZ
            time.sleep(max(0.0, min(1 / STREAM_HZ, end - time.monotonic())))

    def run(self) -> None:
        time.sleep(self.rng.uniform(0, REP_EVERY_S))  # stations do not start in step
        n = 0
        while time.monotonic() < self.until - REP_EVERY_S * (REPS_PER_SET + 1):
            n += 1
            sid = f"s-{self.st}-{n}"
            legs = [c.Leg.LEFT, c.Leg.RIGHT]
            self.send("session.started", c.SessionStarted(session_id=sid, member_id=f"guest-{self.st}-{n}",
                                                          exercise=EX, goal="strength_control", leg_order=legs))
            self.sessions.append(sid)
            set_index = 0
            for leg in legs:
                for _ in range(SETS_PER_LEG):
                    if time.monotonic() > self.until - REP_EVERY_S * (REPS_PER_SET + 1):
                        break
                    set_index += 1
                    self.send("set.started", c.SetStarted(session_id=sid, set_index=set_index, leg=leg,
                                                          weight_kg=12.5, target_reps=REPS_PER_SET))
                    for r in range(1, REPS_PER_SET + 1):
                        self.streams(REP_EVERY_S - 0.5)
                        start = self.t - 2.5
                        self.send("camera.rep", c.CameraRep(leg=leg, rep_index=r, start_t=start, end_t=start + 2.4,
                                                            concentric_s=1.0, top_hold_s=0.5, eccentric_s=1.4,
                                                            metrics=CAMERA_METRICS))
                        self.streams(0.2)
                        self.sent_at[(sid, leg.value, set_index, r)] = self.send("load.rep", c.LoadRep(
                            rep_index=r, start_t=start + 0.05, end_t=start + 2.35, concentric_s=1.0,
                            eccentric_s=1.35, peak_force_n=140, load_kg=12.5))
                        self.reps.append((sid, set_index, leg.value, r))
                        self.streams(0.3)
                    self.send("set.ended", c.SetEnded(session_id=sid, set_index=set_index, leg=leg, weight_kg=12.5,
                                                      target_reps=REPS_PER_SET))
                    self.sets.append((sid, leg.value, set_index))
                    self.streams(REST_S)
            self.send("session.ended", c.SessionEnded(session_id=sid, member_id=f"guest-{self.st}-{n}"))
        self.c.loop_stop()
        self.c.disconnect()


class Site:
    """What the site sends back to the stations: verdicts, summaries, recommendations."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.verdicts: dict[tuple[str, str, str, int, int], list[c.RepVerdict]] = defaultdict(list)
        self.loose = 0
        self.fused_at: dict[tuple[str, str, int, int], float] = {}
        self.summaries: set[tuple[str, str, str, int]] = set()
        self.recs: set[tuple[str, str, str]] = set()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("site-watch"),
                             protocol=mqtt.MQTTv5)
        self.c.on_message = self._on
        self.c.connect("127.0.0.1", port)
        for t in ("rep.verdict", "set.summary", "recommendation"):
            self.c.subscribe(topic_filter(t), qos=1)
        self.c.loop_start()

    def _on(self, _c: Any, _u: Any, m: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        ev = c.parse_event(bytes(m.payload))
        with self.lock:
            if isinstance(ev, c.RepVerdictEvent):
                d = ev.data
                if d.set_index is None or d.session_id is None:
                    self.loose += 1
                    return
                self.verdicts[(ev.station_id, d.session_id, d.leg.value, d.set_index, d.rep_index)].append(d)
                if len(d.sensors) == 2:
                    self.fused_at.setdefault((d.session_id, d.leg.value, d.set_index, d.rep_index), now)
            elif isinstance(ev, c.SetSummaryEvent):
                self.summaries.add((ev.station_id, ev.data.session_id, ev.data.leg.value, ev.data.set_index))
            elif isinstance(ev, c.RecommendationEvent):
                self.recs.add((ev.station_id, ev.data.session_id, ev.data.leg.value))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench soak")
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--minutes", type=float, default=1.0)
    args = ap.parse_args(argv)
    with site_with_worker() as (broker, _redis, worker):
        base = mqtt_round_trip(broker.port, n=1000)
        site = Site(broker.port)
        until = time.monotonic() + args.minutes * 60
        stations = [Station(i, broker.port, until) for i in range(args.stations)]
        t0 = time.monotonic()
        for s in stations:
            s.start()
        for s in stations:
            s.join()
        time.sleep(5.0)  # the last verdicts and recommendations in flight
        elapsed = time.monotonic() - t0
        alive = worker.alive()

    reps = [(s.st, *r) for s in stations for r in s.reps]
    keys = {(st, sid, leg, k, r) for st, sid, k, leg, r in reps}
    got = site.verdicts
    lost = [k for k in keys if k not in got]
    extra = [k for k in got if k not in keys]
    fused = sum(1 for k in keys if k in got and len(got[k][-1].sensors) == 2)
    sets = {(s.st, *x) for s in stations for x in s.sets}
    sessions = {(s.st, sid) for s in stations for sid in s.sessions}
    missing_summaries = len(sets - site.summaries)
    missing_recs = sum(1 for st, sid in sessions for leg in ("left", "right")
                       if any(x[:3] == (st, sid, leg) for x in sets) and (st, sid, leg) not in site.recs)
    lat = [(site.fused_at[k] - t) * 1000 for s in stations for k, t in s.sent_at.items() if k in site.fused_at]
    pose_msgs = sum(int(s.t * STREAM_HZ) for s in stations) * 2
    print(f"{args.stations} stations for {elapsed / 60:.1f} min: {len(reps)} reps, {len(sets)} sets, "
          f"{len(sessions)} sessions, ~{pose_msgs:,} pose/force stream messages; worker alive: {alive}")
    print(f"verdicts: {len(keys) - len(lost)}/{len(keys)} reps judged, lost {len(lost)}, extra keys {len(extra)}, "
          f"judged by both sensors {fused}, loose {site.loose}")
    print(f"summaries missing {missing_summaries}/{len(sets)}; recommendations missing {missing_recs}")
    if lat:
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        print(f"later sensor event → fused verdict: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(lat):.1f} ms "
              f"(target p99 ≤ {TARGET_P99_MS:.0f} ms; broker round trip p99 {base['p99_ms']:.2f} ms, "
              f"ratio {p99 / base['p99_ms']:.1f}x)")
    ok = alive and not lost and not extra and not missing_summaries and not missing_recs and fused == len(keys)
    print("soak clean" if ok else "SOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
