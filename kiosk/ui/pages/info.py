"""Tips & FAQ, over any page: every seed text the catalogue holds that no other page shows — the intro,
the overview, the goals with their load notes, the progression rule, the execution steps in full, tips,
mistakes, FAQ and equipment. It scrolls by a finger's drag."""

from __future__ import annotations

from PyQt6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.ui.i18n import tr
from kiosk.ui.widgets import button, kinetic, label, page_layout


class InfoPage(QWidget):
    def __init__(self, flow: Flow, close: object) -> None:
        super().__init__()
        ex = flow.exercise
        lay = page_layout(self)
        self.body = QScrollArea()
        self.body.setWidgetResizable(True)
        body = QWidget()
        b = QVBoxLayout(body)
        b.setSpacing(14)
        b.addWidget(label(tr("About this exercise"), "h2"))
        b.addWidget(label(tr(ex.intro)))
        o = ex.overview
        rows = [("Body part", o.body_part), ("Primary muscle", o.primary_muscles),
                ("Secondary muscle", o.secondary_muscles), ("Equipment", o.equipment),
                ("Difficulty", o.difficulty_note or o.difficulty)]
        b.addWidget(label("<br>".join(f"<b>{tr(k)}:</b> {tr(v)}" for k, v in rows), "card"))
        b.addWidget(label(tr("Sets & reps by goal"), "h2"))
        for g in ex.goals:
            sets = f"{g.sets.min}" if g.sets.min == g.sets.max else f"{g.sets.min}–{g.sets.max}"
            per_leg = tr("{sets} sets × {reps} reps per leg").format(sets=sets, reps=f"{g.reps.min}–{g.reps.max}")
            b.addWidget(label(f"<b>{tr(g.name)}:</b> {per_leg}, {tr(g.load_note)}."))
        b.addWidget(label(f"<b>{tr('Progression rule')}:</b> {tr(ex.progression.rule)}", "card"))
        b.addWidget(label(tr("How to do it"), "h2"))
        for i, s in enumerate(ex.execution):
            b.addWidget(label(f"<b>{i + 1}. {tr(s.title)}.</b> {tr(s.text)}"))
        b.addWidget(label(tr("Tips"), "h2"))
        for s in ex.tips:
            b.addWidget(label(f"<b>{tr(s.title)}.</b> {tr(s.text)}"))
        b.addWidget(label(tr("Common mistakes"), "h2"))
        for s in ex.mistakes:
            b.addWidget(label(f"<b>{tr(s.title)}.</b> {tr(s.text)}"))
        b.addWidget(label(tr("FAQ"), "h2"))
        for f in ex.faq:
            b.addWidget(label(f"<b>{tr(f.q)}</b><br>{tr(f.a)}"))
        b.addWidget(label(tr("Equipment"), "h2"))
        for e in ex.equipment:
            b.addWidget(label(f"<b>{tr(e.name)}</b> — {tr(e.text)}"))
        b.addWidget(label(tr(ex.equipment_note), "muted"))
        self.body.setWidget(body)
        kinetic(self.body)
        lay.addWidget(self.body, 1)
        self.close_btn = button(tr("Close"), "primary")
        self.close_btn.clicked.connect(close)  # type: ignore[arg-type]
        lay.addWidget(self.close_btn)

    def refresh(self) -> None:
        pass  # the catalogue's words do not change while the kiosk runs
