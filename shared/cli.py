"""What the entry points' command lines share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


class LazyChoices(Iterable[str]):
    """An argparse `choices` whose names are loaded when first asked for (a value to check, `--help`), so a
    command line can list names that live in a package it must not load on every start: the sensors' `--script`
    names the simulator's sessions, and a deployed unit never loads the simulator.

    Give the argument a `metavar`: without one argparse lists the choices as the argument is added."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load
        self._names: list[str] | None = None

    def _loaded(self) -> list[str]:
        if self._names is None:
            self._names = sorted(self._load())
        return self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __contains__(self, name: object) -> bool:
        return name in self._loaded()
