"""Many sites on the existing engines (issue 20, item 6).

Two sites, north and south, each provisioned by gymctl (TLS with its own CA, one station st-01 — the same
id at both) and each bridged to a central broker with the repository's broker/central-bridge.conf filled
in as the operator fills it in: the site's id, the centre's address, the site's password there and the
centre's CA. Mosquitto stands in for the chain's EMQX (the same MQTT 3.1.1 bridge, over TLS to the
centre's listener). Every broker is started as production starts it: as root it drops to `mosquitto`,
which reads its files (root:mosquitto 0640, in folders it may pass through); no `user root`. Each site
runs its own Redis (as Debian runs it, on gymctl's ACL) and its own progression worker, on the env file
gymctl wrote for it.

- A rep at each site is judged there, and its verdict reaches the centre under its own site id.
- The centre cut (its broker stopped): each site goes on judging its reps; the centre back, what was
  judged meanwhile arrives, each verdict once.
- The dashboard in central mode (GYM_DASHBOARD_CENTRAL) on the centre's broker: both sites' st-01 on one
  floor without colliding, a fleet per site, and no request that would change a site.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.dashboard.app import CENTRAL_NOT_HERE, CENTRAL_READ_ONLY, bootstrap
from services.dashboard.config import DashboardSettings
from services.dashboard.users import Role, UserStore
from services.gymctl.__main__ import main as gymctl
from services.gymctl.passwd import hash_password
from services.gymctl.site import MAX_PACKET_BYTES, SiteState, read_env
from services.procs import Child, service_env
from shared import contract as c
from shared.mqtt import MqttBus
from shared.servers import PrivateRedis, free_port
from shared.settings import Settings
from shared.store import connect
from shared.topics import status_topic, topic_filter
from tests.conftest import wait_for
from tests.dashboard import csrf_of
from tests.integration.deploy.production import DebianRedis, Peer, ProductionBroker
from tests.measured import camera_metrics
from tests.unit.progression.test_engine import EX
from tests.wire import ConfBroker, broker_reachable_dir, broker_user_if_root, make_certs, write_broker_readable

pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is needed")]

REPO = Path(__file__).resolve().parents[3]
SITES = ("north", "south")
STATION = "st-01"  # the same station id at every site: the centre must keep them apart
CENTRAL_SITE = "central"  # the centre's own services' site id (its dashboard's status, its Redis keys)
VERDICTS = topic_filter("rep.verdict")  # every site's, every station's
PASSWORD = "a chain manager's long password"


# ------------------------------------------------------------------ the centre (standing in for EMQX)

@dataclass
class Centre:
    root: Path
    tls_port: int  # the sites' bridges, over TLS with the centre's own CA
    local_port: int  # the centre's own services on its host (the central dashboard, a watcher)
    passwords: dict[str, str]
    broker: ConfBroker

    @property
    def ca(self) -> Path:
        return self.root / "certs" / "ca.crt"


def central_acl() -> str:
    """Each site's bridge writes only its own site's topics and reads only the cues for it; the central
    dashboard reads every site and writes only its own status; the watcher (this test's eye) reads."""
    lines: list[str] = []
    for site in SITES:
        lines += [f"user site-{site}", f"topic write gym/v1/{site}/#", f"topic read gym/v1/{site}/+/kiosk/cue", ""]
    lines += ["user dashboard", "topic read gym/v1/#", f"topic write {status_topic(CENTRAL_SITE, 'site', '+')}",
              f"topic write gym/v1/{CENTRAL_SITE}/site/dead/letter", "",
              "user watch", "topic read gym/v1/#", ""]
    return "\n".join(lines)


@contextmanager
def centre_running(root: Path) -> Iterator[Centre]:
    certs = make_certs(root / "certs")
    etc = root / "etc"
    etc.mkdir()
    passwords = {name: os.urandom(18).hex() for name in (*(f"site-{s}" for s in SITES), "dashboard", "watch")}
    passwd = write_broker_readable(etc / "passwd", "".join(f"{u}:{hash_password(p)}\n" for u, p in passwords.items()))
    acl = write_broker_readable(etc / "acl", central_acl())
    tls_port, local_port = free_port(), free_port()
    data = root / "data"
    conf = "\n".join([
        "per_listener_settings false", "allow_anonymous false", f"password_file {passwd}", f"acl_file {acl}",
        # The bridges' sessions (their cue subscriptions) and the watcher's survive the centre's restart.
        "persistence true", f"persistence_location {data}/", "autosave_interval 10",
        f"max_packet_size {MAX_PACKET_BYTES}",
        f"listener {tls_port} 127.0.0.1", f"cafile {certs / 'ca.crt'}", f"certfile {certs / 'server.crt'}",
        f"keyfile {certs / 'server.key'}", "tls_version tlsv1.2",
        f"listener {local_port} 127.0.0.1", ""])
    broker = ConfBroker("central-mosquitto", data, local_port, conf)
    broker.start()
    try:
        yield Centre(root, tls_port, local_port, passwords, broker)
    finally:
        broker.kill()


# ------------------------------------------------------------------ a site, bridged

def central_bridge(site_id: str, centre: Centre) -> str:
    """broker/central-bridge.conf filled in as the operator fills it in."""
    text = (REPO / "broker" / "central-bridge.conf").read_text()
    for blank, value in {"CENTRAL_HOST:8883": f"127.0.0.1:{centre.tls_port}",
                         "SITE_PASSWORD": centre.passwords[f"site-{site_id}"],
                         "/etc/gym/central-ca.crt": str(centre.ca), "SITE": site_id}.items():
        assert blank in text, f"broker/central-bridge.conf has no {blank}"
        text = text.replace(blank, value)
    return text


class BridgedSiteBroker(ProductionBroker):
    """The site's broker on `gymctl broker-config --include-dir`, the folder holding the central bridge."""

    def __init__(self, state: SiteState, data: Path, port: int, certs: Path, include_dir: Path) -> None:
        super().__init__(state, data, port, certs)
        self.include_dir = include_dir

    def command(self) -> list[str]:
        assert gymctl(["--state-dir", str(self.state.root), "broker-config", "--bind", self.bind,
                       "--data-dir", str(self.dir), "--pid-file", str(self.pid_file), "--certs-dir",
                       str(self.certs), "--include-dir", str(self.include_dir)]) == 0
        return [self.binary, "-c", str(self.state.conf)]


@dataclass
class Site:
    site_id: str
    state: SiteState
    broker: BridgedSiteBroker
    progression: Child
    station: MqttBus
    verdicts: list[c.RepVerdictEvent] = field(default_factory=list)  # what came back to the station

    def account(self, name: str) -> tuple[str, str]:
        env = read_env(self.state.env_file(name))
        return env["GYM_MQTT_USERNAME"], env["GYM_MQTT_PASSWORD"]

    def heard(self, ev: c.Envelope) -> None:
        assert isinstance(ev, c.RepVerdictEvent)
        self.verdicts.append(ev)

    def rep(self, session_id: str, rep_index: int) -> None:
        """A member's rep at the station, as its kiosk, camera and load cell report it (a new session's first)."""
        bus, t = self.station, 100.0 + 10 * rep_index
        bus.emit("session.started", c.SessionStarted(session_id=session_id, member_id=f"guest-{rep_index}",
                                                     member_name="Ann Lee", exercise=EX, goal="strength_control",
                                                     leg_order=[c.Leg.LEFT, c.Leg.RIGHT]))
        bus.emit("set.started", c.SetStarted(session_id=session_id, set_index=1, leg=c.Leg.LEFT, weight_kg=10,
                                             target_reps=6))
        bus.emit("camera.rep", c.CameraRep(leg=c.Leg.LEFT, rep_index=1, start_t=t, end_t=t + 3.5, concentric_s=1,
                                           top_hold_s=0.5, eccentric_s=2.2, metrics=camera_metrics(())))
        bus.emit("load.rep", c.LoadRep(rep_index=1, start_t=t + 0.1, end_t=t + 3.4, concentric_s=1,
                                       eccentric_s=2.1, peak_force_n=120, load_kg=10))

    def judged(self, session_id: str) -> c.RepVerdictEvent:
        """The verdict of `session_id`'s rep, back at the station: judged at this site."""
        return wait_for(lambda: next((v for v in list(self.verdicts) if v.data.session_id == session_id), None),
                        timeout=45, what=f"{self.site_id}'s verdict of {session_id} at its station; "
                                         f"progression:\n{self.progression.tail()}")


def progression_online(site: str, port: int, account: tuple[str, str], worker: Child) -> None:
    """The worker's retained status says online (it is subscribed): read with a site service's account on
    the site's loopback listener (the site refuses anonymous clients, so procs.wait_online cannot)."""
    peer = Peer(port, *account)
    try:
        assert peer.connected.wait(10), peer.rc
        peer.sub(status_topic(site, "site", "progression"))

        def online() -> bool:
            assert worker.alive(), worker.tail()
            for _topic, payload in list(peer.got):
                ev = c.parse_event(payload)
                if (isinstance(ev, c.StationStatusEvent) and ev.data.state is c.ServiceState.ONLINE
                        and ev.ts.timestamp() >= worker.started - 1.0):
                    return True
            return False

        wait_for(online, timeout=30, what=f"{site}'s progression online:\n{worker.tail()}")
    finally:
        peer.close()


@contextmanager
def site_running(site_id: str, root: Path, centre: Centre) -> Iterator[Site]:
    certs = make_certs(root / "certs")
    state = SiteState(root / "state")
    port, services, tls_port, redis_port = free_port(), free_port(), free_port(), free_port()
    assert gymctl(["--state-dir", str(state.root), "init", "--site", site_id, "--broker-host", "127.0.0.1",
                   "--broker-port", str(port), "--services-port", str(services), "--tls-port", str(tls_port),
                   "--tls-ca", str(certs / "ca.crt"), "--redis-url", f"redis://127.0.0.1:{redis_port}/0"]) == 0
    assert gymctl(["--state-dir", str(state.root), "station", "add", STATION]) == 0
    conf_d = root / "conf.d"  # /etc/mosquitto/conf.d: root:mosquitto 0750, the bridge root:mosquitto 0640
    conf_d.mkdir(mode=0o750)
    if (user := broker_user_if_root()) is not None:
        os.chown(conf_d, 0, user.pw_gid)
    write_broker_readable(conf_d / "central-bridge.conf", central_bridge(site_id, centre))
    with ExitStack() as stack:
        broker = BridgedSiteBroker(state, root / "data", port, certs, conf_d)
        broker.start()
        stack.callback(broker.kill)
        redis = DebianRedis(root / "redis", redis_port, state.redis_acl)
        redis.start()
        stack.callback(redis.kill)
        (root / "logs").mkdir()
        env = {**service_env(), **read_env(state.env_file("progression"))}  # its unit's EnvironmentFile
        worker = Child(f"progression-{site_id}", ["services.progression", "run"], env, root / "logs")
        stack.callback(worker.stop)
        station_env = read_env(state.env_file(STATION))
        station = MqttBus(Settings(_env_file=None, **{k.removeprefix("GYM_").lower(): v  # type: ignore[arg-type]
                                                      for k, v in station_env.items()}), "kiosk")
        site = Site(site_id, state, broker, worker, station)
        station.subscribe("rep.verdict", site.heard, site_id=site_id, station_id=STATION)
        assert station.start(), f"{site_id}'s station not connected"
        stack.callback(station.stop)
        progression_online(site_id, port, site.account("dashboard"), worker)
        yield site


@dataclass
class Chain:
    centre: Centre
    sites: dict[str, Site]
    watch: Peer  # on the centre: every verdict that arrives there, in a session that outlives a restart
    web: TestClient  # the central dashboard (GYM_DASHBOARD_CENTRAL), on the centre's broker and its own Redis


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with ExitStack() as stack:
        root = stack.enter_context(broker_reachable_dir("gym-chain-"))
        centre = stack.enter_context(centre_running(root / "centre"))
        (root / "sites").mkdir()
        sites = {}
        for s in SITES:
            (root / "sites" / s).mkdir()
            sites[s] = stack.enter_context(site_running(s, root / "sites" / s, centre))
        watch = Peer(centre.local_port, "watch", centre.passwords["watch"], client_id="centre-watch",
                     clean_start=False)
        stack.callback(watch.close)
        assert watch.connected.wait(10), watch.rc
        watch.sub(VERDICTS)
        redis = PrivateRedis(root / "centre-redis").start()
        stack.callback(redis.kill)
        users = UserStore(connect(redis.url), CENTRAL_SITE)
        users.add("tina", Role.TRAINER, PASSWORD)
        users.add("olga", Role.OPERATOR, PASSWORD)
        # As production runs it: over TLS with the centre's CA, and no site secret (the centre keeps no badges).
        settings = DashboardSettings(_env_file=None, environment="production", site_id=CENTRAL_SITE,
                                     mqtt_port=centre.tls_port, mqtt_tls_ca=centre.ca, mqtt_username="dashboard",
                                     mqtt_password=centre.passwords["dashboard"], redis_url=redis.url,
                                     dashboard_secret_key=os.urandom(24).hex(),
                                     dashboard_central=True, mqtt_keepalive_s=5, dashboard_tick_s=0.02)
        web = stack.enter_context(TestClient(bootstrap(settings), base_url="https://testserver"))  # Secure cookies
        wait_for(lambda: web.app.state.live.mqtt_connected, what="the central dashboard on the centre's broker")  # type: ignore[attr-defined]
        yield Chain(centre, sites, watch, web)


@pytest.fixture(scope="module")
def first_reps(chain: Chain) -> dict[str, c.RepVerdictEvent]:
    """A rep at each site's st-01, judged there: the verdict its station got back."""
    for s, site in chain.sites.items():
        site.rep(f"{s}-first", 1)
    return {s: site.judged(f"{s}-first") for s, site in chain.sites.items()}


def sign_in(web: TestClient, name: str) -> str:
    """Sign in at the central dashboard; the session's CSRF token."""
    web.cookies.clear()
    r = web.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf_of(web.get("/login").text),
                                 "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(web.get("/", headers={"accept": "text/html"}).text)


def arrived(chain: Chain) -> list[c.RepVerdictEvent]:
    """The verdicts the centre's watcher received, each checked to be on its own site's topic."""
    out = []
    for topic, payload in list(chain.watch.got):
        ev = c.parse_event(payload)
        assert isinstance(ev, c.RepVerdictEvent)
        assert topic == f"gym/v1/{ev.site_id}/{ev.station_id}/rep/verdict", topic
        out.append(ev)
    return out


# ------------------------------------------------------------------ the tests

def test_the_bridge_is_the_repository_template_with_only_its_blanks_filled_in(chain: Chain) -> None:
    for s, site in chain.sites.items():
        conf = (site.broker.include_dir / "central-bridge.conf").read_text()
        settings = [ln for ln in conf.splitlines() if ln.strip() and not ln.startswith("#")]
        assert f"remote_username site-{s}" in settings and f"address 127.0.0.1:{chain.centre.tls_port}" in settings
        assert not [ln for ln in settings if any(b in ln for b in ("SITE", "CENTRAL", "/etc/gym"))], settings
        assert f"include_dir {site.broker.include_dir}" in site.state.conf.read_text()


def test_deploy_docs_many_sites_says_what_this_test_does() -> None:
    """docs/DEPLOY.md's "Many sites": the blanks this test fills, the install mode, the include, the centre's ACL."""
    doc = (REPO / "docs" / "DEPLOY.md").read_text()
    section = doc[doc.index("## Many sites"):doc.index("## Monitoring")]
    for said in ("`SITE`", "`CENTRAL_HOST:8883`", "`SITE_PASSWORD`", "`/etc/gym/central-ca.crt`", "0640",
                 "`root:mosquitto`", "--include-dir", "GYM_DASHBOARD_CENTRAL=true", "deploy/test_central.py"):
        assert said in section, said
    acl = [ln.strip() for ln in section.splitlines() if ln.startswith("      ") and ln.strip()]
    assert acl and set(acl) <= set(central_acl().splitlines()), acl  # the rules the stand-in runs on


def test_each_sites_rep_is_judged_there_and_reaches_the_centre_with_its_site_id(
        chain: Chain, first_reps: dict[str, c.RepVerdictEvent]) -> None:
    local = first_reps
    for s, v in local.items():
        assert (v.site_id, v.station_id, v.data.rep_index) == (s, STATION, 1)

    def both() -> list[c.RepVerdictEvent] | None:
        got = [v for v in arrived(chain) if v.event_id in {x.event_id for x in local.values()}]
        return got if len(got) == 2 else None

    at_centre = wait_for(both, timeout=30, what="both sites' verdicts at the centre")
    assert {(v.site_id, v.station_id, v.data.session_id) for v in at_centre} == \
        {(s, STATION, f"{s}-first") for s in SITES}


def test_the_central_floor_shows_every_sites_station_apart_without_names(
        chain: Chain, first_reps: dict[str, c.RepVerdictEvent]) -> None:
    sign_in(chain.web, "tina")

    def tiles() -> dict[str, dict[str, Any]] | None:
        got = {t["key"]: t for t in chain.web.get("/api/v1/stations").json()}
        ready = all(isinstance(got.get(f"{s}/{STATION}", {}).get("last_verdict"), dict) for s in SITES)
        return got if ready else None

    got = wait_for(tiles, timeout=30, what="both sites' st-01 with their verdicts on the central floor")
    for s in SITES:
        t = got[f"{s}/{STATION}"]
        assert (t["site_id"], t["station_id"], t["state"]) == (s, STATION, "online")  # its kiosk's forwarded status
        assert t["member_id"] == "guest-1" and t["member_name"] == ""  # the site keeps names; the centre does not
        assert t["set_index"] == 1 and t["reps"] == 1  # the set's start came through the bridge with the verdict
        assert t["passed_reps"] + t["failed_reps"] + t["unverified_reps"] == 1
        assert t["last_verdict"]["rep_index"] == first_reps[s].data.rep_index
    assert STATION not in got  # no tile under the bare station id: st-01 of one site never shadows another's
    page = chain.web.get("/", headers={"accept": "text/html"}).text
    assert 'data-central="1"' in page and "read-only" in page
    assert 'href="/members"' not in page and 'href="/reviews"' not in page  # the site's pages are not offered


def test_the_central_fleet_is_per_site(chain: Chain, first_reps: dict[str, c.RepVerdictEvent]) -> None:
    sign_in(chain.web, "olga")

    def fleet() -> dict[str, dict[str, Any]] | None:
        sites = {f["site_id"]: f for f in chain.web.get("/api/v1/fleet").json()["sites"]}
        ready = all(s in sites and sites[s]["stations"] and sites[s]["services"] for s in SITES)
        return sites if ready else None

    sites = wait_for(fleet, timeout=30, what="both sites' fleets at the centre")
    for s in SITES:
        assert {v["service"] for v in sites[s]["services"]} >= {"progression"}
        (station,) = sites[s]["stations"]
        assert (station["site_id"], station["station_id"], station["key"]) == (s, STATION, f"{s}/{STATION}")
        assert {v["service"] for v in station["services"]} == {"kiosk"}
    assert chain.web.get("/fleet", headers={"accept": "text/html"}).status_code == 200


def test_the_central_view_changes_nothing_at_any_site(chain: Chain) -> None:
    csrf = sign_in(chain.web, "olga")
    headers = {"x-csrf-token": csrf}
    cue = chain.web.post(f"/api/v1/stations/{STATION}/cues", json={"message": "Slow down"}, headers=headers)
    assert cue.status_code == 403 and cue.json()["detail"] == CENTRAL_READ_ONLY
    for method, path in (("PUT", "/api/v1/members/guest-1"), ("DELETE", "/api/v1/members/guest-1"),
                         ("POST", "/api/v1/members"), ("POST", f"/api/v1/stations/{STATION}/reviews"),
                         ("POST", "/lockouts/unlock")):
        r = chain.web.request(method, path, json={}, headers=headers)
        assert r.status_code == 403, (method, path, r.status_code)
    for path in (f"/stations/{STATION}", "/members", "/reviews", "/usage", f"/api/v1/stations/{STATION}"):
        r = chain.web.get(path, headers={"accept": "text/html"})
        assert r.status_code == 404 and "at each site" in r.text, (path, r.status_code)  # says where it is
    assert chain.web.get("/api/v1/members").json()["detail"] == CENTRAL_NOT_HERE
    with pytest.raises(PermissionError):  # nor can the live feed publish one, whatever asks it
        chain.web.app.state.live.send_cue(STATION, c.KioskCue(message="x", trainer="olga"))  # type: ignore[attr-defined]


def test_sites_cut_from_the_centre_keep_judging_and_catch_up_once_when_it_returns(chain: Chain) -> None:
    chain.centre.broker.stop()  # the link to the centre is down, for every site
    for s, site in chain.sites.items():
        site.rep(f"{s}-cut", 2)
    local = {s: site.judged(f"{s}-cut") for s, site in chain.sites.items()}  # judged at the site meanwhile
    assert not chain.centre.broker.running
    assert not [v for v in arrived(chain) if v.event_id in {x.event_id for x in local.values()}]

    chain.centre.broker.start()  # the link returns: the sites' bridges reconnect and forward their queue
    ids = {v.event_id for v in local.values()}
    wait_for(lambda: ids <= {v.event_id for v in arrived(chain)}, timeout=120,
             what="the verdicts judged while the centre was away, at the centre")
    for s, v in local.items():
        assert next(a for a in arrived(chain) if a.event_id == v.event_id).site_id == s
    time.sleep(2.0)  # time for a repeat, if the bridge sent one, to show
    counts = Counter(v.event_id for v in arrived(chain))
    assert all(n == 1 for n in counts.values()), counts  # nothing twice, before the cut or after it
