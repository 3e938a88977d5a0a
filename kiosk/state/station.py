"""What the station screen shows, as a state object that emits change callbacks.

A rep ends one of three ways (`RepVerdict.status`): passed, failed (a fault was found) or
unverified (no fault, but a check the progression rule names could not be made — the camera lost
the member, say). An unverified rep is counted on its own: it is not a pass, since it never earns
more weight, and not a fail, since nothing was wrong that anyone saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from kiosk.state.words import Words, joined, words
from shared.contract import (
    CHECK_WORDS,
    FAULT_FIXES,
    FAULT_WORDS,
    Check,
    Envelope,
    Outcome,
    RepVerdict,
    RepVerdictEvent,
    SetSummary,
)

Listener = Callable[[], None]
Status = Literal["passed", "failed", "unverified"]

# One symbol per outcome, so the three read apart without colour (colour-blind members, glare).
SYMBOLS: dict[Status, str] = {"passed": "✓", "failed": "✗", "unverified": "?"}

# Checks only the camera measures (shared/judge.py): when one of them could not be made, the fix is
# for the member to stay where the camera sees the working leg and the hips.
CAMERA_CHECKS = frozenset({Check.SWING, Check.HIP_ROTATION, Check.BACK_ARCH, Check.RANGE, Check.OVERREACH,
                           Check.SQUEEZE})
CUE_IN_VIEW = "Stay in the camera's view: a rep it cannot check does not count toward more weight"
CUE_UNCHECKED = "That rep could not be checked: it does not count toward more weight"


@dataclass(frozen=True)
class Tally:
    """Reps of a set (or of a leg's sets) by outcome."""

    reps: int = 0
    passed: int = 0
    unverified: int = 0

    @property
    def failed(self) -> int:
        return max(0, self.reps - self.passed - self.unverified)

    def parts(self) -> list[tuple[Status, str]]:
        """Each non-empty outcome with its words, in a fixed order: passed, failed, not checked."""
        return [(st, str(w)) for st, w in self.part_words()]

    def part_words(self) -> list[tuple[Status, Words]]:
        out: list[tuple[Status, Words]] = [("passed", words("{n} passed", n=self.passed))]
        if self.failed:
            out.append(("failed", words("{n} failed", n=self.failed)))
        if self.unverified:
            out.append(("unverified", words("{n} not checked", n=self.unverified)))
        return out

    @property
    def words(self) -> Words:
        """'8 of 10 reps passed' when every rep was checked; '4 passed, 1 failed, 1 not checked of 6' when
        some could not be, so an unchecked rep is never read as a failed one."""
        if not self.unverified:
            return words("{passed} of {reps} reps passed", passed=self.passed, reps=self.reps)
        return words("{parts} of {reps}", parts=joined([w for _, w in self.part_words()]), reps=self.reps)

    @property
    def text(self) -> str:
        return str(self.words)

    @property
    def unverified_words(self) -> Words:
        """Why the not-checked count matters, in the member's words (empty when every rep was checked)."""
        if not self.unverified:
            return words("")
        if self.unverified == 1:
            return words("1 rep was not checked: it does not count toward more weight")
        return words("{n} reps were not checked: they do not count toward more weight", n=self.unverified)

    @property
    def unverified_note(self) -> str:
        return str(self.unverified_words)

    @classmethod
    def of_summaries(cls, sums: Iterable[SetSummary]) -> Tally:
        reps = passed = unverified = 0
        for s in sums:
            reps, passed, unverified = reps + s.reps, passed + s.passed_reps, unverified + s.unverified_reps
        return cls(reps, passed, unverified)


@dataclass
class StationState:
    reps: int = 0
    passed: int = 0
    failed: int = 0
    unverified: int = 0
    verdicts: list[RepVerdict] = field(default_factory=list)
    broker_online: bool = False
    _seen: set[tuple[str | None, int | None, str, int]] = field(default_factory=set)
    _listeners: list[Listener] = field(default_factory=list)

    def subscribe(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def _changed(self) -> None:
        for fn in self._listeners:
            fn()

    def apply(self, ev: Envelope) -> None:
        if isinstance(ev, RepVerdictEvent):
            self.on_verdict(ev.data)

    def on_verdict(self, v: RepVerdict) -> None:
        key = (v.session_id, v.set_index, v.leg.value, v.rep_index)
        if key in self._seen:
            # A refined verdict (a late second sensor) replaces the first instead of counting again.
            self.verdicts = [v if (x.session_id, x.set_index, x.leg.value, x.rep_index) == key else x
                             for x in self.verdicts]
        else:
            self._seen.add(key)
            self.verdicts.append(v)
        statuses = [x.status for x in self.verdicts]
        self.reps = len(statuses)
        self.passed, self.failed, self.unverified = (statuses.count(s) for s in ("passed", "failed", "unverified"))
        self._changed()

    @property
    def tally(self) -> Tally:
        return Tally(self.reps, self.passed, self.unverified)

    @property
    def last_cue(self) -> str:
        """The coaching line for the last rep: the fix of its first fault, how to get an unchecked rep
        checked, or nothing after a good rep."""
        return coach_cue(self.verdicts[-1]) if self.verdicts else ""

    def set_broker_online(self, online: bool) -> None:
        if online != self.broker_online:
            self.broker_online = online
            self._changed()


def _unchecked(v: RepVerdict) -> list[tuple[Check, str]]:
    """The blocking checks of a rep that could not be made, with why."""
    return [(c.check, c.why) for c in v.checks if c.outcome is Outcome.NOT_CHECKED and c.blocking]


def not_checked_words(v: RepVerdict) -> Words:
    """'not checked: thigh still, hips square (the camera did not see this rep)': the checks grouped by why."""
    by_why: dict[str, list[str]] = {}
    for check, why in _unchecked(v):
        by_why.setdefault(why, []).append(CHECK_WORDS[check])
    groups = [words("{checks} ({why})", checks=joined([words(c) for c in checks]), why=words(why)) if why
              else joined([words(c) for c in checks]) for why, checks in by_why.items()]
    if groups:
        return words("not checked: {groups}", groups=joined(groups, "; "))
    # A verdict without its checks (an older progression service) still carries the reasons in words.
    return joined([words(r) for r in v.reasons]) if v.reasons else words("not checked")


def not_checked_text(v: RepVerdict) -> str:
    return str(not_checked_words(v))


def verdict_words(v: RepVerdict) -> Words:
    """One line a member reads: 'Rep 3  ✓  good rep', 'Rep 4  ✗  dropped the return' or
    'Rep 5  ?  not checked: hips square (the camera did not see this rep)'."""
    status = v.status
    if status == "passed":
        what = words("good rep")
    elif status == "failed":
        what = joined([words(FAULT_WORDS[f]) for f in v.faults])
    else:
        what = not_checked_words(v)
    return words("Rep {i}  {symbol}  {what}", i=v.rep_index, symbol=SYMBOLS[status], what=what)


def verdict_text(v: RepVerdict) -> str:
    return str(verdict_words(v))


def coach_cue(v: RepVerdict) -> str:
    status = v.status
    if status == "failed":
        return FAULT_FIXES[v.faults[0]]
    if status == "unverified":
        unchecked = {check for check, _ in _unchecked(v)}
        return CUE_IN_VIEW if unchecked & CAMERA_CHECKS else CUE_UNCHECKED
    return ""
