"""apply_once against a real redis-server: once per event id, never interleaved between workers."""

from __future__ import annotations

import pytest

from shared import contract as c
from shared.records import StationRecord
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
    a.r.set(a.keys.station_state("st-01"), StationRecord(loose_reps=41).model_dump_json())  # e.g. a restore
    a.apply_once("e2", bump, "st-01")
    assert count(a) == 42


def bump_at(ev: c.Envelope, repo: RedisRepo) -> list[c.Envelope]:
    """`bump` on the event's own station, echoing the event as its output."""
    st = repo.station(ev.station_id)
    st.loose_reps += 1
    repo.save_station(ev.station_id, st)
    return [ev]


def cue(station: str, n: int) -> c.Envelope:
    return c.make_event("kiosk.cue", "main", station, c.KioskCue(message=f"cue {n}"))


def counts(store: RedisStore, stations: list[str]) -> list[int]:
    return [store.station_state(s).loose_reps for s in stations]


def test_a_batch_over_stations_commits_each_event_once(redis_server: PrivateRedis) -> None:
    a = RedisStore(connect(redis_server.url), "main")
    evs = [cue(f"st-0{i % 3}", i) for i in range(12)]
    results = a.apply_batch(evs, bump_at)
    assert [applied for applied, _ in results] == [True] * 12
    assert [out[0].event_id for _, out in results] == [e.event_id for e in evs]
    assert counts(a, ["st-00", "st-01", "st-02"]) == [4, 4, 4]
    assert all(a.was_processed(e.event_id) for e in evs)


def test_a_redelivered_batch_applies_nothing_twice_and_returns_the_stored_outputs(redis_server: PrivateRedis) -> None:
    a = RedisStore(connect(redis_server.url), "main")
    first = [cue(f"st-0{i % 2}", i) for i in range(6)]
    a.apply_batch(first, bump_at)
    late = cue("st-01", 99)
    for worker in (a, RedisStore(connect(redis_server.url), "main")):  # the same worker, or a restarted one
        results = worker.apply_batch([*first, late], bump_at)
        assert [applied for applied, _ in results] == [False] * 6 + [worker is a]
        assert [out[0].event_id for _, out in results] == [e.event_id for e in [*first, late]]
    assert counts(a, ["st-00", "st-01"]) == [3, 4]


def test_a_station_another_worker_wrote_is_re_read_and_loses_no_update(redis_server: PrivateRedis) -> None:
    a = RedisStore(connect(redis_server.url), "main")
    b = RedisStore(connect(redis_server.url), "main")
    n = 0
    for round_ in range(4):
        batch = [cue(s, n + i) for i, s in enumerate(["st-00", "st-01", "st-01", "st-02"])]
        n += len(batch)
        assert all(applied for applied, _ in a.apply_batch(batch, bump_at))
        # b takes some of st-01's events in between, so a's remembered st-01 goes stale
        assert b.apply_once(f"b{round_}", lambda repo: bump_at(cue("st-01", 0), repo), "st-01")[0]
    assert counts(a, ["st-00", "st-01", "st-02"]) == [4, 12, 4]


def test_a_batch_that_fails_midway_commits_nothing_and_forgets_what_it_changed(redis_server: PrivateRedis) -> None:
    a = RedisStore(connect(redis_server.url), "main")
    a.apply_batch([cue("st-00", 0), cue("st-01", 1)], bump_at)
    bad = cue("st-01", 2)

    def fails_on_bad(ev: c.Envelope, repo: RedisRepo) -> list[c.Envelope]:
        if ev.event_id == bad.event_id:
            raise RuntimeError("engine bug")
        return bump_at(ev, repo)

    with pytest.raises(RuntimeError):
        a.apply_batch([cue("st-00", 3), cue("st-01", 4), bad], fails_on_bad)
    assert counts(a, ["st-00", "st-01"]) == [1, 1]  # nothing of the failed batch reached Redis
    # The in-memory states the failed batch had already changed are not trusted again.
    assert all(applied for applied, _ in a.apply_batch([cue("st-00", 5), cue("st-01", 6)], bump_at))
    assert counts(a, ["st-00", "st-01"]) == [2, 2]
