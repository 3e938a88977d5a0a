"""Execution: the seed's seven steps with the current phase's lit, the mirror, the rep counter, the tempo
guide, the live cue, every rep's verdict; "End set" and the pain stop."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from kiosk.state.demo import REST_KNEE_DEG, DemoRep
from kiosk.state.flow import Flow
from kiosk.state.phase import Phase, throughout
from kiosk.state.sound import Tick, tempo_ticks
from kiosk.state.station import verdict_words
from kiosk.ui.i18n import tr, tr_words
from kiosk.ui.mirror import SkeletonMirror
from kiosk.ui.widgets import STATUS_COLOURS, button, kg, kinetic, label, page_layout, plain, tally_html

# The tempo guide paces the goal's curl and return on screen: 20 fps is smooth for a bar.
TEMPO_FPS = 20


class ExecutionPage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        ex = flow.exercise
        lay = page_layout(self)
        self.set_title = label("", "h2")
        lay.addWidget(self.set_title)
        row = QHBoxLayout()
        row.setSpacing(28)

        # Left: what to do now — the seven steps, the step of this phase lit with its full text.
        steps = QVBoxLayout()
        steps.setSpacing(6)
        steps.addWidget(label(tr("How to do it"), "h2"))
        self.steps: list[QLabel] = []
        for i in range(len(ex.execution)):
            w = label("", "step")
            w.setProperty("lit", False)
            self.steps.append(w)
            steps.addWidget(w)
            self._step_text(i, lit=False)
        self.tempo_label = label("", "big")
        self.tempo = QProgressBar()
        self.tempo.setRange(0, 1000)
        self.tempo.setTextVisible(False)
        steps.addStretch(1)
        steps.addWidget(self.tempo_label)
        steps.addWidget(self.tempo)
        row.addLayout(steps, 4)

        # Middle: the counter and the mirror.
        mid = QVBoxLayout()
        counter = QHBoxLayout()
        self.count = label("0", "count", wrap=False)
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.target = label("", "big")
        counter.addWidget(self.count)
        counter.addWidget(self.target, 1)
        mid.addLayout(counter)
        self.summary = label(tr("Curl when you are ready"), "muted")
        mid.addWidget(self.summary)
        self.mirror = SkeletonMirror(ex.rules.range_reference_deg.value)
        mid.addWidget(self.mirror, 1)
        row.addLayout(mid, 3)

        # Right: the live cue, every rep, and the ways out.
        right = QVBoxLayout()
        self.cue = plain("", "cue")
        self.cue.setMinimumHeight(110)
        self.cue.setAlignment(Qt.AlignmentFlag.AlignTop)
        right.addWidget(self.cue)
        right.addWidget(label(tr("Every rep"), "h2"))
        self.list = QListWidget()
        # A long line (what could not be checked, and why) wraps within the column instead of scrolling.
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setMinimumHeight(120)
        kinetic(self.list)
        right.addWidget(self.list, 1)
        self.hands_free = label(tr("Ends by itself after your last rep."), "muted")
        right.addWidget(self.hands_free)
        self.end = button(tr("End set"), "primary")
        self.end.clicked.connect(lambda: self.flow.end_set())
        right.addWidget(self.end)
        self.pain = button(tr("Pain or discomfort? Stop"), "danger")
        self.pain.clicked.connect(flow.stop_for_pain)
        right.addWidget(self.pain)
        row.addLayout(right, 3)
        lay.addLayout(row, 1)

        self.tempo_timer = QTimer(self)
        self.tempo_timer.timeout.connect(self._tempo_step)
        self.tempo_t0 = time.monotonic()
        self._tempo_last = -1.0  # the guide's last moment seen, for its ticks
        self.on_tick: Callable[[Tick], None] | None = None  # the tempo guide's ticks, heard (the window's speaker)
        self._shown: list[int] | None = None  # the verdicts on screen (a refined one replaces its first)
        self._lit: int | None = -1

    def _step_text(self, i: int, lit: bool) -> None:
        s = self.flow.exercise.execution[i]
        mark = f"  <span style='color:#C3CBD4'>· {tr('whole rep')}</span>" if throughout(s) else ""
        # Every step's title; the lit one with its full text, so the member reads what matters now.
        self.steps[i].setText(f"<b>{i + 1}. {tr(s.title)}</b>{mark}" + (f"<br>{tr(s.text)}" if lit else ""))
        self.steps[i].setProperty("lit", lit)
        st = self.steps[i].style()
        if st is not None:  # the stylesheet's [lit="true"] rule applies again
            st.unpolish(self.steps[i])
            st.polish(self.steps[i])

    def start_tempo(self) -> None:
        self.tempo_t0 = time.monotonic()
        self._tempo_last = -1.0
        self._tempo_step()  # the guide's words from the first frame, not 50 ms later
        self.tempo_timer.start(1000 // TEMPO_FPS)

    def stop_tempo(self) -> None:
        self.tempo_timer.stop()

    def _tempo_step(self) -> None:
        """The guide paces the goal's rep as the demonstration does: curl, a pause at the top, the return,
        a moment at rest; the bar follows the knee, the label says the phase and the seconds left."""
        g = self.flow.goal
        if g is None or g.tempo is None:
            return
        rep = DemoRep.for_goal(self.flow.exercise, g)
        elapsed = time.monotonic() - self.tempo_t0
        if self.on_tick is not None:
            for kind in tempo_ticks(rep, self._tempo_last, elapsed):
                self.on_tick(kind)
        self._tempo_last = elapsed
        phase, knee, left = rep.at(elapsed)
        words = {Phase.CURL: "Curl… {s} s", Phase.SQUEEZE: "Squeeze…", Phase.RETURN: "Lower slowly… {s} s",
                 Phase.RESET: "Reset, stay tense"}[phase]
        self.tempo_label.setText(tr(words).format(s=f"{math.ceil(left - 1e-6):.0f}"))
        self.tempo.setValue(int(1000 * (knee - REST_KNEE_DEG) / (rep.peak_deg - REST_KNEE_DEG)))

    @property
    def lit_step(self) -> int | None:
        return self._lit if self._lit != -1 else None

    def refresh(self) -> None:
        f = self.flow
        c = f.current
        s = f.station
        if c:
            self.set_title.setText(tr("{Leg} leg · set {i} of {n} · {kg}").format(
                Leg=tr(c.leg.value.capitalize()), i=c.index, n=c.of, kg=kg(c.weight_kg)))
            self.target.setText(tr("of {n}<br>reps").format(n=c.target_reps))
        lit = f.highlighted_step
        if lit != self._lit:
            for i in range(len(self.steps)):
                if i in (lit, self._lit):
                    self._step_text(i, i == lit)
            self._lit = lit
        tempo = f.goal.tempo if f.goal else None
        self.tempo.setVisible(tempo is not None)
        self.tempo_label.setVisible(tempo is not None)
        self.cue.setText(tr(f.cues[0] if f.cues else s.last_cue))  # the camera's live cue first
        self.mirror.show_pose(f.pose)
        shown = [id(v) for v in s.verdicts]
        if shown == self._shown:
            return  # a pose only: the list and the counter stay as they are (20 poses a second)
        self._shown = shown
        self.count.setText(str(s.reps))
        self.summary.setText(tally_html(s.tally) if s.reps else tr("Curl when you are ready"))
        self.list.clear()
        for v in reversed(s.verdicts):
            item = QListWidgetItem(tr_words(verdict_words(v)))
            item.setForeground(STATUS_COLOURS[v.status])
            self.list.addItem(item)
