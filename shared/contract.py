"""The event contract: one pydantic model per event type, all under the `gym.v1` envelope.

Every MQTT payload in the product is one of these envelopes serialised as JSON.
The envelope's `type` selects the `data` model, so a payload is parsed in one
step with `parse_event` and never handled as a loose dict.
"""

from __future__ import annotations

import itertools
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

SCHEMA = "gym.v1"

# Identifiers travel in topic levels, so they may not hold MQTT wildcards or separators.
Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
# Seconds on the station's clock (epoch seconds live, seconds from the start in a replay).
Seconds = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Duration = Annotated[float, Field(ge=0.0, le=600.0, allow_inf_nan=False)]
Angle = Annotated[float, Field(ge=-360.0, le=360.0, allow_inf_nan=False)]
# A cable stack at a gym station tops out well below 200 kg; anything above is a bad reading.
Kilograms = Annotated[float, Field(ge=0.0, le=200.0, allow_inf_nan=False)]
# A load cell rated for the cable sees at most a few kN; 5 kN bounds a sane sample.
Newtons = Annotated[float, Field(ge=-5000.0, le=5000.0, allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=500)]
# A member's language at the kiosk: an ISO 639-1 code, with a region when one is meant ("de", "pt-BR").
Language = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]


class Model(BaseModel):
    """Base of every contract model: strict about unknown fields, immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Vocabulary(StrEnum):
    """A `StrEnum` whose `value` is a plain property: every verdict and station state serialises dozens of
    these, and the standard enum descriptor behind `.value` costs ten times a property's read (Python 3.11)."""

    @property
    def value(self) -> str:
        return self._value_


class Fault(Vocabulary):
    """The one fault vocabulary, shared by camera, load cell, progression, kiosk and dashboard."""

    SWING = "swing"
    HIP_ROTATION = "hip_rotation"
    FAST_ECCENTRIC = "fast_eccentric"
    PARTIAL_RANGE = "partial_range"
    BACK_ARCH = "back_arch"
    LOST_TENSION = "lost_tension"
    JERK = "jerk"
    TEMPO = "tempo"
    OVERREACH = "overreach"
    SQUEEZE = "squeeze"
    SLACK_START = "slack_start"


FAULT_WORDS: dict[Fault, str] = {
    Fault.SWING: "swung the thigh",
    Fault.HIP_ROTATION: "opened the hips",
    Fault.FAST_ECCENTRIC: "dropped the return",
    Fault.PARTIAL_RANGE: "cut the curl short",
    Fault.BACK_ARCH: "arched the back",
    Fault.LOST_TENSION: "let the stack rest",
    Fault.JERK: "kicked the weight",
    Fault.TEMPO: "missed the tempo",
    Fault.OVERREACH: "curled past the controlled range",
    Fault.SQUEEZE: "missed the squeeze at the top",
    Fault.SLACK_START: "started with a slack cable",
}
"""Plain words for each fault, as a member reads them on the kiosk ("3 reps swung the thigh")."""

FAULT_FIXES: dict[Fault, str] = {
    Fault.SWING: "Keep the thigh still and bend only the knee",
    Fault.HIP_ROTATION: "Keep both hip bones facing the floor",
    Fault.FAST_ECCENTRIC: "Lower slowly, about 3 seconds",
    Fault.PARTIAL_RANGE: "Bend the knee and guide the heel up toward the glutes",
    Fault.BACK_ARCH: "Brace the core and keep the ribs down",
    Fault.LOST_TENSION: "Keep light tension at the bottom, don't set the stack down",
    Fault.JERK: "Curl smoothly, no kick",
    Fault.TEMPO: "Follow the tempo guide: 2 s up, 3 s down",
    Fault.OVERREACH: "Stop the curl where you can still control the knee and pelvis",
    Fault.SQUEEZE: "Pause and squeeze at the top before lowering",
    Fault.SLACK_START: "Step back until the cable is lightly loaded before the first rep",
}
"""The coaching cue that fixes each fault, taken from the seed's tips and mistakes."""


class Check(Vocabulary):
    """The checks a rep of an exercise gets; each is about one fault (`CHECK_FAULT`)."""

    SWING = "swing"
    HIP_ROTATION = "hip_rotation"
    ECCENTRIC = "eccentric"
    RANGE = "range"
    OVERREACH = "overreach"
    BACK_ARCH = "back_arch"
    SQUEEZE = "squeeze"
    TEMPO = "tempo"
    MOMENTUM = "momentum"
    TENSION = "tension"
    START_TENSION = "start_tension"


CHECK_FAULT: dict[Check, Fault] = {
    Check.SWING: Fault.SWING, Check.HIP_ROTATION: Fault.HIP_ROTATION, Check.ECCENTRIC: Fault.FAST_ECCENTRIC,
    Check.RANGE: Fault.PARTIAL_RANGE, Check.OVERREACH: Fault.OVERREACH, Check.BACK_ARCH: Fault.BACK_ARCH,
    Check.SQUEEZE: Fault.SQUEEZE, Check.TEMPO: Fault.TEMPO, Check.MOMENTUM: Fault.JERK,
    Check.TENSION: Fault.LOST_TENSION, Check.START_TENSION: Fault.SLACK_START,
}

CHECK_WORDS: dict[Check, str] = {
    Check.SWING: "thigh still", Check.HIP_ROTATION: "hips square", Check.ECCENTRIC: "controlled return",
    Check.RANGE: "full curl", Check.OVERREACH: "moderate range", Check.BACK_ARCH: "back neutral",
    Check.SQUEEZE: "squeeze at the top", Check.TEMPO: "tempo", Check.MOMENTUM: "no kick",
    Check.TENSION: "tension kept", Check.START_TENSION: "starting tension",
}
"""What each check looks for, in a member's words ("hips square: not checked, hips not in view")."""

CHECK_UNITS: dict[Check, str] = {
    Check.SWING: "°", Check.HIP_ROTATION: "°", Check.BACK_ARCH: "°", Check.RANGE: "°", Check.OVERREACH: "°",
    Check.ECCENTRIC: " s", Check.SQUEEZE: " s", Check.TEMPO: " s", Check.MOMENTUM: "× load",
    Check.TENSION: "", Check.START_TENSION: " N",
}
"""The unit of a check's `value` and `limit` (the tempo check's value is its largest miss of the beat)."""


class Outcome(Vocabulary):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"


class Leg(Vocabulary):
    LEFT = "left"
    RIGHT = "right"


class Sensor(Vocabulary):
    CAMERA = "camera"
    LOAD = "load"


class ServiceState(Vocabulary):
    ONLINE = "online"
    OFFLINE = "offline"
    DEGRADED = "degraded"
    STOPPED = "stopped"


class Action(Vocabulary):
    INCREASE = "increase"
    HOLD = "hold"
    DECREASE = "decrease"


class IdMethod(Vocabulary):
    BADGE = "badge"
    QR = "qr"
    PIN = "pin"


# ---------------------------------------------------------------- phrases
#
# The sentences the site composes for a member (why the weight changes, what to fix, the last session's line)
# travel as phrases as well as English text: a key from a closed set and its parameters, so a kiosk says them
# in its member's language from its own table of these templates. The English templates live here, beside the
# keys, and `Phrase.say()` is the one place a phrase becomes English. A message from an older producer has no
# phrases: its English text is shown as it is. The keys are a closed set, like the faults: a new key (or a new
# parameter) is a contract change whose consumers are upgraded before the producer that sends it.


class ArgKind(Vocabulary):
    """What a phrase's parameter holds, and so how it is said (a language says each kind its own way)."""

    COUNT = "count"  # a whole number, as it is: "7"
    REPS = "reps"  # a number of reps with its noun: "1 rep", "3 reps"
    KG = "kg"  # a weight: "12.5 kg" ("12,5 kg" in German)
    SHARE = "share"  # a fraction, as a percentage: "33%"
    FAULT = "fault"  # a fault, in its words (FAULT_WORDS): "swung the thigh"
    FIX = "fix"  # a fault, as its fix (FAULT_FIXES): "Keep the thigh still and bend only the knee"
    FAULTS = "faults"  # faults, their words joined by "or"
    LEG = "leg"  # "left", "right"
    CHECK = "check"  # a check, in its words (CHECK_WORDS): "hips square"
    TEXT = "text"  # words as the exercise's catalogue or the judge wrote them (a kiosk's table may hold them)
    NUMBERS = "numbers"  # set numbers: "1, 2"
    PHRASE = "phrase"  # another phrase, said in its place


class PhraseKey(Vocabulary):
    """Every sentence the site composes for a member; `PHRASES` holds each one's English and parameters."""

    REASON = "reason"
    PLAN_INCREASE = "plan_increase"
    PLAN_DECREASE = "plan_decrease"
    PLAN_CHANGE = "plan_change"
    PLAN_KEEP = "plan_keep"
    NO_SET = "no_set"
    TOO_HEAVY = "too_heavy"
    FAILING = "failing"
    FAULT_REPS = "fault_reps"
    UNCHECKED = "unchecked"
    UNCHECKED_WHY = "unchecked_why"
    IN_SET = "in_set"
    IN_SETS = "in_sets"
    SET_SHORT = "set_short"
    SETS_SHORT = "sets_short"
    TOP_OF_STACK = "top_of_stack"
    PASSED_TOP = "passed_top"
    PASSED = "passed"
    ALSO = "also"
    FIX = "fix"
    EXERCISE_TEXT = "exercise_text"
    FIRST_TIME = "first_time"
    MATCH_REPS = "match_reps"
    WITHIN_STEP = "within_step"
    LEG_GAP = "leg_gap"
    LAST_LEG = "last_leg"
    LAST_NONE = "last_none"


@dataclass(frozen=True)
class PhraseSpec:
    template: str  # the English, with a {placeholder} for each parameter
    args: Mapping[str, ArgKind]


_K = ArgKind
PHRASES: dict[PhraseKey, PhraseSpec] = {
    # A reason: what happened, then the plan read off the final numbers.
    PhraseKey.REASON: PhraseSpec("{cause}: {plan}", {"cause": _K.PHRASE, "plan": _K.PHRASE}),
    PhraseKey.PLAN_INCREASE: PhraseSpec("go up to {kg} for {reps} reps", {"kg": _K.KG, "reps": _K.COUNT}),
    PhraseKey.PLAN_DECREASE: PhraseSpec("go down to {kg} for {reps} reps", {"kg": _K.KG, "reps": _K.COUNT}),
    PhraseKey.PLAN_CHANGE: PhraseSpec("{kg} for {reps} reps", {"kg": _K.KG, "reps": _K.COUNT}),
    PhraseKey.PLAN_KEEP: PhraseSpec("keep {kg} for {reps} reps", {"kg": _K.KG, "reps": _K.COUNT}),
    PhraseKey.NO_SET: PhraseSpec("No set on this leg today", {}),
    PhraseKey.TOO_HEAVY: PhraseSpec("{heavy} of {total} reps {faults}: the weight is too heavy",
                                    {"heavy": _K.COUNT, "total": _K.COUNT, "faults": _K.FAULTS}),
    PhraseKey.FAILING: PhraseSpec("{failed} of {total} reps failed {sessions} sessions running",
                                  {"failed": _K.COUNT, "total": _K.COUNT, "sessions": _K.COUNT}),
    PhraseKey.FAULT_REPS: PhraseSpec("{reps} {fault}", {"reps": _K.REPS, "fault": _K.FAULT}),
    PhraseKey.UNCHECKED: PhraseSpec(
        "{reps} in {where} could not be checked ({check}: {why}): same weight next time",
        {"reps": _K.REPS, "where": _K.PHRASE, "check": _K.CHECK, "why": _K.TEXT}),
    PhraseKey.UNCHECKED_WHY: PhraseSpec("{reps} in {where} could not be checked ({why}): same weight next time",
                                        {"reps": _K.REPS, "where": _K.PHRASE, "why": _K.TEXT}),
    PhraseKey.IN_SET: PhraseSpec("set {set}", {"set": _K.COUNT}),
    PhraseKey.IN_SETS: PhraseSpec("sets {sets}", {"sets": _K.NUMBERS}),
    PhraseKey.SET_SHORT: PhraseSpec("Set {set} ended after {done} of {target} reps: same weight next time",
                                    {"set": _K.COUNT, "done": _K.COUNT, "target": _K.COUNT}),
    PhraseKey.SETS_SHORT: PhraseSpec("{done} of {planned} planned sets done: same weight next time",
                                     {"done": _K.COUNT, "planned": _K.COUNT}),
    PhraseKey.TOP_OF_STACK: PhraseSpec("Every rep passed at the top of the stack ({kg})", {"kg": _K.KG}),
    PhraseKey.PASSED_TOP: PhraseSpec("Every rep of every set passed with {reps} reps", {"reps": _K.COUNT}),
    PhraseKey.PASSED: PhraseSpec("Every rep passed", {}),
    PhraseKey.ALSO: PhraseSpec("Also: {reps} {fault} — {fix}", {"reps": _K.REPS, "fault": _K.FAULT, "fix": _K.FIX}),
    PhraseKey.FIX: PhraseSpec("{fix}", {"fix": _K.FIX}),
    PhraseKey.EXERCISE_TEXT: PhraseSpec("{text}", {"text": _K.TEXT}),
    PhraseKey.FIRST_TIME: PhraseSpec("First time: start light", {}),
    PhraseKey.MATCH_REPS: PhraseSpec("{reps} reps to match your {leg} leg", {"reps": _K.COUNT, "leg": _K.LEG}),
    PhraseKey.WITHIN_STEP: PhraseSpec("Kept within one step of your {leg} leg ({kg})", {"leg": _K.LEG, "kg": _K.KG}),
    PhraseKey.LEG_GAP: PhraseSpec("Leg gap {gap}: {heavy} {heavy_kg}, {light} {light_kg}",
                                  {"gap": _K.SHARE, "heavy": _K.LEG, "heavy_kg": _K.KG, "light": _K.LEG,
                                   "light_kg": _K.KG}),
    # One leg of the last session's line; the legs are joined by "; ".
    PhraseKey.LAST_LEG: PhraseSpec("{leg} {sets}x{reps} @ {kg}, {passed}/{total} passed",
                                   {"leg": _K.LEG, "sets": _K.COUNT, "reps": _K.COUNT, "kg": _K.KG,
                                    "passed": _K.COUNT, "total": _K.COUNT}),
    PhraseKey.LAST_NONE: PhraseSpec("no reps", {}),
}
"""Each phrase's English template and parameters. Parameters are said by kind (`ArgKind`) with these words too:"""

PHRASE_WORDS: tuple[str, ...] = ("1 rep", "{n} reps", "{a} or {b}")
"""The templates the kinds are said with (reps with their noun, faults joined), looked up like a phrase's."""

# A phrase nests (a reason holds its cause and its plan, which holds a place): never deeper than this.
PHRASE_DEPTH = 3


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Speech:
    """How phrases are said: by default the English of `PHRASES`. A kiosk passes its language's table
    (`lookup`: an English template or word → the language's, the English itself when the table has none) and
    how the language writes a decimal point and a percentage."""

    lookup: Callable[[str], str] = _same
    decimal: str = "."
    percent: str = "{n}%"

    def number(self, x: float) -> str:
        return f"{x:g}".replace(".", self.decimal)


ENGLISH = Speech()

ArgName = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,31}$")]


class Phrase(Model):
    """A sentence as its key and parameters (`PHRASES[key]` says which, and of what kind)."""

    key: PhraseKey = Field(description="Which sentence, from the closed set PhraseKey")
    args: dict[ArgName, PhraseArg] = Field(
        default_factory=dict, max_length=8, description="The sentence's parameters by name: numbers, weights, "
        "fault, leg and check names, set numbers, nested phrases")

    @field_validator("args", mode="before")
    @classmethod
    def _plain(cls, v: Any) -> Any:
        # Enum members (Fault.SWING, Leg.LEFT) travel as their values; a bool is no number (pydantic would take
        # true for 1).
        if isinstance(v, Mapping):
            if any(isinstance(a, bool) for a in v.values()):
                raise ValueError("a phrase's parameter is never true or false")
            return {k: [x.value if isinstance(x, StrEnum) else x for x in a] if isinstance(a, list | tuple)
                    else a.value if isinstance(a, StrEnum) else a for k, a in v.items()}
        return v

    @field_validator("args")
    @classmethod
    def _match_key(cls, v: dict[str, Any], info: Any) -> dict[str, Any]:
        key = info.data.get("key")
        if key is None:
            return v  # the key itself was refused
        spec = PHRASES[key]
        if set(v) != set(spec.args):
            raise ValueError(f"phrase {key.value} takes {sorted(spec.args)}, got {sorted(v)}")
        return {name: _checked_arg(name, kind, v[name]) for name, kind in spec.args.items()}

    def depth(self) -> int:
        return 1 + max((a.depth() for a in self.args.values() if isinstance(a, Phrase)), default=0)

    def say(self, speech: Speech = ENGLISH) -> str:
        """The sentence in `speech`'s language (English by default). A translated template that does not fit
        the parameters (a table's typo) gives way to the English template: a sentence is never lost."""
        spec = PHRASES[self.key]
        for template in (speech.lookup(spec.template), spec.template):
            try:
                return template.format(**{name: self._say_arg(name, speech) for name in _fields(template)})
            except (KeyError, IndexError, ValueError):
                continue
        return spec.template

    def _say_arg(self, field: str, speech: Speech) -> str:
        # "{Leg}" in a translation is the parameter "leg" at the head of a sentence.
        name = field if field in self.args else field[:1].lower() + field[1:]
        if name not in self.args:
            raise KeyError(field)
        kind, value = PHRASES[self.key].args[name], self.args[name]
        if field == name:
            return _say(kind, value, speech)
        if kind is ArgKind.LEG:
            return speech.lookup(str(value).capitalize())
        said = _say(kind, value, speech)
        return said[:1].upper() + said[1:]


# A parameter's value on the wire; what it may hold is its kind's (`_checked_arg`).
PhraseArg = int | float | Annotated[str, Field(max_length=500)] | list[int] | list[str] | Phrase
Phrase.model_rebuild()


def _fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]


def _say(kind: ArgKind, v: Any, speech: Speech) -> str:
    lookup = speech.lookup
    if kind is ArgKind.COUNT:
        return str(v)
    if kind is ArgKind.REPS:
        return lookup("1 rep") if v == 1 else lookup("{n} reps").format(n=v)
    if kind is ArgKind.KG:
        return f"{speech.number(v)} kg"
    if kind is ArgKind.SHARE:
        return speech.percent.format(n=f"{v * 100:.0f}")
    if kind is ArgKind.FAULT:
        return lookup(FAULT_WORDS[Fault(v)])
    if kind is ArgKind.FIX:
        return lookup(FAULT_FIXES[Fault(v)])
    if kind is ArgKind.FAULTS:
        said = [lookup(FAULT_WORDS[Fault(f)]) for f in v]
        out = said[0]
        for more in said[1:]:
            out = lookup("{a} or {b}").format(a=out, b=more)
        return out
    if kind is ArgKind.LEG:
        return lookup(str(v))
    if kind is ArgKind.CHECK:
        return lookup(CHECK_WORDS[Check(v)])
    if kind is ArgKind.TEXT:
        return lookup(str(v))
    if kind is ArgKind.NUMBERS:
        return ", ".join(map(str, v))
    assert isinstance(v, Phrase)
    return v.say(speech)


def _checked_arg(name: str, kind: ArgKind, v: Any) -> Any:
    """A parameter's value, checked against its kind (a closed vocabulary where it names something)."""
    def fail(what: str) -> ValueError:
        return ValueError(f"{name} must be {what}, got {repr(v)[:80]}")

    number = isinstance(v, int | float) and not isinstance(v, bool)
    if kind in (ArgKind.COUNT, ArgKind.REPS):
        if not (number and isinstance(v, int) and 0 <= v <= 100_000):
            raise fail("a whole number 0–100000")
        return v
    if kind is ArgKind.KG:
        if not (number and 0 <= v <= 200):
            raise fail("a weight 0–200 kg")
        return float(v)
    if kind is ArgKind.SHARE:
        if not (number and 0 <= v <= 1):
            raise fail("a fraction 0–1")
        return float(v)
    vocab: dict[ArgKind, type[Vocabulary]] = {ArgKind.FAULT: Fault, ArgKind.FIX: Fault, ArgKind.LEG: Leg,
                                              ArgKind.CHECK: Check}
    if kind in vocab:
        if not (isinstance(v, str) and v in vocab[kind]._value2member_map_):
            raise fail(f"one of {sorted(vocab[kind]._value2member_map_)}")
        return v
    if kind is ArgKind.FAULTS:
        if not (isinstance(v, list) and 1 <= len(v) <= len(Fault) and all(f in Fault._value2member_map_ for f in v)):
            raise fail("a list of faults")
        return v
    if kind is ArgKind.TEXT:
        if not isinstance(v, str):
            raise fail("text")
        return v
    if kind is ArgKind.NUMBERS:
        if not (isinstance(v, list) and 1 <= len(v) <= 20 and all(isinstance(i, int) and 1 <= i <= 1000 for i in v)):
            raise fail("a list of 1–20 set numbers")
        return v
    if not isinstance(v, Phrase):
        raise fail("a phrase")
    if v.depth() >= PHRASE_DEPTH:
        raise fail(f"a phrase nested at most {PHRASE_DEPTH} deep")
    return v


def phrase(key: PhraseKey, **args: Any) -> Phrase:
    """`phrase(PhraseKey.PLAN_KEEP, kg=12.5, reps=10)`: a phrase, checked against its key's parameters."""
    return Phrase(key=key, args=args)


# ---------------------------------------------------------------- data models


class StationStatus(Model):
    service: Ident = Field(description="Service that reports, e.g. camera, loadcell, kiosk, progression")
    state: ServiceState = Field(description="online, offline (last will), degraded (running, impaired) or stopped")
    version: str = Field(default="", max_length=40, description="Version of the reporting service")
    detail: Text = Field(default="", description="Why the state is what it is, for people")
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Health figures such as fps or sample rate"
    )


class SessionStarted(Model):
    session_id: Ident = Field(description="Unique id of the training session")
    member_id: Ident = Field(description="Member id, or guest-… for a guest")
    member_name: str = Field(default="", max_length=80, description="Display name")
    exercise: Ident = Field(description="Exercise id from the catalogue")
    goal: Ident = Field(description="Goal id from the exercise's goals")
    leg_order: list[Leg] = Field(
        min_length=1, max_length=2, description="Legs in training order, weaker first"
    )
    planned_sets: int | None = Field(
        default=None, ge=1, le=20, description="Sets per leg the member chose within the goal's range"
    )


class SessionEnded(Model):
    session_id: Ident = Field(description="Session that ended")
    member_id: Ident = Field(description="Member of the session")
    reason: Literal["completed", "signed_out", "timeout", "aborted"] = Field(
        default="completed", description="Why the session ended"
    )
    language: Language | None = Field(
        default=None, description="The language the member used at the kiosk, remembered with the member"
    )


class SetStarted(Model):
    session_id: Ident = Field(description="Session the set belongs to")
    set_index: int = Field(ge=1, le=20, description="1-based set number within the leg")
    leg: Leg = Field(description="Working leg")
    weight_kg: Kilograms = Field(description="Weight selected on the stack")
    target_reps: int = Field(ge=1, le=50, description="Reps the member aims for")


class SetEnded(Model):
    session_id: Ident = Field(description="Session the set belongs to")
    set_index: int = Field(ge=1, le=20, description="1-based set number within the leg")
    leg: Leg = Field(description="Working leg")
    weight_kg: Kilograms = Field(description="Weight selected on the stack")
    target_reps: int = Field(ge=1, le=50, description="Reps the member aimed for")
    end_reason: Literal["completed", "stopped", "timeout", "aborted"] = Field(
        default="completed", description="Why the set ended"
    )


# The working side's joints the kiosk's mirror draws, in the image's normalised coordinates (x right, y
# down, 0–1 across the frame; a joint just out of frame may fall a little outside). A few numbers per
# pose, never a picture: no image leaves the camera process.
KeypointName = Literal["shoulder", "hip", "knee", "ankle", "heel", "foot"]
ImageCoord = Annotated[float, Field(ge=-1.0, le=2.0, allow_inf_nan=False)]


class CameraPose(Model):
    t: Seconds = Field(description="Frame time on the station clock")
    leg: Leg = Field(description="Working leg being tracked")
    person_visible: bool = Field(default=True, description="Whether a person is in view")
    knee_flexion_deg: Angle | None = Field(default=None, description="Knee bend, 0 = straight")
    thigh_angle_deg: Angle | None = Field(default=None, description="Thigh behind vertical (hip extension)")
    pelvis_rotation_deg: Angle | None = Field(default=None, description="Working hip opening")
    torso_angle_deg: Angle | None = Field(default=None, description="Torso lean from horizontal")
    cues: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list, max_length=5, description="Live coaching cues for the kiosk"
    )
    keypoints: dict[KeypointName, tuple[ImageCoord, ImageCoord]] = Field(
        default_factory=dict, description="The working side's joints seen in this frame, (x, y) normalised to "
        "the image; empty when unseen or from an older camera"
    )


class SensorRep(Model):
    """What both sensors report of a rep: its number in their stream and its span on the station clock."""

    rep_index: int = Field(ge=1, le=1000, description="1-based rep number within the stream")
    start_t: Seconds = Field(description="Rep start on the station clock")
    end_t: Seconds = Field(description="Rep end on the station clock")

    @field_validator("end_t")
    @classmethod
    def _ends_after_start(cls, v: float, info: Any) -> float:
        start = info.data.get("start_t")
        if start is not None and v < start:
            raise ValueError("end_t is before start_t")
        return v


class CameraRep(SensorRep):
    leg: Leg = Field(description="Working leg")
    concentric_s: Duration = Field(description="Curl (lifting) duration")
    top_hold_s: Duration = Field(default=0.0, description="Squeeze at the top")
    eccentric_s: Duration = Field(description="Return (lowering) duration")
    metrics: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Peak knee flexion, thigh excursion, pelvis rotation, torso change"
    )
    faults: list[Fault] = Field(default_factory=list, description="Faults only the camera can see (none today)")


class LoadTrace(Model):
    t0: Seconds = Field(description="Time of the first sample")
    hz: float = Field(gt=0, le=5000, description="Sample rate")
    force_n: list[Newtons] = Field(max_length=5000, description="Force samples in newtons")


class LoadRep(SensorRep):
    leg: Leg | None = Field(default=None, description="Working leg when known")
    concentric_s: Duration = Field(description="Lifting duration")
    eccentric_s: Duration = Field(description="Lowering duration")
    peak_force_n: Newtons = Field(description="Peak force during the rep")
    load_kg: Kilograms = Field(description="Stack mass measured from static tension")
    peak_velocity: float = Field(default=0.0, ge=-20, le=20, description="Peak stack velocity, m/s")
    metrics: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Concentric peak force, travel, tension before the rep…"
    )
    faults: list[Fault] = Field(
        default_factory=list, description="Faults only the load cell can see (lost_tension, slack_start)"
    )


@dataclass(frozen=True, slots=True)
class RepCheck:
    """One check of a rep: what was looked at, by which sensor, against which limit, and the outcome.

    A frozen dataclass rather than a model: the judge builds a dozen for every rep event, and a verdict
    takes them as they are (validated when parsed from the wire, like every field of the contract).
    """

    __pydantic_config__ = ConfigDict(extra="forbid")

    check: Annotated[Check, Field(description="What was checked")]
    outcome: Annotated[Outcome, Field(description="passed, failed, or not_checked")]
    blocking: Annotated[bool, Field(description="The progression rule names it: unchecked holds the weight")] = False
    sensor: Annotated[Sensor | None, Field(description="Sensor whose measurement decided it")] = None
    value: Annotated[float | None, Field(allow_inf_nan=False, description="What was measured")] = None
    limit: Annotated[float | None, Field(allow_inf_nan=False, description="The limit it was held to")] = None
    why: Annotated[Text, Field(description="Why not checked (camera lost, hips not in view…), for people")] = ""

    def model_dump(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        return _REP_CHECK.dump_python(self, mode=mode)  # type: ignore[no-any-return]


class RepVerdict(Model):
    session_id: Ident | None = Field(default=None, description="Session, None for a rep outside any set")
    set_index: int | None = Field(default=None, ge=1, le=20, description="Set within the session")
    leg: Leg = Field(description="Working leg")
    rep_index: int = Field(ge=1, le=1000, description="1-based rep number within the set")
    start_t: Seconds = Field(description="Rep start on the station clock")
    end_t: Seconds = Field(description="Rep end on the station clock")
    passed: bool = Field(description="True only when every blocking check was made and no fault was found")
    faults: list[Fault] = Field(default_factory=list, description="Faults found by any sensor")
    sensors: list[Sensor] = Field(min_length=1, description="Sensors whose evidence judged the rep")
    revision: int = Field(default=0, ge=0, le=10, description="0 first verdict, >0 refined by a late sensor")
    reasons: list[Text] = Field(default_factory=list, description="Plain words for the member")
    verified: bool = Field(
        default=True, description="Every blocking check was made; False: the rep is unverified, not passed")
    checks: list[RepCheck] = Field(default_factory=list, max_length=20, description="Each check and its outcome")

    @property
    def status(self) -> Literal["passed", "failed", "unverified"]:
        """passed; failed (a fault was found); unverified (no fault, but a blocking check was not made)."""
        if self.faults:
            return "failed"
        return "passed" if self.passed else "unverified"


class SetSummary(Model):
    session_id: Ident = Field(description="Session")
    set_index: int = Field(ge=1, le=20, description="Set within the session")
    leg: Leg = Field(description="Working leg")
    weight_kg: Kilograms = Field(description="Weight used")
    target_reps: int = Field(ge=1, le=50, description="Reps aimed for")
    reps: int = Field(ge=0, le=1000, description="Reps done")
    passed_reps: int = Field(ge=0, le=1000, description="Reps that passed")
    faults_per_rep: list[list[Fault]] = Field(default_factory=list, description="Faults of each rep in order")
    unverified_reps: int = Field(
        default=0, ge=0, le=1000, description="Reps with no fault but a blocking check not made")
    planned_sets: int | None = Field(default=None, ge=1, le=20, description="Sets per leg the member chose")


class Recommendation(Model):
    session_id: Ident = Field(description="Session the recommendation concludes")
    member_id: Ident = Field(description="Member")
    exercise: Ident = Field(description="Exercise id")
    leg: Leg = Field(description="Leg the recommendation is for")
    goal: Ident = Field(description="Goal id")
    current_weight_kg: Kilograms = Field(description="Weight used this session")
    next_weight_kg: Kilograms = Field(description="Weight to use next time")
    next_target_reps: int = Field(ge=1, le=50, description="Reps to aim for next time")
    action: Action = Field(description="increase, hold or decrease")
    reasons: list[Text] = Field(default_factory=list, description="Why, in plain words")
    flags: list[Text] = Field(default_factory=list, description="Notes for the trainer, e.g. leg gap")
    phrases: list[Phrase] = Field(
        default_factory=list, max_length=10, description="The reasons as phrases, one per reason in order, for a "
        "kiosk to say in its member's language; empty from an older producer (the reasons are shown as they are)")
    flag_phrases: list[Phrase] = Field(
        default_factory=list, max_length=10, description="The flags as phrases, one per flag in order")

    @model_validator(mode="after")
    def _phrases_match(self) -> Self:
        _one_per_line(self.phrases, self.reasons, "reasons")
        _one_per_line(self.flag_phrases, self.flags, "flags")
        return self


def _one_per_line(phrases: list[Phrase], lines: list[str], what: str) -> None:
    if phrases and len(phrases) != len(lines):
        raise ValueError(f"{len(phrases)} phrases for {len(lines)} {what}: one phrase per line, or none")


class KioskCue(Model):
    message: Annotated[str, Field(min_length=1, max_length=200)] = Field(description="Text shown on the kiosk")
    trainer: str = Field(default="", max_length=80, description="Who sent it")
    ttl_s: float = Field(default=8.0, ge=1.0, le=120.0, description="How long the kiosk shows it")


class MemberIdentified(Model):
    method: IdMethod = Field(description="How the member identified: badge, qr or pin")
    token: Annotated[str, Field(min_length=1, max_length=128)] = Field(description="Badge id, QR text or PIN")


class PlannedLeg(Model):
    leg: Leg = Field(description="Leg")
    weight_kg: Kilograms = Field(description="Weight to use")
    target_reps: int = Field(ge=1, le=50, description="Reps to aim for")
    sets: int = Field(ge=1, le=10, description="Sets to do")
    action: Action = Field(default=Action.HOLD, description="How it changed since last time")
    reasons: list[Text] = Field(default_factory=list, description="Why, in plain words")
    phrases: list[Phrase] = Field(
        default_factory=list, max_length=10, description="The reasons as phrases, one per reason in order; empty "
        "from an older producer")

    @model_validator(mode="after")
    def _phrases_match(self) -> Self:
        _one_per_line(self.phrases, self.reasons, "reasons")
        return self


class MemberInfo(Model):
    member_id: Ident = Field(description="Member id")
    name: str = Field(max_length=80, description="Display name")
    weaker_leg: Leg | None = Field(default=None, description="Trained first; None when not known yet")
    goal: Ident | None = Field(default=None, description="Preferred goal id")
    guest: bool = Field(default=False, description="A guest session: nothing is kept after it")
    language: Language | None = Field(default=None, description="The kiosk's language for this member, when chosen")


class LastSession(Model):
    session_id: Ident = Field(description="Session")
    ended: datetime = Field(description="When it ended")
    goal: Ident = Field(description="Goal trained")
    summary: Text = Field(description="One line, e.g. 'left 3x10 @ 12.5 kg, 28/30 passed'")
    phrases: list[Phrase] = Field(
        default_factory=list, max_length=4, description="The line as phrases, one per leg (joined by '; '); empty "
        "from an older producer")


class MemberLookup(Model):
    """kiosk → site: who is this badge / QR code / PIN? Answered by `member.profile`."""

    correlation_id: Ident = Field(description="Echoed in the answer")
    method: IdMethod = Field(description="badge, qr or pin")
    token: Annotated[str, Field(min_length=1, max_length=128)] = Field(description="What was read")
    exercise: Ident = Field(description="Exercise of this station")


class MemberEnrol(Model):
    """kiosk → site: enrol the unknown badge just read. Answered by `member.profile`."""

    correlation_id: Ident = Field(description="Echoed in the answer")
    method: IdMethod = Field(description="badge, qr or pin")
    token: Annotated[str, Field(min_length=1, max_length=128)] = Field(description="Badge id, QR text or PIN")
    name: Annotated[str, Field(min_length=1, max_length=80)] = Field(description="Member's name")
    weaker_leg: Leg | None = Field(default=None, description="If the member knows it")
    goal: Ident | None = Field(default=None, description="Chosen goal")
    exercise: Ident = Field(description="Exercise of this station")
    language: Language | None = Field(default=None, description="The language the member enrolled in")


class MemberProfile(Model):
    """site → kiosk: the answer to `member.lookup` / `member.enrol` ({status, data, error, correlation_id})."""

    correlation_id: Ident = Field(description="Of the request")
    status: Literal["ok", "unknown", "error"] = Field(description="ok, unknown (no such member) or error")
    error: Text = Field(default="", description="What went wrong, when status is error")
    member: MemberInfo | None = Field(default=None, description="The member, when status is ok")
    exercise: Ident | None = Field(default=None, description="Exercise the plan is for")
    plan: list[PlannedLeg] = Field(default_factory=list, description="Next session per leg, weaker first")
    last_session: LastSession | None = Field(default=None, description="The member's previous session")


class StationCommand(Model):
    """kiosk operator screen or dashboard → a station service: tare, calibrate, placement check…"""

    correlation_id: Ident = Field(description="Echoed in the reply")
    service: Ident = Field(description="Service that must act: loadcell, camera…")
    command: Ident = Field(description="tare, calibrate, placement_check…")
    args: dict[str, float | str] = Field(default_factory=dict, description="Command arguments")


class StationReply(Model):
    correlation_id: Ident = Field(description="Of the command")
    service: Ident = Field(description="Service that answers")
    status: Literal["ok", "error"] = Field(description="Outcome")
    data: dict[str, float | str | bool] = Field(default_factory=dict, description="Results")
    error: Text = Field(default="", description="What went wrong")


class DeadLetter(Model):
    service: Ident = Field(description="Service that rejected the message")
    topic: str = Field(max_length=300, description="Topic the message came on")
    reason: str = Field(max_length=2000, description="Why it was rejected")
    payload: str = Field(max_length=4096, description="The payload as received (truncated)")
    payload_bytes: int = Field(ge=0, description="Size of the payload as received")


# ---------------------------------------------------------------- envelopes

_seq = itertools.count(1)


def utc_now() -> datetime:
    """The real wall clock, the envelopes' default."""
    return datetime.now(UTC)


_wall_clock: Callable[[], datetime] = utc_now


def set_wall_clock(clock: Callable[[], datetime] = utc_now) -> None:
    """Replace the clock that stamps envelopes (`ts`): a simulated station steps its wall clock
    (`services/simulator/clock.py`) as an NTP step would step a real one. Without an argument, the real
    one again."""
    global _wall_clock
    _wall_clock = clock


def _now() -> datetime:
    return _wall_clock()


class Envelope(Model):
    """Fields common to every event; subclasses fix `type` and the `data` model."""

    schema_: Literal["gym.v1"] = Field(default="gym.v1", alias="schema", description="Contract version")
    event_id: str = Field(
        default_factory=lambda: uuid.uuid4().hex,
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Unique id; consumers process each once",
    )
    site_id: Ident = Field(description="Gym site")
    station_id: Ident = Field(description="Station (cable machine), or 'site' for site services")
    ts: datetime = Field(default_factory=_now, description="UTC time the event was made")
    seq: int = Field(default_factory=lambda: next(_seq), ge=0, description="Publisher's sequence number")
    # Every event class fixes it to its own name (a `Literal` with that default), so code that holds an
    # `Envelope` reads its type without knowing the class.
    type: str = Field(description="Event type (the catalogue's name, e.g. 'rep.verdict')")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @field_validator("ts")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("ts must carry a UTC offset")
        return v.astimezone(UTC)

    @cached_property
    def _wire(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()

    def to_json(self) -> bytes:
        """The payload on the wire; an envelope is frozen, so it is encoded once however often it is sent."""
        return self._wire

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("_wire", None)  # a copy with other fields must not send this one's payload
        return copy


class StationStatusEvent(Envelope):
    type: Literal["station.status"] = "station.status"
    data: StationStatus


class SessionStartedEvent(Envelope):
    type: Literal["session.started"] = "session.started"
    data: SessionStarted


class SessionEndedEvent(Envelope):
    type: Literal["session.ended"] = "session.ended"
    data: SessionEnded


class SetStartedEvent(Envelope):
    type: Literal["set.started"] = "set.started"
    data: SetStarted


class SetEndedEvent(Envelope):
    type: Literal["set.ended"] = "set.ended"
    data: SetEnded


class CameraPoseEvent(Envelope):
    type: Literal["camera.pose"] = "camera.pose"
    data: CameraPose


class CameraRepEvent(Envelope):
    type: Literal["camera.rep"] = "camera.rep"
    data: CameraRep


class LoadTraceEvent(Envelope):
    type: Literal["load.trace"] = "load.trace"
    data: LoadTrace


class LoadRepEvent(Envelope):
    type: Literal["load.rep"] = "load.rep"
    data: LoadRep


class RepVerdictEvent(Envelope):
    type: Literal["rep.verdict"] = "rep.verdict"
    data: RepVerdict


class SetSummaryEvent(Envelope):
    type: Literal["set.summary"] = "set.summary"
    data: SetSummary


class RecommendationEvent(Envelope):
    type: Literal["recommendation"] = "recommendation"
    data: Recommendation


class KioskCueEvent(Envelope):
    type: Literal["kiosk.cue"] = "kiosk.cue"
    data: KioskCue


class MemberIdentifiedEvent(Envelope):
    type: Literal["member.identified"] = "member.identified"
    data: MemberIdentified


class MemberLookupEvent(Envelope):
    type: Literal["member.lookup"] = "member.lookup"
    data: MemberLookup


class MemberEnrolEvent(Envelope):
    type: Literal["member.enrol"] = "member.enrol"
    data: MemberEnrol


class MemberProfileEvent(Envelope):
    type: Literal["member.profile"] = "member.profile"
    data: MemberProfile


class StationCommandEvent(Envelope):
    type: Literal["station.command"] = "station.command"
    data: StationCommand


class StationReplyEvent(Envelope):
    type: Literal["station.reply"] = "station.reply"
    data: StationReply


class DeadLetterEvent(Envelope):
    type: Literal["dead.letter"] = "dead.letter"
    data: DeadLetter


AnyEvent = Annotated[
    StationStatusEvent
    | SessionStartedEvent
    | SessionEndedEvent
    | SetStartedEvent
    | SetEndedEvent
    | CameraPoseEvent
    | CameraRepEvent
    | LoadTraceEvent
    | LoadRepEvent
    | RepVerdictEvent
    | SetSummaryEvent
    | RecommendationEvent
    | KioskCueEvent
    | MemberIdentifiedEvent
    | MemberLookupEvent
    | MemberEnrolEvent
    | MemberProfileEvent
    | StationCommandEvent
    | StationReplyEvent
    | DeadLetterEvent,
    Field(discriminator="type"),
]

EVENT_TYPES: dict[str, type[Envelope]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        StationStatusEvent,
        SessionStartedEvent,
        SessionEndedEvent,
        SetStartedEvent,
        SetEndedEvent,
        CameraPoseEvent,
        CameraRepEvent,
        LoadTraceEvent,
        LoadRepEvent,
        RepVerdictEvent,
        SetSummaryEvent,
        RecommendationEvent,
        KioskCueEvent,
        MemberIdentifiedEvent,
        MemberLookupEvent,
        MemberEnrolEvent,
        MemberProfileEvent,
        StationCommandEvent,
        StationReplyEvent,
        DeadLetterEvent,
    )
}

_any_event: TypeAdapter[Envelope] = TypeAdapter(AnyEvent)
_REP_CHECK: TypeAdapter[RepCheck] = TypeAdapter(RepCheck)

# A payload larger than this is refused before JSON parsing: the biggest legitimate
# event (a load.trace batch of 5,000 samples) serialises well under 128 KiB.
MAX_PAYLOAD_BYTES = 256 * 1024


class ContractError(ValueError):
    """A payload that is not a valid contract event; `reason` says why, for the dead-letter entry."""


def parse_event(payload: bytes | str) -> Envelope:
    """Parse and validate any contract event from its JSON payload."""
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise ContractError(f"payload of {len(raw)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return _any_event.validate_json(raw)
    except ValueError as exc:
        raise ContractError(_short_reason(exc)) from exc


def _short_reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 1500 else text[:1500] + "…"


def make_event(event_type: str, site_id: str, station_id: str, data: Model, **kw: Any) -> Envelope:
    """Build the envelope for `event_type` around `data` (checked against the type's model)."""
    cls = EVENT_TYPES[event_type]
    return cls.model_validate(
        {"site_id": site_id, "station_id": station_id, "data": data, **kw}
    )
