"""Finding 3: `gymctl backup` wrote its file 0644 (umask permitting) with every member's badge ids and
PINs and every dashboard password hash, and `restore` wrote whatever keys a file named. Now a backup is
0600 from its first byte, holds the site's own keys only, and a restore refuses any key outside them."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
import redis

from services.gymctl.__main__ import main as gymctl
from shared.servers import PrivateRedis
from tests.integration.deploy.audit import watching

pytestmark = pytest.mark.integration


@pytest.fixture
def r(redis_server: PrivateRedis, monkeypatch: pytest.MonkeyPatch) -> redis.Redis[bytes]:
    monkeypatch.setenv("GYM_REDIS_URL", redis_server.url)
    client = redis.Redis.from_url(redis_server.url)
    client.set("gym:main:token:pin:4711", "m-1")
    client.hset("gym:main:dashboard:users", "olga", json.dumps({"hash": "$argon2id$…"}))
    client.set("gym:north:member:m-9", "another site's member")
    return client


def test_a_backup_is_private_from_its_first_byte_whatever_the_umask(tmp_path: Path, r: redis.Redis[bytes]) -> None:
    out = tmp_path / "backups" / "site.backup"
    out.parent.mkdir()
    out.write_text("an older backup, world-readable")
    out.chmod(0o644)
    with watching(out.parent, umask=0) as w:  # umask 0: a file opened without a mode would be 0666
        assert gymctl(["--state-dir", str(tmp_path / "state"), "backup", str(out)]) == 0
    assert w.created and w.exposed == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    keys = [base64.b64decode(json.loads(line)["key"]) for line in out.read_text().splitlines()[1:]]
    assert sorted(keys) == [b"gym:main:dashboard:users", b"gym:main:token:pin:4711"]  # this site's only


def test_a_restore_refuses_keys_outside_the_sites_prefix_and_writes_nothing(tmp_path: Path,
                                                                            r: redis.Redis[bytes]) -> None:
    good = tmp_path / "site.backup"
    assert gymctl(["--state-dir", str(tmp_path / "state"), "backup", str(good)]) == 0
    lines = good.read_text().splitlines()
    dump = r.dump("gym:main:token:pin:4711")
    assert dump is not None
    for key in (b"gym:north:token:pin:1234", b"config:requirepass", b"gym:mainx:member:m-1"):
        forged = tmp_path / "forged.backup"
        row = {"key": base64.b64encode(key).decode(), "ttl_ms": 0, "dump": base64.b64encode(dump).decode()}
        forged.write_text("\n".join([*lines, json.dumps(row)]) + "\n")
        r.flushall()
        assert gymctl(["--state-dir", str(tmp_path / "state"), "restore", str(forged)]) == 2
        assert r.dbsize() == 0, key  # not the foreign key, nor the site's own keys of the same file
    assert gymctl(["--state-dir", str(tmp_path / "state"), "restore", str(good)]) == 0
    assert r.get("gym:main:token:pin:4711") == b"m-1"
