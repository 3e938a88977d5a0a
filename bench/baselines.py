"""Baselines every other benchmark is compared with, measured on this machine in the same run.

- the broker's own round trip: a QoS 1 message from one bare paho client to another
  through a private mosquitto, no contract, no handlers;
- Redis: `redis-benchmark` SET and GET against a private redis-server.

`python -m bench baselines`
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.mqtt import unique_client_id
from shared.servers import PrivateMosquitto, PrivateRedis

MESSAGES = 2000  # enough for a stable p99 (20 samples above it) in about a second


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def mqtt_round_trip(port: int, n: int = MESSAGES, qos: int = 1) -> dict[str, float]:
    """One-way latency sender→broker→receiver on loopback, paced so the broker is never queued."""
    lat: list[float] = []
    done = threading.Event()
    rx = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("rx"), protocol=mqtt.MQTTv5)

    def on_message(_c: Any, _u: Any, m: mqtt.MQTTMessage) -> None:
        lat.append(time.perf_counter() - float(m.payload))
        if len(lat) >= n:
            done.set()

    rx.on_message = on_message
    rx.connect("127.0.0.1", port)
    rx.subscribe("bench/rt", qos=qos)
    rx.loop_start()
    tx = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("tx"), protocol=mqtt.MQTTv5)
    tx.connect("127.0.0.1", port)
    tx.loop_start()
    time.sleep(0.3)
    for _ in range(n):
        tx.publish("bench/rt", str(time.perf_counter()).encode(), qos=qos)
        time.sleep(0.0005)  # 2,000 msg/s: a paced load, not a flood
    done.wait(30)
    rx.loop_stop()
    tx.loop_stop()
    ms = [x * 1000 for x in lat]
    return {"messages": len(ms), "p50_ms": statistics.median(ms), "p99_ms": percentile(ms, 99),
            "max_ms": max(ms)}


def redis_benchmark(port: int) -> dict[str, float]:
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-t", "set,get", "-n", "100000", "-q", "--csv"],
        capture_output=True, text=True, timeout=120, check=True).stdout
    rates: dict[str, float] = {}
    for line in out.splitlines()[1:]:
        cells = [c.strip('"') for c in line.split(",")]
        rates[f"{cells[0].lower()}_per_s"] = float(cells[1])
    return rates


def measure() -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as d:
        broker = PrivateMosquitto(Path(d) / "m").start()
        redis = PrivateRedis(Path(d) / "r", appendonly=False).start()
        try:
            return {"mqtt_qos1": mqtt_round_trip(broker.port), "redis": redis_benchmark(redis.port)}
        finally:
            broker.stop()
            redis.stop()


def main(argv: list[str]) -> int:
    res = measure()
    m, r = res["mqtt_qos1"], res["redis"]
    print(f"broker round trip (QoS 1, {m['messages']:.0f} msgs): p50 {m['p50_ms']:.2f} ms, "
          f"p99 {m['p99_ms']:.2f} ms, max {m['max_ms']:.2f} ms")
    print(f"redis-benchmark: SET {r.get('set_per_s', 0):,.0f}/s, GET {r.get('get_per_s', 0):,.0f}/s")
    print(json.dumps(res))
    return 0
