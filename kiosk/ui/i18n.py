"""Languages through Qt's translation system: every string a page shows goes through
`QCoreApplication.translate("kiosk", …)` (`tr`), and a `QTranslator` answers from the language's table,
`kiosk/i18n/<code>.yaml` (the page's words and the seed's content, English source → translation). A
missing entry shows the English source: nothing is ever blank.

The tables are YAML rather than Qt's compiled .qm files: the station's image has no `lrelease`, and a
table a translator edits as text is reviewed like the catalogue it translates.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from PyQt6.QtCore import QCoreApplication, QTranslator

from kiosk.state import phrases
from kiosk.state.phrases import Line, say, say_all
from kiosk.state.words import Words

TABLES = Path(__file__).resolve().parents[1] / "i18n"
# The languages a member can pick, by code, each named in itself.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}
CONTEXT = "kiosk"


@lru_cache(maxsize=8)
def table(code: str) -> dict[str, str]:
    path = TABLES / f"{code}.yaml"
    if code == "en" or not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {" ".join(str(k).split()): str(v) for k, v in data.items()}


class TableTranslator(QTranslator):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.words = table(code)

    def translate(self, context: str | None, source: str | None, disambiguation: str | None = None,  # type: ignore[override]
                  n: int = -1) -> str | None:
        if context != CONTEXT or not source:
            return None  # a null string: not this translator's, Qt asks the next one or shows the source
        # None, not "": Qt takes an empty (non-null) string as a translation and would show nothing.
        return self.words.get(" ".join(source.split()))

    def isEmpty(self) -> bool:
        return not self.words


_installed: list[TableTranslator] = []


def use(code: str) -> None:
    """Show the kiosk in `code` from now on (English: no translator)."""
    app = QCoreApplication.instance()
    if app is None:
        return
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    if code != "en":
        t = TableTranslator(code)
        app.installTranslator(t)
        _installed.append(t)


def current() -> str:
    return _installed[0].code if _installed else "en"


def tr(text: str) -> str:
    """`text` in the kiosk's language (the seed's content too: it is looked up by its English words)."""
    return QCoreApplication.translate(CONTEXT, text)


def tr_words(w: Words | str) -> str:
    """Words the state decided, in the kiosk's language: the template translated, then each value that is
    itself words (a fault's name, a fix) translated too; numbers stay as they are."""
    if isinstance(w, str):
        return tr(w) if w else ""
    if not w.values:
        return tr(w.template) if w.template else ""
    values = {k: tr_words(v) if isinstance(v, Words | str) else number(v) if isinstance(v, float) else str(v)
              for k, v in w.values}
    return tr(w.template).format(**values)


def number(x: float) -> str:
    """A measure as the kiosk's language writes it: '12.5' in English, '12,5' in German."""
    return phrases.number(x, current())


def kg(x: float) -> str:
    """A weight as the kiosk's language writes it: '12.5 kg', '12,5 kg'."""
    return phrases.kilograms(x, current())


def tr_line(line: Line) -> str:
    """One of the site's sentences (a phrase, or an older site's English) in the kiosk's language."""
    return say(line, current(), tr)


def tr_lines(lines: tuple[Line, ...], sep: str = "; ") -> str:
    return say_all(lines, current(), tr, sep)
