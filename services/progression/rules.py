"""The seed's rules as code (pure): judging a rep for its goal, and the next weight per leg.

Progression rule (seed): "Add resistance only when you can complete every rep without
swinging the leg, twisting the hips, or losing the controlled eccentric phase."
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from shared.catalogue import Goal
from shared.contract import FAULT_FIXES, FAULT_WORDS, Action, Fault, Leg

# ------------------------------------------------------------------ tempo

# A member pacing to the kiosk's tempo guide lands within about half a second of the beat;
# a wider miss means the guide was not followed.
TEMPO_TOLERANCE_S = 0.5
# The hypertrophy goal asks a 1–2 s squeeze; a camera's top hold is measured to ±0.15 s
# at 30 fps with filtering, so a hold reported under (min - 0.15) s was really short.
SQUEEZE_MEASUREMENT_S = 0.15


def goal_faults(goal: Goal, concentric_s: float | None, eccentric_s: float | None,
                top_hold_s: float | None) -> list[Fault]:
    """Faults that only exist for this goal: tempo (tempo goal) and the top squeeze (hypertrophy)."""
    out: list[Fault] = []
    tempo = goal.tempo
    if tempo is not None and (
        (concentric_s is not None and abs(concentric_s - tempo.concentric_s) > TEMPO_TOLERANCE_S)
        or (eccentric_s is not None and abs(eccentric_s - tempo.eccentric_s) > TEMPO_TOLERANCE_S)
    ):
        out.append(Fault.TEMPO)
    if (goal.top_squeeze_s is not None and top_hold_s is not None
            and top_hold_s < goal.top_squeeze_s.min - SQUEEZE_MEASUREMENT_S):
        out.append(Fault.TEMPO)
    return out


# ------------------------------------------------------------------ the stack


@dataclass(frozen=True)
class Stack:
    """The station's weight stack: plates of `plate_kg`, plus an optional add-on weight.

    With 2.5 kg plates and a 1.25 kg add-on, the selectable weights are every 1.25 kg.
    """

    plate_kg: float = 2.5
    addon_kg: float = 1.25
    min_kg: float = 2.5
    max_kg: float = 100.0

    @property
    def step_kg(self) -> float:
        return self.addon_kg if 0 < self.addon_kg < self.plate_kg else self.plate_kg

    def snap(self, kg: float) -> float:
        """The nearest selectable weight at or below `kg` (never above what was asked)."""
        s = self.step_kg
        n = math.floor(round(kg / s, 6))
        return round(min(self.max_kg, max(self.min_kg, n * s)), 3)

    def up(self, kg: float) -> float:
        return self.snap(min(self.max_kg, self.snap(kg) + self.step_kg))

    def down(self, kg: float) -> float:
        return self.snap(max(self.min_kg, self.snap(kg) - self.step_kg))


# ------------------------------------------------------------------ recommendation

# "Repeated failures": a third of a session's reps failing means the weight, not a lapse,
# is the problem; two sessions running rules out one bad day.
FAIL_SHARE_FOR_DECREASE = 1 / 3
SESSIONS_FOR_DECREASE = 2
# A trainer looks at a member whose legs differ by more than this share of the heavier weight
# ("train both sides evenly").
LEG_GAP_FLAG = 0.15


@dataclass(frozen=True)
class SetResult:
    weight_kg: float
    target_reps: int
    rep_faults: tuple[tuple[Fault, ...], ...]  # one entry per rep, empty when it passed

    @property
    def reps(self) -> int:
        return len(self.rep_faults)

    @property
    def passed(self) -> int:
        return sum(1 for f in self.rep_faults if not f)


@dataclass(frozen=True)
class LegProgress:
    """What the member does next time on one leg, and the recent failure shares."""

    weight_kg: float
    target_reps: int
    fail_shares: tuple[float, ...] = ()  # newest last


@dataclass(frozen=True)
class LegDecision:
    leg: Leg
    current_weight_kg: float
    next_weight_kg: float
    next_target_reps: int
    action: Action
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    fail_shares: tuple[float, ...] = ()


def _kg(x: float) -> str:
    return f"{x:g} kg"


def decide_leg(leg: Leg, goal: Goal, stack: Stack, sets: Sequence[SetResult],
               previous: LegProgress | None) -> LegDecision:
    """The next weight and reps for one leg after a session, with reasons a member reads."""
    if not sets:
        prev_w = previous.weight_kg if previous else stack.min_kg
        return LegDecision(leg, prev_w, prev_w, previous.target_reps if previous else goal.reps.min,
                           Action.HOLD, ["No set on this leg today: same plan next time"],
                           fail_shares=previous.fail_shares if previous else ())
    weight = sets[-1].weight_kg
    reps_total = sum(s.reps for s in sets)
    failed = [f for s in sets for f in s.rep_faults if f]
    share = len(failed) / reps_total if reps_total else 0.0
    shares = ((previous.fail_shares if previous else ()) + (share,))[-SESSIONS_FOR_DECREASE:]
    if failed:
        counts = Counter(f for faults in failed for f in set(faults))
        worst, n = counts.most_common(1)[0]
        recent = shares[-SESSIONS_FOR_DECREASE:]
        if len(recent) == SESSIONS_FOR_DECREASE and all(x >= FAIL_SHARE_FOR_DECREASE for x in recent):
            nxt = stack.down(weight)
            reasons = [f"{len(failed)} of {reps_total} reps failed two sessions running: "
                       f"go down to {_kg(nxt)}", FAULT_FIXES[worst]]
            return LegDecision(leg, weight, nxt, goal.reps.min,
                               Action.DECREASE if nxt < weight else Action.HOLD, reasons, fail_shares=shares)
        rep_word = "rep" if n == 1 else "reps"
        reasons = [f"{n} {rep_word} {FAULT_WORDS[worst]}: keep {_kg(weight)}", FAULT_FIXES[worst]]
        for f, k in counts.most_common()[1:]:
            reasons.append(f"{k} {'rep' if k == 1 else 'reps'} {FAULT_WORDS[f]}")
        target = min(goal.reps.max, max(goal.reps.min, min(s.target_reps for s in sets)))
        return LegDecision(leg, weight, weight, target, Action.HOLD, reasons, fail_shares=shares)
    if all(s.reps >= goal.reps.max for s in sets):
        nxt = stack.up(weight)
        if nxt == weight:
            return LegDecision(leg, weight, weight, goal.reps.max, Action.HOLD,
                               [f"Every rep passed at the top of the stack ({_kg(weight)})"], fail_shares=shares)
        return LegDecision(leg, weight, nxt, goal.reps.min, Action.INCREASE,
                           [f"Every rep of every set passed with {goal.reps.max} reps: "
                            f"go up to {_kg(nxt)} for {goal.reps.min} reps"], fail_shares=shares)
    best = min(s.reps for s in sets)
    target = min(goal.reps.max, max(goal.reps.min, best + 1))
    return LegDecision(leg, weight, weight, target, Action.HOLD,
                       [f"Every rep passed: keep {_kg(weight)} and aim for {target} reps"], fail_shares=shares)


def balance_legs(decisions: dict[Leg, LegDecision], weaker: Leg | None, stack: Stack,
                 allow_gap: bool = False) -> dict[Leg, LegDecision]:
    """Train both sides evenly: the stronger leg aims for the weaker leg's reps, the legs stay within
    one stack step of each other (unless the member's record allows a gap), and a gap over 15 % is
    flagged for the trainer."""
    if len(decisions) < 2:
        return decisions
    out = dict(decisions)
    legs = list(out)
    if weaker not in out:
        weaker = min(legs, key=lambda lg: out[lg].next_weight_kg)
    strong = next(lg for lg in legs if lg != weaker)
    w, s = out[weaker], out[strong]
    if s.next_target_reps != w.next_target_reps:
        s = replace(s, next_target_reps=w.next_target_reps,
                    reasons=[*s.reasons, f"Match your {weaker.value} leg: {w.next_target_reps} reps"])
    out[strong] = s
    heavy, light = sorted((weaker, strong), key=lambda lg: out[lg].next_weight_kg, reverse=True)
    h, lt = out[heavy], out[light]
    if not allow_gap and h.next_weight_kg - lt.next_weight_kg > stack.step_kg + 1e-9:
        capped = stack.snap(lt.next_weight_kg + stack.step_kg)
        action = (Action.INCREASE if capped > h.current_weight_kg else
                  Action.DECREASE if capped < h.current_weight_kg else Action.HOLD)
        out[heavy] = h = replace(h, next_weight_kg=capped, action=action, reasons=[
            *h.reasons, f"Kept within one step of your {light.value} leg: {_kg(capped)}"])
    gap = h.next_weight_kg - lt.next_weight_kg
    if h.next_weight_kg > 0 and gap / h.next_weight_kg > LEG_GAP_FLAG:
        flag = (f"Leg gap {gap / h.next_weight_kg:.0%}: {heavy.value} {_kg(h.next_weight_kg)}, "
                f"{light.value} {_kg(lt.next_weight_kg)}")
        for lg in legs:
            out[lg] = replace(out[lg], flags=[*out[lg].flags, flag])
    return out
