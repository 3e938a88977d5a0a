"""The site broker as gymctl provisions it, on the real mosquitto started as production starts it (no
`user root`: as root it drops to `mosquitto` and reads gymctl's files as that user): who may connect,
publish and read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import wait_for
from tests.integration.deploy.production import Peer, Site, provisioned_site

pytestmark = pytest.mark.integration


@pytest.fixture
def site() -> Iterator[Site]:
    with provisioned_site() as made:
        yield made


def test_anonymous_and_wrong_passwords_are_refused(site: Site) -> None:
    broker = site.broker
    anon = Peer(broker.port, None, None)
    wrong = Peer(broker.port, "st-01", "not-the-password")
    wait_for(lambda: anon.rc and wrong.rc, what="CONNACKs")
    assert not anon.connected.is_set() and not wrong.connected.is_set()
    assert anon.rc[0] in ("Not authorized", "Bad user name or password")
    anon.close()
    wrong.close()


def test_a_station_reaches_only_its_own_topics_and_the_services_reach_all(site: Site) -> None:
    a = Peer(site.broker.port, *site.account("st-01"))
    b = Peer(site.broker.port, *site.account("st-02"))
    prog = Peer(site.services_port, *site.account("progression"))
    for p in (a, b, prog):
        assert p.connected.wait(5), p.rc
    prog.sub("gym/v1/main/#")
    a.sub("gym/v1/main/st-02/#")  # asked for, but the ACL delivers nothing of st-02's
    b.sub("gym/v1/main/st-02/#")
    a.pub("gym/v1/main/st-02/camera/rep", b"forged by st-01")  # refused: not st-01's prefix
    a.pub("gym/v1/main/st-01/camera/rep", b"st-01 own")
    b.pub("gym/v1/main/st-02/camera/rep", b"st-02 own")
    wait_for(lambda: len(prog.got) >= 2, what="the two allowed events at the site service")
    prog.pub("gym/v1/main/st-02/rep/verdict", b"from the site")  # progression answers st-02
    wait_for(lambda: any(p == b"from the site" for _, p in b.got), what="the site's answer at st-02")
    assert sorted(p for _, p in prog.got if p != b"from the site") == [b"st-01 own", b"st-02 own"]
    assert a.got == []  # st-01 read nothing of st-02's: not its events, not the site's answer
    assert b"forged by st-01" not in [p for _, p in b.got]
    for p in (a, b, prog):
        p.close()


def test_adding_a_station_and_reloading_keeps_the_others_connected(site: Site) -> None:
    state, broker = site.state, site.broker
    a = Peer(broker.port, *site.account("st-01"))
    assert a.connected.wait(5)
    a.sub("gym/v1/main/st-01/#")
    assert site.gymctl("station", "add", "st-03") == 0
    late = Peer(broker.port, *site.account("st-03"))
    wait_for(lambda: late.rc, what="st-03's CONNACK before the reload")
    assert not late.connected.is_set()  # the broker does not know st-03 yet
    late.close()
    # The broker re-reads the password file and ACL as its own user, not as root: gymctl made them readable.
    assert site.gymctl("reload", "--pid-file", str(broker.pid_file)) == 0
    c = wait_for(lambda: (lambda p: p if p.connected.wait(0.5) else p.close())(
        Peer(broker.port, *site.account("st-03"))), timeout=10, what="st-03 accepted after the reload")
    c.pub("gym/v1/main/st-03/camera/rep", b"hello")
    a.pub("gym/v1/main/st-01/camera/rep", b"still here")
    wait_for(lambda: a.got, what="st-01 still served after the reload")
    assert a.disconnects == 0
    assert site.gymctl("station", "remove", "st-03") == 0
    assert "st-03" not in state.acl.read_text() and "st-03" not in state.passwd.read_text()
    a.close()
    c.close()
