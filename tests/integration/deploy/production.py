"""The site broker as production runs it, for the deploy and security tests.

gymctl provisions the site and renders the broker's config (`gymctl broker-config`, the real command);
mosquitto is started on that file exactly, with no `user` line added. When the tests run as root,
mosquitto drops to its `mosquitto` user as it does under systemd or in the eclipse-mosquitto image,
and reads gymctl's password files and ACL (at start and on every SIGHUP) as that user. So the site
lives where that user can reach it (not pytest's 0700 tmp folder) and the broker's data folder
belongs to it, as /var/lib/mosquitto does.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from services.gymctl.__main__ import main as gymctl
from services.gymctl.site import SiteState, read_env
from shared.mqtt import unique_client_id
from shared.servers import PrivateServer, _find, free_port, owned_dir, write_config
from tests.wire import ConfBroker, broker_owned, make_certs


class ProductionBroker(PrivateServer):
    """mosquitto on the config `gymctl broker-config` writes into the state folder, nothing added."""

    name = "site-mosquitto"

    def __init__(self, state: SiteState, data: Path, port: int, certs: Path | None = None,
                 bind: str = "127.0.0.1") -> None:
        super().__init__(broker_owned(data), port)
        self.state = state
        self.certs = certs
        self.bind = bind
        self.pid_file = data / "mosquitto.pid"
        self.binary = _find("mosquitto", "mosquitto")

    def command(self) -> list[str]:
        args = ["--state-dir", str(self.state.root), "broker-config", "--bind", self.bind,
                "--data-dir", str(self.dir), "--pid-file", str(self.pid_file)]
        assert gymctl([*args, *(["--certs-dir", str(self.certs)] if self.certs else [])]) == 0
        return [self.binary, "-c", str(self.state.conf)]


@dataclass
class Site:
    state: SiteState
    broker: ProductionBroker
    root: Path

    @property
    def services_port(self) -> int:
        return self.state.load().services_listener_port

    def account(self, name: str) -> tuple[str, str]:
        env = read_env(self.state.env_file(name))
        return env["GYM_MQTT_USERNAME"], env["GYM_MQTT_PASSWORD"]

    def gymctl(self, *args: str) -> int:
        return gymctl(["--state-dir", str(self.state.root), *args])


@contextmanager
def provisioned_site(stations: tuple[str, ...] = ("st-01", "st-02"), *, tls: bool = False, site_ca: bool = False,
                     bind: str = "127.0.0.1", init_args: tuple[str, ...] = ()) -> Iterator[Site]:
    """A site provisioned by gymctl (site services, `stations`) and its broker running as in production.

    TLS: `site_ca`, as `gymctl init` does by default (its own CA and certificates in the state folder);
    `tls`, the operator's CA and certificates from make-certs.sh (`--tls-ca`, `broker-config --certs-dir`);
    neither, a plain test site (`--plain`). `bind` "" listens on every interface, as production does."""
    root = Path(tempfile.mkdtemp(prefix="gym-site-"))
    root.chmod(0o711)  # the broker's user may pass through to the state folder, not list it
    try:
        certs = make_certs(root / "certs") if tls else None
        state = SiteState(root / "state")
        port, services, tls_port = free_port(), free_port(), free_port()
        init = ["init", "--site", "main", "--broker-host", "127.0.0.1", "--broker-port", str(port),
                "--services-port", str(services), "--tls-port", str(tls_port)]
        site = Site(state, ProductionBroker(state, root / "data", port, certs, bind), root)
        mode = ["--tls-ca", str(certs / "ca.crt")] if certs else ([] if site_ca else ["--plain"])
        assert site.gymctl(*init, *mode, *init_args) == 0
        for st in stations:
            assert site.gymctl("station", "add", st) == 0
        site.broker.start()
        try:
            yield site
        finally:
            site.broker.kill()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Peer:
    """A bare paho client with an account's credentials; records what it receives and how it was let in."""

    port: int
    user: str | None
    password: str | None
    client_id: str = ""
    clean_start: bool = True
    got: list[tuple[str, bytes]] = field(default_factory=list)
    rc: list[str] = field(default_factory=list)
    session_present: list[bool] = field(default_factory=list)
    disconnects: int = 0

    def __post_init__(self) -> None:
        self.connected = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2,
                             client_id=self.client_id or unique_client_id(self.user or "anon"), protocol=mqtt.MQTTv5)
        if self.user:
            self.c.username_pw_set(self.user, self.password)
        self.c.on_connect = self._on_connect
        self.c.on_message = lambda _c, _u, m: self.got.append((m.topic, bytes(m.payload)))
        self.c.on_disconnect = self._on_disconnect
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0 if self.clean_start else 3600
        self.c.connect("127.0.0.1", self.port, clean_start=self.clean_start, properties=props)
        self.c.loop_start()

    def _on_connect(self, _c: object, _u: object, flags: mqtt.ConnectFlags, rc: ReasonCode, _p: object) -> None:
        self.rc.append(str(rc))
        if not rc.is_failure:
            self.session_present.append(flags.session_present)
            self.connected.set()

    def _on_disconnect(self, *_: object) -> None:
        if self.connected.is_set():
            self.disconnects += 1

    def sub(self, topic: str) -> None:
        done = threading.Event()
        self.c.on_subscribe = lambda *_: done.set()
        self.c.subscribe(topic, qos=1)
        assert done.wait(5), f"no SUBACK for {topic}"

    def pub(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.c.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


class UnitBroker(ConfBroker):
    """A station unit's own broker on a given config (gymctl's bridge config), started as production
    starts it: the config root:mosquitto 0640 as the station README installs it, nothing added."""


REDIS_USER = "redis"  # the Debian package's user: its unit starts redis-server as it (User=redis)


class DebianRedis(PrivateServer):
    """redis-server as Debian's unit runs it: as the `redis` user, on a redis.conf that names the site's
    ACL file (`aclfile`, gymctl's users.acl: root:redis 0640), in a data folder of its own."""

    name = "redis"

    def __init__(self, workdir: Path, port: int, aclfile: Path | None, extra: str = "") -> None:
        super().__init__(workdir, port)
        self.data = workdir / "data"
        self.conf_text = "\n".join([f"port {port}", "bind 127.0.0.1", f"dir {self.data}", "appendonly yes",
                                    "daemonize no", *([f"aclfile {aclfile}"] if aclfile else []), extra, ""])
        self.binary = _find("redis-server", "redis-server")
        self.user = pwd.getpwnam(REDIS_USER) if os.geteuid() == 0 else None
        owned_dir(self.data, self.user)

    def command(self) -> list[str]:
        conf = write_config(self.dir / "redis.conf", self.conf_text, self.user)
        if self.user is None:
            return [self.binary, str(conf)]
        setpriv = _find("setpriv", "util-linux")
        return [setpriv, f"--reuid={REDIS_USER}", f"--regid={REDIS_USER}", "--init-groups", self.binary, str(conf)]
