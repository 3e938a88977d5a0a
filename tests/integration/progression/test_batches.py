"""A worker that finds a backlog waiting (it was down, or the site is busy) takes it in batches: the
verdicts, summaries and recommendations must be exactly those of one event at a time."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from services.procs import Child, wait_online
from services.progression.engine import Engine
from services.progression.rules import Stack
from shared import contract as c
from shared.catalogue import DEFAULT_EXERCISE as EX
from shared.catalogue import default_catalogue
from shared.mqtt import unique_client_id
from shared.repo import MemoryRepo
from shared.servers import PrivateMosquitto
from shared.topics import topic_filter, topic_for
from tests.conftest import wait_for
from tests.measured import camera_metrics

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STATIONS = [f"st-{i:02d}" for i in range(6)]
OUTPUTS = ("rep.verdict", "set.summary", "recommendation", "member.profile")


def backlog() -> list[c.Envelope]:
    """Six stations' sessions, interleaved as they happen: two sets a leg, some faulty reps, a late sensor."""
    evs: list[c.Envelope] = []
    for n, st in enumerate(STATIONS):
        evs.append(c.make_event("session.started", "main", st, c.SessionStarted(
            session_id=f"s-{st}", member_id=f"guest-{n}", exercise=EX, goal="strength_control",
            leg_order=[c.Leg.LEFT, c.Leg.RIGHT])))
    t = 1000.0
    for leg in (c.Leg.LEFT, c.Leg.RIGHT):
        for s in (1, 2):
            for st in STATIONS:
                evs.append(c.make_event("set.started", "main", st, c.SetStarted(
                    session_id=f"s-{st}", set_index=s, leg=leg, weight_kg=10, target_reps=6)))
            for r in range(1, 7):
                t += 5
                for n, st in enumerate(STATIONS):
                    faults = [c.Fault.SWING] if (n + r + s) % 7 == 0 else []
                    evs.append(c.make_event("camera.rep", "main", st, c.CameraRep(
                        leg=leg, rep_index=r, start_t=t, end_t=t + 3.5, concentric_s=1, top_hold_s=0.5,
                        eccentric_s=2.2, metrics=camera_metrics(faults))))
                    if not (n == 2 and r == 4):  # one station's load cell misses a rep: judged by the camera
                        evs.append(c.make_event("load.rep", "main", st, c.LoadRep(
                            rep_index=r, start_t=t + 0.1, end_t=t + 3.4, concentric_s=1, eccentric_s=2.1,
                            peak_force_n=120, load_kg=10)))
            for st in STATIONS:
                evs.append(c.make_event("set.ended", "main", st, c.SetEnded(
                    session_id=f"s-{st}", set_index=s, leg=leg, weight_kg=10, target_reps=6)))
    for n, st in enumerate(STATIONS):
        evs.append(c.make_event("session.ended", "main", st, c.SessionEnded(session_id=f"s-{st}",
                                                                          member_id=f"guest-{n}")))
        evs.append(c.make_event("member.lookup", "main", st, c.MemberLookup(
            correlation_id=f"q-{st}", method=c.IdMethod.BADGE, token=f"9{n}", exercise=EX)))
    return evs


def judged(ev: c.Envelope) -> tuple[str, str]:
    return ev.type, ev.data.model_dump_json()  # type: ignore[attr-defined]


def test_a_backlog_taken_in_batches_gives_what_one_event_at_a_time_gives(
        service_env: dict[str, str], tmp_path: Path, mosquitto: PrivateMosquitto) -> None:
    events = backlog()
    engine, repo = Engine(default_catalogue(), Stack()), MemoryRepo()
    expected = {o.event_id: judged(o) for ev in events for o in engine.handle(ev, repo)}
    assert sum(t == "recommendation" for t, _ in expected.values()) == 2 * len(STATIONS)

    got: dict[str, tuple[str, str]] = {}
    lock = threading.Lock()

    def on(_c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        ev = c.parse_event(bytes(m.payload))
        with lock:
            got[ev.event_id] = judged(ev)

    watch = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("watch"), protocol=mqtt.MQTTv5)
    watch.on_message = on
    watch.connect("127.0.0.1", mosquitto.port)
    for t in OUTPUTS:
        watch.subscribe(topic_filter(t), qos=1)
    watch.loop_start()

    env = {**service_env, "GYM_STATION_ID": "site"}
    worker = Child("progression", ["services.progression", "run"], env, tmp_path)
    wait_online(mosquitto.port, "progression", "site", child=worker)
    worker.stop()  # its persistent session keeps what comes now, as for a worker that is down
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("stations"), protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    for ev in events:
        info = pub.publish(topic_for(ev), ev.to_json(), qos=1)
    info.wait_for_publish(10)
    worker = Child("progression-again", ["services.progression", "run"], {**env, "GYM_LOG_LEVEL": "DEBUG"}, tmp_path)
    try:
        wait_for(lambda: len(got) >= len(expected), timeout=60, what="every output of the backlog")
        assert got == expected
        assert "messages in one batch" in worker.log()  # the backlog did go through the batched path
    finally:
        worker.stop()
        pub.loop_stop()
        watch.loop_stop()
