"""Frames for browsers: coalescing and merging (pure; no broker, no sockets)."""

from __future__ import annotations

import json

from services.dashboard.floor import REP_ROWS
from services.dashboard.live import MERGE_AFTER, TRACE_KEEP, Client, Frame, merge


def floor_frame(k: int) -> Frame:
    return Frame(tiles={"st-01": {"station_id": "st-01", "force_n": float(k)},
                        f"st-{k + 10}": {"station_id": f"st-{k + 10}", "state": "online"}})


def test_one_tick_is_sent_as_encoded_once_for_every_browser() -> None:
    f = floor_frame(1)
    a, b = Client("floor"), Client("floor")
    a.offer(f)
    b.offer(f)
    ta, tb = a.take(), b.take()
    assert ta is tb  # the same string object: encoded once
    assert json.loads(ta or "")["stations"][0] == {"station_id": "st-01", "force_n": 1.0}
    assert a.take() is None and not a.wake.is_set()


def test_a_slow_browser_gets_the_newest_state_of_each_tile_in_one_frame_with_bounded_memory() -> None:
    slow = Client("floor")
    for k in range(5 * MERGE_AFTER):
        slow.offer(floor_frame(k))
        assert len(slow.pending) <= MERGE_AFTER  # merged as it grows, not kept tick by tick
    msg = json.loads(slow.take() or "")
    tiles = {t["station_id"]: t for t in msg["stations"]}
    assert tiles["st-01"]["force_n"] == 5 * MERGE_AFTER - 1  # newest wins
    assert len(tiles) == 1 + 5 * MERGE_AFTER  # every station that changed is there once
    assert slow.merged == 5 * MERGE_AFTER - 1


def test_merging_keeps_other_fields_of_a_tile_and_appends_trace_up_to_the_keep() -> None:
    a = Frame(tiles={"st-01": {"station_id": "st-01", "state": "degraded", "force_n": 1.0}},
              items=[{"kind": "rep", "rep": {"rep_index": 1}}] + [{"kind": "trace", "force_n": [1.0] * 100}] * 10)
    b = Frame(tiles={"st-01": {"station_id": "st-01", "force_n": 2.0}},
              items=[{"kind": "trace", "force_n": [2.0] * 100}] * 10)
    m = merge([a, b])
    assert m.tiles["st-01"] == {"station_id": "st-01", "state": "degraded", "force_n": 2.0}
    samples = sum(len(i["force_n"]) for i in m.items if i["kind"] == "trace")
    assert samples == TRACE_KEEP and m.items[-1]["force_n"][0] == 2.0  # the newest kept, the oldest dropped
    assert m.items[0]["kind"] == "rep"  # a rep row is never dropped
    assert a.tiles["st-01"]["force_n"] == 1.0  # the shared frames themselves are untouched


def test_a_stuck_station_page_keeps_only_what_the_page_can_show() -> None:
    stuck = Client("station", "st-01")
    for k in range(50 * MERGE_AFTER):  # about a minute of ticks never sent
        stuck.offer(Frame(tiles={"st-01": {"station_id": "st-01", "force_n": float(k)}},
                          items=[{"kind": "trace", "force_n": [float(k)] * 8}, {"kind": "pose", "knee": k},
                                 {"kind": "rep", "rep": {"rep_index": k}}]))
    msg = json.loads(stuck.take() or "")
    kinds = [i["kind"] for i in msg["items"]]
    assert kinds.count("pose") == 1 and msg["items"][kinds.index("pose")]["knee"] == 50 * MERGE_AFTER - 1
    assert kinds.count("rep") == REP_ROWS and kinds.count("trace") * 8 == TRACE_KEEP
    assert msg["station"]["force_n"] == 50 * MERGE_AFTER - 1
