"""TLS on the site broker and a station's store-and-forward bridge, with the repository's own configs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from services.gymctl.site import SiteState, read_env
from shared.mqtt import unique_client_id
from shared.servers import free_port
from tests.conftest import wait_for
from tests.wire import ConfBroker, gymctl_site, make_certs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    return make_certs(tmp_path / "certs")


@pytest.fixture
def site(tmp_path: Path, certs: Path) -> Iterator[tuple[SiteState, ConfBroker]]:
    with gymctl_site(tmp_path, certs) as made:
        yield made


def client(name: str, user: str | None = None, password: str | None = None, ca: Path | None = None) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    if user:
        c.username_pw_set(user, password)
    if ca:
        c.tls_set(ca_certs=str(ca))
    c.reconnect_delay_set(0.2, 1)
    return c


def test_a_unit_connects_over_tls_with_the_site_ca_and_its_env_file(site, certs: Path) -> None:
    state, _broker = site
    env = read_env(state.env_file("st-01"))
    assert env["GYM_MQTT_TLS_CA"] == str(certs / "ca.crt")
    ok = threading.Event()
    c = client(unique_client_id("tls"), env["GYM_MQTT_USERNAME"], env["GYM_MQTT_PASSWORD"],
               Path(env["GYM_MQTT_TLS_CA"]))
    c.on_connect = lambda _c, _u, _f, rc, _p: ok.set() if not rc.is_failure else None
    c.connect("127.0.0.1", int(env["GYM_MQTT_PORT"]))
    c.loop_start()
    assert ok.wait(10), "TLS connection with the site CA refused"
    c.loop_stop()
    c.disconnect()


def test_the_station_bridge_forwards_what_was_published_while_the_site_was_down(site, certs: Path,
                                                                                 tmp_path: Path) -> None:
    state, site_broker = site
    env = read_env(state.env_file("st-01"))
    station_port = free_port()
    conf = (REPO / "broker" / "station-bridge.conf").read_text()
    for old, new in {"SITE_BROKER_HOST:8883": f"127.0.0.1:{env['GYM_MQTT_PORT']}",
                     "STATION_PASSWORD": env["GYM_MQTT_PASSWORD"], "STATION": "st-01", "SITE": "main",
                     "/etc/gym/ca.crt": str(certs / "ca.crt"), "listener 1883": f"listener {station_port}",
                     "/var/lib/mosquitto/": f"{tmp_path / 'station'}/"}.items():
        conf = conf.replace(old, new)
    station = ConfBroker("station", tmp_path / "station", station_port, conf)
    station.start()

    got: list[bytes] = []
    sub_ok = threading.Event()
    user, pw = read_env(state.env_file("progression"))["GYM_MQTT_USERNAME"], \
        read_env(state.env_file("progression"))["GYM_MQTT_PASSWORD"]
    site_sub = client("site-watch", user, pw)  # a fixed id: its persistent session outlives the restart
    site_sub.on_message = lambda _c, _u, m: got.append(bytes(m.payload))
    site_sub.on_subscribe = lambda *_: sub_ok.set()
    site_sub.on_connect = lambda c, *_: c.subscribe("gym/v1/main/+/camera/rep", qos=1)
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    site_sub.connect("127.0.0.1", site_broker.port, clean_start=False, properties=props)
    site_sub.loop_start()
    assert sub_ok.wait(10)

    unit = client(unique_client_id("camera"))  # the station's camera service, on the unit's own broker
    unit.connect("127.0.0.1", station_port)
    unit.loop_start()
    unit.publish("gym/v1/main/st-01/camera/rep", b"before", qos=1).wait_for_publish(5)
    wait_for(lambda: b"before" in got, timeout=20, what="the bridge up and forwarding")

    site_broker.stop()  # the link to the site is down
    sent = [f"rep {i}".encode() for i in range(1, 6)]
    for p in sent:
        unit.publish("gym/v1/main/st-01/camera/rep", p, qos=1).wait_for_publish(5)
    time.sleep(1.0)  # reps done while the site is away (the station broker holds them)
    site_broker.start()
    wait_for(lambda: all(p in got for p in sent), timeout=45, what="the stored reps forwarded")
    time.sleep(1.0)  # time for a duplicate, if any, to show
    assert [p for p in got if p in sent] == sent  # each exactly once, in order
    unit.loop_stop()
    unit.disconnect()
    site_sub.loop_stop()
    site_sub.disconnect()
    station.kill()
