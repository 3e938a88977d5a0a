"""Setup: the seed's setup steps as a checklist, the starting-position note, and the sets per leg."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.ui.widgets import button, kg, kinetic, label, page_layout


class SetupPage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        ex = flow.exercise
        lay = page_layout(self)
        lay.addWidget(label("Set up", "h1"))
        # The steps scroll rather than push the set count and the start button off the panel (an exercise
        # with more steps, or a narrow window whose wrapped text would otherwise set the window's height).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        b = QVBoxLayout(body)
        b.setContentsMargins(0, 0, 0, 0)
        steps = QGridLayout()
        steps.setHorizontalSpacing(24)
        steps.setVerticalSpacing(22)
        for i, s in enumerate(ex.setup):
            steps.addWidget(label(f"{i + 1}", "h2", wrap=False), i, 0, Qt.AlignmentFlag.AlignTop)
            steps.addWidget(label(f"<b>{s.title}.</b> {s.text}"), i, 1)
        steps.setColumnStretch(1, 1)  # the steps' text takes the width, so each fits on a line or two
        b.addLayout(steps)
        self.note = label(f"<b>Starting position.</b> {ex.starting_position_note}", "card")
        b.addWidget(self.note)
        b.addStretch(1)
        scroll.setWidget(body)
        kinetic(scroll)
        self.body = scroll
        lay.addWidget(scroll, 1)
        lay.addLayout(self._sets_chooser())
        self.start = button("", "primary")
        self.start.setMinimumHeight(120)
        self.start.clicked.connect(flow.start_training)
        lay.addWidget(self.start)

    def _sets_chooser(self) -> QHBoxLayout:
        """Sets per leg: − and + as large as a fingertip (120 px, 21 mm on the panel) around the count."""
        row = QHBoxLayout()
        words = QVBoxLayout()
        words.addWidget(label("Sets per leg", "h2"))
        self.sets_note = label("", "muted")
        words.addWidget(self.sets_note)
        row.addLayout(words, 1)
        self.fewer = button("−", "step")
        self.fewer.setAccessibleName("One set fewer")
        self.fewer.clicked.connect(lambda: self.flow.change_sets(-1))
        self.sets_value = label("", "big", wrap=False)
        self.sets_value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sets_value.setMinimumWidth(140)
        self.more = button("+", "step")
        self.more.setAccessibleName("One set more")
        self.more.clicked.connect(lambda: self.flow.change_sets(+1))
        for wdg in (self.fewer, self.sets_value, self.more):
            row.addWidget(wdg)
        return row

    def refresh(self) -> None:
        f = self.flow
        c = f.current
        if c is None:
            return
        self.sets_value.setText(str(f.sets_per_leg))
        self.sets_note.setText(f.sets_note)
        self.fewer.setEnabled(f.can_remove_set)
        self.more.setEnabled(f.can_add_set)
        self.start.setText(f"I'm ready — start set {c.index} of {c.of}: {c.leg.value} leg, "
                           f"{kg(c.weight_kg)}, {c.target_reps} reps")
