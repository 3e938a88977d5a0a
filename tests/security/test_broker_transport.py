"""Finding 6 (issue 16) and issue 20 item 3: plain MQTT on the LAN. The broker gymctl rendered listened in
clear on every interface next to its TLS listener, and a site had TLS only if the operator made
certificates by hand and named them. Now `gymctl init` makes the site CA (its key to be carried off the
host) and the broker's certificate; the broker speaks TLS on the LAN and clear MQTT on loopback only; the
units and their bridges are told to use TLS. Checked on the real mosquitto, started as production starts
it, listening on every interface."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from services.gymctl import tls
from services.gymctl.site import read_env
from shared.mqtt import unique_client_id
from tests.integration.deploy.production import Site, provisioned_site

pytestmark = pytest.mark.integration


def lan_address() -> str | None:
    """This host's address on its network (no packet is sent), or None on a host with loopback only."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            addr: str = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


LAN = lan_address()


@pytest.fixture
def site() -> Iterator[Site]:
    extra = ("--tls-name", LAN) if LAN else ()
    with provisioned_site(("st-01",), site_ca=True, bind="", init_args=extra) as made:
        yield made


def test_init_makes_the_site_ca_and_tells_units_and_bridges_to_use_tls(site: Site) -> None:
    cfg = site.state.load()
    env = read_env(site.state.env_file("st-01"))
    assert env["GYM_MQTT_PORT"] == str(cfg.tls_port) and env["GYM_MQTT_TLS_CA"] == "/etc/gym/ca.crt"
    bridge = site.state.bridge_conf("st-01").read_text()
    assert f"address 127.0.0.1:{cfg.tls_port}\n" in bridge and "bridge_cafile /etc/gym/ca.crt\n" in bridge
    ca, server = tls.load(site.state.ca_cert), tls.load(site.state.broker_cert)
    assert tls.signed_by(server, ca) and "127.0.0.1" in tls.names(server)
    key = site.state.ca_key  # to be carried off the host: nobody but root may read it meanwhile
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(site.state.broker_key.stat().st_mode) & 0o007 == 0


def connects(host: str, port: int, *, ca: str | None = None, account: tuple[str, str] | None = None) -> bool:
    ok = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("probe"), protocol=mqtt.MQTTv5)
    if account:
        c.username_pw_set(*account)
    if ca:
        c.tls_set(ca_certs=ca)
    c.on_connect = lambda _c, _u, _f, rc, _p: ok.set() if not rc.is_failure else None
    try:
        c.connect(host, port)
    except (OSError, ssl.SSLError):
        return False
    c.loop_start()
    try:
        return ok.wait(5)
    finally:
        c.disconnect()
        c.loop_stop()


@pytest.mark.skipif(LAN is None, reason="this host has no address besides loopback")
def test_on_the_lan_the_broker_speaks_only_tls(site: Site) -> None:
    assert LAN is not None
    cfg = site.state.load()
    dash = site.account("dashboard")
    ca = str(site.state.ca_cert)
    assert not connects(LAN, cfg.broker_port, account=dash)  # no clear listener on the LAN
    assert connects(LAN, cfg.services_listener_port, ca=ca, account=dash)  # TLS, with the site CA
    assert connects(LAN, cfg.tls_port, ca=ca, account=site.account("st-01"))
    assert not connects(LAN, cfg.services_listener_port, account=dash)  # the same port in clear: no
    assert connects("127.0.0.1", cfg.broker_port, account=site.account("st-01"))  # clear on loopback only


def test_every_clear_listener_is_on_loopback(site: Site) -> None:
    """The rendered config itself: a listener without a certificate is bound to 127.0.0.1."""
    blocks = site.state.conf.read_text().split("\nlistener ")[1:]
    assert len(blocks) == 3
    for block in blocks:
        head = block.splitlines()[0].split()
        if "certfile" not in block:
            assert head[1:] == ["127.0.0.1"], block
        else:
            assert len(head) == 1  # TLS on every interface: the LAN


def test_a_unit_with_its_env_file_connects_only_with_a_certificate_from_the_site_ca(site: Site,
                                                                                     tmp_path: Path) -> None:
    cfg = site.state.load()
    env = read_env(site.state.env_file("st-01"))
    account = env["GYM_MQTT_USERNAME"], env["GYM_MQTT_PASSWORD"]
    assert connects("127.0.0.1", cfg.tls_port, ca=str(site.state.ca_cert), account=account)
    other = tmp_path / "other-ca.crt"  # an impostor's broker would present a certificate from another CA
    other.write_bytes(tls.make_ca("elsewhere").cert_pem)
    assert not connects("127.0.0.1", cfg.tls_port, ca=str(other), account=account)
    assert os.environ.get("GYM_MQTT_TLS_CA") is None  # nothing of the test's environment was relied upon
