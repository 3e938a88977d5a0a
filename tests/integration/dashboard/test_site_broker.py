"""The live feed on a broker configured like a site's: TLS, per-service accounts and ACL (gymctl's own config)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.dashboard.app import bootstrap
from services.dashboard.config import DashboardSettings
from services.gymctl.site import SiteState
from shared import contract as c
from shared.mqtt import MqttBus
from shared.servers import PrivateRedis
from shared.settings import Settings
from tests.conftest import wait_for
from tests.wire import gymctl_site, make_certs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BURST = 300  # more than one read of the socket's worth: TLS may hold decrypted bytes the socket does not signal


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteState]:
    with gymctl_site(tmp_path, make_certs(tmp_path / "certs")) as (state, _broker):
        yield state


def test_the_dashboard_account_reads_every_station_over_tls(site: SiteState, redis_server: PrivateRedis) -> None:
    settings = DashboardSettings(_env_file=site.env_file("dashboard"), redis_url=redis_server.url)
    assert settings.mqtt_tls_ca is not None and settings.mqtt_username == "dashboard"
    station = MqttBus(Settings(_env_file=site.env_file("st-01")), "loadcell")
    with TestClient(bootstrap(settings)) as client:
        live = client.app.state.live  # type: ignore[attr-defined]
        wait_for(lambda: live.mqtt_connected, what="dashboard on the TLS listener with its account")
        assert station.start()
        try:
            for k in range(BURST):
                station.emit("load.trace", c.LoadTrace(t0=k * 0.1, hz=80.0, force_n=[float(k % 500)] * 8))
            wait_for(lambda: (t := live.floor.tiles.get("st-01")) is not None and t.force_n == float(BURST - 1),
                     what="the burst's last force on the floor")
            assert live.floor.tiles["st-01"].state == "online"  # the station's retained status came too
            assert live.invalid == 0
        finally:
            station.stop()
