"""The kiosk's widgets: one window, a stack of pages, one stylesheet. Only the GUI thread is here;
the widgets read the `Flow` state and write back only the member's intents."""

from __future__ import annotations

import time
from html import escape
from pathlib import Path

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtGui import QCloseEvent, QColor, QKeyEvent
from PyQt6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.state.flow import BadgeReader, Flow, Page
from kiosk.state.staff import StaffLock
from kiosk.state.station import SYMBOLS, Status, Tally, verdict_text
from shared.contract import IdMethod, Leg

STYLESHEET = (Path(__file__).with_name("style.qss")).read_text()
# The stylesheet's pass, accent and not-checked colours: a rep that could not be checked is neither green
# nor amber, so a member never reads it as a good rep or as a fault.
PASS_COLOUR, FAIL_COLOUR, UNVERIFIED_COLOUR = QColor("#3DDC84"), QColor("#FFB000"), QColor("#8AB4F8")
STATUS_COLOURS: dict[Status, QColor] = {"passed": PASS_COLOUR, "failed": FAIL_COLOUR,
                                        "unverified": UNVERIFIED_COLOUR}
PAGES = [Page.ATTRACT, Page.WELCOME, Page.SETUP, Page.EXECUTION, Page.REST, Page.SUMMARY]
INFO_INDEX, OPERATOR_INDEX = len(PAGES), len(PAGES) + 1


def label(text: str = "", name: str = "", wrap: bool = True) -> QLabel:
    w = QLabel(text)
    if name:
        w.setObjectName(name)
    w.setWordWrap(wrap)
    return w


def plain(text: str = "", name: str = "", wrap: bool = True) -> QLabel:
    """A label for text that comes from outside the kiosk (a trainer's cue, a member's name, the site's
    words): shown as typed, never as markup — `<img>` or `<a href>` in a cue must not render."""
    w = label(text, name, wrap)
    w.setTextFormat(Qt.TextFormat.PlainText)
    return w


def button(text: str, name: str = "") -> QPushButton:
    b = QPushButton(text)
    if name:
        b.setObjectName(name)
    return b


def wrapped_button(html: str, name: str) -> QPushButton:
    """A button whose text wraps (a QPushButton's own text never does): the text is a label inside it that
    lets every touch through to the button. `name` is what screen readers and tests find it by."""
    b = QPushButton()
    b.setObjectName("wrapped")
    b.setAccessibleName(name)
    inner = QVBoxLayout(b)
    inner.setContentsMargins(16, 6, 16, 6)
    text = label(html, "inbutton")
    text.setAlignment(Qt.AlignmentFlag.AlignCenter)
    text.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    inner.addWidget(text)
    return b


def clear(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        w = item.widget()
        if w is not None:
            w.setParent(None)  # gone from the screen now, not at the next turn of the event loop
            w.deleteLater()
        elif item.layout() is not None:
            clear(item.layout())  # type: ignore[arg-type]


def kg(x: float) -> str:
    return f"{x:g} kg"


def tally_html(t: Tally) -> str:
    """The tally as it reads on screen: the plain sentence when every rep was checked; otherwise each
    outcome in its own colour and symbol, so 'not checked' stands apart from passed and failed."""
    if not t.unverified:
        return t.text
    parts = [f"<span style='color:{STATUS_COLOURS[st].name()}'>{SYMBOLS[st]} {words}</span>" for st, words in t.parts()]
    return ", ".join(parts) + f" of {t.reps}"


def unverified_html(t: Tally) -> str:
    note = t.unverified_note
    return f"<br><span style='color:{UNVERIFIED_COLOUR.name()}'>{SYMBOLS['unverified']} {note}</span>" if note else ""


class KioskWindow(QMainWindow):
    def __init__(self, flow: Flow, operator_pin: str = "", staff: StaffLock | None = None) -> None:
        super().__init__()
        self.flow = flow
        self.staff = staff or StaffLock(operator_pin)
        self.setWindowTitle("Cable station")
        self.setStyleSheet(STYLESHEET)
        root = QWidget()
        outer = QVBoxLayout(root)
        outer.setContentsMargins(36, 24, 36, 24)
        outer.setSpacing(16)
        outer.addLayout(self._top_bar())
        self.banner = label("", "banner")
        outer.addWidget(self.banner)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        # A trainer's cue floats over whatever page is shown (outside the layout); a tap dismisses it.
        self.trainer = plain("", "trainer")
        self.trainer.setParent(root)
        self.trainer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.trainer.mousePressEvent = lambda _e: flow.dismiss_cue()  # type: ignore[method-assign,assignment]
        for build in (self._attract, self._welcome, self._setup, self._execution, self._rest, self._summary,
                      self._info, self._operator):
            self.stack.addWidget(build())
        self.setCentralWidget(root)
        self.badges = BadgeReader()
        self.tick = QTimer(self)
        self.tick.timeout.connect(lambda: flow.tick(1.0))
        self.tick.timeout.connect(self._staff_tick)
        self.tick.start(1000)
        self.cue_timer = QTimer(self)
        self.cue_timer.setSingleShot(True)
        self.cue_timer.timeout.connect(flow.dismiss_cue)
        self._shown_cue = ""
        self._last_page: Page | None = None
        flow.subscribe(self.refresh)
        self.refresh()

    # ------------------------------------------------------------ chrome

    def _top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.title = label(self.flow.exercise.name, "h2", wrap=False)
        # A long exercise name must not widen the window past the panel: the title gives way.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.who = plain("", "muted", wrap=False)
        self.info_btn = button("Tips && FAQ")  # '&&' shows one '&' (a single one marks a shortcut)
        self.info_btn.clicked.connect(self.open_info)
        self.op_btn = button("Staff")
        self.op_btn.clicked.connect(self.open_operator)
        self.out_btn = button("Sign out", "danger")
        self.out_btn.clicked.connect(lambda: self.flow.sign_out())
        bar.addWidget(self.title, 1)
        bar.addWidget(self.who)
        for b in (self.info_btn, self.op_btn, self.out_btn):
            bar.addWidget(b)
        return bar

    def open_info(self) -> None:
        self.flow.info_open = True
        self.flow.touch()
        self.refresh()

    def open_operator(self) -> None:
        self.flow.operator_open = True
        self.staff.lock()
        self.op_pin.clear()
        self.refresh()

    def close_overlays(self) -> None:
        self.flow.info_open = self.flow.operator_open = False
        self.staff.lock()
        self.refresh()

    def unlock_staff(self) -> None:
        """The PIN is looked at only here, when submitted (not as it is typed), and counted."""
        self.staff.submit(self.op_pin.text())
        self.op_pin.clear()
        self.refresh()

    def _staff_tick(self) -> None:
        if self.flow.operator_open:  # the wait's countdown, and the tools closing by themselves
            self.refresh()

    # ------------------------------------------------------------ pages

    def _page(self) -> tuple[QWidget, QVBoxLayout]:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setSpacing(18)
        return w, lay

    def _attract(self) -> QWidget:
        w, lay = self._page()
        ex = self.flow.exercise
        lay.addWidget(label(ex.name, "h1"))
        lay.addWidget(label(ex.summary, "muted"))
        row = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(label("Tap your badge on the reader, hold your QR code up to the camera, "
                             "or enter your PIN.", "big"))
        left.addWidget(label(f"Works: {ex.overview.primary_muscles}.  Difficulty: {ex.overview.difficulty}.",
                             "muted"))
        self.attract_msg = plain("", "cue")
        left.addWidget(self.attract_msg)
        self.enrol_box = QWidget()
        eb = QVBoxLayout(self.enrol_box)
        self.enrol_name = QLineEdit()
        self.enrol_name.setPlaceholderText("Your first name")
        eb.addWidget(self.enrol_name)
        legs = QHBoxLayout()
        self.weaker = {}
        for leg in (Leg.LEFT, Leg.RIGHT):
            b = button(f"Weaker leg: {leg.value}")
            b.setCheckable(True)
            b.clicked.connect(lambda _c, lg=leg: self._pick_weaker(lg))
            self.weaker[leg] = b
            legs.addWidget(b)
        eb.addLayout(legs)
        create = button("Create my profile", "primary")
        create.clicked.connect(self._enrol)
        eb.addWidget(create)
        left.addWidget(self.enrol_box)
        guest = button("Train as a guest")
        guest.clicked.connect(self.flow.start_guest)
        left.addWidget(guest)
        left.addStretch(1)
        row.addLayout(left, 3)
        row.addLayout(self._pin_pad(), 2)
        lay.addLayout(row, 1)
        return w

    def _pick_weaker(self, leg: Leg) -> None:
        for lg, b in self.weaker.items():
            b.setChecked(lg == leg)

    def _enrol(self) -> None:
        weaker = next((lg for lg, b in self.weaker.items() if b.isChecked()), None)
        self.flow.enrol(self.enrol_name.text(), weaker)

    def _pin_pad(self) -> QVBoxLayout:
        box = QVBoxLayout()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("PIN")
        self.pin.setReadOnly(True)
        box.addWidget(self.pin)
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "OK"]
        for i, k in enumerate(keys):
            b = button(k, "primary" if k == "OK" else "")
            b.clicked.connect(lambda _c, key=k: self._pin_key(key))
            grid.addWidget(b, i // 3, i % 3)
        box.addLayout(grid)
        box.addStretch(1)
        return box

    def _pin_key(self, key: str) -> None:
        if key == "Clear":
            self.pin.clear()
        elif key == "OK":
            pin = self.pin.text()
            self.pin.clear()
            self.flow.identify(IdMethod.PIN, pin)
        elif len(self.pin.text()) < 8:
            self.pin.setText(self.pin.text() + key)

    def _welcome(self) -> QWidget:
        w, lay = self._page()
        self.hello = plain("", "h1")
        self.last = plain("", "muted")
        lay.addWidget(self.hello)
        lay.addWidget(self.last)
        self.plan_box = QHBoxLayout()
        lay.addLayout(self.plan_box)
        lay.addWidget(label("Pick today's goal", "h2"))
        grid = QGridLayout()
        for i, g in enumerate(self.flow.exercise.goals):
            sets = f"{g.sets.min}" if g.sets.min == g.sets.max else f"{g.sets.min}–{g.sets.max}"
            b = wrapped_button(f"<b>{g.name}</b><br>{sets} sets × {g.reps.min}–{g.reps.max} reps per leg<br>"
                               f"<span style='color:#C3CBD4'>{g.load} — {g.load_note}</span>",
                               f"{g.name}: {sets} sets × {g.reps.min}–{g.reps.max} reps per leg")
            b.clicked.connect(lambda _c, gid=g.id: self.flow.choose_goal(gid))
            grid.addWidget(b, i // 3, i % 3)
        for col in range(3):
            grid.setColumnStretch(col, 1)  # equal columns: a long goal name does not squeeze its neighbours
        lay.addLayout(grid)
        lay.addStretch(1)
        return w

    def _setup(self) -> QWidget:
        w, lay = self._page()
        ex = self.flow.exercise
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
        b.addWidget(label(ex.starting_position_note, "card"))
        b.addStretch(1)
        scroll.setWidget(body)
        lay.addWidget(scroll, 1)
        lay.addLayout(self._sets_chooser())
        self.start_btn = button("", "primary")
        self.start_btn.setMinimumHeight(120)
        self.start_btn.clicked.connect(self.flow.start_training)
        lay.addWidget(self.start_btn)
        return w

    def _sets_chooser(self) -> QHBoxLayout:
        """Sets per leg: − and + as large as a fingertip (120 px, 21 mm on the panel) around the count."""
        row = QHBoxLayout()
        words = QVBoxLayout()
        words.addWidget(label("Sets per leg", "h2"))
        self.sets_note = label("", "muted")
        words.addWidget(self.sets_note)
        row.addLayout(words, 1)
        self.fewer_sets = button("−", "step")
        self.fewer_sets.setAccessibleName("One set fewer")
        self.fewer_sets.clicked.connect(lambda: self.flow.change_sets(-1))
        self.sets_value = label("", "big", wrap=False)
        self.sets_value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sets_value.setMinimumWidth(140)
        self.more_sets = button("+", "step")
        self.more_sets.setAccessibleName("One set more")
        self.more_sets.clicked.connect(lambda: self.flow.change_sets(+1))
        for wdg in (self.fewer_sets, self.sets_value, self.more_sets):
            row.addWidget(wdg)
        return row

    def _execution(self) -> QWidget:
        w, lay = self._page()
        self.set_title = label("", "h2")
        lay.addWidget(self.set_title)
        row = QHBoxLayout()
        left = QVBoxLayout()
        self.count = label("0", "count", wrap=False)
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.target = label("", "big")
        self.target.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary = label("Curl when you are ready", "muted")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        left.addWidget(self.count)
        left.addWidget(self.target)
        left.addWidget(self.summary)
        self.tempo_label = label("", "big")
        self.tempo = QProgressBar()
        self.tempo.setRange(0, 1000)
        self.tempo.setTextVisible(False)
        left.addWidget(self.tempo_label)
        left.addWidget(self.tempo)
        self.cue = plain("", "cue")
        left.addWidget(self.cue)
        left.addStretch(1)
        row.addLayout(left, 2)
        right = QVBoxLayout()
        right.addWidget(label("Every rep", "h2"))
        self.list = QListWidget()
        # A long line (what could not be checked, and why) wraps within the column instead of scrolling.
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        right.addWidget(self.list, 1)
        end = button("End set", "primary")
        end.clicked.connect(lambda: self.flow.end_set())
        right.addWidget(end)
        row.addLayout(right, 3)
        lay.addLayout(row, 1)
        # The tempo guide paces the goal's curl and return on screen (20 fps is smooth for a bar).
        self.tempo_timer = QTimer(self)
        self.tempo_timer.timeout.connect(self._tempo_step)
        self.tempo_t0 = time.monotonic()
        return w

    def _tempo_step(self) -> None:
        g = self.flow.goal
        if g is None or g.tempo is None:
            return
        up, down = g.tempo.concentric_s, g.tempo.eccentric_s
        u = (time.monotonic() - self.tempo_t0) % (up + down)
        if u < up:
            self.tempo_label.setText(f"Curl… {up - u:.0f} s")
            self.tempo.setValue(int(1000 * u / up))
        else:
            self.tempo_label.setText(f"Lower slowly… {up + down - u:.0f} s")
            self.tempo.setValue(int(1000 * (1 - (u - up) / down)))

    def _rest(self) -> QWidget:
        w, lay = self._page()
        lay.addWidget(label("Rest", "h1"))
        self.rest_left = label("", "count", wrap=False)
        self.rest_left.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.rest_left)
        self.rest_next = label("", "big")
        self.rest_next.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.rest_next)
        self.rest_last = label("", "muted")
        self.rest_last.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.rest_last)
        lay.addStretch(1)
        go = button("Start next set", "primary")
        go.setMinimumHeight(120)
        go.clicked.connect(self.flow.start_training)
        lay.addWidget(go)
        return w

    def _summary(self) -> QWidget:
        w, lay = self._page()
        lay.addWidget(label("Your session", "h1"))
        scroll = QScrollArea()  # a long session's faults and reasons scroll instead of growing the window
        scroll.setWidgetResizable(True)
        body = QWidget()
        self.summary_box = QVBoxLayout(body)
        self.summary_box.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll.setWidget(body)
        lay.addWidget(scroll, 1)
        done = button("Done", "primary")
        done.clicked.connect(lambda: self.flow.sign_out())
        lay.addWidget(done)
        return w

    def _info(self) -> QWidget:
        w, lay = self._page()
        ex = self.flow.exercise
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        b = QVBoxLayout(body)
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
        scroll.setWidget(body)
        lay.addWidget(scroll, 1)
        close = button("Close", "primary")
        close.clicked.connect(self.close_overlays)
        lay.addWidget(close)
        return w

    def _operator(self) -> QWidget:
        w, lay = self._page()
        lay.addWidget(label("Staff — station settings", "h1"))
        row = QHBoxLayout()
        self.op_pin = QLineEdit()
        self.op_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.op_pin.setPlaceholderText("Staff PIN")
        self.op_pin.setMaxLength(8)
        self.op_pin.returnPressed.connect(self.unlock_staff)
        row.addWidget(self.op_pin, 1)
        self.op_unlock = button("Unlock", "primary")
        self.op_unlock.clicked.connect(self.unlock_staff)
        row.addWidget(self.op_unlock)
        lay.addLayout(row)
        self.op_lock = plain("", "cue")  # a wrong PIN, or the wait after too many
        lay.addWidget(self.op_lock)
        self.op_tools = QWidget()
        t = QVBoxLayout(self.op_tools)
        row = QHBoxLayout()
        for text, svc, cmd, args in (("Tare load cell", "loadcell", "tare", {}),
                                     ("Calibrate with 10 kg", "loadcell", "calibrate", {"known_mass_kg": 10.0}),
                                     ("Camera placement check", "camera", "placement_check", {})):
            b = button(text)
            b.clicked.connect(lambda _c, s=svc, c=cmd, a=args: self.flow.operator_command(s, c, **a))
            row.addWidget(b)
        t.addLayout(row)
        self.op_status = plain("", "card")
        t.addWidget(self.op_status)
        lay.addWidget(self.op_tools)
        lay.addStretch(1)
        close = button("Close", "primary")
        close.clicked.connect(self.close_overlays)
        lay.addWidget(close)
        return w

    # ------------------------------------------------------------ refresh from state

    def closeEvent(self, ev: QCloseEvent | None) -> None:
        # The flow and the MQTT bridge outlive the window: once it is closed (and soon deleted), no
        # timer tick nor site event may reach its widgets.
        self.tick.stop()
        self.cue_timer.stop()
        self.flow.unsubscribe(self.refresh)
        super().closeEvent(ev)

    def refresh(self) -> None:
        f = self.flow
        if f.info_open:
            self.stack.setCurrentIndex(INFO_INDEX)
        elif f.operator_open:
            self.stack.setCurrentIndex(OPERATOR_INDEX)
        else:
            self.stack.setCurrentIndex(PAGES.index(f.page))
        lines = f.degraded()
        self.banner.setText("\n".join(lines))
        self.banner.setVisible(bool(lines))
        if f.trainer_cue != self._shown_cue:
            self._shown_cue = f.trainer_cue
            if f.trainer_cue:
                self.cue_timer.start(8000)  # a trainer's cue stays long enough to read twice
        self.trainer.setText(f"Trainer: {f.trainer_cue}" if f.trainer_cue else "")
        self.trainer.setVisible(bool(f.trainer_cue))
        if f.trainer_cue:
            width = self.width() - 240
            self.trainer.setGeometry(120, 140, width, self.trainer.heightForWidth(width) + 60)
            self.trainer.raise_()
        self.who.setText(f.member.name if f.member else "")
        self.out_btn.setVisible(f.page != Page.ATTRACT)
        page = f.page
        if page == Page.ATTRACT:
            self.attract_msg.setText(f.message)
            self.enrol_box.setVisible("not recognised" in f.message)
        elif page == Page.WELCOME:
            self._refresh_welcome()
        elif page == Page.SETUP and f.current:
            c = f.current
            self.sets_value.setText(str(f.sets_per_leg))
            self.sets_note.setText(f.sets_note)
            self.fewer_sets.setEnabled(f.can_remove_set)
            self.more_sets.setEnabled(f.can_add_set)
            self.start_btn.setText(f"I'm ready — start set {c.index} of {c.of}: {c.leg.value} leg, "
                                   f"{kg(c.weight_kg)}, {c.target_reps} reps")
        elif page == Page.EXECUTION:
            self._refresh_execution()
        elif page == Page.REST and f.current:
            c = f.current
            self.rest_left.setText(f"{int(f.rest_left_s)} s")
            self.rest_next.setText(f"Next: {c.leg.value} leg, set {c.index} of {c.of}, "
                                   f"{kg(c.weight_kg)} × {c.target_reps}")
            last = f.last_set_tally
            self.rest_last.setText(f"Last set: {tally_html(last)}{unverified_html(last)}" if last else "")
        elif page == Page.SUMMARY:
            self._refresh_summary()
        if f.operator_open:
            lock = self.staff
            self.op_tools.setVisible(lock.unlocked)
            waiting = lock.wait_s > 0
            for w in (self.op_pin, self.op_unlock):
                w.setVisible(not lock.unlocked)
                w.setEnabled(not waiting)
            self.op_lock.setText(lock.message)
            self.op_lock.setVisible(bool(lock.message))
            svc = "\n".join(f"{k}: {s.value}{' — ' + d if d else ''}" for k, (s, d) in sorted(f.services.items()))
            rep = "\n".join(f"{r.service}: {r.status} {r.error or r.data}" for r in f.replies[-3:])
            self.op_status.setText(f"Services\n{svc or 'no status yet'}\n\nReplies\n{rep or '—'}")
        if page != self._last_page:
            self._last_page = page
            if page == Page.EXECUTION:
                self.tempo_t0 = time.monotonic()
                self.tempo_timer.start(50)
            else:
                self.tempo_timer.stop()

    def _refresh_welcome(self) -> None:
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

    def _refresh_execution(self) -> None:
        f = self.flow
        c = f.current
        s = f.station
        if c:
            self.set_title.setText(f"{c.leg.value.capitalize()} leg · set {c.index} of {c.of} · "
                                   f"{kg(c.weight_kg)}")
            self.target.setText(f"of {c.target_reps} reps")
        self.count.setText(str(s.reps))
        self.summary.setText(tally_html(s.tally) if s.reps else "Curl when you are ready")
        tempo = f.goal.tempo if f.goal else None
        self.tempo.setVisible(tempo is not None)
        self.tempo_label.setVisible(tempo is not None)
        self.cue.setText(f.cues[0] if f.cues else s.last_cue)  # the camera's live cue first
        self.list.clear()
        for v in reversed(s.verdicts):
            item = QListWidgetItem(verdict_text(v))
            item.setForeground(STATUS_COLOURS[v.status])
            self.list.addItem(item)

    def _refresh_summary(self) -> None:
        f = self.flow
        clear(self.summary_box)
        for leg in f.legs:
            if not any(s.leg == leg for s in f.summaries):
                continue
            t = f.tally(leg)
            rec = next((r for r in f.recommendations if r.leg == leg), None)
            nxt = "<br>Working out your next weight…"
            if rec:
                nxt = (f"<br><b>Next time: {kg(rec.next_weight_kg)} × {rec.next_target_reps}</b> "
                       f"({rec.action.value})<br>" + "<br>".join(escape(r) for r in rec.reasons))
            self.summary_box.addWidget(label(f"<b>{leg.value.capitalize()} leg</b>: {tally_html(t)} "
                                             f"— {f.fault_text(leg)}{unverified_html(t)}{nxt}", "card"))

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
