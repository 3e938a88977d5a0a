"""Attract: the exercise, and how to tap in (badge, QR code, PIN pad); an unknown one offers a profile."""

from __future__ import annotations

from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.ui.i18n import tr
from kiosk.ui.widgets import button, label, page_layout, plain
from shared.contract import IdMethod, Leg

PIN_MAX = 8


class AttractPage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        ex = flow.exercise
        lay = page_layout(self)
        lay.addWidget(label(tr(ex.summary), "muted"))
        row = QHBoxLayout()
        left = QVBoxLayout()
        left.setSpacing(18)
        self.how = label(tr("Tap your badge on the reader, hold your QR code up to the camera, or enter your PIN."),
                         "big")
        left.addWidget(self.how)
        o = ex.overview
        self.overview = label(f"<b>{tr('Body part')}:</b> {tr(o.body_part)}.<br>"
                              f"<b>{tr('Works')}:</b> {tr(o.primary_muscles)}.<br>"
                              f"<b>{tr('Also')}:</b> {tr(o.secondary_muscles)}.<br>"
                              f"<b>{tr('Difficulty')}:</b> {tr(o.difficulty_note or o.difficulty)}.<br>"
                              + tr("More under <b>Tips &amp; FAQ</b>."), "muted")
        left.addWidget(self.overview)
        self.msg = plain("", "cue")
        left.addWidget(self.msg)
        self.enrol_box = QWidget()
        eb = QVBoxLayout(self.enrol_box)
        eb.setContentsMargins(0, 0, 0, 0)
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("Your first name"))
        self.name.setMaxLength(80)
        eb.addWidget(self.name)
        legs = QHBoxLayout()
        self.weaker = {}
        for leg in (Leg.LEFT, Leg.RIGHT):
            b = button(tr("Weaker leg: {leg}").format(leg=tr(leg.value)))
            b.setCheckable(True)
            b.clicked.connect(lambda _c, lg=leg: self._pick_weaker(lg))
            self.weaker[leg] = b
            legs.addWidget(b)
        eb.addLayout(legs)
        self.create_btn = button(tr("Create my profile"), "primary")
        self.create_btn.clicked.connect(self._enrol)
        eb.addWidget(self.create_btn)
        left.addWidget(self.enrol_box)
        self.guest = button(tr("Train as a guest"))
        self.guest.clicked.connect(flow.start_guest)
        left.addWidget(self.guest)
        left.addStretch(1)
        row.addLayout(left, 3)
        row.addSpacing(24)
        row.addLayout(self._pin_pad(), 2)
        lay.addLayout(row, 1)

    def _pick_weaker(self, leg: Leg) -> None:
        for lg, b in self.weaker.items():
            b.setChecked(lg == leg)

    def _enrol(self) -> None:
        weaker = next((lg for lg, b in self.weaker.items() if b.isChecked()), None)
        self.flow.enrol(self.name.text(), weaker)

    def _pin_pad(self) -> QVBoxLayout:
        box = QVBoxLayout()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(tr("PIN"))
        self.pin.setReadOnly(True)  # its own keypad types it; no second keyboard
        box.addWidget(self.pin)
        grid = QGridLayout()
        self.keys = {}
        for i, k in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "OK"]):
            b = button(tr(k), "primary" if k == "OK" else "")
            b.clicked.connect(lambda _c, key=k: self.pin_key(key))
            grid.addWidget(b, i // 3, i % 3)
            self.keys[k] = b
        box.addLayout(grid)
        box.addStretch(1)
        return box

    def pin_key(self, key: str) -> None:
        if key == "Clear":
            self.pin.clear()
        elif key == "OK":
            pin = self.pin.text()
            self.pin.clear()
            self.flow.identify(IdMethod.PIN, pin)
        elif len(self.pin.text()) < PIN_MAX:
            self.pin.setText(self.pin.text() + key)

    def refresh(self) -> None:
        self.msg.setText(tr(self.flow.message))
        self.msg.setVisible(bool(self.flow.message))
        enrol = self.flow.enrol_needed
        self.enrol_box.setVisible(enrol)
        # The profile form takes the place of the how-to and the overview: the column fits the panel.
        self.how.setVisible(not enrol)
        self.overview.setVisible(not enrol)
