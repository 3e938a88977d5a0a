"""The site's sentences in the member's language (pure: no Qt).

Progression sends each sentence it composes (why the weight changes, what to fix, the last session's line) as a
phrase — a key and its parameters, `shared.contract.Phrase` — beside its English. Here a phrase is said in a
language: its template and the words of its parameters (fault words and fixes, leg and check names) looked up in
the language's table (`lookup`: English → the language, the English itself when the table has none; on screen
that is Qt's translator), its numbers written the language's way ("12,5 kg", "33 %"). A message from an older
producer has no phrases: its English line is looked up whole and otherwise shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.contract import Phrase, Speech

Lookup = Callable[[str], str]
# What the kiosk shows for one of the site's sentences: its phrase, or the English of an older producer.
Line = Phrase | str


@dataclass(frozen=True)
class NumberStyle:
    decimal: str = "."
    percent: str = "{n}%"


# How each language the kiosk speaks writes numbers (a language not listed writes them the English way).
NUMBER_STYLES: dict[str, NumberStyle] = {
    "en": NumberStyle(),
    "de": NumberStyle(decimal=",", percent="{n} %"),  # DIN 5008: a space before the percent sign
}


def speech(language: str, lookup: Lookup) -> Speech:
    style = NUMBER_STYLES.get(language, NumberStyle())
    return Speech(lookup=lookup, decimal=style.decimal, percent=style.percent)


def say(line: Line, language: str, lookup: Lookup) -> str:
    """One of the site's sentences in `language`."""
    if isinstance(line, Phrase):
        return line.say(speech(language, lookup))
    return lookup(line) if line else ""


def say_all(lines: Sequence[Line], language: str, lookup: Lookup, sep: str = "; ") -> str:
    return sep.join(say(x, language, lookup) for x in lines)


def lines(phrases: Sequence[Phrase], texts: Sequence[str]) -> tuple[Line, ...]:
    """A message's sentences: its phrases when it has them (one per line), else its English lines."""
    return tuple(phrases) if phrases and len(phrases) == len(texts) else tuple(texts)


def number(x: float, language: str) -> str:
    """A measure as the language writes it: '12.5', '12,5'."""
    return Speech(decimal=NUMBER_STYLES.get(language, NumberStyle()).decimal).number(x)


def kilograms(kg: float, language: str) -> str:
    """A weight as the language writes it: '12.5 kg', '12,5 kg'."""
    return f"{number(kg, language)} kg"
