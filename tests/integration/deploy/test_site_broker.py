"""The site broker as gymctl provisions it, on the real mosquitto: who may connect, publish and read."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from services.gymctl.__main__ import main as gymctl
from services.gymctl.site import SiteState, read_env, render_broker_conf
from shared.mqtt import unique_client_id
from shared.servers import PrivateServer, _find, free_port
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


class SiteBroker(PrivateServer):
    """mosquitto started with the config gymctl renders (the tests' copy adds only `user root`)."""

    name = "site-mosquitto"

    def __init__(self, state: SiteState, workdir: Path, port: int) -> None:
        super().__init__(workdir, port)
        self.state = state
        self.pid_file = workdir / "mosquitto.pid"
        self.binary = _find("mosquitto", "mosquitto")

    def command(self) -> list[str]:
        cfg = self.state.load()
        conf = render_broker_conf(self.state, cfg, bind="127.0.0.1", data_dir=str(self.dir),
                                  pid_file=str(self.pid_file), run_as="root" if os.geteuid() == 0 else "")
        path = self.dir / "mosquitto.conf"
        path.write_text(conf)
        return [self.binary, "-c", str(path)]


@dataclass
class Peer:
    """A bare paho client with an account's credentials; records what it receives."""

    port: int
    user: str | None
    password: str | None
    got: list[tuple[str, bytes]] = field(default_factory=list)
    rc: list[str] = field(default_factory=list)
    disconnects: int = 0

    def __post_init__(self) -> None:
        self.connected = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id(self.user or "anon"),
                             protocol=mqtt.MQTTv5)
        if self.user:
            self.c.username_pw_set(self.user, self.password)
        self.c.on_connect = self._on_connect
        self.c.on_message = lambda _c, _u, m: self.got.append((m.topic, bytes(m.payload)))
        self.c.on_disconnect = self._on_disconnect
        self.c.connect("127.0.0.1", self.port)
        self.c.loop_start()

    def _on_connect(self, _c: object, _u: object, _f: object, rc: mqtt.ReasonCode, _p: object) -> None:
        self.rc.append(str(rc))
        if not rc.is_failure:
            self.connected.set()

    def _on_disconnect(self, *_: object) -> None:
        if self.connected.is_set():
            self.disconnects += 1

    def sub(self, topic: str) -> None:
        done = threading.Event()
        self.c.on_subscribe = lambda *_: done.set()
        self.c.subscribe(topic, qos=1)
        assert done.wait(5), f"no SUBACK for {topic}"

    def pub(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[SiteState, SiteBroker]]:
    state = SiteState(tmp_path / "state")
    port = free_port()
    assert gymctl(["--state-dir", str(state.root), "init", "--site", "main", "--broker-host", "127.0.0.1",
                   "--broker-port", str(port)]) == 0
    for st in ("st-01", "st-02"):
        assert gymctl(["--state-dir", str(state.root), "station", "add", st]) == 0
    broker = SiteBroker(state, tmp_path / "broker", port)
    broker.start()
    yield state, broker
    broker.kill()


def account(state: SiteState, name: str) -> tuple[str, str]:
    env = read_env(state.env_file(name))
    return env["GYM_MQTT_USERNAME"], env["GYM_MQTT_PASSWORD"]


def test_anonymous_and_wrong_passwords_are_refused(site) -> None:
    _state, broker = site
    anon = Peer(broker.port, None, None)
    wrong = Peer(broker.port, "st-01", "not-the-password")
    wait_for(lambda: anon.rc and wrong.rc, what="CONNACKs")
    assert not anon.connected.is_set() and not wrong.connected.is_set()
    assert anon.rc[0] in ("Not authorized", "Bad user name or password")
    anon.close()
    wrong.close()


def test_a_station_reaches_only_its_own_topics_and_the_services_reach_all(site) -> None:
    state, broker = site
    a = Peer(broker.port, *account(state, "st-01"))
    b = Peer(broker.port, *account(state, "st-02"))
    prog = Peer(broker.port, *account(state, "progression"))
    for p in (a, b, prog):
        assert p.connected.wait(5), p.rc
    prog.sub("gym/v1/main/#")
    a.sub("gym/v1/main/st-02/#")  # asked for, but the ACL delivers nothing of st-02's
    b.sub("gym/v1/main/st-02/#")
    a.pub("gym/v1/main/st-02/camera/rep", b"forged by st-01")  # refused: not st-01's prefix
    a.pub("gym/v1/main/st-01/camera/rep", b"st-01 own")
    b.pub("gym/v1/main/st-02/camera/rep", b"st-02 own")
    wait_for(lambda: len(prog.got) >= 2, what="the two allowed events at the site service")
    prog.pub("gym/v1/main/st-02/kiosk/cue", b"from the site")
    wait_for(lambda: any(p == b"from the site" for _, p in b.got), what="the site's answer at st-02")
    assert sorted(p for _, p in prog.got if p != b"from the site") == [b"st-01 own", b"st-02 own"]
    assert a.got == []  # st-01 read nothing of st-02's: not its events, not the site's cue
    assert b"forged by st-01" not in [p for _, p in b.got]
    for p in (a, b, prog):
        p.close()


def test_adding_a_station_and_reloading_keeps_the_others_connected(site) -> None:
    state, broker = site
    a = Peer(broker.port, *account(state, "st-01"))
    assert a.connected.wait(5)
    a.sub("gym/v1/main/st-01/#")
    assert gymctl(["--state-dir", str(state.root), "station", "add", "st-03"]) == 0
    late = Peer(broker.port, *account(state, "st-03"))
    wait_for(lambda: late.rc, what="st-03's CONNACK before the reload")
    assert not late.connected.is_set()  # the broker does not know st-03 yet
    late.close()
    assert gymctl(["--state-dir", str(state.root), "reload", "--pid-file", str(broker.pid_file)]) == 0
    c = wait_for(lambda: (lambda p: p if p.connected.wait(0.5) else p.close())(
        Peer(broker.port, *account(state, "st-03"))), timeout=10, what="st-03 accepted after the reload")
    c.pub("gym/v1/main/st-03/camera/rep", b"hello")
    a.pub("gym/v1/main/st-01/camera/rep", b"still here")
    wait_for(lambda: a.got, what="st-01 still served after the reload")
    assert a.disconnects == 0
    assert gymctl(["--state-dir", str(state.root), "station", "remove", "st-03"]) == 0
    assert "st-03" not in state.acl.read_text() and "st-03" not in state.passwd.read_text()
    a.close()
    c.close()
