"""Handler tables: the subscription is the table's keys, each handler gets its own class, no type twice."""

from __future__ import annotations

import pytest

from shared import contract as c
from shared.handlers import HandlerTable, event_type_name

START = c.make_event("set.started", "main", "st-01", c.SetStarted(session_id="s-1", set_index=1, leg=c.Leg.LEFT,
                                                                  weight_kg=10.0, target_reps=10))
ENDED = c.make_event("session.ended", "main", "st-01",
                     c.SessionEnded(session_id="s-1", member_id="m-1", reason="aborted"))


def test_each_handler_gets_its_own_class_and_the_tables_arguments() -> None:
    seen: list[tuple[str, int]] = []

    def started(ev: c.SetStartedEvent, n: int) -> str:
        seen.append((f"set {ev.data.set_index}", n))
        return "a"

    def ended(ev: c.SessionEndedEvent, n: int) -> str:
        seen.append((ev.data.reason, n))
        return "b"

    table = HandlerTable[[int], str]().on(c.SetStartedEvent, started).on(c.SessionEndedEvent, ended)
    assert table(START, 1) == "a"
    assert table(ENDED, 2) == "b"
    assert seen == [("set 1", 1), ("aborted", 2)]


def test_the_subscription_is_the_tables_keys_in_order() -> None:
    table = HandlerTable[[], None]().on(c.SessionEndedEvent, lambda ev: None).on(c.SetStartedEvent, lambda ev: None)
    assert table.event_types == ("session.ended", "set.started")
    assert list(table) == [c.SessionEndedEvent, c.SetStartedEvent]
    assert table.handles(START) and not table.handles(c.make_event(
        "station.status", "main", "st-01", c.StationStatus(service="camera", state=c.ServiceState.ONLINE)))


def test_a_type_has_one_handler_and_a_stray_type_is_refused() -> None:
    table = HandlerTable[[], None]().on(c.SetStartedEvent, lambda ev: None)
    with pytest.raises(ValueError, match=r"set\.started"):
        table.on(c.SetStartedEvent, lambda ev: None)
    with pytest.raises(KeyError):
        table(ENDED)


def test_every_event_class_names_its_type() -> None:
    assert event_type_name(c.RepVerdictEvent) == "rep.verdict"
    assert START.type == "set.started"
