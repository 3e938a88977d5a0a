"""Welcome: last session, the recommended weight per leg with its reason, and the goal picker."""

from __future__ import annotations

from html import escape

from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.ui.widgets import clear, kg, label, page_layout, plain, wrapped_button


class WelcomePage(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        lay = page_layout(self)
        self.hello = plain("", "h1")
        self.last = plain("", "muted")
        lay.addWidget(self.hello)
        lay.addWidget(self.last)
        self.plan_box = QHBoxLayout()
        lay.addLayout(self.plan_box)
        lay.addWidget(label("Pick today's goal", "h2"))
        grid = QGridLayout()
        grid.setSpacing(16)
        self.goals = {}
        for i, g in enumerate(flow.exercise.goals):
            sets = f"{g.sets.min}" if g.sets.min == g.sets.max else f"{g.sets.min}–{g.sets.max}"
            words = f"{g.name}: {sets} sets × {g.reps.min}–{g.reps.max} reps per leg"
            # The seed's load and tempo note in full: the button wraps rather than cutting it.
            b = wrapped_button(f"<b>{g.name}</b><br>{sets} sets × {g.reps.min}–{g.reps.max} reps per leg<br>"
                               f"<span style='color:#C3CBD4'>{g.load.capitalize()} — {g.load_note}</span>", words)
            b.clicked.connect(lambda _c, gid=g.id: self.flow.choose_goal(gid))
            grid.addWidget(b, i // 3, i % 3)
            self.goals[g.id] = b
        for col in range(3):
            grid.setColumnStretch(col, 1)  # equal columns: a long goal name does not squeeze its neighbours
        lay.addLayout(grid)
        lay.addStretch(1)

    def refresh(self) -> None:
        f = self.flow
        m = f.member
        self.hello.setText(f"Welcome{' back' if f.profile and f.profile.last_session else ''}, "
                           f"{m.name if m else ''}")
        last = f.profile.last_session if f.profile else None
        self.last.setText(f"Last time: {last.summary}" if last else "First session here — we start light.")
        clear(self.plan_box)
        for i, p in enumerate(f.profile.plan if f.profile else []):
            head = f"{p.leg.value.capitalize()} leg{' (weaker — first)' if i == 0 else ''}"
            reason = escape(p.reasons[0]) if p.reasons else ""  # the site's words, inside markup of ours
            self.plan_box.addWidget(label(f"<b>{head}</b><br><span style='font-size:56px'>{kg(p.weight_kg)}</span>"
                                          f" × {p.target_reps} reps<br>{reason}", "card"))
