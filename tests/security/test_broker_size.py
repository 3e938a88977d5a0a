"""Finding 9: no message size limit — a 40 MiB publish reached every subscriber. Every broker config
(the site's as gymctl renders it, a unit's bridged broker, compose's) now carries `max_packet_size`
sized from the contract's largest event; checked on the real mosquitto."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from services.gymctl.site import MAX_PACKET_BYTES
from shared.contract import MAX_PAYLOAD_BYTES
from shared.mqtt import unique_client_id
from shared.servers import free_port
from tests.conftest import wait_for
from tests.integration.deploy.production import Peer, Site, UnitBroker

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
HUGE = 40 * 1024 * 1024


@contextmanager
def huge_publish(port: int, user: str | None, password: str | None, topic: str) -> Iterator[threading.Event]:
    """Send a 40 MiB QoS 0 publish from a fresh client; the event is set when the broker drops the client."""
    dropped = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("huge"), protocol=mqtt.MQTTv5)
    if user:
        c.username_pw_set(user, password)
    c.on_disconnect = lambda *_: dropped.set()
    c.reconnect_delay_set(60, 60)
    c.connect("127.0.0.1", port)
    c.loop_start()
    c.publish(topic, b"x" * HUGE, qos=0)
    try:
        yield dropped
    finally:
        c.loop_stop()
        c.disconnect()


def test_a_40_mib_publish_reaches_no_subscriber_and_the_largest_event_does(site: Site) -> None:
    prog = Peer(site.services_port, *site.account("progression"))
    assert prog.connected.wait(5), prog.rc
    prog.sub("gym/v1/main/#")
    with huge_publish(site.broker.port, *site.account("st-01"), "gym/v1/main/st-01/camera/rep") as dropped:
        assert dropped.wait(20), "the broker kept the client that sent 40 MiB"
    # The contract's largest payload still goes through, from the same account, after the huge one.
    st01 = Peer(site.broker.port, *site.account("st-01"))
    assert st01.connected.wait(5), st01.rc
    st01.pub("gym/v1/main/st-01/load/trace", b"y" * MAX_PAYLOAD_BYTES)
    wait_for(lambda: prog.got, timeout=10, what="the largest legitimate payload")
    assert [(t, len(p)) for t, p in prog.got] == [("gym/v1/main/st-01/load/trace", MAX_PAYLOAD_BYTES)]
    for p in (prog, st01):
        p.close()


def test_a_units_own_broker_refuses_it_before_the_bridge_queues_it(site: Site) -> None:
    port = free_port()
    conf = site.state.bridge_conf("st-01").read_text().replace("listener 1883 ", f"listener {port} ")
    unit = UnitBroker("unit", site.root / "unit", port, conf.replace("/var/lib/mosquitto/", f"{site.root}/unit/"))
    unit.start()
    try:
        local = Peer(port, None, None)
        assert local.connected.wait(5), local.rc
        local.sub("gym/v1/main/st-01/#")
        with huge_publish(port, None, None, "gym/v1/main/st-01/camera/rep") as dropped:
            assert dropped.wait(20), "the unit's broker kept the client that sent 40 MiB"
        local.pub("gym/v1/main/st-01/camera/rep", b"small")
        wait_for(lambda: local.got, what="a normal event on the unit")
        assert [p for _, p in local.got] == [b"small"]
        local.close()
    finally:
        unit.kill()


def test_every_broker_config_carries_the_limit_sized_from_the_contract(site: Site) -> None:
    assert MAX_PAYLOAD_BYTES < MAX_PACKET_BYTES <= MAX_PAYLOAD_BYTES + 8192  # the payload plus headers, no more
    configs = {"rendered site": site.state.conf.read_text(),
               "rendered unit": site.state.bridge_conf("st-01").read_text(),
               **{str(p.relative_to(REPO)): p.read_text() for p in (REPO / "broker" / "mosquitto.conf",
                                                                    REPO / "broker" / "station-bridge.conf")}}
    for name, text in configs.items():
        assert re.findall(r"^max_packet_size (\d+)$", text, re.M) == [str(MAX_PACKET_BYTES)], name
