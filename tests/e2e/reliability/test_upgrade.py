"""Rolling upgrades without losing a rep (docs/DEPLOY.md, "Upgrades"): each service is stopped as systemd
stops it (SIGTERM) and started again — on the new code — in the middle of a set, one at a time.

- The site: two progression workers sharing the site's events (`--shared`), restarted one after the other;
  whichever is down, the other judges, and the one that comes back takes its share again.
- A station unit: the load cell restarted during the left set, the camera during the right one; the unit's
  broker keeps what is published meanwhile, and a rep one sensor did not see is judged on the other's
  evidence. (The virtual member performs a set for the processes that heard its set.started: a sensor
  restarted mid-set is blind for the rest of that set here, as a real one would not be — so the two
  restarts are in different sets, and the test shows the harder case.)

Whatever restarts, every rep the member did gets exactly one verdict, nothing is left unassigned, and every
service is up at the end.
"""

from __future__ import annotations

import pytest

from services.procs import Child, wait_online
from tests.conftest import wait_for
from tests.e2e.reliability.station import Outcome, WholeStation, expected_keys, reference, truth_faults

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def each_rep_once(st: WholeStation) -> Outcome:
    got = st.finished()
    info = st.tails()
    assert sorted(got.verdicts) == sorted(expected_keys()), f"{sorted(got.verdicts)}\n{info}"
    stored = {(v.data.leg.value, v.data.set_index, v.data.rep_index) for v in st.stored()}
    assert stored == set(expected_keys()), info
    assert st.unassigned() == [], info
    assert all(sensors for _, sensors in got.verdicts.values()), info  # every rep judged on some evidence
    return got


def restart(st: WholeStation, kid: Child, service: str, station_id: str) -> Child:
    """Stop `kid` as systemd does and start the same command again; wait until it says it is online."""
    kid.stop()
    args = kid.proc.args  # [python, "-m", *module_args], as Child started it
    assert isinstance(args, list)
    new = st._child(service, list(args[2:]), st.site_env if station_id == "site" else st.station_env)
    wait_online(st.broker.port, service, station_id, child=new, timeout=30)
    return new


def test_site_workers_restarted_one_at_a_time_mid_set_lose_nothing(station: WholeStation) -> None:
    station.progression.stop()  # the site runs two workers sharing its events
    workers = [station._child("progression", ["services.progression", "run", "--worker", str(i), "--shared"],
                              station.site_env) for i in (0, 1)]
    for w in workers:
        wait_online(station.broker.port, "progression", "site", child=w)
    station.train()
    wait_for(lambda: len(station.wire.verdicts_of("left")) >= 2, timeout=60, what="two verdicts of the left set")
    for i in (0, 1):
        workers[i] = restart(station, workers[i], "progression", "site")
    station.progression = workers[1]
    got = each_rep_once(station)
    assert {k: f for k, (f, _) in got.verdicts.items()} == truth_faults()
    assert got.recommendations == reference().recommendations  # the same decision as with no restart
    assert all(w.alive() for w in workers)


def test_station_sensors_restarted_one_at_a_time_mid_set_lose_nothing(station: WholeStation) -> None:
    station.train()
    wait_for(lambda: len(station.wire.verdicts_of("left")) >= 2, timeout=60, what="two verdicts of the left set")
    station.loadcell = restart(station, station.loadcell, "loadcell", "st-01")
    wait_for(lambda: len(station.wire.verdicts_of("right")) >= 2, timeout=90, what="two verdicts of the right set")
    station.camera = restart(station, station.camera, "camera", "st-01")
    got = each_rep_once(station)
    seen = {k: s for k, (_, s) in got.verdicts.items()}
    assert any(s == ["camera", "load"] for s in seen.values())  # before the restarts: both sensors
    assert ["camera"] in seen.values() and ["load"] in seen.values()  # after each: the other sensor alone
    for kid in (station.camera, station.loadcell, station.kiosk, station.progression):
        assert kid.alive(), kid.tail()
