"""A station unit's services, as its systemd units and compose start them: the env file gymctl rendered for
the station (which reaches the site with TLS) with the unit's overrides — its own broker on 127.0.0.1 in
clear, no CA — gives settings that connect there, in clear (an empty GYM_MQTT_TLS_CA meant the CA file
`.` and TLS to a broker that has none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.gymctl.__main__ import main as gymctl
from services.gymctl.site import SiteState
from shared.settings import Settings
from tests.integration.deploy.machine import REPO, Unit, read_environment_file

pytestmark = pytest.mark.integration

STATION_UNITS = sorted((REPO / "deploy" / "station" / "systemd").glob("*.service"))


@pytest.fixture
def station_env(tmp_path: Path) -> Path:
    state = SiteState(tmp_path / "gym")
    assert gymctl(["--state-dir", str(state.root), "init", "--site", "main", "--broker-host", "gym-site.local"]) == 0
    assert gymctl(["--state-dir", str(state.root), "station", "add", "st-01"]) == 0
    assert "GYM_MQTT_TLS_CA=/etc/gym/ca.crt" in state.env_file("st-01").read_text()  # TLS to the site
    return state.env_file("st-01")


@pytest.mark.parametrize("unit_file", STATION_UNITS, ids=lambda p: p.name)
def test_a_station_units_service_reaches_its_own_broker_in_clear(unit_file: Path, station_env: Path) -> None:
    unit = Unit.parse(unit_file.name, unit_file.read_text())
    installed = {"/etc/gym/station.env": station_env, "/etc/gym/unit.env": REPO / "deploy" / "station" / "unit.env"}
    assert unit.env_files == list(installed)
    env = dict(unit.env)  # as systemd does: Environment=, then each EnvironmentFile= in order, later ones winning
    for f in unit.env_files:
        env.update(read_environment_file(installed[f]))
    fields: dict[str, Any] = {k[4:].lower(): v for k, v in env.items() if k.startswith("GYM_")}
    settings = Settings(_env_file=None, **fields)
    assert (settings.mqtt_host, settings.mqtt_port, settings.mqtt_tls_ca) == ("127.0.0.1", 1883, None)


def test_the_compose_stations_services_reach_their_broker_in_clear(station_env: Path) -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for name, svc in compose["services"].items():
        if name.startswith("st01-") and name != "st01-broker":
            env = {**read_environment_file(station_env), **{k: str(v) for k, v in svc["environment"].items()}}
            fields: dict[str, Any] = {k[4:].lower(): v for k, v in env.items() if k.startswith("GYM_")}
            settings = Settings(_env_file=None, **fields)
            assert (settings.mqtt_host, settings.mqtt_tls_ca) == ("127.0.0.1", None), name
