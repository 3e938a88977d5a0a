"""Rest: the countdown, the next set, how the last one went and the one thing to fix."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.ui.i18n import tr, tr_words
from kiosk.ui.widgets import button, kg, label, page_layout, tally_html, unverified_html


class RestPage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        lay = page_layout(self)
        lay.addWidget(label(tr("Rest"), "h1"))
        self.left = label("", "count", wrap=False)
        self.left.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.left)
        self.next = label("", "big")
        self.next.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.next)
        self.ended = label("", "muted")
        self.ended.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.ended)
        self.last = label("", "muted")
        self.last.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.last)
        self.fix = label("", "cue")
        self.fix.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.fix)
        lay.addStretch(1)
        row = QHBoxLayout()
        self.pain = button(tr("Pain or discomfort? Stop"), "danger")
        self.pain.clicked.connect(flow.stop_for_pain)
        row.addWidget(self.pain, 1)
        self.go = button(tr("Start next set"), "primary")
        self.go.setMinimumHeight(120)
        self.go.clicked.connect(flow.start_training)
        row.addWidget(self.go, 2)
        lay.addLayout(row)

    def refresh(self) -> None:
        f = self.flow
        c = f.current
        if c is None:
            return
        self.left.setText(f"{int(f.rest_left_s)} s")
        self.next.setText(tr("Next: {leg} leg, set {i} of {n}, {kg} × {reps}").format(
            leg=tr(c.leg.value), i=c.index, n=c.of, kg=kg(c.weight_kg), reps=c.target_reps))
        self.ended.setText(tr_words(f.end_note))
        self.ended.setVisible(bool(f.end_note))
        last = f.last_set_tally
        self.last.setText(f"{tr('Last set')}: {tally_html(last)}{unverified_html(last)}" if last else "")
        self.fix.setText(tr_words(f.rest_fix_words))
        self.fix.setVisible(bool(f.rest_fix))
