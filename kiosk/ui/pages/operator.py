"""The staff screen, behind the station's PIN: load-cell tare and calibration, the camera placement check,
every service's state and the last replies, in words."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from kiosk.state.flow import Flow
from kiosk.state.sound import SoundSettings
from kiosk.state.staff import StaffLock
from kiosk.ui.i18n import tr
from kiosk.ui.widgets import button, kinetic, label, page_layout, plain
from shared.contract import FAULT_WORDS, Fault

# (button, service, command, arguments): what staff can ask the station's services to do.
COMMANDS: tuple[tuple[str, str, str, dict[str, float | str]], ...] = (  # the words in English: shown via tr()
    ("Tare load cell", "loadcell", "tare", {}),
    ("Calibrate with 10 kg", "loadcell", "calibrate", {"known_mass_kg": 10.0}),
    ("Camera placement check", "camera", "placement_check", {}),
)
# Record the next set done here into the station's corpus, labelled (shared/corpus.py): a set done on purpose.
RECORDINGS: tuple[tuple[str, tuple[Fault, ...]], ...] = (
    ("Clean", ()),
    ("Swing", (Fault.SWING,)),
    ("Hips open", (Fault.HIP_ROTATION,)),
    ("Dropped return", (Fault.FAST_ECCENTRIC,)),
)


class OperatorPage(QWidget):
    def __init__(self, flow: Flow, staff: StaffLock, close: Callable[[], None], sound: SoundSettings,
                 speech: str) -> None:
        super().__init__()
        self.flow, self.staff, self.sound, self.speech = flow, staff, sound, speech
        outer = page_layout(self)
        # The page scrolls rather than clip or push the window past the panel (a long placement report).
        self.body = QScrollArea()
        self.body.setWidgetResizable(True)
        content = QWidget()
        lay = QVBoxLayout(content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(18)
        self.body.setWidget(content)
        kinetic(self.body)
        outer.addWidget(self.body, 1)
        lay.addWidget(label(tr("Staff — station settings"), "h1"))
        row = QHBoxLayout()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(tr("Staff PIN"))
        self.pin.setMaxLength(8)
        self.pin.setProperty("digits", True)  # the on-screen keyboard shows its number pad
        self.pin.returnPressed.connect(self.unlock)
        row.addWidget(self.pin, 1)
        self.unlock_btn = button(tr("Unlock"), "primary")
        self.unlock_btn.clicked.connect(self.unlock)
        row.addWidget(self.unlock_btn)
        lay.addLayout(row)
        self.lock_msg = plain("", "cue")  # a wrong PIN, or the wait after too many
        lay.addWidget(self.lock_msg)
        self.tools = QWidget()
        t = QVBoxLayout(self.tools)
        t.setContentsMargins(0, 0, 0, 0)
        t.setSpacing(18)
        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        for text, svc, cmd, args in COMMANDS:
            b = button(tr(text))
            b.clicked.connect(lambda _c, s=svc, c=cmd, a=args: self.flow.operator_command(s, c, **a))
            buttons.addWidget(b, 1)
        t.addLayout(buttons)
        t.addWidget(label(tr("Record the next set as"), "h2"))  # its own line: the four buttons get the width
        record = QHBoxLayout()
        record.setSpacing(16)
        for text, faults in RECORDINGS:
            r = button(tr(text))
            r.clicked.connect(lambda _c, fs=faults: self.flow.record_next_set(fs))
            record.addWidget(r, 1)
        t.addLayout(record)
        self.recording = label("", "muted")
        t.addWidget(self.recording)
        # Sound: the member hears counts, cues and the tempo; staff set how loud, or silence it.
        sound_row = QHBoxLayout()
        sound_row.setSpacing(16)
        sound_row.addWidget(label(tr("Sound"), "h2"))
        self.sound_text = label("", "lead")
        sound_row.addWidget(self.sound_text, 1)
        self.mute = button("")
        self.mute.clicked.connect(lambda: self._sound(self.sound.toggle_mute))
        self.softer = button(tr("Softer"))
        self.softer.clicked.connect(lambda: self._sound(self.sound.softer))
        self.louder = button(tr("Louder"))
        self.louder.clicked.connect(lambda: self._sound(self.sound.louder))
        for b in (self.mute, self.softer, self.louder):
            sound_row.addWidget(b)
        t.addLayout(sound_row)
        self.speech_text = label(f"{tr('Speech')}: {tr(speech)}", "muted")
        t.addWidget(self.speech_text)
        cards = QGridLayout()
        cards.setHorizontalSpacing(18)
        cards.addWidget(label(tr("Services"), "h2"), 0, 0)
        cards.addWidget(label(tr("Replies"), "h2"), 0, 1)
        self.status = plain("", "card")
        self.replies = plain("", "card")
        for col, w in enumerate((self.status, self.replies)):
            w.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            cards.addWidget(w, 1, col)
            cards.setColumnStretch(col, 1)
        t.addLayout(cards)
        lay.addWidget(self.tools)
        lay.addStretch(1)
        self.close_btn = button(tr("Close"), "primary")
        self.close_btn.clicked.connect(close)
        outer.addWidget(self.close_btn)

    def _sound(self, change: Callable[[], None]) -> None:
        change()
        self.refresh()

    def unlock(self) -> None:
        """The PIN is looked at only here, when submitted (not as it is typed), and counted."""
        self.staff.submit(self.pin.text())
        self.pin.clear()
        self.refresh()

    def refresh(self) -> None:
        lock, f = self.staff, self.flow
        self.tools.setVisible(lock.unlocked)
        waiting = lock.wait_s > 0
        for w in (self.pin, self.unlock_btn):
            w.setVisible(not lock.unlocked)
            w.setEnabled(not waiting)
        self.lock_msg.setText(tr(lock.message))
        self.lock_msg.setVisible(bool(lock.message))
        self.status.setText("\n".join(f.service_lines) or tr("No status yet"))
        self.replies.setText("\n\n".join(f.reply_lines) or tr("No command sent yet"))
        rec = f.recording
        self.recording.setText("" if rec is None else tr("The next set will be recorded as: {label}").format(
            label=", ".join(tr(FAULT_WORDS[x]) for x in rec) if rec else tr("Clean")))
        self.recording.setVisible(rec is not None)
        self.sound_text.setText(tr(self.sound.text))
        self.mute.setText(tr("Unmute") if self.sound.muted else tr("Mute"))
        self.softer.setEnabled(self.sound.volume > 0)
        self.louder.setEnabled(self.sound.volume < 1)
