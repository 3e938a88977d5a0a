"""Tips & FAQ, over any page: every seed text the catalogue holds that no other page shows — the intro,
the overview, the goals with their load notes, the progression rule, the execution steps in full, tips,
mistakes, FAQ and equipment. It scrolls by a finger's drag."""

from __future__ import annotations

from PyQt6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from kiosk.state.flow import Flow
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
        b.addWidget(label("About this exercise", "h2"))
        b.addWidget(label(ex.intro))
        o = ex.overview
        rows = [("Body part", o.body_part), ("Primary muscle", o.primary_muscles),
                ("Secondary muscle", o.secondary_muscles), ("Equipment", o.equipment),
                ("Difficulty", o.difficulty_note or o.difficulty)]
        b.addWidget(label("<br>".join(f"<b>{k}:</b> {v}" for k, v in rows), "card"))
        b.addWidget(label("Sets & reps by goal", "h2"))
        for g in ex.goals:
            sets = f"{g.sets.min}" if g.sets.min == g.sets.max else f"{g.sets.min}–{g.sets.max}"
            b.addWidget(label(f"<b>{g.name}:</b> {sets} sets × {g.reps.min}–{g.reps.max} reps per leg, "
                              f"{g.load_note}."))
        b.addWidget(label(f"<b>Progression rule:</b> {ex.progression.rule}", "card"))
        b.addWidget(label("How to do it", "h2"))
        for i, s in enumerate(ex.execution):
            b.addWidget(label(f"<b>{i + 1}. {s.title}.</b> {s.text}"))
        b.addWidget(label("Tips", "h2"))
        for s in ex.tips:
            b.addWidget(label(f"<b>{s.title}.</b> {s.text}"))
        b.addWidget(label("Common mistakes", "h2"))
        for s in ex.mistakes:
            b.addWidget(label(f"<b>{s.title}.</b> {s.text}"))
        b.addWidget(label("FAQ", "h2"))
        for f in ex.faq:
            b.addWidget(label(f"<b>{f.q}</b><br>{f.a}"))
        b.addWidget(label("Equipment", "h2"))
        for e in ex.equipment:
            b.addWidget(label(f"<b>{e.name}</b> — {e.text}"))
        b.addWidget(label(ex.equipment_note, "muted"))
        self.body.setWidget(body)
        kinetic(self.body)
        lay.addWidget(self.body, 1)
        self.close_btn = button("Close", "primary")
        self.close_btn.clicked.connect(close)  # type: ignore[arg-type]
        lay.addWidget(self.close_btn)

    def refresh(self) -> None:
        pass  # the catalogue's words do not change while the kiosk runs
