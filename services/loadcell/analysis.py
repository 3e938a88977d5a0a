"""From cable force to measured reps (pure: no I/O, no paho, no Qt): the stack tracker and the rep
segmenter wired, once per stream (or per set).

The load cell measures and does not judge: a rep goes out with its phases, load, peak forces and travel
(`metrics`) and only the faults no one else can see — the stack set down between reps (`lost_tension`) and
a slack cable before the first rep of a set (`slack_start`). Kicks, dropped returns and tempo are the one
judge's (`shared.judge`), from those measurements; `judge_alone` is what it makes of a rep on the load cell's
evidence only, for the `analyze` command and the benchmark.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.loadcell.reps import RepMeasure, RepSegmenter
from services.loadcell.rules import LoadRules
from services.loadcell.stack import StackSample, StackTracker
from shared.catalogue import DEFAULT_EXERCISE, Exercise, FormRules, Goal, default_catalogue
from shared.contract import Fault, Leg
from shared.judge import Judgement, judge

# Reps whose impulse balance is not the stack's alone: a lift off the pins or a set-down adds the frame's
# share (and a dropped return, which slackens the cable, is told by the exercise's limit: `unbalanced`).
LEARN_EXCLUDES = frozenset({Fault.LOST_TENSION, Fault.SLACK_START})


# A rep balances when its return brought the stack down about as far as its curl lifted it (the two fits'
# travels within a third of each other: the stack rests at the same height before and after a rep).
BALANCED_TRAVEL = (0.75, 1.33)


def exercise_limits(exercise: str = DEFAULT_EXERCISE) -> FormRules:
    """The exercise's judging limits from the catalogue (KeyError for an unknown exercise)."""
    return default_catalogue()[exercise].rules


@dataclass
class LoadAnalyzer:
    """Samples (t, force_n) in, measured reps out; one per stream (or per set)."""

    rules: LoadRules = field(default_factory=LoadRules)
    # The exercise's limits, only to leave kicked and dropped reps out of the friction learning.
    limits: FormRules = field(default_factory=exercise_limits)
    # The station's pulley ratio (an installation fact, not measurable from the tension): on 2:1 the cable
    # pulls half the stack's weight, and `load_kg` is the stack's mass, as the member sets it on the pin.
    pulley_ratio: int = 1
    tracker: StackTracker = field(init=False)
    segmenter: RepSegmenter = field(init=False)
    last: StackSample | None = None
    _sum: float = 0.0
    _n: int = 0
    _next_t: float = -math.inf

    def __post_init__(self) -> None:
        self.tracker = StackTracker(self.rules)
        self.segmenter = RepSegmenter(self.rules)

    def feed(self, t: float, force_n: float) -> list[RepMeasure]:
        """Take one sample; return the reps that ended.

        A faster board is averaged down to the analysis rate first (a box-car mean, which also rejects its noise).
        """
        self._sum += force_n
        self._n += 1
        if t < self._next_t:
            return []
        mean, self._sum, self._n = self._sum / self._n, 0.0, 0
        self._next_t = t + 0.999 / self.rules.analysis_hz
        out = []
        for s in self.tracker.update(t, mean):
            self.last = s
            rep = self.segmenter.update(s)
            if rep is not None:
                self._learn(rep)
                out.append(rep if self.pulley_ratio == 1
                           else dataclasses.replace(rep, load_kg=rep.load_kg * self.pulley_ratio))
        return out

    def close(self) -> list[RepMeasure]:
        """The stream ended: the rep in progress, if it was done."""
        rep = self.segmenter.close()
        if rep is None:
            return []
        return [rep if self.pulley_ratio == 1 else dataclasses.replace(rep, load_kg=rep.load_kg * self.pulley_ratio)]

    def _learn(self, rep: RepMeasure) -> None:
        """A clean rep's curl and return give the friction and the static load (`StackTracker.learn`)."""
        curl, ret = rep.curl, rep.ret
        if self.unbalanced(rep) or curl is None or ret is None:
            return
        if not BALANCED_TRAVEL[0] <= ret.travel_m / max(curl.travel_m, 1e-6) <= BALANCED_TRAVEL[1]:
            return  # the return did not bring back what the curl lifted: one of them is measured wrong
        self.tracker.learn(curl.moving_n, ret.moving_n)

    def unbalanced(self, rep: RepMeasure) -> bool:
        """A rep whose impulse balance is not the stack's alone: off the pins, or dropped by the exercise's limit
        (a dropped stack slackens the cable and lands on its pins), or a thrown curl (its push and coast are
        measured by shapes it only resembles)."""
        lim = self.limits
        kicked = rep.concentric_s < lim.kick_concentric_s.value  # a thrown curl's shape is no smooth stroke's
        return kicked or rep.eccentric_s < lim.min_eccentric_s.value or bool(LEARN_EXCLUDES & set(rep.faults))

    def new_set(self) -> None:
        """Number reps from 1 again and weigh the stack afresh (the member may have moved the pin);
        the pulleys' friction measured so far is kept, as a share of the load."""
        old = self.tracker
        share = (old.friction_n / old.load_n if old.load_n and old.friction_n is not None
                 else old.friction_share)
        self.tracker = StackTracker(self.rules, friction_share=share)
        self.segmenter = RepSegmenter(self.rules)
        self.last = None


def judge_alone(exercise: Exercise, goal: Goal | None, rep: RepMeasure, leg: Leg | None = None) -> Judgement:
    """The one judge on the load cell's evidence alone: the camera's checks (thigh, hips, range…) not made."""
    return judge(exercise, goal, None, rep.to_event_data(leg), first_of_set=rep.index == 1)


def analyze(samples: Iterable[tuple[float, float]], rules: LoadRules | None = None,
            limits: FormRules | None = None, pulley_ratio: int = 1) -> list[RepMeasure]:
    """The reps of one stream of (t, force_n) samples, measured."""
    a = LoadAnalyzer(rules or LoadRules(), limits or exercise_limits(), pulley_ratio)
    return [r for t, f in samples for r in a.feed(t, f)] + a.close()
