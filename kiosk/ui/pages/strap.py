"""Between legs: move the strap to the other ankle. A tap confirms it, or the camera seeing that leg curl."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.ui.i18n import tr, tr_words
from kiosk.ui.widgets import button, kg, label, page_layout


class StrapPage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        lay = page_layout(self)
        self.title = label("", "h1")
        lay.addWidget(self.title)
        self.steps_grid = QGridLayout()
        self.steps_grid.setHorizontalSpacing(24)
        self.steps_grid.setVerticalSpacing(22)
        self.step_labels = []
        for i in range(3):
            self.steps_grid.addWidget(label(f"{i + 1}", "h2", wrap=False), i, 0, Qt.AlignmentFlag.AlignTop)
            w = label("", "lead")
            self.step_labels.append(w)
            self.steps_grid.addWidget(w, i, 1)
        self.steps_grid.setColumnStretch(1, 1)
        lay.addLayout(self.steps_grid)
        self.ended = label("", "muted")
        lay.addWidget(self.ended)
        self.fix = label("", "cue")
        lay.addWidget(self.fix)
        self.camera_note = label("", "muted")
        lay.addWidget(self.camera_note)
        lay.addStretch(1)
        row = QHBoxLayout()
        self.pain = button(tr("Pain or discomfort? Stop"), "danger")
        self.pain.clicked.connect(flow.stop_for_pain)
        row.addWidget(self.pain, 1)
        self.go = button("", "primary")
        self.go.setMinimumHeight(140)
        self.go.clicked.connect(flow.confirm_strap)
        row.addWidget(self.go, 2)
        lay.addLayout(row)

    def refresh(self) -> None:
        f = self.flow
        c = f.current
        if c is None:
            return
        done = "left" if c.leg.value == "right" else "right"
        self.title.setText(tr("Move the strap to your {leg} ankle").format(leg=tr(c.leg.value)))
        leg = tr(c.leg.value)
        texts = [tr("Unclip the strap from your {leg} ankle.").format(leg=tr(done)),
                 tr("Strap it around your <b>{leg}</b> ankle, snug above the heel.").format(leg=leg),
                 tr("Face the stack, hold the support, and extend your {leg} leg slightly behind you.").format(leg=leg)]
        for w, t in zip(self.step_labels, texts, strict=True):
            w.setText(t)
        self.ended.setText(tr_words(f.end_note))
        self.ended.setVisible(bool(f.end_note))
        self.fix.setText(tr_words(f.rest_fix_words))
        self.fix.setVisible(bool(f.rest_fix))
        self.camera_note.setText(tr("Or just begin: once the camera sees your {leg} leg curl, this page moves on "
                                    "by itself and counts that rep.").format(leg=leg))
        self.go.setText(tr("Strap is on — start set {i} of {n}: {leg} leg, {kg} × {reps}").format(
            i=c.index, n=c.of, leg=leg, kg=kg(c.weight_kg), reps=c.target_reps))
