"""The exercise catalogue: one YAML file per exercise, validated by these models.

A new exercise is one more file in ``shared/exercises/`` (or in the folder named by
``GYM_CATALOGUE_DIR``); no code changes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contract import Fault, Ident

BUILTIN_DIR = Path(__file__).with_name("exercises")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    min: int = Field(ge=1, le=50, description="Lower bound")
    max: int = Field(ge=1, le=50, description="Upper bound")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.max < self.min:
            raise ValueError("max below min")
        return self


class SecondsRange(_Strict):
    min: float = Field(ge=0, le=30, description="Shortest, seconds")
    max: float = Field(ge=0, le=30, description="Longest, seconds")


class Tempo(_Strict):
    concentric_s: float = Field(gt=0, le=10, description="Curl duration the goal asks for")
    eccentric_s: float = Field(gt=0, le=10, description="Return duration the goal asks for")


class Goal(_Strict):
    id: Ident = Field(description="Stable id used in events")
    name: str = Field(description="Shown to members")
    sets: Range = Field(description="Sets per leg")
    reps: Range = Field(description="Reps per set")
    per_leg: bool = Field(default=True, description="Sets and reps count per leg")
    load: Literal["light", "moderate", "heavy"] = Field(description="Load guidance")
    load_note: str = Field(default="", description="The seed's words on load and control")
    tempo: Tempo | None = Field(default=None, description="Tempo judged on every rep, when given")
    top_squeeze_s: SecondsRange | None = Field(default=None, description="Hold at the top, when given")


class Step(_Strict):
    title: str = Field(description="Short imperative heading")
    text: str = Field(description="The instruction")
    fault: Fault | None = Field(default=None, description="The fault this tip or mistake is about")


class Faq(_Strict):
    q: str = Field(description="Question")
    a: str = Field(description="Answer")


class EquipmentItem(_Strict):
    name: str = Field(description="Item")
    text: str = Field(description="Why it helps")
    essential: bool = Field(default=False, description="Needed to do the exercise at the station")


class Overview(_Strict):
    body_part: str = Field(description="Body part trained")
    primary_muscles: str = Field(description="Primary muscles")
    secondary_muscles: str = Field(description="Secondary muscles")
    equipment: str = Field(description="Equipment needed")
    difficulty: Literal["Beginner", "Intermediate", "Advanced"] = Field(description="Difficulty")
    difficulty_note: str = Field(default="", description="Why that difficulty")


class ProgressionRule(_Strict):
    rule: str = Field(description="The seed's progression rule, verbatim")
    blocking_faults: list[Fault] = Field(description="Faults the rule names explicitly")


class Exercise(_Strict):
    id: Ident = Field(description="Stable id used in events and file name")
    name: str = Field(description="Display name")
    summary: str = Field(description="One-line summary")
    intro: str = Field(default="", description="Opening paragraph")
    unilateral: bool = Field(description="Trained one leg (or arm) at a time")
    overview: Overview
    goals: list[Goal] = Field(min_length=1)
    progression: ProgressionRule
    setup: list[Step] = Field(min_length=1)
    starting_position_note: str = ""
    execution: list[Step] = Field(min_length=1)
    tips: list[Step] = Field(default_factory=list)
    mistakes: list[Step] = Field(default_factory=list)
    faq: list[Faq] = Field(default_factory=list)
    equipment: list[EquipmentItem] = Field(default_factory=list)
    equipment_note: str = ""
    beginner_start_kg: float = Field(gt=0, le=100, description="First weight for a new member")

    @model_validator(mode="after")
    def _unique_goals(self) -> Exercise:
        ids = [g.id for g in self.goals]
        if len(ids) != len(set(ids)):
            raise ValueError("goal ids must be unique")
        return self

    def goal(self, goal_id: str) -> Goal:
        for g in self.goals:
            if g.id == goal_id:
                return g
        raise KeyError(f"exercise {self.id} has no goal {goal_id!r}")


def load_exercise(path: Path) -> Exercise:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    ex = Exercise.model_validate(data)
    if ex.id != path.stem:
        raise ValueError(f"{path}: id {ex.id!r} must match the file name")
    return ex


def load_catalogue(*dirs: Path | None) -> dict[str, Exercise]:
    """Every exercise in the built-in folder and the given folders, by id."""
    out: dict[str, Exercise] = {}
    for d in (BUILTIN_DIR, *dirs):
        if d is None:
            continue
        for path in sorted(Path(d).glob("*.yaml")):
            ex = load_exercise(path)
            out[ex.id] = ex
    return out


@lru_cache(maxsize=1)
def default_catalogue() -> dict[str, Exercise]:
    return load_catalogue()


DEFAULT_EXERCISE = "hamstring-curl-kickback"
