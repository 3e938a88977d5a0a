"""Finding 7: client ids were predictable (`{service}-{site}-{station}`) and not tied to the account, so
station B's credentials kicked the progression worker off and resumed another kiosk's persistent
session. On the real mosquitto with gymctl's config: the stations' listeners make a client's id its
account's name (`use_username_as_clientid`), and the site services' listener refuses stations."""

from __future__ import annotations

import time

import pytest

from shared.mqtt import unique_client_id
from tests.conftest import wait_for
from tests.integration.deploy.production import Peer, Site

pytestmark = pytest.mark.integration

KIOSK_A = "kiosk-main-st-01"  # shared/mqtt.py's MqttBus default for st-01's kiosk
WORKER = "progression-main-0"  # services/progression/service.py's id of worker 0


def test_station_b_cannot_take_over_station_as_kiosk_or_its_persistent_session(site: Site) -> None:
    kiosk = Peer(site.broker.port, *site.account("st-01"), client_id=KIOSK_A, clean_start=False)
    assert kiosk.connected.wait(5), kiosk.rc
    kiosk.sub("gym/v1/main/st-01/#")
    prog = Peer(site.services_port, *site.account("progression"))
    assert prog.connected.wait(5), prog.rc

    thief = Peer(site.broker.port, *site.account("st-02"), client_id=KIOSK_A, clean_start=False)
    assert thief.connected.wait(5), thief.rc
    assert thief.session_present == [False]  # it got a session of its own, not st-01's kiosk's
    prog.pub("gym/v1/main/st-01/rep/verdict", b"for st-01's kiosk")
    wait_for(lambda: kiosk.got, what="the verdict at st-01's kiosk, still connected")
    time.sleep(0.5)  # time for a kick-off, had there been one
    assert kiosk.disconnects == 0 and thief.got == []
    for p in (kiosk, prog, thief):
        p.close()


def test_station_credentials_cannot_kick_the_progression_worker_off(site: Site) -> None:
    worker = Peer(site.services_port, *site.account("progression"), client_id=WORKER, clean_start=False)
    assert worker.connected.wait(5), worker.rc
    worker.sub("gym/v1/main/+/camera/rep")
    # Station B tries the worker's id on both kinds of listener.
    on_stations = Peer(site.broker.port, *site.account("st-02"), client_id=WORKER)
    on_services = Peer(site.services_port, *site.account("st-02"), client_id=WORKER)
    wait_for(lambda: on_stations.rc and on_services.rc, what="both CONNACKs")
    assert not on_services.connected.is_set()  # a station's account does not exist on the services' listener
    assert on_services.rc[0] in ("Not authorized", "Bad user name or password")
    assert on_stations.connected.is_set()  # here it is let in, as itself
    on_stations.pub("gym/v1/main/st-02/camera/rep", b"a rep")
    wait_for(lambda: worker.got, what="the worker, still connected, gets st-02's rep")
    time.sleep(0.5)
    assert worker.disconnects == 0
    for p in (worker, on_stations, on_services):
        p.close()


def test_a_stations_clients_are_one_session_named_after_the_account(site: Site) -> None:
    """What the broker enforces, seen from the station's side: whatever id its client asks for, the
    session is `st-01`; a second connection with the account replaces the first (a unit has one: its bridge)."""
    first = Peer(site.broker.port, *site.account("st-01"), client_id=unique_client_id("bridge"))
    assert first.connected.wait(5), first.rc
    second = Peer(site.broker.port, *site.account("st-01"), client_id=unique_client_id("other"))
    assert second.connected.wait(5), second.rc
    wait_for(lambda: first.disconnects >= 1, what="the first connection replaced by the same account's second")
    first.c.reconnect_delay_set(60, 60)  # keep it from fighting back during the close
    for p in (first, second):
        p.close()
