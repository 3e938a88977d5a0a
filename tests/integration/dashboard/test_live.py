"""The live feed on the real broker: what each page's WebSocket carries, the live fleet, bad payloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from shared import contract as c
from shared.mqtt import unique_client_id
from shared.servers import PrivateMosquitto
from shared.topics import topic_for
from tests.conftest import wait_for
from tests.wire import station_bus

pytestmark = pytest.mark.integration


def receive_until(ws: Any, match: Callable[[dict[str, Any]], Any], frames: int = 200) -> Any:
    """Read frames until `match` returns something; fails after `frames` frames without it."""
    for _ in range(frames):
        found = match(json.loads(ws.receive_text()))
        if found:
            return found
    raise AssertionError(f"no matching frame in {frames} frames")


def trace(k: int) -> c.LoadTrace:
    return c.LoadTrace(t0=k * 0.1, hz=80.0, force_n=[100.0 + k] * 8)


def test_the_floor_gets_tile_fields_and_a_station_page_every_force_batch_of_its_station(
        client: TestClient, sign_in: Callable[[str], str], mosquitto: PrivateMosquitto) -> None:
    sign_in("tina")
    st1, st2 = station_bus(mosquitto.port, "st-01", "loadcell"), station_bus(mosquitto.port, "st-02", "loadcell")
    try:
        with client.websocket_connect("/ws/floor") as floor, client.websocket_connect("/ws/stations/st-01") as page:
            assert json.loads(floor.receive_text())["type"] == "snapshot"
            assert json.loads(page.receive_text())["type"] == "snapshot"
            # A station the floor sees first is sent whole; only a known tile's later changes are deltas: one
            # batch first, seen on both sockets, then the batches the test follows.
            st1.emit("load.trace", trace(90))
            receive_until(floor, lambda m: any(s["station_id"] == "st-01" for s in m["stations"]))
            receive_until(page, lambda m: any(i["kind"] == "trace" for i in m["items"]))
            sent = [st1.emit("load.trace", trace(k)) for k in range(5)]
            st2.emit("load.trace", trace(50))
            got: list[dict[str, Any]] = []

            def all_five(msg: dict[str, Any]) -> bool:
                assert msg["type"] == "update"
                assert msg["station"]["station_id"] == "st-01"  # never another station's frame
                got.extend(i for i in msg["items"] if i["kind"] == "trace")
                return len(got) >= 5

            receive_until(page, all_five)
            assert [i["force_n"][0] for i in got] == [100.0 + k for k in range(5)]
            assert [datetime.fromisoformat(i["ts"]) for i in got] == [e.ts for e in sent]

            def newest(msg: dict[str, Any]) -> dict[str, Any] | None:
                assert "items" not in msg  # the floor never carries force samples
                return next((t for t in msg["stations"] if t["station_id"] == "st-01" and t.get("force_n") == 104.0),
                            None)

            tile = receive_until(floor, newest)
            assert datetime.fromisoformat(tile["last_seen"]) == sent[-1].ts
            assert set(tile) <= {"station_id", "force_n", "last_seen"}  # only what a force batch changes
    finally:
        st1.stop()
        st2.stop()


def test_the_fleet_page_updates_live_for_operators_only(client: TestClient, sign_in: Callable[[str], str],
                                                         mosquitto: PrivateMosquitto) -> None:
    bus = station_bus(mosquitto.port, "st-07", "camera")
    try:
        sign_in("tina")
        with client.websocket_connect("/ws/fleet") as ws:
            msg = ws.receive()
            assert msg["type"] == "websocket.close" and msg["code"] == 4403
        sign_in("olga")
        page = client.get("/fleet", headers={"accept": "text/html"})
        assert page.status_code == 200 and "/static/fleet.js" in page.text and "location.reload" not in page.text
        with client.websocket_connect("/ws/fleet") as ws:
            assert json.loads(ws.receive_text())["type"] == "snapshot"
            bus.set_status(c.ServiceState.DEGRADED, "camera covered", metrics={"fps": 4.0})

            def degraded(msg: dict[str, Any]) -> dict[str, Any] | None:
                return next((s for s in msg["stations"] if s["station_id"] == "st-07"
                             and s["services"][0]["state"] == "degraded"), None)

            st = receive_until(ws, degraded)
            assert st["state"] == "degraded"
            assert st["services"][0]["detail"] == "camera covered" and st["services"][0]["metrics"] == {"fps": 4.0}
    finally:
        bus.stop()


def test_an_invalid_or_misplaced_payload_is_skipped_and_the_feed_goes_on(client: TestClient,
                                                                          mosquitto: PrivateMosquitto) -> None:
    live = client.app.state.live  # type: ignore[attr-defined]
    raw = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("forger"), protocol=mqtt.MQTTv5)
    raw.connect("127.0.0.1", mosquitto.port)
    raw.loop_start()
    try:
        good = c.make_event("load.trace", "main", "st-03", trace(1))
        raw.publish(topic_for(good), b"{not json", qos=0).wait_for_publish(5)
        # an event of st-03 published on st-04's topic: a forged station id
        raw.publish(topic_for(good).replace("st-03", "st-04"), good.to_json(), qos=0).wait_for_publish(5)
        raw.publish(topic_for(good), good.to_json(), qos=0).wait_for_publish(5)
        wait_for(lambda: "st-03" in live.floor.tiles, what="the valid event after the bad ones")
        assert live.invalid == 2 and "st-04" not in live.floor.tiles
    finally:
        raw.loop_stop()
        raw.disconnect()


def test_the_live_feed_reconnects_after_the_broker_restarts(client: TestClient, sign_in: Callable[[str], str],
                                                            mosquitto: PrivateMosquitto) -> None:
    live = client.app.state.live  # type: ignore[attr-defined]
    sign_in("tina")
    mosquitto.kill()
    wait_for(lambda: not live.stream.connected.is_set(), what="the live stream notices the broker is gone")
    mosquitto.restart()
    wait_for(lambda: live.stream.connected.is_set(), timeout=20, what="the live stream back on the broker")
    bus = station_bus(mosquitto.port, "st-09", "loadcell")
    try:
        bus.emit("load.trace", trace(3))
        tile = wait_for(lambda: next((t for t in client.get("/api/v1/stations").json()
                                      if t["station_id"] == "st-09" and t["force_n"] == 103.0), None),
                        what="an event after the restart on the floor")
        assert tile["state"] == "online"
    finally:
        bus.stop()
