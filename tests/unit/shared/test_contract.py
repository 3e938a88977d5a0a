from __future__ import annotations

import json

import pytest

from shared import contract as c
from shared.topics import CATALOGUE, station_of_topic, topic_filter, topic_for
from tests.samples import SAMPLES


def test_every_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(c.EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(c.EVENT_TYPES))
def test_every_model_round_trips_through_json(event_type: str) -> None:
    ev = c.make_event(event_type, "main", "st-01", SAMPLES[event_type])
    raw = ev.to_json()
    doc = json.loads(raw)
    assert doc["schema"] == "gym.v1"
    assert doc["type"] == event_type
    assert set(doc) == {"schema", "type", "event_id", "site_id", "station_id", "ts", "seq", "data"}
    back = c.parse_event(raw)
    assert back == ev
    assert type(back) is c.EVENT_TYPES[event_type]


@pytest.mark.parametrize("event_type", sorted(c.EVENT_TYPES))
def test_topic_round_trips(event_type: str) -> None:
    ev = c.make_event(event_type, "main", "st-07", SAMPLES[event_type])
    t = topic_for(ev)
    assert t.startswith(f"gym/v1/main/st-07/{event_type.replace('.', '/')}")
    assert station_of_topic(t) == ("main", "st-07")
    import paho.mqtt.client as mqtt

    assert mqtt.topic_matches_sub(topic_filter(event_type), t)


def test_high_rate_streams_are_qos0_and_status_is_retained() -> None:
    assert CATALOGUE["camera.pose"].qos == 0
    assert CATALOGUE["load.trace"].qos == 0
    assert CATALOGUE["rep.verdict"].qos == 1
    assert CATALOGUE["station.status"].retain
    assert not CATALOGUE["rep.verdict"].retain


def _envelope(**over: object) -> dict[str, object]:
    ev = c.make_event("camera.rep", "main", "st-01", SAMPLES["camera.rep"])
    doc: dict[str, object] = json.loads(ev.to_json())
    doc.update(over)
    return doc


@pytest.mark.parametrize(
    "doc, needle",
    [
        (_envelope(schema="gym.v0"), "schema"),
        (_envelope(type="camera.teleport"), "type"),
        (_envelope(extra_field=1), "extra_field"),
        (_envelope(station_id="st/01"), "station_id"),
        (_envelope(station_id="#"), "station_id"),
        (_envelope(ts="2026-01-01T10:00:00"), "UTC"),
        (_envelope(data={**SAMPLES["camera.rep"].model_dump(mode="json"), "faults": ["wobble"]}), "faults"),
        (_envelope(data={**SAMPLES["camera.rep"].model_dump(mode="json"), "start_t": 9, "end_t": 1}),
         "end_t"),
    ],
)
def test_invalid_envelopes_are_refused_with_a_reason(doc: dict[str, object], needle: str) -> None:
    with pytest.raises(c.ContractError) as err:
        c.parse_event(json.dumps(doc))
    assert needle in str(err.value)


def test_nan_and_malformed_json_are_refused() -> None:
    doc = _envelope()
    raw = json.dumps(doc).replace('"concentric_s": 1.9', '"concentric_s": NaN')
    assert "NaN" in raw
    with pytest.raises(c.ContractError):
        c.parse_event(raw)
    with pytest.raises(c.ContractError):
        c.parse_event(b"{not json")
    with pytest.raises(c.ContractError):
        c.parse_event(b"\xff\xfe")


def test_huge_payload_is_refused_before_parsing() -> None:
    with pytest.raises(c.ContractError, match="exceeds"):
        c.parse_event(b" " * (c.MAX_PAYLOAD_BYTES + 1))


def test_models_are_frozen() -> None:
    ev = c.make_event("kiosk.cue", "main", "st-01", SAMPLES["kiosk.cue"])
    with pytest.raises(ValueError):
        ev.station_id = "st-02"  # type: ignore[misc]


def test_every_fault_has_words_and_a_fix() -> None:
    assert set(c.FAULT_WORDS) == set(c.Fault)
    assert set(c.FAULT_FIXES) == set(c.Fault)


@pytest.mark.parametrize("event_type", ["camera.rep", "load.rep"])
def test_a_sensor_rep_that_ends_before_it_starts_is_refused(event_type: str) -> None:
    ev = c.make_event(event_type, "main", "st-01", SAMPLES[event_type])
    doc = json.loads(ev.to_json())
    doc["data"]["end_t"] = doc["data"]["start_t"] - 0.5
    with pytest.raises(c.ContractError, match="end_t is before start_t"):
        c.parse_event(json.dumps(doc))


def test_a_copy_with_other_fields_sends_its_own_payload() -> None:
    ev = c.make_event("camera.rep", "main", "st-01", SAMPLES["camera.rep"])
    assert json.loads(ev.to_json())["seq"] == ev.seq  # the payload is now cached on the envelope
    other = ev.model_copy(update={"seq": ev.seq + 1})
    assert json.loads(other.to_json())["seq"] == ev.seq + 1
