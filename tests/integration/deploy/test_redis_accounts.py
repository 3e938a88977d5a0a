"""Finding 6 (issue 16), Redis: it answered anyone on its port, with every command (FLUSHALL, CONFIG, KEYS),
and every service used the one URL without a password. `gymctl init` now gives each site service and
gymctl a Redis user of their own with a generated password (env files 0600; the ACL file Redis reads holds
only SHA-256 hashes); no anonymous `default` user; each reaches only the site's keys and no @dangerous
command. Checked on redis-server started as Debian starts it (as `redis`, with `aclfile`)."""

from __future__ import annotations

import json
import os
import pwd
import stat
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import redis

from services.gymctl.__main__ import main as gymctl
from services.gymctl.site import SiteState, read_env
from shared.servers import free_port
from shared.store import RedisStore, connect
from tests.conftest import wait_for
from tests.integration.deploy.machine import REPO
from tests.integration.deploy.production import DebianRedis
from tests.wire import broker_reachable_dir

pytestmark = pytest.mark.integration


@pytest.fixture
def site() -> Iterator[tuple[SiteState, DebianRedis]]:
    with broker_reachable_dir("gym-redis-") as root:
        state = SiteState(root / "state")
        port = free_port()
        assert gymctl(["--state-dir", str(state.root), "init", "--site", "main", "--plain",
                       "--redis-url", f"redis://127.0.0.1:{port}/0"]) == 0
        server = DebianRedis(root / "redis", port, state.redis_acl)
        server.start()
        try:
            yield state, server
        finally:
            server.kill()


def url(state: SiteState, account: str) -> str:
    return read_env(state.env_file(account))["GYM_REDIS_URL"]


def test_each_service_has_its_own_redis_account_and_the_acl_file_holds_no_password(
        site: tuple[SiteState, DebianRedis]) -> None:
    state, _ = site
    urls = {a: url(state, a) for a in ("progression", "dashboard", "gymctl")}
    users = {a: u.split("://")[1].split(":")[0] for a, u in urls.items()}
    assert users == {"progression": "progression", "dashboard": "dashboard", "gymctl": "gymctl"}
    passwords = [u.split("@")[0].rsplit(":", 1)[1] for u in urls.values()]
    assert len(set(passwords)) == 3 and all(len(p) >= 32 for p in passwords)
    acl = state.redis_acl.read_text()
    assert not any(p in acl for p in passwords)
    st = state.redis_acl.stat()
    assert not stat.S_IMODE(st.st_mode) & 0o007
    if os.geteuid() == 0:
        assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (pwd.getpwnam("redis").pw_gid, 0o640)


def test_redis_refuses_anyone_without_an_account(site: tuple[SiteState, DebianRedis]) -> None:
    _, server = site
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=server.port).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=server.port, username="progression", password="guessed").ping()


def test_a_service_reaches_the_sites_keys_and_nothing_dangerous(site: tuple[SiteState, DebianRedis]) -> None:
    state, _ = site
    for account in ("progression", "dashboard"):
        r = connect(url(state, account))
        r.set("gym:main:probe", account)
        assert r.get("gym:main:probe") == account
        forbiddens: list[Callable[[], object]] = [
            partial(r.set, "other:key", "x"), partial(r.get, "gym:north:member:m-1"),
            r.flushall, partial(r.config_get, "*"), partial(r.keys, "*")]
        for forbidden in forbiddens:
            with pytest.raises(redis.exceptions.NoPermissionError):
                forbidden()


def test_the_store_works_through_its_account(site: tuple[SiteState, DebianRedis]) -> None:
    """The store's scripts name keys they do not declare: the ACL's key pattern must still cover them."""
    state, _ = site
    store = RedisStore(connect(url(state, "progression")), "main", b"k" * 32)
    assert store.r.ping()
    assert store.verdicts("st-01") == []


def test_gymctl_backs_up_and_restores_with_its_own_account(site: tuple[SiteState, DebianRedis], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    state, _ = site
    monkeypatch.delenv("GYM_REDIS_URL", raising=False)  # gymctl finds its account in accounts/gymctl.env
    r = connect(url(state, "gymctl"))
    r.set("gym:main:member:m-1", json.dumps({"name": "Ana"}))
    out = tmp_path / "site.backup"
    assert gymctl(["--state-dir", str(state.root), "backup", str(out)]) == 0
    r.delete("gym:main:member:m-1")
    assert gymctl(["--state-dir", str(state.root), "restore", str(out)]) == 0
    assert json.loads(r.get("gym:main:member:m-1") or "") == {"name": "Ana"}
    with pytest.raises(redis.exceptions.NoPermissionError):
        connect(url(state, "progression")).restore("gym:main:x", 0, r.dump("gym:main:member:m-1") or b"")


def test_a_replica_follows_with_the_replication_account_and_serves_the_services_accounts(
        site: tuple[SiteState, DebianRedis]) -> None:
    """deploy/site/redis-replica.conf with the lines gymctl wrote (accounts/redis-replica.conf) and the site's ACL."""
    state, primary = site
    lines = [ln for ln in state.accounts.joinpath("redis-replica.conf").read_text().splitlines()
             if ln and not ln.startswith("#")]
    template = (REPO / "deploy" / "site" / "redis-replica.conf").read_text()
    assert all(ln.split()[0] in template for ln in lines)  # the template names the same settings
    assert stat.S_IMODE(state.accounts.joinpath("redis-replica.conf").stat().st_mode) == 0o600
    replica = DebianRedis(state.root.parent / "replica", free_port(), state.redis_acl,
                          "\n".join([f"replicaof 127.0.0.1 {primary.port}", *lines, "replica-read-only yes"]))
    replica.start()
    try:
        connect(url(state, "progression")).set("gym:main:member:m-9", "Zoe")
        on_replica = connect(url(state, "dashboard").replace(f":{primary.port}/", f":{replica.port}/"))
        wait_for(lambda: on_replica.get("gym:main:member:m-9") == "Zoe", timeout=20, what="the key on the replica")
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=replica.port).ping()  # the replica refuses anonymous clients too
    finally:
        replica.kill()


def test_no_redis_only_account_is_taken_for_a_station(site: tuple[SiteState, DebianRedis]) -> None:
    state, _ = site
    assert state.stations() == []
    for reserved in ("gymctl", "redis-replica", "redis-sentinel"):
        assert gymctl(["--state-dir", str(state.root), "station", "add", reserved]) == 2
