"""The private broker of the tests and the demo runs as production's does: started by root, mosquitto drops to
Debian's `mosquitto` user (no `user` line), reads its config and keeps its persistence as that user. Only on a
machine without that user does it stay root (`user root`), and it still starts and persists there."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import paho.mqtt.publish as publish
import paho.mqtt.subscribe as subscribe
import pytest

import shared.servers
from shared.servers import PrivateMosquitto, broker_user
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0, reason="a broker started by a user other than root stays it")]


def uid_of(pid: int) -> int:
    """The effective uid of a running process (Linux: /proc/<pid>/status `Uid: real effective saved fs`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[2])
    raise AssertionError(f"no Uid line for {pid}")


def keeps_a_retained_message(broker: PrivateMosquitto) -> bool:
    """Persistence works as the broker's user: a retained message is written out on a stop and read back."""
    topic, payload = f"test/{uuid.uuid4().hex}", b"kept"
    publish.single(topic, payload, qos=1, retain=True, hostname="127.0.0.1", port=broker.port)
    broker.restart()
    got = subscribe.simple(topic, qos=1, hostname="127.0.0.1", port=broker.port,  # type: ignore[no-untyped-call]
                           retained=True)
    return bool(got.payload == payload)


def test_started_by_root_the_broker_runs_as_the_packaged_user(tmp_path: Path) -> None:
    user = broker_user()
    if user is None:
        pytest.skip("no `mosquitto` user: Debian's mosquitto package is not installed")
    broker = PrivateMosquitto(tmp_path / "mosquitto").start()
    try:
        assert not any(line.startswith("user ") for line in broker.config().splitlines())  # as production's
        proc = broker.proc
        assert proc is not None
        wait_for(lambda: uid_of(proc.pid) == user.pw_uid, what="the broker dropping root to `mosquitto`")
        assert keeps_a_retained_message(broker)
        assert "Error" not in broker.log_path.read_text()
    finally:
        broker.kill()


def test_without_the_packaged_user_the_broker_stays_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared.servers, "broker_user", lambda: None)  # as on a machine without the package
    broker = PrivateMosquitto(tmp_path / "mosquitto").start()
    try:
        assert "user root" in broker.config().splitlines()
        proc = broker.proc
        assert proc is not None and uid_of(proc.pid) == 0
        assert keeps_a_retained_message(broker)
    finally:
        broker.kill()
