"""What the catalogue says a station's member is doing, as a trainer reads it: the goal, its sets × reps and
tempo, and the one-tap cues built from the seed's tips and mistakes (data in, plain values out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.catalogue import DEFAULT_EXERCISE, Exercise, Goal, default_catalogue
from shared.contract import FAULT_WORDS, Fault

# A kiosk cue longer than this stops being a glance at arm's length; the contract allows 200 characters.
CUE_MAX = 120


def _span(lo: float, hi: float, unit: str = "") -> str:
    return f"{lo:g}{unit}" if lo == hi else f"{lo:g}–{hi:g}{unit}"


def goal_view(ex: Exercise, goal: Goal) -> dict[str, Any]:
    """The goal as the floor tile and the station page show it: "Hypertrophy · 3–4 sets × 8–12 reps per leg",
    with its tempo ("2 s up · 3 s down") and squeeze ("1–2 s squeeze at the top") when the goal asks for them."""
    tempo = ""
    if goal.tempo is not None:
        tempo = f"{goal.tempo.concentric_s:g} s up · {goal.tempo.eccentric_s:g} s down"
    squeeze = ""
    if goal.top_squeeze_s is not None:
        squeeze = f"{_span(goal.top_squeeze_s.min, goal.top_squeeze_s.max, ' s')} squeeze at the top"
    return {"id": goal.id, "name": goal.name, "exercise": ex.name if ex.id != DEFAULT_EXERCISE else "",
            "plan": f"{_span(goal.sets.min, goal.sets.max)} sets × {_span(goal.reps.min, goal.reps.max)} reps"
                    + (" per leg" if goal.per_leg else ""),
            "tempo": tempo, "squeeze": squeeze, "load": goal.load_note or goal.load}


def describe_goal(exercise: str, goal: str) -> dict[str, Any] | None:
    """`goal_view` of a session's exercise and goal id, or None when the catalogue does not know them."""
    ex = default_catalogue().get(exercise)
    if ex is None:
        return None
    try:
        return goal_view(ex, ex.goal(goal))
    except KeyError:
        return None


@dataclass(frozen=True)
class OneTapCue:
    """A cue a trainer sends with one tap: the seed's tip or mistake, by its place in the catalogue."""

    id: str  # "tip-0", "mistake-2", "execution-5": stable while the exercise's file is
    label: str  # the button: the seed's heading ("Do not swing")
    message: str  # what the kiosk shows
    fault: Fault | None  # the fault it fixes, to put the cues for this set's faults first

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "message": self.message,
                "fault": self.fault.value if self.fault else None,
                "fault_words": FAULT_WORDS[self.fault] if self.fault else ""}


def _message(title: str, text: str) -> str:
    full = f"{title}. {text}"
    return full if len(full) <= CUE_MAX else title


def one_tap_cues(ex: Exercise) -> list[OneTapCue]:
    """The exercise's mistakes and tips (the seed's "Pro Tips & Common Mistakes"), then the execution steps that
    fix a fault no tip covers; a step about no fault (where to hold) is still a cue a trainer gives."""
    out = [OneTapCue(f"mistake-{i}", s.title, _message(s.title, s.text), s.fault) for i, s in enumerate(ex.mistakes)]
    out += [OneTapCue(f"tip-{i}", s.title, _message(s.title, s.text), s.fault) for i, s in enumerate(ex.tips)]
    covered = {c.fault for c in out if c.fault}
    out += [OneTapCue(f"execution-{i}", s.title, _message(s.title, s.text), s.fault)
            for i, s in enumerate(ex.execution) if s.fault and s.fault not in covered]
    return out


def cues_for(exercise: str | None) -> list[OneTapCue]:
    ex = default_catalogue().get(exercise or DEFAULT_EXERCISE) or default_catalogue().get(DEFAULT_EXERCISE)
    return one_tap_cues(ex) if ex else []
