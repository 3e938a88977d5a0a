"""Watching the wire in tests: a bare paho client that records raw payloads on a topic filter, and a
station-side client that publishes as a station would and records the events that come back."""

from __future__ import annotations

import os
import pwd
import shutil
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
from shared.servers import BROKER_USER, PrivateServer, _find, free_port, owned_dir, reachable_dir, write_config
from shared.settings import Settings


def station_bus(port: int, station: str = "st-01", service: str = "camera") -> MqttBus:
    """A station service's bus on a private broker, started and connected."""
    bus = MqttBus(Settings(_env_file=None, mqtt_port=port, station_id=station), service)
    assert bus.start()
    return bus


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

    @property
    def payloads(self) -> list[bytes]:
        """What arrived so far, in order."""
        return [payload for _, payload, _ in self.messages]

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


def broker_user_if_root() -> pwd.struct_passwd | None:
    """Who a broker started as production starts it runs as: Debian's `mosquitto` user when we are root (these
    tests need the package; no fallback to root here), else us (None)."""
    return pwd.getpwnam(BROKER_USER) if os.geteuid() == 0 else None


@contextmanager
def broker_reachable_dir(prefix: str = "gym-broker-") -> Iterator[Path]:
    """A throwaway folder the broker's user may pass through (`shared.servers.reachable_dir`), removed after."""
    root = reachable_dir(prefix)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def broker_owned(path: Path) -> Path:
    """A folder the broker may write (its persistence and pid file), as /var/lib/mosquitto is."""
    return owned_dir(path, broker_user_if_root())


def write_broker_readable(path: Path, text: str) -> Path:
    """A broker's config as the READMEs install it: root:mosquitto 0640 from its creation (0600 when not root:
    the broker then runs as us)."""
    return write_config(path, text, broker_user_if_root())


class ConfBroker(PrivateServer):
    """mosquitto on a given config text, started as production starts it: nothing added (no `user root`).
    Run as root it drops to `mosquitto`, which reads the config (root:mosquitto 0640) and writes `workdir`
    (its own, as /var/lib/mosquitto is): `workdir` and every file the config names must be reachable by
    that user — use `broker_reachable_dir()`, not pytest's tmp_path."""

    def __init__(self, name: str, workdir: Path, port: int, conf: str) -> None:
        super().__init__(broker_owned(workdir), port)
        self.name = name
        self.conf = conf
        self.binary = _find("mosquitto", "mosquitto")

    def command(self) -> list[str]:
        return [self.binary, "-c", str(write_broker_readable(self.dir / "mosquitto.conf", self.conf))]


REPO = Path(__file__).resolve().parents[1]


def make_certs(out: Path) -> Path:
    """A site CA and a broker certificate for localhost / 127.0.0.1, made by the repository's own script."""
    subprocess.run(["bash", str(REPO / "broker" / "make-certs.sh"), str(out), "localhost", "127.0.0.1"],
                   check=True, capture_output=True)
    return out


@contextmanager
def gymctl_site(workdir: Path, certs: Path) -> Iterator[tuple[SiteState, ConfBroker]]:
    """A site provisioned by gymctl (accounts, ACL, TLS with `certs`; one station st-01) and its broker running
    that config as production runs it. `workdir` is unused beyond the certificates' place: the site lives in a
    folder the broker's user can reach."""
    from services.gymctl.__main__ import main as gymctl

    with broker_reachable_dir("gym-site-") as root:
        ca = root / "certs"
        shutil.copytree(certs, ca)
        state = SiteState(root / "state")
        plain, tls, services = free_port(), free_port(), free_port()
        assert gymctl(["--state-dir", str(state.root), "init", "--site", "main", "--broker-host", "127.0.0.1",
                       "--broker-port", str(plain), "--tls-port", str(tls), "--services-port", str(services),
                       "--tls-ca", str(ca / "ca.crt")]) == 0
        assert gymctl(["--state-dir", str(state.root), "station", "add", "st-01"]) == 0
        _broker_reads_key(ca)
        conf = render_broker_conf(state, state.load(), bind="127.0.0.1", data_dir=str(root / "site"),
                                  certs_dir=str(ca))
        broker = ConfBroker("site", root / "site", plain, conf)
        broker.start()
        try:
            yield state, broker
        finally:
            broker.kill()


def _broker_reads_key(certs: Path) -> None:
    """make-certs.sh leaves server.key root:mosquitto 0640 when run as root; a copy keeps that."""
    if os.geteuid() == 0:
        key = certs / "server.key"
        os.chown(key, 0, pwd.getpwnam(BROKER_USER).pw_gid)
        key.chmod(0o640)
