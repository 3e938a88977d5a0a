"""One bus interface for every service (`Bus`), and the same bus in memory (`MemoryBus`) for testing a
service's handlers without a broker.

The MQTT adapter (`shared.mqtt.MqttBus`) is the production implementation; both take the same decisions
on an incoming message (`shared.inbox`): parse, topic check, duplicate dropped, bad input dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.contract import DeadLetter, Envelope, Model, ServiceState, StationStatus, make_event
from shared.inbox import Inbox, Rejected, dead_letter
from shared.settings import Settings
from shared.topics import shared_filter, topic_filter, topic_for, topic_matches

Handler = Callable[[Envelope], None]
BatchHandler = Callable[[list[Envelope]], None]


class Bus(Protocol):
    """What a service needs of its bus: its identity, publishing, subscribing, its retained status.

    `MqttBus` and `MemoryBus` subclass it and so share how an event is built and emitted."""

    service: str
    settings: Settings

    def event(self, event_type: str, data: Model, *, station_id: str | None = None) -> Envelope:
        """Build an envelope from this service's site and station (or another station's)."""
        return make_event(event_type, self.settings.site_id, station_id or self.settings.station_id, data)

    def emit(self, event_type: str, data: Model, *, station_id: str | None = None) -> Envelope:
        """Build and publish an event; returns it."""
        ev = self.event(event_type, data, station_id=station_id)
        self.publish(ev)
        return ev

    def publish(self, event: Envelope) -> Any: ...

    def subscribe(self, event_type: str, handler: Handler, *, site_id: str = "+", station_id: str = "+",
                  share_group: str | None = None) -> None: ...

    def subscribe_batch(self, event_types: Sequence[str], handler: BatchHandler, *, site_id: str = "+",
                        station_id: str = "+", share_group: str | None = None) -> None: ...

    def set_status(self, state: ServiceState, detail: str = "",
                   metrics: dict[str, float] | None = None) -> Any: ...


@dataclass
class _MemorySub:
    filter: str
    handler: Handler | None = None
    batch_handler: BatchHandler | None = None


class MemoryBus(Bus):
    """The bus in memory: a published event reaches every matching subscriber at once, on the caller's thread,
    through the same inbox rules as the broker's messages (so a handler's test sees what production would).

    `published` keeps everything published here, `dead` the dead letters, `status` the retained status.
    Several services may share one `MemoryBus` (`as_service`) as they share one broker.
    """

    def __init__(self, settings: Settings | None = None, service: str = "test",
                 _shared: MemoryBus | None = None) -> None:
        self.settings = settings or Settings(_env_file=None)
        self.service = service
        self._root = _shared or self
        self._subs: list[_MemorySub] = []
        self._inbox = Inbox()
        self.published: list[Envelope] = [] if _shared is None else _shared.published
        self.dead: list[DeadLetter] = [] if _shared is None else _shared.dead
        self.status = StationStatus(service=service, state=ServiceState.ONLINE)
        self._peers: list[MemoryBus] = [self] if _shared is None else _shared._peers
        if _shared is not None:
            self._peers.append(self)

    def as_service(self, service: str, settings: Settings | None = None) -> MemoryBus:
        """Another service's bus on the same in-memory broker."""
        return MemoryBus(settings or self.settings, service, _shared=self._root)

    # publishing
    def publish(self, event: Envelope) -> None:
        self.published.append(event)
        self.deliver(topic_for(event), event.to_json())

    def deliver(self, topic: str, payload: bytes) -> None:
        """A message as the broker would hand it to every subscriber (also one no contract event is)."""
        for peer in list(self._peers):
            peer._receive(topic, payload)

    def set_status(self, state: ServiceState, detail: str = "", metrics: dict[str, float] | None = None) -> None:
        self.status = StationStatus(service=self.service, state=state, detail=detail, metrics=metrics or {})

    # subscribing
    def subscribe(self, event_type: str, handler: Handler, *, site_id: str = "+", station_id: str = "+",
                  share_group: str | None = None) -> None:
        self._subs.append(_MemorySub(self._filter(event_type, site_id, station_id, share_group), handler=handler))

    def subscribe_batch(self, event_types: Sequence[str], handler: BatchHandler, *, site_id: str = "+",
                        station_id: str = "+", share_group: str | None = None) -> None:
        for t in event_types:
            self._subs.append(_MemorySub(self._filter(t, site_id, station_id, share_group), batch_handler=handler))

    @staticmethod
    def _filter(event_type: str, site_id: str, station_id: str, share_group: str | None) -> str:
        f = topic_filter(event_type, site_id, station_id)
        return shared_filter(share_group, f) if share_group else f

    def _receive(self, topic: str, payload: bytes) -> None:
        subs = [s for s in self._subs if topic_matches(s.filter, topic)]
        if not subs:
            return
        res = self._inbox.accept(topic, payload)
        if isinstance(res, Rejected):
            if not res.duplicate:
                self.dead.append(dead_letter(self.service, topic, payload, res.reason))
            return
        self._inbox.remember(res, payload)
        for s in subs:
            if s.batch_handler is not None:
                s.batch_handler([res])
            elif s.handler is not None:
                s.handler(res)


__all__ = ["BatchHandler", "Bus", "Handler", "MemoryBus"]
