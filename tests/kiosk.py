"""What the kiosk's tests share: a guest's window on the real flow, a list's rows, the flow's page."""

from __future__ import annotations

from PyQt6.QtWidgets import QListWidget
from pytestqt.qtbot import QtBot

from kiosk.state.flow import Flow, Page
from kiosk.ui.window import KioskWindow
from shared.catalogue import Exercise, default_catalogue
from shared.contract import Model


def guest_window(qtbot: QtBot, exercise: Exercise | None = None) -> tuple[KioskWindow, Flow, list[tuple[str, Model]]]:
    """The kiosk's window at 1920×1080, online, a guest signed in; what the flow sends is collected."""
    sent: list[tuple[str, Model]] = []
    flow = Flow(exercise or default_catalogue()["hamstring-curl-kickback"], lambda t, d: sent.append((t, d)))
    win = KioskWindow(flow)
    qtbot.addWidget(win)
    win.resize(1920, 1080)
    win.show()
    flow.set_broker_online(True)
    flow.start_guest()
    return win, flow, sent


def page_of(flow: Flow) -> Page:
    """The flow's page as it is now. Read through a call where an earlier assert on `flow.page` came before
    a tap that changes it: mypy keeps the attribute narrowed to the earlier page across method calls."""
    return flow.page


def row_texts(rows: QListWidget) -> list[str]:
    """A list widget's rows, top first."""
    out = []
    for i in range(rows.count()):
        item = rows.item(i)
        assert item is not None  # every row below count() is there
        out.append(item.text())
    return out
