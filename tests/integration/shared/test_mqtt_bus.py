"""The MQTT adapter against a real, private mosquitto."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from shared import contract as c
from shared.mqtt import MqttBus, unique_client_id
from shared.servers import PrivateMosquitto
from shared.settings import Settings
from shared.topics import all_events_filter, dead_letter_topic, status_topic, topic_for
from tests.conftest import wait_for
from tests.samples import SAMPLES
from tests.wire import RawListener

pytestmark = pytest.mark.integration

Buses = Callable[..., MqttBus]  # (settings, service, **MqttBus's keywords): a bus stopped after the test


class Recorder:
    def __init__(self) -> None:
        self.events: list[c.Envelope] = []
        self.lock = threading.Lock()

    def __call__(self, ev: c.Envelope) -> None:
        with self.lock:
            self.events.append(ev)

    def ids(self) -> list[str]:
        with self.lock:
            return [e.event_id for e in self.events]


@pytest.fixture
def buses() -> Iterator[Buses]:
    made: list[MqttBus] = []

    def make(settings: Settings, service: str, **kw: Any) -> MqttBus:
        b = MqttBus(settings, service, **kw)
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


def test_publish_and_subscribe_through_the_broker(make_settings: Callable[..., Settings], buses: Buses) -> None:
    rec = Recorder()
    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe("camera.rep", rec)
    assert sub.start()
    pub = buses(make_settings(station_id="st-01"), "camera")
    assert pub.start()
    sent = pub.emit("camera.rep", SAMPLES["camera.rep"])
    pub.emit("load.rep", SAMPLES["load.rep"])  # another type: not delivered to this handler
    wait_for(lambda: rec.events, what="camera.rep at the subscriber")
    time.sleep(0.2)
    assert [e.event_id for e in rec.events] == [sent.event_id]
    assert rec.events[0] == sent


def test_status_online_then_stopped_is_retained(mosquitto: PrivateMosquitto,
                                                make_settings: Callable[..., Settings], buses: Buses) -> None:
    bus = buses(make_settings(), "camera")
    assert bus.start()
    topic = status_topic("main", "st-01", "camera")
    raw = RawListener(mosquitto.port, topic)
    wait_for(lambda: raw.messages, what="online status")
    assert c.parse_event(raw.messages[-1][1]).data.state == c.ServiceState.ONLINE  # type: ignore[attr-defined]
    late = RawListener(mosquitto.port, topic)  # subscribes after the fact: sees it only if retained
    wait_for(lambda: late.messages, what="retained status")
    assert late.messages[-1][2], "status must be retained"
    late.close()
    bus.stop()
    wait_for(lambda: c.parse_event(raw.messages[-1][1]).data.state == c.ServiceState.STOPPED,  # type: ignore[attr-defined]
             what="stopped status")
    raw.close()


CHILD = """
import sys, time
from shared.mqtt import MqttBus
from shared.settings import Settings
bus = MqttBus(Settings(_env_file=None, mqtt_port=int(sys.argv[1]), mqtt_keepalive_s=5), "camera")
assert bus.start()
print("up", flush=True)
time.sleep(120)
"""


def test_last_will_offline_appears_when_the_process_is_killed(mosquitto: PrivateMosquitto) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(mosquitto.port)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"up"
        raw = RawListener(mosquitto.port, status_topic("main", "st-01", "camera"))
        wait_for(lambda: raw.messages, what="online status")
        assert c.parse_event(raw.messages[-1][1]).data.state == c.ServiceState.ONLINE  # type: ignore[attr-defined]
        proc.kill()  # SIGKILL: no clean disconnect, so the broker publishes the will
        # The will fires after 1.5x keepalive at most (5 s keepalive), or at once on socket close.
        wait_for(lambda: c.parse_event(raw.messages[-1][1]).data.state == c.ServiceState.OFFLINE,  # type: ignore[attr-defined]
                 timeout=10, what="last will")
        raw.close()
        # A late listener still sees offline: the will is retained.
        late = RawListener(mosquitto.port, status_topic("main", "st-01", "camera"))
        wait_for(lambda: late.messages, what="retained will")
        assert c.parse_event(late.messages[-1][1]).data.state == c.ServiceState.OFFLINE  # type: ignore[attr-defined]
        late.close()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_qos1_published_while_broker_down_or_restarting_arrive_exactly_once(
    mosquitto: PrivateMosquitto, make_settings: Callable[..., Settings], buses: Buses
) -> None:
    rec = Recorder()
    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe("rep.verdict", rec)
    assert sub.start()
    pub = buses(make_settings(), "camera")
    assert pub.start()
    sent: list[str] = []

    def send(n: int) -> None:
        for _ in range(n):
            sent.append(pub.emit("rep.verdict", SAMPLES["rep.verdict"]).event_id)

    send(20)
    wait_for(lambda: len(rec.events) >= 20, what="first batch")
    mosquitto.stop()
    wait_for(lambda: not pub.connected.is_set() and not sub.connected.is_set(), what="disconnect")
    send(30)  # broker down: paho keeps these
    mosquitto.start()
    send(10)  # while reconnecting
    wait_for(lambda: pub.connected.is_set() and sub.connected.is_set(), timeout=20, what="reconnect")
    send(10)
    # Restart again right after publishing, so some are in flight at the broker.
    mosquitto.restart()
    send(10)
    wait_for(lambda: len(set(rec.ids())) >= len(sent), timeout=30, what="all messages")
    time.sleep(1.0)  # any duplicate redelivery would land now
    assert sorted(rec.ids()) == sorted(sent)
    assert len(rec.ids()) == len(set(rec.ids())) == 80


def test_queued_for_an_offline_subscriber_survives_a_broker_restart(
    mosquitto: PrivateMosquitto, make_settings: Callable[..., Settings], buses: Buses
) -> None:
    rec = Recorder()
    s = make_settings(station_id="site")
    sub = MqttBus(s, "progression")
    sub.subscribe("rep.verdict", rec)
    assert sub.start()
    sub.stop()  # persistent session: the broker queues for it
    pub = buses(make_settings(), "camera")
    assert pub.start()
    sent = [pub.emit("rep.verdict", SAMPLES["rep.verdict"]) for _ in range(5)]
    time.sleep(0.3)
    mosquitto.restart()  # persistence keeps the offline session's queue
    sub2 = buses(s, "progression")
    sub2.subscribe("rep.verdict", rec)
    assert sub2.start()
    wait_for(lambda: len(rec.events) >= 5, what="queued messages")
    assert sorted(rec.ids()) == sorted(e.event_id for e in sent)


def test_malformed_payload_goes_to_dead_letter_and_the_next_is_handled(
    mosquitto: PrivateMosquitto, make_settings: Callable[..., Settings], buses: Buses
) -> None:
    rec = Recorder()
    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe("camera.rep", rec)
    assert sub.start()
    dl = RawListener(mosquitto.port, dead_letter_topic("main", "site"))
    good = c.make_event("camera.rep", "main", "st-01", SAMPLES["camera.rep"])
    forged = c.make_event("camera.rep", "main", "st-02", SAMPLES["camera.rep"])
    p = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("p"), protocol=mqtt.MQTTv5)
    p.connect("127.0.0.1", mosquitto.port)
    p.loop_start()
    topic = topic_for(good)
    p.publish(topic, b"{this is not json", qos=1).wait_for_publish(5)
    p.publish(topic, b'{"schema":"gym.v1","type":"camera.rep"}', qos=1).wait_for_publish(5)
    p.publish(topic, forged.to_json(), qos=1).wait_for_publish(5)  # st-02's event on st-01's topic
    p.publish(topic, good.to_json(), qos=1).wait_for_publish(5)
    wait_for(lambda: rec.events, what="the valid event after the bad ones")
    wait_for(lambda: len(dl.messages) >= 3, what="dead letters")
    letters = [c.parse_event(m[1]) for m in dl.messages]
    reasons = [lt.data.reason for lt in letters]  # type: ignore[attr-defined]
    assert "invalid event" in reasons[0] and "JSON" in reasons[0]
    assert "Field required" in reasons[1]
    assert "does not belong on topic" in reasons[2]
    assert letters[0].data.payload == "{this is not json"  # type: ignore[attr-defined]
    assert [e.event_id for e in rec.events] == [good.event_id]
    assert sub.dead_letters == 3
    p.loop_stop()
    dl.close()


def test_a_failing_handler_is_isolated(mosquitto: PrivateMosquitto, make_settings: Callable[..., Settings],
                                       buses: Buses) -> None:
    rec = Recorder()
    calls: list[int] = []

    def flaky(ev: c.Envelope) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ZeroDivisionError("boom")
        rec(ev)

    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe("camera.rep", flaky)
    assert sub.start()
    dl = RawListener(mosquitto.port, dead_letter_topic("main", "site"))
    pub = buses(make_settings(), "camera")
    assert pub.start()
    first = pub.emit("camera.rep", SAMPLES["camera.rep"])
    second = pub.emit("camera.rep", SAMPLES["camera.rep"])
    wait_for(lambda: rec.events, what="second event handled")
    assert [e.event_id for e in rec.events] == [second.event_id]
    wait_for(lambda: dl.messages, what="dead letter of the failed handler")
    letter = c.parse_event(dl.messages[0][1])
    assert "ZeroDivisionError" in letter.data.reason  # type: ignore[attr-defined]
    assert first.event_id in letter.data.payload  # type: ignore[attr-defined]
    assert sub.handler_errors == 1
    dl.close()


def test_a_duplicate_event_id_reaches_the_handler_once(mosquitto: PrivateMosquitto,
                                                       make_settings: Callable[..., Settings], buses: Buses) -> None:
    rec = Recorder()
    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe("camera.rep", rec)
    assert sub.start()
    pub = buses(make_settings(), "camera")
    assert pub.start()
    ev = pub.event("camera.rep", SAMPLES["camera.rep"])
    for _ in range(3):
        pub.publish(ev)
    marker = pub.emit("camera.rep", SAMPLES["camera.rep"])
    wait_for(lambda: marker.event_id in rec.ids(), what="marker")
    assert rec.ids() == [ev.event_id, marker.event_id]
    assert sub.dead_letters == 0  # a redelivery is not an error


def test_an_event_id_reused_for_other_content_is_a_dead_letter(mosquitto: PrivateMosquitto,
                                                               make_settings: Callable[..., Settings],
                                                               buses: Buses) -> None:
    rec = Recorder()
    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe("camera.rep", rec)
    assert sub.start()
    dl = RawListener(mosquitto.port, dead_letter_topic("main", "site"))
    pub = buses(make_settings(), "camera")
    assert pub.start()
    ev = pub.emit("camera.rep", SAMPLES["camera.rep"])
    pub.publish(ev.model_copy(update={"seq": ev.seq + 1}))  # a replay under the same id, altered
    marker = pub.emit("camera.rep", SAMPLES["camera.rep"])
    wait_for(lambda: marker.event_id in rec.ids(), what="marker")
    assert rec.ids() == [ev.event_id, marker.event_id]
    wait_for(lambda: dl.messages, what="dead letter")
    assert "already used for another event" in c.parse_event(dl.messages[0][1]).data.reason  # type: ignore[attr-defined]
    dl.close()


def test_everything_a_station_publishes_is_under_its_prefix(mosquitto: PrivateMosquitto,
                                                            make_settings: Callable[..., Settings],
                                                            buses: Buses) -> None:
    raw = RawListener(mosquitto.port, "#")
    pub = buses(make_settings(station_id="st-09"), "kiosk")
    assert pub.start()
    for t, data in SAMPLES.items():
        if t not in ("dead.letter",):
            pub.emit(t, data)
    wait_for(lambda: len(raw.messages) >= len(SAMPLES), what="all events")
    assert all(t.startswith("gym/v1/main/st-09/") for t, _, _ in raw.messages)
    assert all(mqtt.topic_matches_sub(all_events_filter("main"), t) for t, _, _ in raw.messages)
    raw.close()


def test_a_batch_handler_gets_what_waits_in_one_call_in_order_and_once(
        mosquitto: PrivateMosquitto, make_settings: Callable[..., Settings], buses: Buses) -> None:
    calls: list[list[str]] = []
    entered: list[int] = []
    gate = threading.Event()

    def handle(events: list[c.Envelope]) -> None:
        entered.append(len(events))
        gate.wait(10)  # the first call holds the worker while the rest arrive and wait
        calls.append([e.event_id for e in events])

    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe_batch(["camera.rep", "load.rep"], handle)
    assert sub.start()
    pub = buses(make_settings(), "camera")
    assert pub.start()
    sent = [pub.emit("camera.rep" if i % 2 else "load.rep", SAMPLES["camera.rep" if i % 2 else "load.rep"])
            for i in range(40)]
    pub.publish(sent[5])  # a QoS 1 repeat in the middle
    # Either the first call took several, or several wait behind it (up to mosquitto's window of 20
    # unacknowledged messages).
    wait_for(lambda: entered and (entered[0] > 1 or sub.queued >= 2), what="events waiting together")
    gate.set()
    wait_for(lambda: sum(map(len, calls)) >= len(sent), what="every event handled")
    time.sleep(0.3)
    assert [i for call in calls for i in call] == [e.event_id for e in sent]
    assert max(map(len, calls)) > 1  # those that waited came in one call


def test_an_event_that_fails_a_batch_is_dead_lettered_alone(
        mosquitto: PrivateMosquitto, make_settings: Callable[..., Settings], buses: Buses) -> None:
    handled: list[str] = []
    gate = threading.Event()

    def handle(events: list[c.Envelope]) -> None:
        gate.wait(10)
        if any(e.data.rep_index == 13 for e in events):  # type: ignore[attr-defined]
            raise ValueError("rep 13 is cursed")
        handled.extend(e.event_id for e in events)

    sub = buses(make_settings(station_id="site"), "progression")
    sub.subscribe_batch(["camera.rep"], handle)
    assert sub.start()
    dl = RawListener(mosquitto.port, dead_letter_topic("main", "site"))
    pub = buses(make_settings(), "camera")
    assert pub.start()
    sent = [pub.emit("camera.rep", SAMPLES["camera.rep"].model_copy(update={"rep_index": i})) for i in range(10, 16)]
    time.sleep(0.5)
    gate.set()
    wait_for(lambda: len(handled) >= 5 and dl.messages, what="the others handled, the bad one dead-lettered")
    assert handled == [e.event_id for e in sent if e.data.rep_index != 13]  # type: ignore[attr-defined]
    letter = c.parse_event(dl.messages[0][1])
    assert "rep 13 is cursed" in letter.data.reason  # type: ignore[attr-defined]
    assert sent[3].event_id in letter.data.payload  # type: ignore[attr-defined]
    dl.close()
