"""The kiosk's own on-screen keyboard: a member's name, a staff PIN, typed with a finger.

It floats over the bottom of the window while a text field has the focus, shows what is being
typed (the field may sit under it), and types into that field only. A field with the property
`digits` gets the number pad. Keys are 88 px high (15.8 mm on the 141 px/inch panel), over the 15 mm minimum,
so the whole keyboard leaves the top half of the page in view.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.ui.i18n import tr

# Names are what members type here: the letters of both kiosk languages (ä, ö, ü, ß) and a name's marks.
LETTERS = ("1234567890", "qwertyuiopü", "asdfghjklöä", "zxcvbnmß-'.")
DIGITS = ("123", "456", "789")
KEY_PX = 88


class OnScreenKeyboard(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("keyboard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.target: QLineEdit | None = None
        self.shift = True  # a name starts with a capital
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 16, 24, 16)
        lay.setSpacing(10)
        self.preview = QLabel("")
        self.preview.setObjectName("h2")
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.preview)
        self.keys: dict[str, QPushButton] = {}
        self.letters = QWidget()
        self.letters.setObjectName("keys")
        grid = QVBoxLayout(self.letters)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        for row in LETTERS:
            line = QHBoxLayout()
            line.setSpacing(8)
            for ch in row:
                line.addWidget(self._key(ch, ch))
            grid.addLayout(line)
        self.digits = QWidget()
        self.digits.setObjectName("keys")
        pad = QGridLayout(self.digits)
        pad.setContentsMargins(0, 0, 0, 0)
        pad.setSpacing(8)
        for r, row in enumerate(DIGITS):
            for c, ch in enumerate(row):
                pad.addWidget(self._key(f"pad{ch}", ch), r, c)
        pad.addWidget(self._key("pad0", "0"), 3, 1)
        lay.addWidget(self.letters)
        lay.addWidget(self.digits)
        self.digits.hide()
        actions = QHBoxLayout()
        actions.setSpacing(8)
        for name, text, stretch in (("shift", "", 2), ("space", "", 4), ("back", "", 2), ("hide", "", 2),
                                    ("enter", "", 2)):
            actions.addWidget(self._key(name, text), stretch)
        self.retranslate()
        self.keys["enter"].setObjectName("primary")
        lay.addLayout(actions)
        self.hide()

    def retranslate(self) -> None:
        for name, text in (("shift", "⇧ Shift"), ("space", "Space"), ("back", "⌫ Delete"), ("hide", "Hide"),
                           ("enter", "Done")):
            self.keys[name].setText(tr(text))

    def _key(self, name: str, text: str) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName("key")
        b.setMinimumSize(KEY_PX, KEY_PX)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a key press must not take the focus from the field
        b.clicked.connect(lambda _c, n=name: self.press(n))
        self.keys[name] = b
        return b

    # ------------------------------------------------------------ which field

    def attach(self, field: QLineEdit) -> None:
        """Show the keyboard whenever `field` is touched or gets the focus."""
        field.installEventFilter(self)

    def eventFilter(self, obj: QObject | None, ev: QEvent | None) -> bool:
        if isinstance(obj, QLineEdit) and ev is not None and not obj.isReadOnly():
            if ev.type() in (QEvent.Type.FocusIn, QEvent.Type.MouseButtonPress):
                self.open_for(obj)
            elif ev.type() == QEvent.Type.Hide and obj is self.target:
                self.close_keyboard()  # its page went away
        return False

    def open_for(self, field: QLineEdit) -> None:
        self.target = field
        digits = bool(field.property("digits"))
        self.letters.setVisible(not digits)
        self.digits.setVisible(digits)
        self.keys["shift"].setVisible(not digits)
        self.keys["space"].setVisible(not digits)
        self.shift = not digits and not field.text()
        self._relabel()
        self._show_preview()
        self.place()
        self.show()
        self.raise_()

    def close_keyboard(self) -> None:
        self.target = None
        self.hide()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        h = self.sizeHint().height()
        self.setGeometry(0, parent.height() - h, parent.width(), h)

    # ------------------------------------------------------------ typing

    def press(self, name: str) -> None:
        field = self.target
        if field is None:
            return
        if name == "shift":
            self.shift = not self.shift
            self._relabel()
            return
        if name == "hide":
            self.close_keyboard()
            return
        if name == "back":
            field.backspace()
        elif name == "enter":
            field.returnPressed.emit()  # e.g. the staff PIN submits
            self.close_keyboard()
            return
        else:
            ch = " " if name == "space" else name.removeprefix("pad")
            if self.shift and ch.isalpha():
                ch = ch.upper() if ch != "ß" else ch  # "ß".upper() is "SS": a name keeps its ß
                self.shift = False
                self._relabel()
            if field.maxLength() > len(field.text()):
                field.insert(ch)
        self._show_preview()

    def _relabel(self) -> None:
        for row in LETTERS:
            for ch in row:
                if ch.isalpha() and ch != "ß":
                    self.keys[ch].setText(ch.upper() if self.shift else ch)

    def _show_preview(self) -> None:
        f = self.target
        if f is None:
            return
        shown = "•" * len(f.text()) if f.echoMode() != QLineEdit.EchoMode.Normal else f.text()
        self.preview.setText(f"{f.placeholderText()}: {shown}▏")  # the placeholder is already translated
