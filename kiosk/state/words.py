"""Words the state decides, kept translatable (pure: no Qt).

A `Words` is an English template and its values: `str()` gives the English sentence (what tests and logs
read), and the screen translates the template and each value that is itself words
(`kiosk.ui.i18n.tr_words`) — so "Set done: 10 reps." becomes "Satz fertig: 10 Wiederholungen." without the
state knowing any language. A float value is a measure, written the language's way ("12.5", "12,5").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

Value = Union["Words", str, int, float]


@dataclass(frozen=True)
class Words:
    template: str
    values: tuple[tuple[str, Value], ...] = ()

    def __str__(self) -> str:
        return self.template.format(**{k: _english(v) for k, v in self.values}) if self.values else self.template

    def __bool__(self) -> bool:
        return bool(self.template)


def _english(v: Value) -> str:
    # A float is a measure (a weight): '12.5', '5' — the screen writes it the member's language's way.
    return f"{v:g}" if isinstance(v, float) else str(v)


def words(template: str, **values: Value) -> Words:
    return Words(template, tuple(values.items()))


def joined(parts: list[Words], sep: str = ", ") -> Words:
    """Words in a row ('2× swung the thigh, 1× dropped the return'), each translated on its own."""
    names = {f"p{i}": p for i, p in enumerate(parts)}
    return words(sep.join("{" + k + "}" for k in names), **names)
