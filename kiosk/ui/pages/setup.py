"""Setup: the seed's setup steps as a checklist, the starting-position note, a demonstrated rep at the goal's
tempo, and the sets per leg."""

from __future__ import annotations

import time

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from kiosk.state.demo import DemoRep, with_foot
from kiosk.state.flow import Flow
from kiosk.state.phase import Phase
from kiosk.ui.i18n import tr, tr_words
from kiosk.ui.mirror import SkeletonMirror
from kiosk.ui.widgets import button, kg, kinetic, label, page_layout
from shared.contract import CameraPose, Leg

DEMO_FPS = 20  # as the live mirror
DEMO_WORDS = {Phase.REST: "Ready", Phase.CURL: "Curl…", Phase.SQUEEZE: "Squeeze…", Phase.RETURN: "Lower slowly…",
              Phase.RESET: "Reset, stay tense"}  # in English: shown through tr()


class SetupPage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        ex = flow.exercise
        lay = page_layout(self)
        # The steps scroll rather than push the set count and the start button off the panel (an exercise
        # with more steps, or a narrow window whose wrapped text would otherwise set the window's height).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        b = QVBoxLayout(body)
        b.setContentsMargins(0, 0, 0, 0)
        steps = QGridLayout()
        steps.setHorizontalSpacing(24)
        steps.setVerticalSpacing(18)
        for i, s in enumerate(ex.setup):
            steps.addWidget(label(f"{i + 1}", "h2", wrap=False), i, 0, Qt.AlignmentFlag.AlignTop)
            steps.addWidget(label(f"<b>{tr(s.title)}.</b> {tr(s.text)}"), i, 1)
        steps.setColumnStretch(1, 1)  # the steps' text takes the width, so each fits on a line or two
        b.addLayout(steps)
        b.addStretch(1)
        scroll.setWidget(body)
        kinetic(scroll)
        self.body = scroll
        row = QHBoxLayout()
        row.setSpacing(28)
        steps_col = QVBoxLayout()
        steps_col.addWidget(label(tr("Set up"), "h2"))  # level with the demonstration's caption
        steps_col.addWidget(scroll, 1)
        row.addLayout(steps_col, 5)
        # The demonstrated rep: the virtual member's clean rep at the goal's tempo, looping while the member
        # sets up.
        demo = QVBoxLayout()
        self.demo_caption = label("", "h2")
        demo.addWidget(self.demo_caption)
        self.demo = SkeletonMirror(ex.rules.range_reference_deg.value)
        self.demo.setAccessibleName("A clean rep, demonstrated")
        self.demo.setMinimumSize(300, 240)
        demo.addWidget(self.demo, 1)
        # The starting position beside the figure, always in view (not below the steps' fold).
        self.note = label(f"<b>{tr('Starting position')}.</b> {tr(ex.starting_position_note)}", "card")
        demo.addWidget(self.note)
        row.addLayout(demo, 3)
        lay.addLayout(row, 1)
        self.demo_timer = QTimer(self)
        self.demo_timer.timeout.connect(self._demo_step)
        self.demo_t0 = time.monotonic()
        self.demo_rep = DemoRep.for_goal(ex, None)
        lay.addLayout(self._sets_chooser())
        self.start = button("", "primary")
        self.start.setMinimumHeight(120)
        self.start.clicked.connect(flow.start_training)
        lay.addWidget(self.start)

    def _sets_chooser(self) -> QHBoxLayout:
        """Sets per leg: − and + as large as a fingertip (120 px, 21 mm on the panel) around the count."""
        row = QHBoxLayout()
        words = QVBoxLayout()
        words.addWidget(label(tr("Sets per leg"), "h2"))
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

    def start_demo(self) -> None:
        self.demo_rep = DemoRep.for_goal(self.flow.exercise, self.flow.goal)
        self.demo_t0 = time.monotonic()
        self._demo_step()
        self.demo_timer.start(1000 // DEMO_FPS)

    def stop_demo(self) -> None:
        self.demo_timer.stop()

    def _demo_step(self) -> None:
        self.show_demo_at(time.monotonic() - self.demo_t0)

    def show_demo_at(self, t: float) -> None:
        phase, knee, left = self.demo_rep.at(t)
        self.demo.show_pose(CameraPose(t=t, leg=Leg.LEFT, knee_flexion_deg=round(knee, 1),
                                       keypoints=with_foot(self.demo_rep.figure_at(t))))
        timing = f" {left:.0f} s" if phase is not Phase.RESET else ""
        self.demo_caption.setText(tr("A clean rep: {phase}").format(phase=tr(DEMO_WORDS[phase])) + timing)

    def refresh(self) -> None:
        f = self.flow
        c = f.current
        if c is None:
            return
        self.sets_value.setText(str(f.sets_per_leg))
        self.sets_note.setText(tr_words(f.sets_note_words))
        self.fewer.setEnabled(f.can_remove_set)
        self.more.setEnabled(f.can_add_set)
        self.start.setText(tr("I'm ready — start set {i} of {n}: {leg} leg, {kg}, {reps} reps").format(
            i=c.index, n=c.of, leg=tr(c.leg.value), kg=kg(c.weight_kg), reps=c.target_reps))
