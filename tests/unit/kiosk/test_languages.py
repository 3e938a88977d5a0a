"""The kiosk in another language, through Qt's translation system: every page a member reaches, the seed's
content included, shows no English once the member picks German — and the next member starts in English."""

from __future__ import annotations

import re

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget

from kiosk.state.flow import Flow
from kiosk.ui import i18n
from kiosk.ui.window import KioskWindow
from shared import contract as c
from shared.catalogue import default_catalogue
from shared.contract import Model

EX = default_catalogue()["hamstring-curl-kickback"]
# Words that are English and never German: one on screen means a string went past the translator.
ENGLISH = re.compile(r"\b(the|your|and|with|of|leg|legs|reps?|set|sets|start|curl|lower|keep|tap|pick|"
                     r"goal|close|staff|sign|rest|next|every|hips?|thigh|knee|pain|done|ready)\b", re.I)


def shown_texts(w: QWidget) -> list[str]:
    out = []
    for x in w.findChildren(QWidget):
        if not x.isVisibleTo(w):
            continue
        if isinstance(x, QLabel | QAbstractButton):
            out.append(x.text())
        elif isinstance(x, QLineEdit):
            out.append(x.placeholderText())
    return [re.sub(r"<[^>]+>", " ", t).replace("&amp;", "&") for t in out if t]


@pytest.fixture
def german(qtbot):
    sent: list[tuple[str, Model]] = []
    flow = Flow(EX, lambda t, d: sent.append((t, d)))
    win = KioskWindow(flow, "2468")
    qtbot.addWidget(win)
    win.resize(1920, 1080)
    win.show()
    flow.set_broker_online(True)
    assert win.lang_btn.text() == "Deutsch"  # each language named in itself
    qtbot.mouseClick(win.lang_btn, Qt.MouseButton.LeftButton)
    assert flow.language == "de" and i18n.current() == "de"
    yield win, flow
    i18n.use("en")


def english_on(win: KioskWindow) -> list[str]:
    return [t for t in shown_texts(win) if ENGLISH.search(t)]


def test_every_page_a_member_reaches_is_german(german) -> None:
    win, flow = german
    assert english_on(win) == [], "attract"
    assert win.lang_btn.text() == "English"
    flow.start_guest()
    assert english_on(win) == [], "welcome"
    flow.choose_goal("tempo_focus")
    assert english_on(win) == [], "setup"
    flow.start_training()
    cur = flow.current
    assert cur is not None
    flow.apply(c.make_event("camera.pose", "main", "st-01", c.CameraPose(
        t=1.0, leg=cur.leg, knee_flexion_deg=60.0, cues=["Keep the thigh still"])))
    assert english_on(win) == [], "execution"
    assert "Oberschenkel ruhig halten" in win.execution.cue.text()
    win.open_info()
    assert english_on(win) == [], "tips and FAQ, the seed's content"
    win.close_overlays()
    flow.stop_for_pain()
    assert english_on(win) == [], "summary after the pain stop"


def test_the_next_member_starts_in_english(german) -> None:
    win, flow = german
    flow.start_guest()
    flow.sign_out()
    assert flow.language == "en" and i18n.current() == "en"
    assert win.attract.guest.text() == "Train as a guest" and win.lang_btn.text() == "Deutsch"
