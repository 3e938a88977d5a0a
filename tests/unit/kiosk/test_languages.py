"""The kiosk in another language, through Qt's translation system: every page a member reaches, the seed's
content included, shows no English once the member picks German — and the next member starts in English."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QListWidget, QWidget

# pytest-qt leaves QtBot.mouseClick and keyClicks untyped (*args, **kwargs): hence type: ignore[no-untyped-call]
from pytestqt.qtbot import QtBot

from kiosk.state.flow import Flow, Page
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
def german(qtbot: QtBot) -> Iterator[tuple[KioskWindow, Flow]]:
    sent: list[tuple[str, Model]] = []
    flow = Flow(EX, lambda t, d: sent.append((t, d)))
    win = KioskWindow(flow, "2468")
    qtbot.addWidget(win)
    win.resize(1920, 1080)
    win.show()
    flow.set_broker_online(True)
    assert win.lang_btn.text() == "Deutsch"  # each language named in itself
    qtbot.mouseClick(win.lang_btn, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert flow.language == "de" and i18n.current() == "de"
    yield win, flow
    i18n.use("en")


def row_texts(rows: QListWidget) -> list[str]:
    """A list widget's rows, top first."""
    out = []
    for i in range(rows.count()):
        item = rows.item(i)
        assert item is not None  # every row below count() is there
        out.append(item.text())
    return out


def english_on(win: KioskWindow) -> list[str]:
    return [t for t in shown_texts(win) if ENGLISH.search(t)]


def test_every_page_a_member_reaches_is_german(german: tuple[KioskWindow, Flow]) -> None:
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


def test_the_next_member_starts_in_english(german: tuple[KioskWindow, Flow]) -> None:
    win, flow = german
    flow.start_guest()
    flow.sign_out()
    assert flow.language == "en" and i18n.current() == "en"
    assert win.attract.guest.text() == "Train as a guest" and win.lang_btn.text() == "Deutsch"


def test_the_states_own_sentences_are_german_too(german: tuple[KioskWindow, Flow]) -> None:
    """Counts, verdict lines, why a set ended, what to fix, the summary's cards, the banner: decided in
    kiosk/state as translatable words, shown in the member's language."""
    win, flow = german
    flow.start_guest()
    flow.choose_goal("muscle_activation")
    flow.start_training()
    cur = flow.current
    assert cur is not None
    unseen = [c.RepCheck(check=c.Check.HIP_ROTATION, outcome=c.Outcome.NOT_CHECKED, blocking=True,
                         why="the camera did not see this rep")]
    for i, faults in enumerate([[], [c.Fault.FAST_ECCENTRIC], None, [c.Fault.FAST_ECCENTRIC]], start=1):
        flow.apply(c.make_event("rep.verdict", "main", "st-01", c.RepVerdict(
            session_id=flow.session_id, set_index=cur.index, leg=cur.leg, rep_index=i, start_t=i * 5.0,
            end_t=i * 5.0 + 4, passed=faults == [], faults=faults or [], sensors=[c.Sensor.CAMERA],
            verified=faults is not None, checks=unseen if faults is None else [])))
    lines = row_texts(win.execution.list)
    assert "Wdh. 2  ✗  Rückweg fallen gelassen" in lines
    assert "Wdh. 3  ?  nicht geprüft: Hüfte gerade (die Kamera hat diese Wiederholung nicht gesehen)" in lines
    assert english_on(win) == [] and not any(ENGLISH.search(x) for x in lines), "execution with verdicts"
    flow.tick(20.0)  # the member stopped: the set ends by itself
    assert flow.page == Page.REST
    assert win.rest.ended.text() == "Satz nach 4 Wiederholungen beendet: 20 s keine Wiederholung."
    assert win.rest.fix.text().startswith("Verbessern: Langsam senken, etwa 3 Sekunden (2 Wiederholungen")
    flow.apply(c.make_event("station.status", "main", "st-01", c.StationStatus(
        service="camera", state=c.ServiceState.DEGRADED, detail="no person in view")))
    flow.apply(c.make_event("set.summary", "main", "st-01", c.SetSummary(
        session_id=flow.session_id or "", set_index=1, leg=cur.leg, weight_kg=5, target_reps=10, reps=4,
        passed_reps=1, unverified_reps=1, faults_per_rep=[[], [c.Fault.FAST_ECCENTRIC], [], [c.Fault.FAST_ECCENTRIC]])))
    assert english_on(win) == [], "rest, with the camera's banner"
    flow.finish()
    flow.apply(c.make_event("recommendation", "main", "st-01", c.Recommendation(
        session_id=flow.session_id or "", member_id="g", exercise=EX.id, leg=cur.leg, goal="muscle_activation",
        current_weight_kg=5, next_weight_kg=5, next_target_reps=10, action=c.Action.HOLD)))
    assert english_on(win) == [], "summary"
    assert "Nächstes Mal: 5 kg × 10 (gleiches Gewicht)" in win.summary.cards()[0]


@pytest.mark.parametrize("code", ["en", "de"])
def test_no_button_cuts_its_words_on_any_page(qtbot: QtBot, code: str) -> None:
    """Every button's text fits inside it (padding 28 px a side), in either language, on every page."""
    from PyQt6.QtWidgets import QPushButton

    sent: list[tuple[str, Model]] = []
    flow = Flow(EX, lambda t, d: sent.append((t, d)))
    win = KioskWindow(flow, "2468")
    qtbot.addWidget(win)
    win.resize(1920, 1080)
    win.show()
    flow.set_broker_online(True)
    flow.choose_language(code)
    cut: list[str] = []

    def check(where: str) -> None:
        qtbot.wait(1)  # layouts settle
        for b in win.findChildren(QPushButton):
            text = b.text().replace("&&", "&")
            if b.isVisible() and text and b.fontMetrics().horizontalAdvance(text) > b.width() - 2 * 28 + 2:
                cut.append(f"{where}: {b.text()!r} ({b.width()} px)")

    check("attract")
    flow.start_guest()
    check("welcome")
    flow.choose_goal("tempo_focus")
    check("setup")
    flow.start_training()
    check("execution")
    flow.end_set()
    check("rest")
    while flow.page != Page.STRAP:
        flow.start_training()
        flow.end_set()
    check("strap")
    win.open_operator()
    win.operator.pin.setText("2468")
    win.operator.unlock()
    check("staff")
    win.close_overlays()
    flow.stop_for_pain()
    check("summary")
    i18n.use("en")
    assert cut == []
