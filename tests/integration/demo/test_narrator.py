"""`make demo`'s narrator against a real broker: each rep told once, with its checks, and the
recommendation per leg with its reasons, as a member would read them."""

from __future__ import annotations

import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from services.demo import SETTLE_S, Narrator
from shared import contract as c
from shared.mqtt import unique_client_id
from shared.servers import PrivateMosquitto
from shared.topics import topic_for
from tests.conftest import wait_for


def verdict(rep: int, sensors: list[c.Sensor], revision: int, *, seen_hips: bool = True) -> c.RepVerdict:
    checks = [c.RepCheck(check=c.Check.SWING, outcome=c.Outcome.PASSED, blocking=True, sensor=c.Sensor.CAMERA,
                         value=3.0, limit=15.0),
              c.RepCheck(check=c.Check.HIP_ROTATION, blocking=True,
                         outcome=c.Outcome.PASSED if seen_hips else c.Outcome.NOT_CHECKED,
                         why="" if seen_hips else "hips not in view"),
              c.RepCheck(check=c.Check.ECCENTRIC, outcome=c.Outcome.FAILED if rep == 2 else c.Outcome.PASSED,
                         blocking=True, sensor=c.Sensor.CAMERA, value=0.5 if rep == 2 else 2.5, limit=1.2)]
    faults = [c.Fault.FAST_ECCENTRIC] if rep == 2 else []
    return c.RepVerdict(session_id="s1", set_index=1, leg=c.Leg.LEFT, rep_index=rep, start_t=10.0 * rep,
                        end_t=10.0 * rep + 4, passed=not faults and seen_hips, faults=faults, sensors=sensors,
                        revision=revision, verified=seen_hips, checks=checks)


def test_each_rep_is_told_once_then_the_recommendation(mosquitto: PrivateMosquitto,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    narrator = Narrator(mosquitto.port, "main")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("test-demo"), protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    try:
        time.sleep(0.5)  # the narrator's subscription

        def send(event_type: str, data: c.Model) -> None:
            ev = c.make_event(event_type, "main", "st-01", data)
            pub.publish(topic_for(ev), ev.to_json(), qos=1).wait_for_publish(5)

        cam, both = [c.Sensor.CAMERA], [c.Sensor.CAMERA, c.Sensor.LOAD]
        send("rep.verdict", verdict(1, cam, 0))
        send("rep.verdict", verdict(1, both, 1))  # the load cell's view refines rep 1: told now, once
        send("rep.verdict", verdict(2, cam, 0))  # never refined: told after SETTLE_S
        wait_for(lambda: len(narrator.verdicts) == 2, timeout=SETTLE_S + 5, what="two reps told")
        send("rep.verdict", verdict(3, both, 0, seen_hips=False))
        send("recommendation", c.Recommendation(
            session_id="s1", member_id="m-1", exercise="hamstring-curl-kickback", leg=c.Leg.LEFT,
            goal="strength_control", current_weight_kg=12.5, next_weight_kg=12.5, next_target_reps=6,
            action=c.Action.HOLD, reasons=["1 rep dropped the return: keep 12.5 kg for 6 reps",
                                           "Lower slowly, about 3 seconds"]))
        wait_for(lambda: len(narrator.verdicts) == 3, timeout=5, what="rep 3 told before the recommendation")
        time.sleep(0.3)
    finally:
        narrator.close()
        pub.loop_stop()
        pub.disconnect()
    out = capsys.readouterr().out
    assert out.count("rep 1 (left leg)") == 1 and "rep 1 (left leg) PASSED [seen by camera+load]" in out
    assert out.count("rep 2 (left leg)") == 1
    assert "rep 2 (left leg) FAILED: dropped the return" in out
    assert "controlled return ✗ 0.5 s, limit 1.2 s" in out
    assert "rep 3 (left leg) NOT VERIFIED" in out and "hips square ? (hips not in view)" in out
    assert out.index("rep 3 (left leg)") < out.index("NEXT TIME, left leg: hold → 12.5 kg for 6 reps")
    assert "- Lower slowly, about 3 seconds" in out
