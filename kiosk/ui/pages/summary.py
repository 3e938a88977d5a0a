"""Summary: per leg, reps passed / failed / not checked, the faults, the next weight and its reasons."""

from __future__ import annotations

from html import escape

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from kiosk.state.flow import PAIN_NOTE, Flow
from kiosk.ui.i18n import tr, tr_line, tr_words
from kiosk.ui.widgets import button, clear, kinetic, label, page_layout, tally_html, unverified_html


class SummaryPage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        lay = page_layout(self)
        lay.addWidget(label(tr("Your session"), "h1"))
        self.pain = label(tr(PAIN_NOTE), "note")
        lay.addWidget(self.pain)
        scroll = QScrollArea()  # a long session's faults and reasons scroll instead of growing the window
        scroll.setWidgetResizable(True)
        body = QWidget()
        self.box = QVBoxLayout(body)
        self.box.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll.setWidget(body)
        kinetic(scroll)
        lay.addWidget(scroll, 1)
        self.done = button(tr("Done"), "primary")
        self.done.clicked.connect(lambda: self.flow.sign_out())
        lay.addWidget(self.done)

    def cards(self) -> list[str]:
        return [w.text() for w in self.findChildren(type(self.pain)) if w.objectName() == "card"]

    def refresh(self) -> None:
        f = self.flow
        self.pain.setVisible(f.stopped_for_pain)
        clear(self.box)
        for s in f.leg_summaries():
            reasons = "<br>".join(escape(tr_line(r)) for r in s.reasons)  # the site's words, inside markup of ours
            leg = tr("{Leg} leg").format(Leg=tr(s.leg.value.capitalize()))
            self.box.addWidget(label(f"<b>{leg}</b>: {tally_html(s.tally)} — {tr_words(s.faults)}"
                                     f"{unverified_html(s.tally)}<br><b>{tr_words(s.next_time)}</b>"
                                     f"{'<br>' + reasons if reasons else ''}", "card"))
