"""`gymctl doctor` on a site's files alone (no broker, no Redis running): each problem named with its fix, and
the exit status 1 while anything needs fixing. Against running servers: tests/integration/deploy/test_doctor.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.gymctl import doctor, tls
from services.gymctl.__main__ import main as gymctl
from services.gymctl.site import SiteState
from shared.servers import free_port
from tests.wire import broker_reachable_dir


@pytest.fixture
def state(tmp_path: Path) -> Iterator[SiteState]:
    with broker_reachable_dir() as root:  # pytest's 0700 folders: "mosquitto cannot enter …", doctor would say
        yield provision(SiteState(root / "gym"), tmp_path)


def provision(s: SiteState, tmp_path: Path) -> SiteState:
    ports = [str(free_port()) for _ in range(4)]  # nothing listens there: the servers are "down"
    assert gymctl(["--state-dir", str(s.root), "init", "--site", "main", "--broker-host", "127.0.0.1",
                   "--broker-port", ports[0], "--tls-port", ports[1], "--services-port", ports[2],
                   "--redis-url", f"redis://127.0.0.1:{ports[3]}/0", "--service-user", "root"]) == 0
    assert gymctl(["--state-dir", str(s.root), "station", "add", "st-01"]) == 0
    assert gymctl(["--state-dir", str(s.root), "broker-config", "--data-dir", str(tmp_path / "data")]) == 0
    return s


def problems(state: SiteState) -> list[str]:
    return doctor.check(state).problems()


def test_a_fresh_site_is_told_to_carry_the_ca_key_off_and_to_start_its_servers(
        state: SiteState, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gymctl(["--state-dir", str(state.root), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FIX  the site CA's key is on this host" in out and "move it off" in out
    assert "broker unreachable for progression" in out and "Redis unreachable for dashboard" in out
    assert "ok   broker certificate" in out and "valid for 825 more days" in out
    shutil.move(state.ca_key, tmp_path / "usb-ca.key")
    assert not [p for p in problems(state) if "CA's key" in p]
    assert all("unreachable" in p or "TLS listener" in p for p in problems(state))  # files and certificates are fine


def test_a_secret_readable_by_others_is_named_with_the_command_that_fixes_it(state: SiteState) -> None:
    state.passwd.chmod(0o644)
    state.env_file("st-01").chmod(0o640)
    found = problems(state)
    assert any(f"{state.passwd} is readable by everyone" in p and "chmod o-rwx" in p for p in found)
    assert any(f"{state.env_file('st-01')} is mode 0640: `chmod 600" in p for p in found)


@pytest.mark.skipif(shutil.which("mosquitto") is None or __import__("os").geteuid() != 0,
                    reason="a file the broker's user cannot read needs root to make")
def test_a_broker_file_the_broker_cannot_read_is_named(state: SiteState) -> None:
    import os

    os.chown(state.acl, 0, 0)
    assert any(f"broker ACL {state.acl} is not readable by mosquitto" in p for p in problems(state))


def test_renewal_is_due_a_month_before_expiry_and_renew_needs_the_ca_key(state: SiteState, tmp_path: Path) -> None:
    key = tmp_path / "usb-ca.key"
    shutil.move(state.ca_key, key)
    assert gymctl(["--state-dir", str(state.root), "certs", "renew", "--ca-key", str(key), "--days", "10"]) == 0
    due = [p for p in problems(state) if "expires in" in p]
    assert len(due) == 2 and all("gymctl certs renew --ca-key" in p for p in due)  # broker's and dashboard's
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(tls.make_ca("other").key_pem)
    assert gymctl(["--state-dir", str(state.root), "certs", "renew", "--ca-key", str(wrong)]) == 2
    assert gymctl(["--state-dir", str(state.root), "certs", "renew", "--ca-key", str(key)]) == 0
    assert not [p for p in problems(state) if "expire" in p]
    assert tls.days_left(tls.load(state.broker_cert)) > 800


def test_a_certificate_from_another_ca_is_named(state: SiteState) -> None:
    other = tls.make_ca("elsewhere")
    state.broker_cert.write_bytes(tls.issue_server(other, ["127.0.0.1"]).cert_pem)
    assert any("broker certificate" in p and "not signed by the site CA" in p for p in problems(state))


def test_no_site_is_a_problem_with_its_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gymctl(["--state-dir", str(tmp_path / "none"), "doctor"]) == 1
    assert "run `gymctl init` first" in capsys.readouterr().out
