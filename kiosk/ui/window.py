"""The kiosk's window: the chrome (title, who is signed in, Tips & FAQ, Staff, Sign out, the degraded
banner), the stack of pages, and what floats over them (a trainer's cue, the on-screen keyboard).
Each page is its own class in `kiosk/ui/pages/`; decisions live in `kiosk/state`. GUI thread only."""

from __future__ import annotations

import time

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PyQt6.QtWidgets import QHBoxLayout, QLineEdit, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from kiosk.state.flow import BadgeReader, Flow, Page
from kiosk.state.sound import Announcer, SoundSettings, verdict_cue
from kiosk.state.staff import StaffLock
from kiosk.ui import i18n
from kiosk.ui.i18n import LANGUAGES, tr, tr_words
from kiosk.ui.keyboard import OnScreenKeyboard
from kiosk.ui.pages import (
    AttractPage,
    ExecutionPage,
    InfoPage,
    OperatorPage,
    RestPage,
    SetupPage,
    StrapPage,
    SummaryPage,
    WelcomePage,
)
from kiosk.ui.sound import Speaker
from kiosk.ui.widgets import STYLESHEET, button, label, plain
from shared.contract import IdMethod


class KioskWindow(QMainWindow):
    def __init__(self, flow: Flow, operator_pin: str = "", staff: StaffLock | None = None,
                 sound: SoundSettings | None = None, speaker: Speaker | None = None) -> None:
        super().__init__()
        self.flow = flow
        self.staff = staff or StaffLock(operator_pin)
        self.sound = sound or SoundSettings()
        self.speaker = speaker or Speaker(self.sound)
        self.announcer = Announcer(self.sound)
        self.setWindowTitle("Cable station")
        self.setStyleSheet(STYLESHEET)
        root = QWidget()
        outer = QVBoxLayout(root)
        outer.setContentsMargins(36, 20, 36, 24)
        outer.setSpacing(14)
        outer.addLayout(self._top_bar())
        self.banner = label("", "banner")
        outer.addWidget(self.banner)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.root = root
        self.keyboard = OnScreenKeyboard(root)
        self._build_pages()
        self._retranslate_chrome()
        # A trainer's cue floats over whatever page is shown (outside the layout); a tap dismisses it.
        self.trainer = plain("", "trainer")
        self.trainer.setParent(root)
        self.trainer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.trainer.mousePressEvent = lambda _e: flow.dismiss_cue()  # type: ignore[method-assign,assignment]
        self.setCentralWidget(root)
        self.badges = BadgeReader()
        self.tick = QTimer(self)
        self.tick.timeout.connect(lambda: flow.tick(1.0))
        self.tick.timeout.connect(self._staff_tick)
        self.tick.start(1000)
        self._last_page: Page | None = None
        flow.subscribe(self.refresh)
        self.refresh()

    def _build_pages(self) -> None:
        """The pages, in the kiosk's current language (built again when the member picks another)."""
        flow = self.flow
        while self.stack.count():
            old = self.stack.widget(0)
            self.stack.removeWidget(old)
            if old is not None:
                old.deleteLater()
        self.attract = AttractPage(flow)
        self.welcome = WelcomePage(flow)
        self.setup = SetupPage(flow)
        self.execution = ExecutionPage(flow)
        self.rest = RestPage(flow)
        self.strap = StrapPage(flow)
        self.summary = SummaryPage(flow)
        self.info = InfoPage(flow, self.close_overlays)
        self.operator = OperatorPage(flow, self.staff, self.close_overlays, self.sound, self.speaker.speech)
        self.execution.on_tick = self.speaker.tick
        self.pages: dict[Page, QWidget] = {
            Page.ATTRACT: self.attract, Page.WELCOME: self.welcome, Page.SETUP: self.setup,
            Page.EXECUTION: self.execution, Page.REST: self.rest, Page.STRAP: self.strap,
            Page.SUMMARY: self.summary,
        }
        for w in (*self.pages.values(), self.info, self.operator):
            self.stack.addWidget(w)
        # Every text field a finger must fill gets the on-screen keyboard (the PIN pad types its own field).
        for w in (*self.pages.values(), self.info, self.operator):
            for field in w.findChildren(QLineEdit):
                if not field.isReadOnly():
                    self.keyboard.attach(field)
        self.keyboard.close_keyboard()
        self._last_page = None  # the new pages' timers start as the page is shown

    def _retranslate_chrome(self) -> None:
        self.info_btn.setText(tr("Tips && FAQ"))  # '&&' shows one '&' (a single one marks a shortcut)
        self.op_btn.setText(tr("Staff"))
        self.out_btn.setText(tr("Sign out"))
        self.title.setText(tr(self.flow.exercise.name))
        other = next(code for code in LANGUAGES if code != i18n.current())  # two languages: the other one
        self.lang_btn.setText(LANGUAGES[other])  # each language named in itself
        self.lang_btn.setAccessibleName(f"Language: {LANGUAGES[other]}")
        self.keyboard.retranslate()

    def _language_changed(self) -> None:
        i18n.use(self.flow.language)
        self._build_pages()
        self._retranslate_chrome()

    def switch_language(self) -> None:
        other = next(code for code in LANGUAGES if code != self.flow.language)
        self.flow.choose_language(other)

    # ------------------------------------------------------------ chrome

    def _top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(16)
        # The exercise's whole name, on two lines if it must: never cut ("…Hamstring Curl").
        self.title = label(self.flow.exercise.name, "title")
        self.who = plain("", "muted", wrap=False)
        self.lang_btn = button("")
        self.lang_btn.clicked.connect(self.switch_language)
        self.info_btn = button("")
        self.info_btn.clicked.connect(self.open_info)
        self.op_btn = button("")
        self.op_btn.clicked.connect(self.open_operator)
        self.out_btn = button("", "danger")
        self.out_btn.clicked.connect(lambda: self.flow.sign_out())
        bar.addWidget(self.title, 1)
        bar.addWidget(self.who)
        for b in (self.lang_btn, self.info_btn, self.op_btn, self.out_btn):
            bar.addWidget(b)
        return bar

    def open_info(self) -> None:
        self.flow.info_open = True
        self.flow.touch()
        self.refresh()

    def open_operator(self) -> None:
        self.flow.operator_open = True
        self.staff.lock()
        self.operator.pin.clear()
        self.refresh()

    def close_overlays(self) -> None:
        self.flow.info_open = self.flow.operator_open = False
        self.staff.lock()
        self.keyboard.close_keyboard()
        self.refresh()

    def _staff_tick(self) -> None:
        if self.flow.operator_open:  # the wait's countdown, and the tools closing by themselves
            self.refresh()

    # ------------------------------------------------------------ refresh from state

    def closeEvent(self, ev: QCloseEvent | None) -> None:
        # The flow and the MQTT bridge outlive the window: once it is closed (and soon deleted), no
        # timer tick nor site event may reach its widgets.
        self.tick.stop()
        self.execution.stop_tempo()
        self.setup.stop_demo()
        self.speaker.stop()
        self.flow.unsubscribe(self.refresh)
        super().closeEvent(ev)

    def resizeEvent(self, ev: QResizeEvent | None) -> None:
        super().resizeEvent(ev)
        if self.keyboard.isVisible():
            self.keyboard.place()
        self._place_trainer()

    def _place_trainer(self) -> None:
        if self.flow.trainer_cue:
            width = self.width() - 240
            self.trainer.setGeometry(120, 140, width, self.trainer.heightForWidth(width) + 60)
            self.trainer.raise_()

    @property
    def page_widget(self) -> QWidget:
        w = self.stack.currentWidget()
        assert w is not None
        return w

    def refresh(self) -> None:
        f = self.flow
        if f.language != i18n.current():
            self._language_changed()  # the member picked a language, or the next member starts in the default
        shown: QWidget = self.info if f.info_open else self.operator if f.operator_open else self.pages[f.page]
        self.stack.setCurrentWidget(shown)
        lines = f.degraded_words()
        self.banner.setText("\n".join(tr_words(line) for line in lines))
        self.banner.setVisible(bool(lines))
        self.trainer.setText(f"{tr('Trainer')}: {f.trainer_cue}" if f.trainer_cue else "")
        self.trainer.setVisible(bool(f.trainer_cue))
        self._place_trainer()
        self.who.setText((tr(f.member.name) if f.member.guest else f.member.name) if f.member else "")
        self.out_btn.setVisible(f.page != Page.ATTRACT)
        self.pages[f.page].refresh()  # type: ignore[attr-defined]
        if f.operator_open:
            self.operator.refresh()
        # What the station says (the decision in kiosk/state/sound.py; the speaker never blocks).
        for words in self.announcer.observe(f.page.value, f.station.reps, tr(verdict_cue(f.station.verdicts)),
                                            [tr(c) for c in f.cues], tr_words(f.end_note), time.monotonic()):
            self.speaker.say(tr(words))
        if f.page != self._last_page:
            self._last_page = f.page
            if f.page == Page.EXECUTION:
                self.execution.start_tempo()
            else:
                self.execution.stop_tempo()
            if f.page == Page.SETUP:  # the demonstrated rep animates only while it can be seen
                self.setup.start_demo()
            else:
                self.setup.stop_demo()

    # ------------------------------------------------------------ badge reader

    def eventFilter(self, obj: QObject | None, ev: QEvent | None) -> bool:
        if ev is not None and ev.type() == QEvent.Type.KeyPress and isinstance(ev, QKeyEvent):
            key = ev.key()
            ch = "\n" if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) else ev.text()
            if ch:
                badge = self.badges.key(ch, time.monotonic())
                if badge:
                    self.flow.identify(IdMethod.BADGE, badge)
                    return True
        return False
