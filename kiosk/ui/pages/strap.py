"""Between legs: move the strap to the other ankle. A tap confirms it, or the camera seeing that leg curl."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QWidget

from kiosk.state.flow import Flow
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
        self.go = button("", "primary")
        self.go.setMinimumHeight(140)
        self.go.clicked.connect(flow.confirm_strap)
        lay.addWidget(self.go)

    def refresh(self) -> None:
        f = self.flow
        c = f.current
        if c is None:
            return
        done = "left" if c.leg.value == "right" else "right"
        self.title.setText(f"Move the strap to your {c.leg.value} ankle")
        texts = [f"Unclip the strap from your {done} ankle.",
                 f"Strap it around your <b>{c.leg.value}</b> ankle, snug above the heel.",
                 f"Face the stack, hold the support, and extend your {c.leg.value} leg slightly behind you."]
        for w, t in zip(self.step_labels, texts, strict=True):
            w.setText(t)
        self.ended.setText(f.end_note)
        self.ended.setVisible(bool(f.end_note))
        self.fix.setText(f.rest_fix)
        self.fix.setVisible(bool(f.rest_fix))
        self.camera_note.setText(f"Or just begin: once the camera sees your {c.leg.value} leg curl, this page "
                                 "moves on by itself and counts that rep.")
        self.go.setText(f"Strap is on — start set {c.index} of {c.of}: {c.leg.value} leg, "
                        f"{kg(c.weight_kg)} × {c.target_reps}")
