"""Handler tables: a consumer declares `{event class: handler}` once; what it subscribes to is the table's keys,
and each handler receives its own event class (no `isinstance` chains, no `type: ignore`).

Pure: no paho, no Redis. The bus (`shared.mqtt.MqttBus`, `shared.bus.MemoryBus`) takes a table's
`event_types` to subscribe and the table itself as the handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Concatenate, Generic, ParamSpec, TypeVar, cast

from shared.contract import Envelope

E = TypeVar("E", bound=Envelope)
P = ParamSpec("P")
R = TypeVar("R")


def event_type_name(cls: type[Envelope]) -> str:
    """The catalogue name an event class fixes (its `type` field's default)."""
    name = cls.model_fields["type"].default
    if not isinstance(name, str):
        raise TypeError(f"{cls.__name__} does not fix its event type")
    return name


class HandlerTable(Generic[P, R]):
    """Event class → handler; calling the table hands an event to its class's handler.

    Handlers take the event, then the table's further arguments `P` (none for a bus consumer; the progression
    engine's take the repository and the outputs being built), and return `R`. An event of a type the table
    does not hold raises KeyError: the subscription derived from the table never delivers one.
    """

    def __init__(self) -> None:
        self._by_type: dict[str, Callable[Concatenate[Envelope, P], R]] = {}
        self._classes: dict[str, type[Envelope]] = {}

    def on(self, cls: type[E], fn: Callable[Concatenate[E, P], R]) -> HandlerTable[P, R]:
        """Add `fn` for events of `cls`; returns the table, so tables read as one declaration."""
        name = event_type_name(cls)
        if name in self._by_type:
            raise ValueError(f"{name} already has a handler")
        # Kept as a handler of any envelope: the dispatch below hands it only events of `cls`.
        self._by_type[name] = cast(Callable[Concatenate[Envelope, P], R], fn)
        self._classes[name] = cls
        return self

    @property
    def event_types(self) -> tuple[str, ...]:
        """What to subscribe to, in the order the table was declared."""
        return tuple(self._by_type)

    def handles(self, ev: Envelope) -> bool:
        return ev.type in self._by_type

    def __call__(self, ev: Envelope, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._by_type[ev.type](ev, *args, **kwargs)

    def __iter__(self) -> Iterator[type[Envelope]]:
        return iter(self._classes.values())


__all__ = ["HandlerTable", "event_type_name"]
