"""What every bus does with a message before a handler sees it, in one pure piece (no paho, no asyncio):
parse it against the contract, check it belongs on its topic, drop a redelivery, refuse a reused id.

The sync MQTT adapter (`shared.mqtt.MqttBus`), the in-memory bus (`shared.bus.MemoryBus`) and the
dashboard's asyncio listener take the same decisions from here, so a message that one of them would
dead-letter, every one of them does.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from shared.contract import ContractError, DeadLetter, Envelope, parse_event
from shared.topics import topic_for

# Enough remembered event ids to cover every redelivery window we expect: a broker restart redelivers at
# most the in-flight window, and a station makes < 10 events/s.
DEDUP_WINDOW = 20_000
# What a dead letter keeps of a bad message: enough to see what it was, never a whole flood.
DEAD_PAYLOAD_CHARS = 4096
DEAD_REASON_CHARS = 2000
DEAD_TOPIC_CHARS = 300


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message no handler gets: `reason` for the dead letter; `duplicate` for a plain redelivery (dropped
    quietly: QoS 1 is at-least-once)."""

    reason: str
    duplicate: bool = False


def digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=16).digest()


class Inbox:
    """Accepts each event once. `accept` does not remember: `remember` does, once the event is handed over
    (a batch given up before its handler ran is redelivered and must then be accepted again)."""

    def __init__(self, window: int = DEDUP_WINDOW) -> None:
        self.window = window
        self._seen: OrderedDict[str, bytes] = OrderedDict()  # event id -> digest of its payload

    def accept(self, topic: str, payload: bytes) -> Envelope | Rejected:
        try:
            event = parse_event(payload)
        except ContractError as exc:
            return Rejected(f"invalid event: {exc.args[0]}")
        if topic_for(event) != topic:
            # A forged station id, or an event type on another type's topic.
            return Rejected(f"{event.type} for {event.site_id}/{event.station_id} does not belong on topic {topic}")
        first = self._seen.get(event.event_id)
        if first is not None:
            if first != digest(payload):
                # QoS 1 redelivers the same bytes; the same id with other content is a replay or a forgery.
                return Rejected(f"event id {event.event_id} was already used for another event")
            return Rejected(f"duplicate {event.event_id}", duplicate=True)
        return event

    def remember(self, event: Envelope, payload: bytes) -> None:
        self._seen[event.event_id] = digest(payload)
        if len(self._seen) > self.window:
            self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)


def dead_letter(service: str, topic: str, payload: bytes, reason: str) -> DeadLetter:
    """The dead letter of a message: its topic, the reason and the start of its payload, bounded."""
    text = payload[:DEAD_PAYLOAD_CHARS].decode("utf-8", errors="replace")
    return DeadLetter(service=service, topic=topic[:DEAD_TOPIC_CHARS], reason=reason[:DEAD_REASON_CHARS],
                      payload=text[:DEAD_PAYLOAD_CHARS], payload_bytes=len(payload))


__all__ = ["DEDUP_WINDOW", "Inbox", "Rejected", "dead_letter", "digest"]
