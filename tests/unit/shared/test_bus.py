"""The bus's pure pieces without a broker: the inbox's decisions, the topic matcher, the in-memory bus."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from hypothesis import given
from hypothesis import strategies as st

from shared import contract as c
from shared.bus import MemoryBus
from shared.inbox import Inbox, Rejected, dead_letter
from shared.settings import Settings
from shared.topics import topic_filter, topic_for, topic_matches


def started(station: str = "st-01", index: int = 1) -> c.SetStartedEvent:
    return c.SetStartedEvent(site_id="main", station_id=station, data=c.SetStarted(
        session_id="s-1", set_index=index, leg=c.Leg.LEFT, weight_kg=10.0, target_reps=10))


def test_the_inbox_accepts_an_event_once_and_refuses_a_reused_id() -> None:
    inbox, ev = Inbox(), started()
    got = inbox.accept(topic_for(ev), ev.to_json())
    assert got == ev
    inbox.remember(ev, ev.to_json())
    again = inbox.accept(topic_for(ev), ev.to_json())
    assert isinstance(again, Rejected) and again.duplicate
    forged = ev.model_copy(update={"data": ev.data.model_copy(update={"set_index": 2})})
    other = inbox.accept(topic_for(ev), forged.to_json())
    assert isinstance(other, Rejected) and not other.duplicate and "already used" in other.reason


def test_the_inbox_refuses_garbage_and_an_event_on_another_stations_topic() -> None:
    inbox, ev = Inbox(), started("st-02")
    bad = inbox.accept(topic_for(ev), b"{not json")
    assert isinstance(bad, Rejected) and bad.reason.startswith("invalid event")
    wrong = inbox.accept(topic_for(started("st-01")), ev.to_json())
    assert isinstance(wrong, Rejected) and "does not belong" in wrong.reason


def test_the_inbox_forgets_the_oldest_beyond_its_window() -> None:
    inbox = Inbox(window=2)
    evs = [started(index=i) for i in (1, 2, 3)]
    for ev in evs:
        inbox.remember(ev, ev.to_json())
    assert len(inbox) == 2
    assert inbox.accept(topic_for(evs[0]), evs[0].to_json()) == evs[0]  # forgotten: accepted again


def test_a_dead_letter_is_bounded() -> None:
    dl = dead_letter("camera", "t" * 1000, b"x" * 50_000, "r" * 5000)
    assert len(dl.payload) == 4096 and dl.payload_bytes == 50_000 and len(dl.reason) == 2000 and len(dl.topic) == 300


_level = st.sampled_from(["gym", "v1", "main", "st-01", "st-02", "rep", "a", "b"])
_flevel = st.one_of(_level, st.just("+"))


@given(topic=st.lists(_level, min_size=1, max_size=6),
       filt=st.lists(_flevel, min_size=1, max_size=6), hash_end=st.booleans())
def test_the_topic_matcher_agrees_with_paho(topic: list[str], filt: list[str], hash_end: bool) -> None:
    f = "/".join([*filt, "#"] if hash_end else filt)
    t = "/".join(topic)
    assert topic_matches(f, t) == mqtt.topic_matches_sub(f, t)
    assert topic_matches("$share/g/" + f, t) == mqtt.topic_matches_sub(f, t)


def test_the_memory_bus_delivers_to_matching_subscribers_once_and_dead_letters_garbage() -> None:
    bus = MemoryBus(Settings(_env_file=None, site_id="main", station_id="st-01"), "kiosk")
    worker = bus.as_service("progression", Settings(_env_file=None, site_id="main", station_id="site"))
    mine: list[c.Envelope] = []
    batches: list[list[c.Envelope]] = []
    bus.subscribe("set.started", mine.append, site_id="main", station_id="st-01")
    worker.subscribe_batch(["set.started"], batches.append, site_id="main", share_group="progression")
    ev = started("st-01")
    bus.publish(ev)
    bus.publish(ev)  # a redelivery: dropped
    bus.publish(started("st-02"))  # another station's: only the worker's wildcard gets it
    assert mine == [ev]
    assert [b[0].station_id for b in batches] == ["st-01", "st-02"]
    bus.deliver(topic_filter("set.started", "main", "st-01"), b"garbage")
    assert worker.dead is bus.dead  # one broker, one dead-letter topic
    assert sorted(d.service for d in bus.dead) == ["kiosk", "progression"]
    assert bus.published[0] == ev and len(bus.published) == 3
