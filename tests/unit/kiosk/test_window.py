"""The kiosk window offscreen: what must hold once the member-facing window is gone."""

from __future__ import annotations

from kiosk.state.flow import Flow
from kiosk.ui.window import KioskWindow
from shared.catalogue import default_catalogue
from shared.contract import Model


def test_a_closed_window_gets_no_more_ticks_nor_state_changes(qtbot) -> None:
    sent: list[tuple[str, Model]] = []
    flow = Flow(default_catalogue()["hamstring-curl-kickback"], lambda t, d: sent.append((t, d)))
    win = KioskWindow(flow)
    qtbot.addWidget(win)
    win.show()
    assert win.tick.isActive() and win.refresh in flow._listeners
    refreshed: list[int] = []
    win.refresh = lambda: refreshed.append(1)  # type: ignore[method-assign]
    flow.subscribe(win.refresh)
    win.close()
    # The flow and the MQTT bridge outlive the window; a site event after the close must not reach it.
    flow.changed()
    assert refreshed == [] and not win.tick.isActive() and not win.cue_timer.isActive()
