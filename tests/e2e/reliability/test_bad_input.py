"""Bad input through the real progression process: each is a dead letter with its reason, none stops it.

Published on a station's own topics as a broken or hostile station client would; the worker
must reject each with a dead-letter entry, judge the valid reps once and keep running.
"""

from __future__ import annotations

import json
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from services.procs import Child, wait_online
from shared import contract as c
from shared.mqtt import unique_client_id
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.topics import dead_letter_topic, topic_filter, topic_for
from tests.conftest import wait_for
from tests.samples import SAMPLES
from tests.wire import RawListener

pytestmark = [pytest.mark.e2e]


def rep(station: str = "st-01", **data: object) -> c.Envelope:
    return c.make_event("camera.rep", "main", station, SAMPLES["camera.rep"].model_copy(update=data))


def test_each_bad_message_is_a_dead_letter_and_the_valid_reps_are_judged_once(
        service_env: dict[str, str], tmp_path: Path, mosquitto: PrivateMosquitto, redis_server: PrivateRedis) -> None:
    worker = Child("progression", ["services.progression", "run"], {**service_env, "GYM_STATION_ID": "site"},
                   tmp_path)
    wait_online(mosquitto.port, "progression", "site", child=worker)
    letters = RawListener(mosquitto.port, dead_letter_topic("main", "site"))
    verdicts = RawListener(mosquitto.port, topic_filter("rep.verdict"))
    p = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("bad"), protocol=mqtt.MQTTv5)
    p.connect("127.0.0.1", mosquitto.port)
    p.loop_start()

    first = rep(start_t=100.0, end_t=104.0)
    topic = topic_for(first)
    doc = json.loads(first.to_json())
    bad: dict[str, bytes] = {
        "malformed JSON": b'{"schema": "gym.v1", "type": ',
        "wrong schema version": json.dumps({**doc, "schema": "gym.v0"}).encode(),
        "unknown type": json.dumps({**doc, "type": "camera.teleport"}).encode(),
        "huge payload": json.dumps({**doc, "data": {**doc["data"], "metrics": {"x": 1.0}},
                                    "pad": "x" * 300_000}).encode(),
        "NaN": json.dumps({**doc, "data": {**doc["data"], "start_t": "__NAN__"}}).replace('"__NAN__"', "NaN").encode(),
        "out of range": json.dumps({**doc, "data": {**doc["data"], "rep_index": 0}}).encode(),
        "forged station": rep("st-02", start_t=200.0, end_t=204.0).to_json(),
        "replayed id, other content": json.dumps({**doc, "data": {**doc["data"], "faults": []}}).encode(),
    }
    p.publish(topic, first.to_json(), qos=1).wait_for_publish(5)
    wait_for(lambda: verdicts.messages, what="the first rep's verdict")
    for payload in bad.values():
        p.publish(topic, payload, qos=1).wait_for_publish(5)
    last = rep(start_t=300.0, end_t=304.0)
    p.publish(topic, last.to_json(), qos=1).wait_for_publish(5)

    wait_for(lambda: len(letters.messages) >= len(bad), timeout=15, what="a dead letter for each bad message")
    reasons = [c.parse_event(m[1]).data.reason for m in letters.messages]  # type: ignore[attr-defined]
    expect = ["invalid event", "gym.v1", "camera.teleport", "exceeds", "finite", "greater than or equal to 1",
              "does not belong on topic", "already used for another event"]
    for (what, _), needle, reason in zip(bad.items(), expect, reasons, strict=True):
        assert needle in reason, (what, reason)
    wait_for(lambda: len(verdicts.messages) >= 2, what="the last rep's verdict")
    judged = [c.parse_event(m[1]).data.start_t for m in verdicts.messages]  # type: ignore[attr-defined]
    assert sorted(judged) == [100.0, 300.0]  # each valid rep once; nothing from the bad ones
    assert worker.alive(), worker.tail()
    p.loop_stop()
    letters.close()
    verdicts.close()
    worker.stop()
