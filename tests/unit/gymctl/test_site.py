"""The rendered provisioning files (pure): what each account may reach, what a unit is told."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.gymctl.site import SiteConfig, check_station_id, render_acl, render_env


def test_each_station_gets_only_its_own_prefix_and_the_services_the_site() -> None:
    acl = render_acl(SiteConfig(site_id="north"), ["st-01", "st-02"])
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in acl.split("\n\n") if b.startswith("user ")}
    for st in ("st-01", "st-02"):
        assert blocks[f"user {st}"][0] == f"topic read gym/v1/north/{st}/#"
        writes = blocks[f"user {st}"][1:]
        assert writes and all(w.startswith(f"topic write gym/v1/north/{st}/") for w in writes)
        assert f"topic write gym/v1/north/{st}/rep/verdict" not in writes  # the site's judgement is not a station's
    assert blocks["user progression"][0] == blocks["user dashboard"][0] == "topic read gym/v1/north/#"
    assert "topic write gym/v1/north/+/rep/verdict" in blocks["user progression"]
    assert "pattern" not in acl and "allow" not in acl and "readwrite" not in acl  # nothing beyond the listed grants


@pytest.mark.parametrize("bad", ["progression", "dashboard", "site", "st/01", "st+", "#", "", "A1", "x" * 65])
def test_reserved_and_unsafe_station_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        check_station_id(bad)


def test_a_units_env_file_uses_tls_when_the_site_has_a_ca() -> None:
    plain = render_env(SiteConfig(site_id="main", broker_host="h", broker_port=1883), "st-01", "pw")
    with_ca = SiteConfig(site_id="main", broker_host="h", tls_port=8883, tls_ca="/etc/gym/ca.crt")
    tls = render_env(with_ca, "st-01", "pw")
    assert "GYM_MQTT_PORT=1883" in plain and "TLS" not in plain
    assert "GYM_MQTT_PORT=8883" in tls and "GYM_MQTT_TLS_CA=/etc/gym/ca.crt" in tls
    assert "GYM_STATION_ID=st-01" in tls and "GYM_ENVIRONMENT=production" in tls
    assert "GYM_STATION_ID=site" in render_env(SiteConfig(site_id="main"), "progression", "pw")


def test_the_dashboards_env_file_satisfies_its_production_settings(tmp_path: Path) -> None:
    from services.dashboard.config import DashboardSettings
    from services.gymctl.__main__ import main as gymctl
    from services.gymctl.site import SiteState, read_env

    state = SiteState(tmp_path)
    assert gymctl(["--state-dir", str(tmp_path), "init", "--site", "main"]) == 0
    env = read_env(state.env_file("dashboard"))
    fields: dict[str, Any] = {k[4:].lower(): v for k, v in env.items()}  # GYM_X=... is the field x
    settings = DashboardSettings(_env_file=None, **fields)
    assert settings.environment == "production" and len(settings.dashboard_secret_key.get_secret_value()) >= 32
    assert "GYM_DASHBOARD_SECRET_KEY" not in read_env(state.env_file("progression"))


def test_with_tls_the_broker_speaks_clear_mqtt_on_loopback_only(tmp_path: Path) -> None:
    from services.gymctl.site import SiteState, TlsFiles, render_broker_conf

    state = SiteState(tmp_path)
    cfg = SiteConfig(site_id="main", broker_port=1883, tls_port=8883, tls_ca="/etc/gym/ca.crt")
    conf = render_broker_conf(state, cfg, tls=TlsFiles(tmp_path / "ca.crt", tmp_path / "s.crt", tmp_path / "s.key"))
    listeners = [line for line in conf.splitlines() if line.startswith("listener ")]
    assert listeners == ["listener 1883 127.0.0.1", "listener 8883", "listener 1884"]
    assert conf.count("certfile ") == 2  # the stations' TLS listener and the services'
    plain = render_broker_conf(state, SiteConfig(site_id="main"))  # --plain: a test or demo site
    assert [line for line in plain.splitlines() if line.startswith("listener ")] == ["listener 1883", "listener 1884"]


def test_redis_acl_has_no_anonymous_user_no_password_and_only_the_sites_keys() -> None:
    from services.gymctl.site import redis_url_of, render_redis_acl

    cfg = SiteConfig(site_id="north", redis_url="redis://10.0.0.5:6380/0")
    acl = render_redis_acl(cfg, {"progression": "p" * 32, "gymctl": "g" * 32, "redis-replica": "r" * 32})
    lines = acl.splitlines()
    assert lines[0] == "user default off nopass nocommands resetkeys" and "#" not in lines[0]
    assert "p" * 32 not in acl and "g" * 32 not in acl
    assert "~gym:north:*" in lines[1] and "-@dangerous" in lines[1] and "+restore" not in lines[1]
    assert "+restore" in lines[2]
    assert "~" not in lines[3] and "+psync" in lines[3]  # the replica reaches no key, only replication
    assert redis_url_of(cfg, "progression", "pw") == "redis://progression:pw@10.0.0.5:6380/0"
    env = render_env(cfg, "progression", "mqtt-pw", redis_password="pw")
    assert "GYM_REDIS_URL=redis://progression:pw@10.0.0.5:6380/0" in env
