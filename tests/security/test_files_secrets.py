"""Findings 3 and 12 (files): gymctl wrote each env file (the account's broker password, a station's staff
PIN, the dashboard's signing key) with `write_text` and then `chmod 0600` — readable by everyone for that
moment, and at the umask's mercy — and put every new password on `mosquitto_passwd -b`'s command line,
where `ps` shows it. Now every file is created 0600 (0640 to the broker's group for the broker's files)
before its first byte, and gymctl hashes passwords itself."""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import stat
from pathlib import Path

import pytest

from services.gymctl.__main__ import main as gymctl
from tests.integration.deploy.audit import watching

SECRET_FILES = ("accounts/progression.env", "accounts/dashboard.env", "accounts/st-01.env", "accounts/gymctl.env",
                "ca/ca.key")
BROKER_FILES = ("broker/passwd", "broker/acl", "broker/mosquitto.conf", "broker/server.key")


def broker_gid() -> int | None:
    """The group gymctl gives the broker's files: mosquitto's when we are root, none otherwise."""
    return pwd.getpwnam("mosquitto").pw_gid if os.geteuid() == 0 else None


def redis_gid() -> tuple[int, ...]:
    """Redis reads its ACL file (users.acl, root:redis 0640) as the broker reads its own."""
    return (pwd.getpwnam("redis").pw_gid,) if os.geteuid() == 0 else ()


PUBLIC = (".crt",)  # certificates (the site CA's, the servers'): public by nature; their keys are not


def run(state: Path, *args: str) -> None:
    assert gymctl(["--state-dir", str(state), *args]) == 0


def provision(state: Path) -> None:
    run(state, "init", "--site", "main", "--broker-host", "127.0.0.1")
    run(state, "station", "add", "st-01")
    run(state, "station", "add", "st-02")
    run(state, "station", "rotate", "st-01")
    run(state, "broker-config", "--data-dir", str(state / "data"))
    run(state, "station", "remove", "st-02")


def test_no_secret_file_is_ever_readable_by_others_whatever_the_umask(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with watching(tmp_path, group=broker_gid(), others=redis_gid(), public=PUBLIC, umask=0) as w:  # umask 0:
        # nothing narrows a careless mode
        provision(state)
    assert w.created, "the watch saw no file made"
    assert w.exposed == []  # not even between a write and a chmod
    for name in SECRET_FILES:
        st = (state / name).stat()
        assert stat.S_IMODE(st.st_mode) == 0o600, name
    for name in BROKER_FILES:  # readable by the broker after it drops root, by nobody else
        st = (state / name).stat()
        assert stat.S_IMODE(st.st_mode) == (0o640 if broker_gid() is not None else 0o600), name
        if broker_gid() is not None:
            assert (st.st_uid, st.st_gid) == (0, broker_gid()), name
    for f in state.rglob("*"):
        if f.is_file() and f.suffix != ".crt":
            assert not stat.S_IMODE(f.stat().st_mode) & 0o007, f


def test_a_rotation_replaces_a_file_an_older_gymctl_left_world_readable(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run(state, "init", "--site", "main")
    run(state, "station", "add", "st-01")
    env = state / "accounts" / "st-01.env"
    env.chmod(0o644)
    with watching(tmp_path, group=broker_gid(), others=redis_gid(), public=PUBLIC, umask=0o022) as w:
        run(state, "station", "rotate", "st-01")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600 and w.exposed == []


def test_no_password_is_ever_on_a_command_line(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with watching(tmp_path, group=broker_gid()) as w:
        run(state, "init", "--site", "main")
        run(state, "station", "add", "st-01")
    env = dict(line.split("=", 1) for line in (state / "accounts" / "st-01.env").read_text().splitlines()
               if "=" in line and not line.startswith("#"))
    password = env["GYM_MQTT_PASSWORD"]
    assert not [cmd for cmd in w.commands if any(password in a for a in cmd)]
    # The password file holds what mosquitto 2 checks: PBKDF2-HMAC-SHA512 of the password, `$7$` format.
    line = next(x for x in (state / "broker" / "passwd").read_text().splitlines() if x.startswith("st-01:"))
    _, kind, iterations, salt, digest = line.split(":", 1)[1].split("$")
    assert kind == "7"
    assert hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations), 64) == \
        base64.b64decode(digest)


@pytest.mark.skipif(os.geteuid() != 0, reason="ownership by the broker's group needs root")
def test_the_brokers_files_belong_to_its_group_and_a_container_uid_can_be_given(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run(state, "init", "--site", "main")
    run(state, "broker-config", "--broker-user", "1883")  # the eclipse-mosquitto image's user
    for name in (*BROKER_FILES, "broker/passwd-services"):
        st = (state / name).stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 1883, 0o640), name
    assert (state / "broker").stat().st_gid == 1883 and stat.S_IMODE((state / "broker").stat().st_mode) == 0o750
