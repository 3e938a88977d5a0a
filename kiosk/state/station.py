"""What the station screen shows, as a state object that emits change callbacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shared.contract import FAULT_WORDS, Envelope, RepVerdict, RepVerdictEvent

Listener = Callable[[], None]


@dataclass
class StationState:
    reps: int = 0
    passed: int = 0
    verdicts: list[RepVerdict] = field(default_factory=list)
    broker_online: bool = False
    _seen: set[tuple[str | None, int | None, str, int]] = field(default_factory=set)
    _listeners: list[Listener] = field(default_factory=list)

    def subscribe(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def _changed(self) -> None:
        for fn in self._listeners:
            fn()

    def apply(self, ev: Envelope) -> None:
        if isinstance(ev, RepVerdictEvent):
            self.on_verdict(ev.data)

    def on_verdict(self, v: RepVerdict) -> None:
        key = (v.session_id, v.set_index, v.leg.value, v.rep_index)
        if key in self._seen:
            # A refined verdict (a late second sensor) replaces the first instead of counting again.
            self.verdicts = [v if (x.session_id, x.set_index, x.leg.value, x.rep_index) == key else x
                             for x in self.verdicts]
        else:
            self._seen.add(key)
            self.verdicts.append(v)
        self.reps = len(self.verdicts)
        self.passed = sum(1 for x in self.verdicts if x.passed)
        self._changed()

    def set_broker_online(self, online: bool) -> None:
        if online != self.broker_online:
            self.broker_online = online
            self._changed()


def verdict_text(v: RepVerdict) -> str:
    """One line a member reads: 'Rep 3 ✓ good' or 'Rep 4 ✗ dropped the return'."""
    if v.passed:
        return f"Rep {v.rep_index}  ✓  good rep"
    return f"Rep {v.rep_index}  ✗  " + ", ".join(FAULT_WORDS[f] for f in v.faults)
