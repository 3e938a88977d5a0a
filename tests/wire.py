"""Watching the wire in tests: a bare paho client that records raw payloads on a topic filter, and a
station-side client that publishes as a station would and records the events that come back."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from services.gymctl.site import SiteState, render_broker_conf
from shared import contract as c
from shared.mqtt import MqttBus, unique_client_id
from shared.servers import PrivateServer, _find, free_port
from shared.settings import Settings


class RawListener:
    """A bare paho client recording raw payloads, to watch what is on the wire."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        subscribed = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("raw"), protocol=mqtt.MQTTv5)
        self.c.on_message = lambda _c, _u, m: self.messages.append((m.topic, bytes(m.payload), m.retain))
        self.c.on_subscribe = lambda *_: subscribed.set()
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(topic, qos=1)
        self.c.loop_start()
        if not subscribed.wait(10):
            raise AssertionError(f"no SUBACK for {topic} within 10 s")

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


class StationClient:
    """A station's side on a real `MqttBus` (as the kiosk): publishes through `.bus`, records `event_types`."""

    def __init__(self, port: int, event_types: tuple[str, ...], station_id: str = "st-01") -> None:
        self.got: list[c.Envelope] = []
        self.lock = threading.Lock()
        self.bus = MqttBus(Settings(_env_file=None, mqtt_port=port, station_id=station_id), "kiosk",
                           client_id=unique_client_id("kiosk"))
        for t in event_types:
            self.bus.subscribe(t, self._rec, site_id="main", station_id=station_id)
        assert self.bus.start()

    def _rec(self, ev: c.Envelope) -> None:
        with self.lock:
            self.got.append(ev)

    def of(self, cls: type) -> list:  # type: ignore[type-arg]
        """The data of every recorded event of this envelope class, in arrival order."""
        with self.lock:
            return [e.data for e in self.got if isinstance(e, cls)]  # type: ignore[attr-defined]


class ConfBroker(PrivateServer):
    """mosquitto with a given config text (written at each start; `user root` added when run as root)."""

    def __init__(self, name: str, workdir: Path, port: int, conf: str) -> None:
        super().__init__(workdir, port)
        self.name = name
        self.conf = conf + ("user root\n" if os.geteuid() == 0 else "")
        self.binary = _find("mosquitto", "mosquitto")

    def command(self) -> list[str]:
        path = self.dir / "mosquitto.conf"
        path.write_text(self.conf)
        return [self.binary, "-c", str(path)]


REPO = Path(__file__).resolve().parents[1]


def make_certs(out: Path) -> Path:
    """A site CA and a broker certificate for localhost / 127.0.0.1, made by the repository's own script."""
    subprocess.run(["bash", str(REPO / "broker" / "make-certs.sh"), str(out), "localhost", "127.0.0.1"],
                   check=True, capture_output=True)
    return out


@contextmanager
def gymctl_site(workdir: Path, certs: Path) -> Iterator[tuple[SiteState, ConfBroker]]:
    """A site provisioned by gymctl (accounts, ACL, TLS; one station st-01) and its broker running that config."""
    from services.gymctl.__main__ import main as gymctl

    state = SiteState(workdir / "state")
    plain, tls = free_port(), free_port()
    assert gymctl(["--state-dir", str(state.root), "init", "--site", "main", "--broker-host", "127.0.0.1",
                   "--broker-port", str(plain), "--tls-port", str(tls), "--tls-ca", str(certs / "ca.crt")]) == 0
    assert gymctl(["--state-dir", str(state.root), "station", "add", "st-01"]) == 0
    conf = render_broker_conf(state, state.load(), bind="127.0.0.1", data_dir=str(workdir / "site"),
                              certs_dir=str(certs))
    broker = ConfBroker("site", workdir / "site", plain, conf)
    broker.start()
    try:
        yield state, broker
    finally:
        broker.kill()
