"""The first kiosk page: the rep counter and every rep's verdict."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMainWindow, QVBoxLayout, QWidget

from kiosk.state.station import StationState, verdict_text
from kiosk.ui.window import STATUS_COLOURS

STYLE = """
QWidget { background: #101418; color: #f2f4f5; font-family: 'DejaVu Sans'; font-size: 28px; }
QLabel#title { font-size: 36px; font-weight: bold; }
QLabel#count { font-size: 160px; font-weight: bold; color: #ffffff; }
QLabel#banner { background: #b3261e; color: #ffffff; padding: 12px; font-weight: bold; }
QListWidget { font-size: 32px; border: none; }
"""


class StationWindow(QMainWindow):
    def __init__(self, state: StationState, title: str) -> None:
        super().__init__()
        self.state = state
        self.setWindowTitle("Cable station")
        self.setStyleSheet(STYLE)
        root = QWidget()
        lay = QVBoxLayout(root)
        self.banner = QLabel("Not connected to the gym network — your reps are kept and sent later")
        self.banner.setObjectName("banner")
        self.title = QLabel(title)
        self.title.setObjectName("title")
        self.count = QLabel("0")
        self.count.setObjectName("count")
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary = QLabel("")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.list = QListWidget()
        self.list.setWordWrap(True)  # what could not be checked, and why, wraps instead of scrolling
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for w in (self.banner, self.title, self.count, self.summary, self.list):
            lay.addWidget(w)
        self.setCentralWidget(root)
        state.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        s = self.state
        self.banner.setVisible(not s.broker_online)
        self.count.setText(str(s.reps))
        self.summary.setText(s.tally.text if s.reps else "Waiting for your first rep")
        self.list.clear()
        for v in reversed(s.verdicts):
            item = QListWidgetItem(verdict_text(v))
            item.setForeground(STATUS_COLOURS[v.status])  # passed, failed and not checked each their own
            self.list.addItem(item)
