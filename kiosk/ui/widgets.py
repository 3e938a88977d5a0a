"""Small building blocks every page uses: labels, buttons, colours, touch scrolling. GUI thread only."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractScrollArea,
    QLabel,
    QLayout,
    QPushButton,
    QScroller,
    QScrollerProperties,
    QVBoxLayout,
    QWidget,
)

from kiosk.state.station import SYMBOLS, Status, Tally
from kiosk.ui import i18n
from kiosk.ui.i18n import tr, tr_words

STYLESHEET = (Path(__file__).with_name("style.qss")).read_text()
# The stylesheet's pass, accent and not-checked colours: a rep that could not be checked is neither green
# nor amber, so a member never reads it as a good rep or as a fault.
PASS_COLOUR, FAIL_COLOUR, UNVERIFIED_COLOUR = QColor("#3DDC84"), QColor("#FFB000"), QColor("#8AB4F8")
MUTED_COLOUR = QColor("#C3CBD4")
STATUS_COLOURS: dict[Status, QColor] = {"passed": PASS_COLOUR, "failed": FAIL_COLOUR,
                                        "unverified": UNVERIFIED_COLOUR}


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


def kinetic(area: QAbstractScrollArea) -> QAbstractScrollArea:
    """A finger drags the content and flicks it on (QScroller on the viewport, for touch and for a
    press-and-drag of a mouse alike); the wide scroll handle of the stylesheet stays as a second grip."""
    vp = area.viewport()
    assert vp is not None
    QScroller.grabGesture(vp, QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    scroller = QScroller.scroller(vp)
    assert scroller is not None
    props = scroller.scrollerProperties()
    # No overshoot past the ends: the page's edge stays where a member expects it.
    off = QScrollerProperties.OvershootPolicy.OvershootAlwaysOff
    props.setScrollMetric(QScrollerProperties.ScrollMetric.VerticalOvershootPolicy, off)
    props.setScrollMetric(QScrollerProperties.ScrollMetric.HorizontalOvershootPolicy, off)
    # A tap on a button inside the view reaches it at once (Qt's default holds the press back 0.25 s to see
    # whether it becomes a drag, and a quick tap's release can overtake it and be lost).
    props.setScrollMetric(QScrollerProperties.ScrollMetric.MousePressEventDelay, 0.0)
    scroller.setScrollerProperties(props)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def kg(x: float) -> str:
    return i18n.kg(x)  # '12.5 kg', '12,5 kg' in German


def tally_html(t: Tally) -> str:
    """The tally as it reads on screen: the plain sentence when every rep was checked; otherwise each
    outcome in its own colour and symbol, so 'not checked' stands apart from passed and failed."""
    if not t.unverified:
        return tr_words(t.words)
    parts = [f"<span style='color:{STATUS_COLOURS[st].name()}'>{SYMBOLS[st]} {tr_words(w)}</span>"
             for st, w in t.part_words()]
    return tr("{parts} of {reps}").format(parts=", ".join(parts), reps=t.reps)


def unverified_html(t: Tally) -> str:
    note = tr_words(t.unverified_words)
    return f"<br><span style='color:{UNVERIFIED_COLOUR.name()}'>{SYMBOLS['unverified']} {note}</span>" if note else ""


def page_layout(w: QWidget) -> QVBoxLayout:
    lay = QVBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(18)
    return lay
