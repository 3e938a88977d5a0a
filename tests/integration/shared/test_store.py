"""apply_once against a real redis-server: once per event id, never interleaved between workers."""

from __future__ import annotations

import pytest

from shared import contract as c
from shared.records import StationState
from shared.servers import PrivateRedis
from shared.store import RedisRepo, RedisStore, connect

pytestmark = pytest.mark.integration


def bump(repo: RedisRepo, out: list[c.Envelope] | None = None) -> list[c.Envelope]:
    """A stand-in for the engine's work: count the station's loose reps up by one."""
    st = repo.station("st-01")
    st.loose_reps += 1
    repo.save_station("st-01", st)
    return out or []


def count(store: RedisStore) -> int:
    return store.station_state("st-01").loose_reps


def test_two_workers_alternating_on_one_station_never_lose_an_update(redis_server: PrivateRedis) -> None:
    a = RedisStore(connect(redis_server.url), "main")
    b = RedisStore(connect(redis_server.url), "main")
    for i in range(10):
        worker = a if i % 3 else b  # a's remembered state goes stale whenever b wrote in between
        applied, _ = worker.apply_once(f"e{i}", bump, "st-01")
        assert applied
    assert count(a) == 10


def test_an_event_applied_once_returns_its_stored_outputs_to_any_worker(redis_server: PrivateRedis) -> None:
    a = RedisStore(connect(redis_server.url), "main")
    b = RedisStore(connect(redis_server.url), "main")
    verdict = c.make_event("kiosk.cue", "main", "st-01", c.KioskCue(message="hips square"))
    assert a.apply_once("e1", lambda repo: bump(repo, [verdict]), "st-01") == (True, [verdict])
    for worker in (a, b):  # a redelivery to the same worker (cached state) or another one
        applied, outputs = worker.apply_once("e1", lambda repo: bump(repo, [verdict]), "st-01")
        assert not applied and [o.event_id for o in outputs] == [verdict.event_id]
    assert count(a) == 1


def test_a_state_changed_behind_the_workers_back_is_read_again(redis_server: PrivateRedis) -> None:
    a = RedisStore(connect(redis_server.url), "main")
    a.apply_once("e1", bump, "st-01")
    a.r.set(a.keys.station_state("st-01"), StationState(loose_reps=41).model_dump_json())  # e.g. a restore
    a.apply_once("e2", bump, "st-01")
    assert count(a) == 42
