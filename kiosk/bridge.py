"""Hands events from paho's threads to the GUI thread as a Qt signal."""

from __future__ import annotations

from PyQt6.QtCore import QObject, pyqtSignal

from shared.contract import Envelope


class EventBridge(QObject):
    """`event` and `connection` are emitted from the bus's threads; Qt queues them to the GUI thread."""

    event = pyqtSignal(object)  # type: ignore[assignment]  # QObject.event is a method; Qt allows it
    connection = pyqtSignal(bool)

    def deliver(self, ev: Envelope) -> None:
        self.event.emit(ev)

    def connection_changed(self, online: bool) -> None:
        self.connection.emit(online)
