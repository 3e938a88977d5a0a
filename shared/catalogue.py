"""The exercise catalogue: one YAML file per exercise, validated by these models.

A new exercise is one more file in ``shared/exercises/`` (or in the folder named by
``GYM_CATALOGUE_DIR``); no code changes.
"""

from __future__ import annotations

import os
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
    blocking_faults: list[Fault] = Field(
        min_length=1, description="Faults the rule names explicitly: a rep with one, or not checked for one, "
        "never earns more weight; every other fault coaches")
    too_heavy_faults: list[Fault] = Field(
        default_factory=list, description="Faults that say the weight itself is too heavy (the seed's FAQ)")
    too_heavy_reason: str = Field(default="", description="The seed's words for it")


class Limit(_Strict):
    """One threshold of the exercise, with the reason for its number (physics or the seed)."""

    value: float = Field(ge=0, le=1000, description="The number")
    reason: str = Field(min_length=20, description="Why this number")


class FormRules(_Strict):
    """Every threshold a rep of this exercise is judged with (by `shared.judge`), each with its reason."""

    swing_thigh_deg: Limit = Field(description="Most the thigh may move during a rep (swing)")
    hip_rotation_deg: Limit = Field(description="Most the working hip may open (hip_rotation)")
    back_arch_deg: Limit = Field(description="Most the torso line may change (back_arch)")
    partial_range_knee_deg: Limit = Field(
        description="Least peak knee bend before the member's own range is known (partial_range)")
    partial_range_share: Limit = Field(
        description="Least share of the member's own range of motion a curl must reach (partial_range)")
    range_reference_deg: Limit = Field(
        description="A typical controlled range, used for overreach before the member's own is known")
    overreach_margin_deg: Limit = Field(
        description="Knee bend beyond the member's controlled range that counts as going further")
    overreach_compensation_share: Limit = Field(
        description="Share of the swing or hip limit that, with a curl past the range, is compensation")
    min_eccentric_s: Limit = Field(description="Shortest controlled return (fast_eccentric)")
    tempo_tolerance_s: Limit = Field(description="How far a phase may miss the goal's tempo (tempo)")
    squeeze_measurement_s: Limit = Field(description="Measurement error of the top hold")
    brief_pause_s: Limit = Field(description="Least top hold that is a pause, for goals without a squeeze time")
    kick_peak_ratio: Limit = Field(description="Cable tension over the static load that is a kick (jerk)")
    kick_concentric_s: Limit = Field(description="A curl faster than this is thrown, not curled (jerk)")
    too_heavy_share: Limit = Field(description="Share of a session's reps with a too-heavy fault that lowers weight")
    fail_share_for_decrease: Limit = Field(description="Share of failed reps, sessions running, that lowers the weight")
    sessions_for_decrease: Limit = Field(description="Sessions running for fail_share_for_decrease")
    leg_gap_flag: Limit = Field(description="Leg weight gap (share of the heavier) flagged for the trainer")
    calibration_reps: Limit = Field(description="Clean reps of a member's first session that record their range")

    @model_validator(mode="after")
    def _coherent(self) -> FormRules:
        shares = ("partial_range_share", "overreach_compensation_share", "too_heavy_share",
                  "fail_share_for_decrease", "leg_gap_flag")
        for name in shares:
            if not 0 < getattr(self, name).value <= 1:
                raise ValueError(f"{name} is a share: between 0 and 1")
        for name in ("sessions_for_decrease", "calibration_reps"):
            if getattr(self, name).value < 1 or getattr(self, name).value != int(getattr(self, name).value):
                raise ValueError(f"{name} counts: a whole number of at least 1")
        if self.kick_peak_ratio.value <= 1:
            raise ValueError("kick_peak_ratio compares the peak with the static load: above 1")
        return self


class StackSpec(_Strict):
    """The station's weight stack for this exercise: plates plus an optional add-on weight."""

    plate_kg: float = Field(default=2.5, gt=0, le=50, description="Plate size")
    addon_kg: float = Field(default=1.25, ge=0, le=25, description="Add-on weight, 0 when none")
    min_kg: float = Field(default=2.5, ge=0, le=50, description="Lightest selectable weight")
    max_kg: float = Field(default=100.0, gt=0, le=200, description="Heaviest selectable weight")


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
    beginner_start_reason: str = Field(default="", description="Why that weight")
    rules: FormRules = Field(description="Every judging threshold, with its reason")
    stack: StackSpec = Field(default_factory=StackSpec, description="The station's stack")

    @model_validator(mode="after")
    def _unique_goals(self) -> Exercise:
        ids = [g.id for g in self.goals]
        if len(ids) != len(set(ids)):
            raise ValueError("goal ids must be unique")
        if not set(self.progression.too_heavy_faults) <= set(self.progression.blocking_faults):
            raise ValueError("too_heavy_faults must be blocking faults: a weight too heavy never earns more")
        if not self.stack.min_kg <= self.beginner_start_kg <= self.stack.max_kg:
            raise ValueError("beginner_start_kg must be a weight the stack can select")
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


@lru_cache(maxsize=4)
def _cached_catalogue(extra: Path | None) -> dict[str, Exercise]:
    return load_catalogue(extra)


def default_catalogue() -> dict[str, Exercise]:
    """The one catalogue every service and the dashboard read: the built-in exercises plus the folder
    named by ``GYM_CATALOGUE_DIR`` (read once per folder)."""
    extra = os.environ.get("GYM_CATALOGUE_DIR") or None
    return _cached_catalogue(Path(extra) if extra else None)


DEFAULT_EXERCISE = "hamstring-curl-kickback"


def rules_table(ex: Exercise) -> str:
    """The exercise's rules as the YAML holds them, as a Markdown table (docs/PROGRESSION.md, docs/CAMERA.md)."""
    rows = ["| rule | value | why |", "|---|---|---|"]
    rows.append(f"| blocking faults | {', '.join(f.value for f in ex.progression.blocking_faults)} | "
                f"the progression rule names them: {ex.progression.rule} |")
    if ex.progression.too_heavy_faults:
        rows.append(f"| too-heavy faults | {', '.join(f.value for f in ex.progression.too_heavy_faults)} | "
                    f"{ex.progression.too_heavy_reason} |")
    for name, limit in ex.rules:
        rows.append(f"| `{name}` | {limit.value:g} | {' '.join(limit.reason.split())} |")
    rows.append(f"| `beginner_start_kg` | {ex.beginner_start_kg:g} | {ex.beginner_start_reason} |")
    s = ex.stack
    rows.append(f"| `stack` | {s.plate_kg:g} kg plates + {s.addon_kg:g} kg add-on, {s.min_kg:g}–{s.max_kg:g} kg | "
                "the station's stack: one step up or down is the smallest selectable change |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m shared.catalogue [EXERCISE]: print the rule table
    import sys

    print(rules_table(default_catalogue()[sys.argv[1] if len(sys.argv) > 1 else DEFAULT_EXERCISE]))
