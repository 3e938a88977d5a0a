"""The deployment files: compose validates, every command they run is a real entry point, backups restore."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.gymctl.__main__ import main as gymctl
from shared.servers import PrivateRedis
from shared.store import connect
from tests.integration.deploy.machine import doc_commands

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
COMPOSE_FILES = [REPO / "docker-compose.yml", REPO / "deploy" / "station" / "docker-compose.yml"]
UNITS = sorted((REPO / "deploy").rglob("*.service"))


def python_commands() -> list[tuple[str, list[str]]]:
    """(where, [module, args…]) for every `python -m …` that compose files and systemd units run."""
    out = []
    for f in COMPOSE_FILES:
        for name, svc in yaml.safe_load(f.read_text())["services"].items():
            cmd = svc.get("command")
            if isinstance(cmd, list) and cmd[:2] == ["python", "-m"]:
                out.append((f"{f.name}:{name}", cmd[2:]))
    for unit in UNITS:
        m = re.search(r"^ExecStart=\S*python -m (.+)$", unit.read_text(), re.M)
        assert m, f"{unit} runs no python module"
        out.append((unit.name, shlex.split(m.group(1).replace("%i", "0"))))
    return out


def test_every_service_of_the_deployment_runs_a_real_entry_point() -> None:
    cmds = python_commands()
    assert len(cmds) >= 10  # the site's and the station's services, in compose and as units
    for where, (module, *args) in cmds:
        if module == "kiosk":  # no arguments: the module itself must exist
            assert not args and (REPO / "kiosk" / "__main__.py").is_file(), where
            continue
        # The same argv with --help: argparse accepts every argument given, or exits 2 naming it.
        r = subprocess.run([sys.executable, "-m", module, *args, "--help"], capture_output=True, text=True,
                           timeout=60, cwd=REPO)
        assert r.returncode == 0 and "usage:" in r.stdout, (where, r.stderr[-500:])


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="Debian's docker-compose is not installed")
def test_the_compose_files_validate(tmp_path: Path) -> None:
    """docs/DEPLOY.md's Docker provisioning, run as written (in a copy of the repository's compose layout),
    then `docker-compose config` on its result; `docker-compose up` needs an engine the tests do not have."""
    site = tmp_path / "var" / "site"
    commands = doc_commands(REPO / "docs" / "DEPLOY.md", "## A site with Docker")
    assert commands[-1].startswith("docker-compose up")
    (tmp_path / "usb").mkdir()
    for command in commands[:-1]:
        line = command.replace("sudo ", "").replace("/media/usb", str(tmp_path / "usb"))
        line = re.sub(r"^python ", f"{sys.executable} ", line)
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)})
        assert r.returncode == 0, (command, r.stderr)
    shutil.copy(REPO / "docker-compose.yml", tmp_path)
    shutil.copytree(REPO / "broker", tmp_path / "broker")
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    etc = tmp_path / "etc"  # the unit's /etc/gym, as the station README fills it
    etc.mkdir()
    shutil.copy(site / "accounts" / "st-01.env", etc / "station.env")
    env = {**os.environ, "GYM_ETC": str(etc)}
    for f in (tmp_path / "docker-compose.yml", tmp_path / "deploy" / "station" / "docker-compose.yml"):
        r = subprocess.run(["docker-compose", "-f", str(f), "config"], capture_output=True, text=True,
                           cwd=f.parent, timeout=60, env=env)
        assert r.returncode == 0, r.stderr
        config = yaml.safe_load(r.stdout)
        for name, svc in config["services"].items():
            for dep, cond in (svc.get("depends_on") or {}).items():
                if cond["condition"] == "service_healthy":
                    assert "healthcheck" in config["services"][dep], (name, dep)
    site_compose = yaml.safe_load((tmp_path / "docker-compose.yml").read_text())
    redis_cmd = site_compose["services"]["redis"]["command"]
    assert redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes"  # the site's state survives a restart
    assert redis_cmd[redis_cmd.index("--aclfile") + 1] == "/etc/gym-redis/users.acl"  # accounts, no anonymous
    r = subprocess.run(["docker-compose", "-f", str(tmp_path / "docker-compose.yml"), "config"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=60, env=env)
    resolved = yaml.safe_load(r.stdout)["services"]
    for svc in ("progression", "dashboard"):  # each its own Redis account, from its env file
        assert re.fullmatch(rf"redis://{svc}:[^@]+@redis:6379/0", resolved[svc]["environment"]["GYM_REDIS_URL"])
    assert resolved["dashboard"]["environment"]["GYM_DASHBOARD_TLS_CERTFILE"] == "var/site/tls/dashboard.crt"
    assert [p["target"] if isinstance(p, dict) else p for p in resolved["broker"]["ports"]] in ([8883], ["8883:8883"])
    assert not (site / "ca" / "ca.key").exists()  # carried off, as the docs say


def test_backup_and_restore_round_trip_the_sites_redis_data(tmp_path: Path, redis_server: PrivateRedis,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    r = connect(redis_server.url)
    r.set("gym:main:member:m-1", json.dumps({"name": "Ana"}))
    r.rpush("gym:main:history:m-1", "s1", "s2")
    r.set("gym:main:processed:e1", "[]", ex=3600)
    r.set("other:key", "not ours")
    monkeypatch.setenv("GYM_REDIS_URL", redis_server.url)
    backup = tmp_path / "site.backup"
    assert gymctl(["--state-dir", str(tmp_path), "backup", str(backup)]) == 0
    r.flushall()
    assert gymctl(["--state-dir", str(tmp_path), "restore", str(backup)]) == 0
    assert json.loads(r.get("gym:main:member:m-1") or "") == {"name": "Ana"}
    assert r.lrange("gym:main:history:m-1", 0, -1) == ["s1", "s2"]
    assert 0 < r.ttl("gym:main:processed:e1") <= 3600  # the idempotence marks keep their expiry
    assert r.get("other:key") is None  # only the product's keys are backed up
    (tmp_path / "bad.backup").write_text('{"format": "something else"}\n')
    assert gymctl(["--state-dir", str(tmp_path), "restore", str(tmp_path / "bad.backup")]) == 2


def test_composes_site_broker_has_the_settings_gymctl_renders() -> None:
    """broker/mosquitto.conf is written by hand for the container's paths: every setting must be what
    `gymctl broker-config` renders there (the packet limit, the stations' and services' listeners…)."""
    from services.gymctl.site import SiteConfig, SiteState, render_broker_conf

    state = SiteState(Path("/mosquitto/config/site"))  # ./var/site in the container
    rendered = render_broker_conf(state, SiteConfig(site_id="main"), data_dir="/mosquitto/data",
                                  tls=state.tls_files())

    def settings(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    assert settings((REPO / "broker" / "mosquitto.conf").read_text()) == settings(rendered)
