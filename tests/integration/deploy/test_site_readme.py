"""deploy/site/README.md followed command by command on this machine (tests/integration/deploy/machine.py
says what is mapped and how `systemctl` is played), then a station's unit broker bridged to the site
over TLS with the config gymctl rendered for it: a rep done at the station is judged by progression
(its verdict comes back to the station) and shown by the dashboard, served over HTTPS with Secure cookies
and HSTS. Then docs/DEPLOY.md's day-to-day commands, in order, on the same running site."""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from services.gymctl import tls
from services.gymctl.site import SiteState, read_env
from shared import contract as c
from shared.servers import free_port
from tests.conftest import wait_for
from tests.dashboard import csrf_of
from tests.integration.deploy.machine import REPO, SERVICE_USER, Machine, doc_commands, systemd_analyze
from tests.measured import camera_metrics
from tests.unit.progression.test_engine import EX
from tests.wire import ConfBroker, StationClient, broker_reachable_dir

pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the README's commands are run as root"),
              pytest.mark.skipif(not Path("/usr/sbin/mosquitto").exists() or shutil.which("redis-server") is None,
                                 reason="Debian's mosquitto and redis-server packages are needed")]

README = REPO / "deploy" / "site" / "README.md"
DEPLOY = REPO / "docs" / "DEPLOY.md"
PASSWORD = "a trainer's long password"


@pytest.fixture(scope="module")
def machine() -> Iterator[Machine]:
    with broker_reachable_dir("gym-machine-") as root:
        m = Machine(root)
        try:
            yield m
        finally:
            m.stop_all()


@pytest.fixture(scope="module")
def site(machine: Machine) -> SiteState:
    """Every command of the site README, in order."""
    commands = doc_commands(README)
    assert len(commands) >= 10 and commands[0].startswith(".venv/bin/python -m services.gymctl")
    for command in commands:
        if command.startswith("systemctl "):
            machine.systemctl(command)
            continue
        r = machine.run(command, env={"GYM_DASHBOARD_NEW_PASSWORD": PASSWORD})
        assert r.returncode == 0, f"`{command}` failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return SiteState(machine.path("/var/lib/gym"))


def test_the_readme_brings_up_a_site_whose_doctor_finds_nothing_to_fix(machine: Machine, site: SiteState) -> None:
    # The README's last command is doctor, run above: exit 0. Its report, again, says why.
    r = machine.run("/opt/gym/.venv/bin/python -m services.gymctl --state-dir /var/lib/gym doctor "
                    "--pid-file /run/mosquitto/mosquitto.pid")
    assert r.returncode == 0 and r.stdout.rstrip().endswith("all good"), r.stdout
    for name in ("mosquitto", "redis-server", "gym-progression@0", "gym-dashboard"):
        assert machine.alive(name), (name, machine.log(name)[-2000:])
    assert "Error" not in machine.log("mosquitto"), machine.log("mosquitto")  # it read every file gymctl wrote
    import pwd

    assert machine.uid("mosquitto") == pwd.getpwnam("mosquitto").pw_uid  # root dropped to mosquitto, as on Debian
    assert machine.uid("redis-server") == pwd.getpwnam("redis").pw_uid
    assert not site.ca_key.exists() and machine.path("/media/usb/gym-site-ca.key").exists()


def station_unit(machine: Machine, site: SiteState) -> ConfBroker:
    """st-01's unit: its broker on the config gymctl rendered (bridged to the site with TLS), the CA where the
    station README installs it, root:mosquitto 0640, started as Debian starts mosquitto (ConfBroker)."""
    conf = site.bridge_conf("st-01").read_text()
    assert "bridge_cafile /etc/gym/ca.crt" in conf and f":{machine.ports['tls']}\n" in conf  # TLS to the site
    port = free_port()
    data = machine.root / "unit-var-lib-mosquitto"
    conf = (conf.replace("/etc/gym/ca.crt", str(site.ca_cert)).replace("listener 1883 ", f"listener {port} ")
            .replace("/var/lib/mosquitto/", f"{data}/"))
    return ConfBroker("unit-mosquitto", data, port, conf)


def scripted_rep(station: StationClient) -> None:
    """A member's first rep at the station, as its kiosk, camera and load cell report it."""
    bus = station.bus
    bus.emit("session.started", c.SessionStarted(session_id="s-readme", member_id="guest-1", exercise=EX,
                                                 goal="strength_control", leg_order=[c.Leg.LEFT, c.Leg.RIGHT]))
    bus.emit("set.started", c.SetStarted(session_id="s-readme", set_index=1, leg=c.Leg.LEFT, weight_kg=10,
                                         target_reps=6))
    bus.emit("camera.rep", c.CameraRep(leg=c.Leg.LEFT, rep_index=1, start_t=100.0, end_t=103.5, concentric_s=1,
                                       top_hold_s=0.5, eccentric_s=2.2, metrics=camera_metrics(())))
    bus.emit("load.rep", c.LoadRep(rep_index=1, start_t=100.1, end_t=103.4, concentric_s=1, eccentric_s=2.1,
                                   peak_force_n=120, load_kg=10))


def test_a_stations_rep_is_judged_and_shown_on_the_dashboard_over_https(machine: Machine, site: SiteState) -> None:
    unit = station_unit(machine, site)
    unit.start()
    station = StationClient(unit.port, ("rep.verdict",), "st-01")  # the unit's services: its own broker
    try:
        scripted_rep(station)
        wait_for(lambda: station.of(c.RepVerdictEvent), timeout=45,
                 what=f"the verdict back at the station; progression:\n{machine.log('gym-progression@0')[-1500:]}")
        verdict = station.of(c.RepVerdictEvent)[0]
        assert verdict.rep_index == 1 and verdict.leg == c.Leg.LEFT

        ca = ssl.create_default_context(cafile=str(site.ca_cert))  # a tablet with the site CA installed
        base = f"https://127.0.0.1:{machine.ports['dashboard']}"
        with httpx.Client(base_url=base, verify=ca, timeout=20, headers={"accept": "text/html"}) as web:
            login = web.get("/login")
            assert login.headers["strict-transport-security"].startswith("max-age=")
            r = web.post("/login", data={"username": "olga", "password": PASSWORD,
                                         "csrf_token": csrf_of(login.text), "next": "/"})
            assert r.status_code == 303, r.text[:300]
            assert re.search(r"(?i);\s*secure", r.headers["set-cookie"]), r.headers["set-cookie"]

            def shown() -> list[dict[str, object]] | None:
                reps = web.get("/api/v1/stations/st-01", headers={"accept": "application/json"}).json()["reps"]
                return reps or None

            reps = wait_for(shown, timeout=20, what="the rep on the dashboard's station page")
            assert len(reps) == 1, reps
        with pytest.raises(httpx.TransportError):  # plain HTTP is not served
            httpx.get(f"http://127.0.0.1:{machine.ports['dashboard']}/health", timeout=5).raise_for_status()
    finally:
        station.bus.stop()
        unit.kill()


def test_the_dashboards_key_is_readable_by_its_service_user_only(site: SiteState) -> None:
    import grp
    import pwd
    import stat

    st = site.dashboard_key.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0
    assert st.st_gid == pwd.getpwnam(SERVICE_USER).pw_gid, grp.getgrgid(st.st_gid).gr_name


def test_the_deploy_docs_day_to_day_commands_run_on_the_site(machine: Machine, site: SiteState) -> None:
    """docs/DEPLOY.md's provisioning block, as one shell session (its first line defines `gymctl`)."""
    commands = doc_commands(DEPLOY)
    assert commands[0].startswith("gymctl() {")
    old_serial = tls.load(site.broker_cert).serial_number
    r = machine.run("\n".join(commands))
    assert r.returncode == 0, f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "st-07" not in site.stations() and "st-07" not in site.acl.read_text()
    assert "gymctl" not in r.stdout.splitlines()  # `station list`: stations only
    assert list(machine.path("/var/backups").glob("gym-*.redis"))
    assert tls.load(site.broker_cert).serial_number != old_serial  # renewed
    # The renewal's "then restart mosquitto and gym-dashboard": the broker serves the new certificate.
    machine.systemctl("systemctl restart mosquitto gym-dashboard")
    machine.wait_up("mosquitto", machine.ports["tls"])
    served = ssl.get_server_certificate(("127.0.0.1", machine.ports["tls"]))
    assert x509.load_pem_x509_certificate(served.encode()).serial_number == tls.load(site.broker_cert).serial_number
    machine.wait_up("gym-dashboard", machine.ports["dashboard"])
    assert read_env(site.env_file("dashboard"))["GYM_DASHBOARD_TLS_CERTFILE"] == str(site.dashboard_cert)


@pytest.mark.skipif(systemd_analyze() is None, reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Installed as the README installs them; the interpreter is this machine's (no /opt/gym here)."""
    units = sorted((REPO / "deploy").rglob("*.service"))
    for unit in units:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/gym/.venv/bin/python",
                                                                    sys.executable))
    r = subprocess.run([str(systemd_analyze()), "verify", *(str(tmp_path / u.name) for u in units)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr


def test_the_deploy_docs_upgrade_restarts_lose_no_rep(machine: Machine, site: SiteState) -> None:
    """docs/DEPLOY.md's upgrade block on the running site: a rep sent just before the worker restarts and one
    after are each judged once."""
    commands = doc_commands(DEPLOY, "## Upgrades without losing a rep")
    assert commands and all(cmd.split("#")[0].split()[:2] == ["systemctl", "restart"] for cmd in commands)
    unit = station_unit(machine, site)
    unit.start()
    station = StationClient(unit.port, ("rep.verdict",), "st-01")
    bus = station.bus

    def rep(i: int) -> None:
        t = 200.0 + 10 * i
        bus.emit("camera.rep", c.CameraRep(leg=c.Leg.LEFT, rep_index=i, start_t=t, end_t=t + 3.5, concentric_s=1,
                                           top_hold_s=0.5, eccentric_s=2.2, metrics=camera_metrics(())))
        bus.emit("load.rep", c.LoadRep(rep_index=i, start_t=t + 0.1, end_t=t + 3.4, concentric_s=1,
                                       eccentric_s=2.1, peak_force_n=120, load_kg=10))

    def judged() -> dict[int, int]:
        fused = [v for v in station.of(c.RepVerdictEvent) if v.session_id == "s-upgrade" and len(v.sensors) == 2]
        return {i: sum(1 for v in fused if v.rep_index == i) for i in {v.rep_index for v in fused}}

    try:
        bus.emit("session.started", c.SessionStarted(session_id="s-upgrade", member_id="guest-2", exercise=EX,
                                                     goal="strength_control", leg_order=[c.Leg.LEFT]))
        bus.emit("set.started", c.SetStarted(session_id="s-upgrade", set_index=1, leg=c.Leg.LEFT, weight_kg=10,
                                             target_reps=6))
        rep(1)
        wait_for(lambda: 1 in judged(), timeout=45, what="rep 1 judged before the upgrade")
        rep(2)  # in flight while the worker restarts
        for command in commands:
            machine.systemctl(command.split("#")[0].strip())
        machine.wait_up("gym-dashboard", machine.ports["dashboard"])
        rep(3)
        log = machine.log("gym-progression@0")[-1500:]
        wait_for(lambda: {1, 2, 3} <= set(judged()), timeout=60, what=f"reps 2 and 3 judged; progression:\n{log}")
        time.sleep(1.0)  # a repeat would come now
        assert judged() == {1: 1, 2: 1, 3: 1}
    finally:
        station.bus.stop()
        unit.kill()

