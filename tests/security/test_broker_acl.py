"""Finding 8: a station could publish the site's judgement (a passing `rep.verdict`, a summary, a
recommendation, a member profile) on its own topics, and the dashboard showed it. The ACL gymctl
renders now grants by event type (shared/topics.py WRITERS), checked on the real mosquitto started
as production starts it."""

from __future__ import annotations

import time

import pytest

from shared import contract as c
from shared.topics import ACCOUNT_KINDS, STATION, WRITERS, topic_for
from tests.conftest import wait_for
from tests.integration.deploy.production import Peer, Site
from tests.samples import SAMPLES

pytestmark = pytest.mark.integration


def event(event_type: str, station: str, data: c.Model | None = None) -> tuple[str, bytes]:
    ev = c.make_event(event_type, "main", station, data or SAMPLES[event_type])
    return topic_for(ev), ev.to_json()


def connected(*peers: Peer) -> None:
    for p in peers:
        assert p.connected.wait(5), p.rc


def test_a_stations_forged_passing_verdict_reaches_no_one(site: Site) -> None:
    watch = Peer(site.services_port, *site.account("dashboard"))  # what the dashboard reads
    st01 = Peer(site.broker.port, *site.account("st-01"))
    connected(watch, st01)
    watch.sub("gym/v1/main/#")
    forged = c.RepVerdict(session_id="s-1", set_index=1, leg=c.Leg.LEFT, rep_index=1, start_t=0.0, end_t=4.0,
                          passed=True, faults=[], sensors=[c.Sensor.CAMERA, c.Sensor.LOAD], verified=True)
    for t, data in (("rep.verdict", forged), ("set.summary", None), ("recommendation", None),
                    ("member.profile", None)):
        st01.pub(*event(t, "st-01", data))
    st01.pub(*event("camera.rep", "st-01"))  # the station's own kind of event, sent last, arrives
    wait_for(lambda: any(t.endswith("/camera/rep") for t, _ in watch.got), what="st-01's camera.rep")
    assert [t for t, _ in watch.got] == ["gym/v1/main/st-01/camera/rep"]  # none of the forged judgement
    prog = Peer(site.services_port, *site.account("progression"))
    connected(prog)
    prog.pub(*event("rep.verdict", "st-01"))  # the one account that judges
    wait_for(lambda: any(t.endswith("/rep/verdict") for t, _ in watch.got), what="progression's verdict")
    for p in (watch, st01, prog):
        p.close()


def test_each_account_publishes_exactly_the_event_types_of_the_writer_table(site: Site) -> None:
    watch = Peer(site.services_port, *site.account("progression"))
    publishers = {STATION: Peer(site.broker.port, *site.account("st-01")),
                  "progression": Peer(site.services_port, *site.account("progression")),
                  "dashboard": Peer(site.services_port, *site.account("dashboard"))}
    connected(watch, *publishers.values())
    watch.sub("gym/v1/main/#")
    sent: dict[bytes, tuple[str, str]] = {}
    for kind in ACCOUNT_KINDS:
        for t in WRITERS:
            # A service's own status and dead letters live under the station id "site"; the rest on st-01's topics.
            station = "site" if kind != STATION and t in ("station.status", "dead.letter") else "st-01"
            topic, payload = event(t, station)
            sent[payload] = (kind, t)
            publishers[kind].pub(topic, payload)
    marker = event("camera.pose", "st-01")
    publishers[STATION].pub(*marker)
    wait_for(lambda: any(p == marker[1] for _, p in watch.got), what="the last publish through")
    time.sleep(0.3)  # publishers differ: give the others' last messages the same moment to land
    delivered = {sent[p] for _, p in watch.got if p in sent}
    expected = {(k, t) for k in ACCOUNT_KINDS for t in WRITERS if k in WRITERS[t]}
    assert delivered == expected, {"refused but allowed": expected - delivered, "forged": delivered - expected}
    for p in (watch, *publishers.values()):
        p.close()


def test_a_station_reads_what_is_addressed_to_it_and_nothing_of_another(site: Site) -> None:
    st02 = Peer(site.broker.port, *site.account("st-02"))
    prog = Peer(site.services_port, *site.account("progression"))
    dash = Peer(site.services_port, *site.account("dashboard"))
    connected(st02, prog, dash)
    st02.sub("gym/v1/main/#")  # asks for the whole site: the broker hands over only its own topics
    prog.pub(*event("rep.verdict", "st-01"))
    prog.pub(*event("member.profile", "st-02"))
    dash.pub(*event("kiosk.cue", "st-02"))
    wait_for(lambda: len(st02.got) >= 2, what="st-02's profile and cue")
    time.sleep(0.3)
    assert sorted(t for t, _ in st02.got) == ["gym/v1/main/st-02/kiosk/cue", "gym/v1/main/st-02/member/profile"]
    for p in (st02, prog, dash):
        p.close()
