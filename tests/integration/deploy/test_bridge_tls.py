"""TLS on the site broker and a station's store-and-forward bridge, with the configs gymctl renders,
every broker started as production starts it (no `user root`)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from services.gymctl.site import read_env
from shared.mqtt import unique_client_id
from shared.servers import free_port
from tests.conftest import wait_for
from tests.integration.deploy.production import Site, UnitBroker, provisioned_site

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def site() -> Iterator[Site]:
    with provisioned_site(("st-01",), tls=True) as made:
        yield made


def client(name: str, user: str | None = None, password: str | None = None, ca: Path | None = None) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    if user:
        c.username_pw_set(user, password)
    if ca:
        c.tls_set(ca_certs=str(ca))
    c.reconnect_delay_set(0.2, 1)  # type: ignore[arg-type]  # paho types these int; it sleeps them as floats
    return c


def test_a_unit_connects_over_tls_with_the_site_ca_and_its_env_file(site: Site) -> None:
    env = read_env(site.state.env_file("st-01"))
    assert env["GYM_MQTT_TLS_CA"] == str(site.root / "certs" / "ca.crt")
    ok = threading.Event()
    c = client(unique_client_id("tls"), env["GYM_MQTT_USERNAME"], env["GYM_MQTT_PASSWORD"],
               Path(env["GYM_MQTT_TLS_CA"]))
    c.on_connect = lambda _c, _u, _f, rc, _p: ok.set() if not rc.is_failure else None
    c.connect("127.0.0.1", int(env["GYM_MQTT_PORT"]))
    c.loop_start()
    assert ok.wait(10), "TLS connection with the site CA refused"
    c.loop_stop()
    c.disconnect()


def unit_conf(site: Site, station_port: int, data: Path) -> str:
    """The unit's broker config as gymctl renders it for st-01, on a free port and a test folder."""
    conf = site.state.bridge_conf("st-01").read_text()
    return conf.replace("listener 1883 ", f"listener {station_port} ").replace("/var/lib/mosquitto/", f"{data}/")


def test_gymctl_renders_the_repository_template_filled_in(site: Site) -> None:
    """broker/station-bridge.conf documents the unit's config: every setting of it is what gymctl renders."""
    env = read_env(site.state.env_file("st-01"))
    template = (REPO / "broker" / "station-bridge.conf").read_text()
    for old, new in {"SITE_BROKER_HOST:8883": f"127.0.0.1:{env['GYM_MQTT_PORT']}",
                     "STATION_PASSWORD": env["GYM_MQTT_PASSWORD"], "STATION": "st-01", "SITE": "main",
                     "/etc/gym/ca.crt": env["GYM_MQTT_TLS_CA"]}.items():
        template = template.replace(old, new)

    def settings(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip() and not re.match(r"\s*#", line)]

    assert settings(template) == settings(site.state.bridge_conf("st-01").read_text())


def test_the_station_bridge_forwards_what_was_published_while_the_site_was_down(site: Site) -> None:
    site_broker = site.broker
    station_port = free_port()
    station = UnitBroker("station", site.root / "station", station_port,
                         unit_conf(site, station_port, site.root / "station"))
    station.start()
    try:
        got: list[bytes] = []
        sub_ok = threading.Event()
        user, pw = site.account("progression")
        ca = site.root / "certs" / "ca.crt"  # the services' listener has TLS too, as the site's does
        site_sub = client("site-watch", user, pw, ca)  # a fixed id: its persistent session outlives the restart
        site_sub.on_message = lambda _c, _u, m: got.append(bytes(m.payload))
        site_sub.on_subscribe = lambda *_: sub_ok.set()
        site_sub.on_connect = lambda c, *_: c.subscribe("gym/v1/main/+/camera/rep", qos=1)
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        site_sub.connect("127.0.0.1", site.services_port, clean_start=False, properties=props)
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
    finally:
        station.kill()  # also when the test fails: no broker outlives it
