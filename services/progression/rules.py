"""The seed's progression rule as code (pure): the next weight per leg after a session.

Progression rule (seed): "Add resistance only when you can complete every rep without
swinging the leg, twisting the hips, or losing the controlled eccentric phase."

Judging a rep lives in `shared/judge.py`; here a rep is its faults and whether its blocking
checks were all made. Every number comes from the exercise's YAML (`Policy.of`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from shared.catalogue import Exercise, Goal, StackSpec
from shared.contract import CHECK_WORDS, Action, Fault, Leg, Phrase, phrase
from shared.contract import PhraseKey as P


@dataclass(frozen=True)
class Policy:
    """What the exercise's rule says, read from its YAML (each number's reason is there)."""

    blocking: frozenset[Fault]
    too_heavy: frozenset[Fault] = frozenset()
    too_heavy_share: float = 1 / 3
    too_heavy_reason: str = ""
    fail_share_for_decrease: float = 1 / 3
    sessions_for_decrease: int = 2
    leg_gap_flag: float = 0.15

    @classmethod
    def of(cls, ex: Exercise) -> Policy:
        r = ex.rules
        return cls(frozenset(ex.progression.blocking_faults), frozenset(ex.progression.too_heavy_faults),
                   r.too_heavy_share.value, ex.progression.too_heavy_reason, r.fail_share_for_decrease.value,
                   max(1, round(r.sessions_for_decrease.value)), r.leg_gap_flag.value)


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

    @classmethod
    def of(cls, spec: StackSpec) -> Stack:
        return cls(spec.plate_kg, spec.addon_kg, spec.min_kg, spec.max_kg)

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


@dataclass(frozen=True)
class SetResult:
    weight_kg: float
    target_reps: int
    rep_faults: tuple[tuple[Fault, ...], ...]  # one entry per rep, empty when it passed
    # One entry per rep: "" when every blocking check was made, else what was not checked and why.
    unchecked: tuple[str, ...] = ()
    set_index: int = 1
    completed: bool = True  # False: the member stopped the set, or it timed out

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
    """The next weight and reps for one leg, and why: one cause, the plan read off the final numbers,
    then notes (the fix, other faults, what balancing the legs changed) — so the reasons never disagree.

    Every sentence is a phrase (`shared.contract.Phrase`): a kiosk says it in its member's language, and
    `reasons` and `flags` are their English."""

    leg: Leg
    current_weight_kg: float
    next_weight_kg: float
    next_target_reps: int
    action: Action
    cause: Phrase | None = None
    notes: list[Phrase] = field(default_factory=list)
    flag_phrases: list[Phrase] = field(default_factory=list)
    fail_shares: tuple[float, ...] = ()

    @property
    def plan(self) -> Phrase:
        kg, reps = self.next_weight_kg, self.next_target_reps
        if self.action is Action.INCREASE:
            return phrase(P.PLAN_INCREASE, kg=kg, reps=reps)
        if self.action is Action.DECREASE:
            return phrase(P.PLAN_DECREASE, kg=kg, reps=reps)
        if self.next_weight_kg != self.current_weight_kg:
            return phrase(P.PLAN_CHANGE, kg=kg, reps=reps)
        return phrase(P.PLAN_KEEP, kg=kg, reps=reps)

    @property
    def phrases(self) -> list[Phrase]:
        return [phrase(P.REASON, cause=self.cause, plan=self.plan) if self.cause else self.plan, *self.notes]

    @property
    def reasons(self) -> list[str]:
        return [p.say() for p in self.phrases]

    @property
    def flags(self) -> list[str]:
        return [p.say() for p in self.flag_phrases]


def _unchecked(reps: int, where: Phrase, why: str) -> Phrase:
    """Reps not checked, where, and the first check not made and why, in the judge's words ("hips square: the
    camera did not see this rep"): the check named by the contract's words, why as the judge wrote it."""
    for check, said in CHECK_WORDS.items():
        if why.startswith(said + ": "):
            return phrase(P.UNCHECKED, reps=reps, where=where, check=check, why=why[len(said) + 2:])
    return phrase(P.UNCHECKED_WHY, reps=reps, where=where, why=why)


def _fault_counts(faults: Sequence[tuple[Fault, ...]], keep: frozenset[Fault] | None = None,
                  drop: frozenset[Fault] = frozenset()) -> Counter[Fault]:
    return Counter(f for fs in faults for f in set(fs) if (keep is None or f in keep) and f not in drop)


def decide_leg(leg: Leg, goal: Goal, stack: Stack, sets: Sequence[SetResult], previous: LegProgress | None,
               policy: Policy, planned_sets: int | None = None) -> LegDecision:
    """The next weight and reps for one leg after a session, with reasons a member reads.

    Weight goes up only when every rep of every planned set was made, seen and clean of the blocking
    faults; it goes down a step when the too-heavy faults (the seed's FAQ) fill a share of the reps,
    or when blocking failures fill a share of them sessions running. Other faults coach only.
    """
    if not sets:
        prev_w = previous.weight_kg if previous else stack.min_kg
        return LegDecision(leg, prev_w, prev_w, previous.target_reps if previous else goal.reps.min,
                           Action.HOLD, phrase(P.NO_SET),
                           fail_shares=previous.fail_shares if previous else ())
    weight = sets[-1].weight_kg
    faults = [f for s in sets for f in s.rep_faults]
    reps_total = len(faults)
    blocked = [f for f in faults if policy.blocking & set(f)]
    heavy = [f for f in faults if policy.too_heavy & set(f)]
    share = len(blocked) / reps_total if reps_total else 0.0
    shares = ((previous.fail_shares if previous else ()) + (share,))[-policy.sessions_for_decrease:]
    # Faults outside the rule coach: shown and counted, never holding the weight.
    coach = _fault_counts(faults, drop=policy.blocking)
    notes = [phrase(P.ALSO, reps=k, fault=f, fix=f) for f, k in coach.most_common()]
    target = min(goal.reps.max, max(goal.reps.min, min(s.target_reps for s in sets)))

    def hold(cause: Phrase, *first: Phrase, reps: int = target) -> LegDecision:
        return LegDecision(leg, weight, weight, reps, Action.HOLD, cause, [*first, *notes], fail_shares=shares)

    def down(cause: Phrase, *first: Phrase) -> LegDecision:
        nxt = stack.down(weight)
        return LegDecision(leg, weight, nxt, target, Action.DECREASE if nxt < weight else Action.HOLD, cause,
                           [*first, *notes], fail_shares=shares)

    if heavy and len(heavy) / reps_total >= policy.too_heavy_share:
        worst, _ = _fault_counts(heavy, keep=policy.too_heavy).most_common(1)[0]
        named = list(_fault_counts(heavy, keep=policy.too_heavy))
        seed = [phrase(P.EXERCISE_TEXT, text=policy.too_heavy_reason)] if policy.too_heavy_reason else []
        return down(phrase(P.TOO_HEAVY, heavy=len(heavy), total=reps_total, faults=named), *seed,
                    phrase(P.FIX, fix=worst))
    if blocked:
        counts = _fault_counts(blocked, keep=policy.blocking)
        worst, n = counts.most_common(1)[0]
        recent = shares[-policy.sessions_for_decrease:]
        if (len(recent) == policy.sessions_for_decrease
                and all(x >= policy.fail_share_for_decrease for x in recent)):
            return down(phrase(P.FAILING, failed=len(blocked), total=reps_total, sessions=len(recent)),
                        phrase(P.FIX, fix=worst))
        others = [phrase(P.FAULT_REPS, reps=k, fault=f) for f, k in counts.most_common()[1:]]
        return hold(phrase(P.FAULT_REPS, reps=n, fault=worst), phrase(P.FIX, fix=worst), *others)
    unseen = [(s.set_index, why) for s in sets for why in s.unchecked if why]
    if unseen:
        why = unseen[0][1]
        in_sets = sorted({i for i, _ in unseen})
        where = phrase(P.IN_SET, set=in_sets[0]) if len(in_sets) == 1 else phrase(P.IN_SETS, sets=in_sets)
        return hold(_unchecked(len(unseen), where, why))
    short = [s for s in sets if not s.completed or s.reps < s.target_reps]
    if short:
        s = short[0]
        return hold(phrase(P.SET_SHORT, set=s.set_index, done=s.reps, target=s.target_reps))
    if planned_sets is not None and len(sets) < planned_sets:
        return hold(phrase(P.SETS_SHORT, done=len(sets), planned=planned_sets))
    if all(s.reps >= goal.reps.max for s in sets):
        nxt = stack.up(weight)
        if nxt == weight:
            return hold(phrase(P.TOP_OF_STACK, kg=weight), reps=goal.reps.max)
        return LegDecision(leg, weight, nxt, goal.reps.min, Action.INCREASE,
                           phrase(P.PASSED_TOP, reps=goal.reps.max), notes, fail_shares=shares)
    best = min(s.reps for s in sets)
    return hold(phrase(P.PASSED), reps=min(goal.reps.max, max(goal.reps.min, best + 1)))


def balance_legs(decisions: dict[Leg, LegDecision], weaker: Leg | None, stack: Stack,
                 allow_gap: bool = False, gap_flag: float = 0.15) -> dict[Leg, LegDecision]:
    """Train both sides evenly: the stronger leg aims for the weaker leg's reps, the legs stay within
    one stack step of each other (unless the member's record allows a gap), and a gap over `gap_flag`
    of the heavier weight is flagged for the trainer."""
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
                    notes=[*s.notes, phrase(P.MATCH_REPS, reps=w.next_target_reps, leg=weaker)])
    out[strong] = s
    heavy, light = sorted((weaker, strong), key=lambda lg: out[lg].next_weight_kg, reverse=True)
    h, lt = out[heavy], out[light]
    if not allow_gap and h.next_weight_kg - lt.next_weight_kg > stack.step_kg + 1e-9:
        capped = stack.snap(lt.next_weight_kg + stack.step_kg)
        action = (Action.INCREASE if capped > h.current_weight_kg else
                  Action.DECREASE if capped < h.current_weight_kg else Action.HOLD)
        out[heavy] = h = replace(h, next_weight_kg=capped, action=action, notes=[
            *h.notes, phrase(P.WITHIN_STEP, leg=light, kg=lt.next_weight_kg)])
    gap = h.next_weight_kg - lt.next_weight_kg
    if h.next_weight_kg > 0 and gap / h.next_weight_kg > gap_flag:
        flag = phrase(P.LEG_GAP, gap=gap / h.next_weight_kg, heavy=heavy, heavy_kg=h.next_weight_kg, light=light,
                      light_kg=lt.next_weight_kg)
        for lg in legs:
            out[lg] = replace(out[lg], flag_phrases=[*out[lg].flag_phrases, flag])
    return out
