"""Welcome: last session, the recommended weight per leg with its reason, and the goal picker."""

from __future__ import annotations

from html import escape

from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.ui.i18n import tr, tr_line, tr_lines
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
        lay.addWidget(label(tr("Pick today's goal"), "h2"))
        grid = QGridLayout()
        grid.setSpacing(16)
        self.goals = {}
        for i, g in enumerate(flow.exercise.goals):
            sets = f"{g.sets.min}" if g.sets.min == g.sets.max else f"{g.sets.min}–{g.sets.max}"
            per_leg = tr("{sets} sets × {reps} reps per leg").format(sets=sets, reps=f"{g.reps.min}–{g.reps.max}")
            words = f"{g.name}: {per_leg}"
            # The seed's load and tempo note in full: the button wraps rather than cutting it.
            note = f"{tr(g.load.capitalize())} — {tr(g.load_note)}"
            b = wrapped_button(f"<b>{tr(g.name)}</b><br>{per_leg}<br><span style='color:#C3CBD4'>{note}</span>", words)
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
        back = bool(f.profile and f.profile.last_session)
        self.hello.setText((tr("Welcome back, {name}") if back else tr("Welcome, {name}")).format(
            name=m.name if m else ""))
        last = f.last_session
        self.last.setText(tr("Last time: {summary}").format(summary=tr_lines(last)) if last
                          else tr("First session here — we start light."))
        clear(self.plan_box)
        for i, p in enumerate(f.profile.plan if f.profile else []):
            head = tr("{Leg} leg (weaker — first)" if i == 0 else "{Leg} leg").format(Leg=tr(p.leg.value.capitalize()))
            why = f.plan_reason(p)
            reason = escape(tr_line(why)) if why else ""  # the site's words, inside markup of ours
            self.plan_box.addWidget(label(f"<b>{head}</b><br><span style='font-size:56px'>{kg(p.weight_kg)}</span>"
                                          f" × {tr('{n} reps').format(n=p.target_reps)}<br>{reason}", "card"))
