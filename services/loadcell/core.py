"""From cable force to measured reps (pure: no I/O, no paho, no Qt).

The stack hangs on the cable, so the tension is its weight and inertia plus the pulleys'
friction: F = m(g + a) + f·sign(v). Each sample is low-pass filtered; the static tension
at rest gives the stack's weight m·g; the stack's motion is integrated as a Coulomb
friction model would move it (it sticks while |F − m·g| is within the friction, moves
otherwise), with zero-velocity resets whenever the force is steady at the static level,
and its travel is reset at the bottom between reps. Reps are segmented from that travel
with hysteresis; friction is re-estimated after each rep from its impulse balance.

The load cell measures and does not judge: a rep goes out with its phases, load, peak forces and
travel (`metrics`) and only the faults no one else can see — the stack set down between reps
(`lost_tension`) and a slack cable before the first rep of a set (`slack_start`). Kicks, dropped
returns and tempo are the one judge's (`shared.judge`), from those measurements; `judge_alone` is what
it makes of a rep on the load cell's evidence only, for the `analyze` command and the benchmark.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from shared.catalogue import DEFAULT_EXERCISE, Exercise, FormRules, Goal, default_catalogue
from shared.contract import Fault, Leg, LoadRep
from shared.judge import CONCENTRIC_PEAK_N, START_TENSION_N, Judgement, judge

G = 9.80665
# A move has ended when the stack is slower than 2 cm/s: well under any curl's speed (≥ 0.2 m/s).
MOVE_END_V = 0.02
# Bisection steps for a move's friction: 3× the estimate / 2^10 resolves it to well under a newton.
FRICTION_BISECTIONS = 10
# Still means steady within 30 % of the friction of the static load: static friction holds a resting stack
# a little off m·g, while a moving one pulls a whole friction off it (less only while it slows to a stop).
STILL_FRICTION_SHARE = 0.3
# The analysis runs at up to 100 Hz: a curl's force has nothing above ~5 Hz, and a 1 kHz board's
# samples are averaged 10 to 1 rather than each paying for the filter and the still window.
ANALYSIS_HZ = 100.0
# A move from the bottom that ends under half its peak has come back down: a rep's whole movement.
RETURN_SHARE = 0.5
# A move is one way when 97 % of its moving samples go the same way (the rest: noise at its ends).
ONE_WAY_SHARE = 0.94
# A move's own friction is believed within 2× of the learnt one: pulleys do not change between reps,
# while a move that went both ways balances its impulses and shows a friction far too small.
OWN_FRICTION_RANGE = 2.0
# Coming down at least a quarter of the peak before curling again ends a rep: a pause at the top is a
# hold (a few centimetres of drift at most), a quarter of the travel back is a return.
CURL_AGAIN_SHARE = 0.25
# A turn down at the top that is still again within 0.6 s, near the top, was the curl settling: the
# stillness itself takes 0.3 s to show, and the quickest return (a dropped one, ≥ 0.45 s) takes 0.75 s.
SETTLE_S = 0.6
# A rep corrects the static reference by at most 2 %: static friction holds a resting stack within
# ~1 % of m·g, so a larger correction is a rep measured wrong, not a better reference.
OFFSET_CAP_SHARE = 0.02
# Reps whose impulse balance is not the stack's alone: a lift off the pins adds the frame's share of
# the load to the curl (and a kick or a drop, which can slacken the cable, is told by the exercise's
# limits: see `LoadAnalyzer.unbalanced`).
LEARN_EXCLUDES = frozenset({Fault.LOST_TENSION, Fault.SLACK_START})
# While the stack is not weighed yet, the last 20 s are kept: after a slack start it is weighed at the
# earliest at the first rep's top hold, at the latest at the rest after the second rep (a lead-in, two
# reps and a rest take under 20 s), and everything kept is then measured with the weight known.
PRELOAD_KEEP_S = 20.0
# A steady tension that comes back after a move is the stack's weight: the move between pulled the force
# more than twice the still band off it (a curl pulls m·a + f over m·g, a return m·a + f under it), while
# a slow drift from one level to the next never leaves the band.
MOVED_BANDS = 2.0
# The tension before the first rep is remembered for 10 s: the rep starts where the stack was last still,
# and is recognised once it has risen 8 cm, a second or two later.
START_HISTORY_S = 10.0
TRAVEL_M = "travel_m"


@dataclass(frozen=True)
class LoadRules:
    """Every threshold the load cell judges with, each with its reason."""

    # A curl's force changes at under 3 Hz and a kick rises in ~0.1 s; 8 Hz keeps both and cuts ADC noise.
    filter_hz: float = 8.0
    # The stack is still when the force stays within a band for 0.3 s: longer than a curl's turn at the
    # top (where the force passes m·g for a moment) and shorter than the shortest top hold asked for.
    steady_s: float = 0.3
    # The band: amplifier noise after the filter is under 1 N; 1.5 % of the load covers a stack's sway.
    steady_band_n: float = 2.5
    steady_band_share: float = 0.015
    # Below 20 N (2 kg) the cable is slack or the stack sits on its pins: no stack weighs less.
    min_tension_n: float = 20.0
    # Before the first rep teaches it, pulley friction is taken as a typical station's: 5 % of the load + 4 N.
    friction_prior_share: float = 0.05
    friction_prior_n: float = 4.0
    # How fast each rep's friction estimate replaces the old one (two reps to settle).
    friction_learning: float = 0.5
    # A rep lifts the stack at least 8 cm (a 45° partial curl still does ~17 cm); a twitch or a
    # foot shift moves it a few cm and never counts.
    rep_travel_m: float = 0.08
    # The rep is over when the stack stops after coming down 40 % of its peak travel: a return stops only
    # at the bottom, and double integration can misplace the bottom by a fifth of the travel on a slow return.
    end_travel_share: float = 0.6
    # No rep, even a kicked one with a dropped return, lasts under 0.6 s.
    min_rep_s: float = 0.6
    # Set down: the tension falls under a fifth of the load for a quarter second: on its pins the stack
    # leaves only the strap and cable pulling (a few newtons), while a dropped return, let go at up to
    # ~0.75 g, still pulls a quarter of the load or more. The same share tells a slack start (below).
    set_down_share: float = 0.2
    set_down_s: float = 0.25
    # "Start with tension: keep the cable lightly loaded before the first rep": the tension just before the
    # first rep of a set is its mean over the half second before the rep starts (long enough to average the
    # amplifier's noise and a stack's sway, short enough to be where the member stood). A hanging stack
    # pulls its whole weight (± static friction, a few %); on its pins only the strap and cable pull, a few
    # newtons: under `set_down_share` of the load the stack sat on its pins — `slack_start`.
    start_window_s: float = 0.5
    # Lifted off the pins once the cable carries most of the stack again.
    lift_off_share: float = 0.85
    # A set-down more than 6 s before the next rep is a pause between sets, not a rep that lost tension.
    set_break_s: float = 6.0
    # A steady tension 10 % off the known load for 3 s is a new weight on the pin (between sets); a slow
    # return's steady middle (m·g − f) lasts well under 2 s.
    reacquire_s: float = 3.0
    reacquire_share: float = 0.10


class Phase(Enum):
    REST = "rest"
    REP = "rep"


@dataclass(frozen=True)
class LoadSample:
    """One filtered sample with the stack state the tracker derived from it."""

    t: float
    force_n: float
    load_n: float | None  # static tension (the stack's weight), None before it is known
    velocity: float
    travel: float
    still: bool
    set_down: bool


@dataclass
class StackTracker:
    """Filtered force in, the stack's static load, velocity and travel out.

    The stack is still while the force is steady at the static tension; every move between
    two still spells is integrated when it ends, with the velocity zero at both ends: the
    friction (f·sign(v)) is taken out first, and what bias is left (a friction or a static
    reference slightly off) is removed as a linear drift. So samples come out one move late
    (≈ the steady window after the stack stops), which is when a rep can be judged anyway.
    """

    rules: LoadRules = field(default_factory=LoadRules)
    load_n: float | None = None
    friction_n: float | None = None
    x: float = 0.0
    set_down: bool = False
    _f: float | None = None
    _t: float | None = None
    _win: deque[tuple[float, float]] = field(default_factory=deque)
    _move: list[tuple[float, float]] = field(default_factory=list)
    _still: bool = True
    _lifting: bool = False
    _low_since: float | None = None
    _steady_since: float | None = None
    _steady_level: float = 0.0
    friction_share: float | None = None  # friction as a share of the load, when known from an earlier set
    # Before the stack is weighed: the raw samples kept, and the steady spells seen (see `_before_load`).
    waiting: deque[tuple[float, float]] = field(default_factory=deque)  # to be taken again, the weight known
    _pre: deque[tuple[float, float]] = field(default_factory=deque)
    _slack: bool = False
    _spell: float | None = None  # the level of the steady spell under way
    _spells: list[list[float]] = field(default_factory=list)  # [level, largest departure since] of spells ended

    @property
    def friction(self) -> float:
        if self.friction_n is not None:
            return self.friction_n
        load = self.load_n or 0.0
        return self.rules.friction_prior_share * load + self.rules.friction_prior_n

    def band(self, level: float) -> float:
        return max(self.rules.steady_band_n, self.rules.steady_band_share * abs(level))

    def update(self, t: float, force: float) -> list[LoadSample]:
        """Take one raw sample; return the samples whose stack state is now known (often none)."""
        r = self.rules
        dt = 0.0 if self._t is None else min(max(t - self._t, 0.0), 0.05)  # a gap is not integrated through
        self._t = t
        alpha = 1.0 - math.exp(-2 * math.pi * r.filter_hz * dt) if dt > 0 else 1.0
        f = force if self._f is None else self._f + alpha * (force - self._f)
        self._f = f
        win = self._win
        win.append((t, f))
        while t - win[0][0] > r.steady_s:
            win.popleft()
        lo, hi = min(w[1] for w in win), max(w[1] for w in win)
        level = (lo + hi) / 2
        steady = t - win[0][0] >= r.steady_s * 0.9 and hi - lo < self.band(level)
        self._track_steady(t, steady, level)

        if self.load_n is None:
            return self._before_load(t, force, f, steady, level)
        load = self.load_n
        if self._check_set_down(t, f, load):
            out = self._end_move(low_tail=True) if not self._still else []
            self._still, self.x = True, 0.0
            # On the pins since the tension fell (the move's samples after it were left out above).
            landed = self._low_since if self._low_since is not None and out else t
            return [*out, LoadSample(landed, f, load, 0.0, 0.0, True, True)]
        still_now = steady and abs(level - load) < max(self.band(load), STILL_FRICTION_SHARE * self.friction)
        if self._lifting:  # off the pins only once the cable carries the stack's whole weight again
            if f < load - self.band(load):
                return [LoadSample(t, f, load, 0.0, self.x, True, False)]
            self._lifting = False
        if self._still:
            if still_now or abs(f - load) < self.band(load):
                return [LoadSample(t, f, load, 0.0, self.x, True, False)]
            self._still = False  # the force left the static level: a move starts
            self._move = [(t, f)]
            return []
        self._move.append((t, f))
        if not still_now:
            return []
        self._still = True
        return self._end_move(low_tail=False)

    def _before_load(self, t: float, force: float, f: float, steady: bool, level: float) -> list[LoadSample]:
        """Until the stack is weighed, the raw samples wait (the last PRELOAD_KEEP_S of them); once it is,
        they are handed back in `waiting`, to be taken again with the weight known, so a lift off the pins
        (often the set's first rep) is measured like any other move.

        The weight is the first steady tension above `min_tension_n` of a stack that hung from the start.
        After a slack cable it is a steady tension that comes back after a move (a top hold and the rest
        after its return, two rests around a rep): a stack lifted off its pins into a curl pulls a steady
        m(g + a) + f at the curl's start for a moment, which one steady spell cannot tell from its weight,
        and a slow return of a light stack a steady m·g − f for a while; neither comes back after a move
        before the hold and the rest have.
        """
        r = self.rules
        out: list[LoadSample] = []
        if self._pre and t - self._pre[-1][0] > r.steady_s:  # a gap: nothing is carried across it
            out, self._spell = self._unweighed(len(self._pre)), None
            self._spells.clear()
        self._pre.append((t, force))
        while t - self._pre[0][0] > PRELOAD_KEEP_S:
            out += self._unweighed(1)
        if f < r.min_tension_n:  # slack, or on the pins: a lift starts afresh, with nothing to come back to
            self._slack, self._spell = True, None
            self._spells.clear()
        weight = None
        spells = self._spells
        if steady and level > r.min_tension_n:
            if self._spell is None or abs(level - self._spell) > self.band(level):
                if self._spell is not None:  # drifted to a new level: a new spell, with no move between
                    spells.append([self._spell, 0.0])
                band = self.band(level)
                came_back = any(abs(level - lv) < band and moved > MOVED_BANDS * band for lv, moved in spells)
                if not self._slack or came_back:
                    weight = level
                self._spell = level
        elif self._spell is not None:
            spells.append([self._spell, 0.0])
            self._spell = None
        for sp in spells:  # how far the force has gone from each spell's level since it ended
            sp[1] = max(sp[1], abs(f - sp[0]))
        if weight is not None:
            kept = list(self._pre)
            self._restart()
            self.load_n = weight
            if self.friction_share is not None:
                self.friction_n = self.friction_share * weight
            self.waiting.extend(kept)
        return out

    def _unweighed(self, n: int) -> list[LoadSample]:
        return [LoadSample(t, f, None, 0.0, 0.0, True, False) for t, f in (self._pre.popleft() for _ in range(n))]

    def _restart(self) -> None:
        """Forget the filter and the stack's state: the samples are about to be taken again from the first."""
        self._f = self._t = self._low_since = self._steady_since = self._spell = None
        self._win.clear()
        self._pre.clear()
        self._spells.clear()
        self._move, self._still, self._lifting, self.set_down, self.x = [], True, False, False, 0.0
        self._slack = False

    def _end_move(self, low_tail: bool) -> list[LoadSample]:
        """Integrate the move just ended (velocity zero at both ends) into samples."""
        load = self.load_n or 0.0
        move, self._move = self._move, []
        if low_tail:  # landed on the pins: the tension under the load is the frame's, not the stack's
            while move and move[-1][1] < self.rules.set_down_share * load:
                move.pop()
        if len(move) < 2:
            return [LoadSample(t, f, load, 0.0, self.x, True, False) for t, f in move]
        m = load / G
        ts = np.fromiter((p[0] for p in move), float, len(move))
        fs = np.fromiter((p[1] for p in move), float, len(move))
        dts = np.diff(ts, prepend=ts[0])
        net = fs - load
        v = _zero_ends(_stack_velocity(net.tolist(), dts.tolist(), m, self._move_friction(net, dts, m)), ts)
        xs = np.cumsum(v * dts)
        peak = float(xs.max())
        if self.x == 0.0 and peak > self.rules.rep_travel_m and xs[-1] < RETURN_SHARE * peak:
            # From the bottom, up and back down: it ends where it started (zero-position reset). What is
            # left is the small friction and reference errors, spread over the move in proportion to speed.
            speed = np.abs(v) * dts
            v = v - float(xs[-1]) / float(speed.sum()) * np.abs(v)
            xs = np.cumsum(v * dts)
        xs = self.x + xs
        self.x = float(xs[-1])
        return [LoadSample(float(ts[i]), float(fs[i]), load, float(v[i]), float(xs[i]), False, False)
                for i in range(len(move))]

    def _move_friction(self, net: npt.NDArray[np.float64], dts: npt.NDArray[np.float64], m: float) -> float:
        """The friction for this move: the learnt one, or if that leaves the stack running at the end,
        the smallest larger one that brings it to rest (by bisection).

        Too little friction lets a slow return run away; too much stops the stack early and makes
        small moves vanish; the friction learnt from whole reps is the best guess when it stops the move.
        """
        nl, dl = net.tolist(), dts.tolist()
        moving_s = float(dts.sum()) - 0.9 * self.rules.steady_s  # the move ends with a still window
        if moving_s > 0:
            # One way only (a curl up to a hold, a return down to the bottom): moving the whole time, so the
            # impulse balance ∫(F − m·g)dt = ±f·T gives this move's own friction exactly.
            own = abs(float((net * dts).sum())) / moving_s
            v = _stack_velocity(nl, dl, m, own)
            signs = np.sign(v[v != 0.0])
            plausible = self.friction / OWN_FRICTION_RANGE <= own <= self.friction * OWN_FRICTION_RANGE
            if plausible and abs(v[-1]) <= MOVE_END_V and len(signs) and abs(float(signs.mean())) > ONE_WAY_SHARE:
                return own
        lo, hi = self.friction, 3.0 * self.friction + self.rules.steady_band_n
        if abs(_stack_velocity(nl, dl, m, lo)[-1]) <= MOVE_END_V:
            return lo
        if abs(_stack_velocity(nl, dl, m, hi)[-1]) > MOVE_END_V:
            return self.friction
        for _ in range(FRICTION_BISECTIONS):
            mid = (lo + hi) / 2
            if abs(_stack_velocity(nl, dl, m, mid)[-1]) > MOVE_END_V:
                lo = mid
            else:
                hi = mid
        return hi

    def _check_set_down(self, t: float, f: float, load: float) -> bool:
        r = self.rules
        if self.set_down:
            if f > r.lift_off_share * load:
                self.set_down, self._lifting = False, True
            return self.set_down
        if f < r.set_down_share * load:
            if self._low_since is None:
                self._low_since = t
            if t - self._low_since >= r.set_down_s:
                self.set_down = True
                return True
        else:
            self._low_since = None
        return False

    def _track_steady(self, t: float, steady: bool, level: float) -> None:
        if not steady:
            self._steady_since = None
            return
        if self._steady_since is None or abs(level - self._steady_level) > self.band(level):
            self._steady_since, self._steady_level = t, level
            return
        r = self.rules
        load = self.load_n
        if (load is not None and self._still and t - self._steady_since >= r.reacquire_s and level > r.min_tension_n
                and abs(level - load) > r.reacquire_share * load
                and (not self.set_down or t - self._steady_since >= r.set_break_s)):
            self.load_n, self.friction_n = level, None  # a new weight: friction is relearnt too
            self.set_down, self._still, self._move, self.x = False, True, [], 0.0

    def learn(self, friction: float, offset: float) -> None:
        """Take in one rep's impulse balance: its friction and how far the static reference is from m·g.

        The static tension at rest is off m·g by whatever static friction holds; a rep's balance is not.
        """
        if self.load_n is None:
            return
        k = self.rules.friction_learning
        cap = OFFSET_CAP_SHARE * self.load_n
        offset = max(-cap, min(offset, cap))  # one odd rep cannot move it far
        self.load_n += k * offset
        friction = min(max(friction, 0.0), 0.3 * self.load_n + self.rules.friction_prior_n)
        self.friction_n = self.friction + k * (friction - self.friction)


def _stack_velocity(net: list[float], dts: list[float], m: float, friction: float) -> npt.NDArray[np.float64]:
    """The stack's velocity under a net force (F − m·g) with Coulomb friction: it sticks while static
    friction holds it, and friction slows a moving stack without ever reversing it."""
    out = []
    v = 0.0
    for n, dt in zip(net, dts, strict=True):
        if v == 0.0:
            a = (n - friction) / m if n > friction else (n + friction) / m if n < -friction else 0.0
        else:
            a = (n - math.copysign(friction, v)) / m
        nv = v + a * dt
        v = 0.0 if v != 0.0 and (nv > 0) != (v > 0) else nv
        out.append(v)
    return np.asarray(out, dtype=np.float64)


def _zero_ends(v: npt.NDArray[np.float64], ts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Remove the linear drift that leaves a velocity non-zero at the end of a move (zero-velocity reset)."""
    span = ts[-1] - ts[0]
    drift: npt.NDArray[np.float64] = v - v[-1] if span <= 0 else v - v[-1] * (ts - ts[0]) / span
    return drift


@dataclass
class RepMeasure:
    """One rep as the load cell measured it."""

    index: int
    start_t: float
    end_t: float
    concentric_s: float
    eccentric_s: float
    load_kg: float
    peak_force_n: float
    concentric_peak_n: float
    peak_velocity: float
    travel_m: float
    faults: list[Fault]  # the load cell's own: lost_tension, slack_start
    start_tension_n: float | None = None  # mean tension before the rep, measured for a set's first rep

    @property
    def time_under_tension_s(self) -> float:
        return self.end_t - self.start_t

    def metrics(self) -> dict[str, float]:
        m = {CONCENTRIC_PEAK_N: round(min(self.concentric_peak_n, 5000.0), 1), TRAVEL_M: round(self.travel_m, 3)}
        if self.start_tension_n is not None:
            m[START_TENSION_N] = round(min(self.start_tension_n, 5000.0), 1)
        return m

    def to_event_data(self, leg: Leg | None, t_offset: float = 0.0) -> LoadRep:
        return LoadRep(
            leg=leg, rep_index=min(self.index, 1000), start_t=max(0.0, self.start_t + t_offset),
            end_t=max(0.0, self.end_t + t_offset), concentric_s=round(min(self.concentric_s, 600.0), 3),
            eccentric_s=round(min(self.eccentric_s, 600.0), 3),
            peak_force_n=round(min(self.peak_force_n, 5000.0), 1), load_kg=round(min(self.load_kg, 200.0), 2),
            peak_velocity=round(max(-20.0, min(self.peak_velocity, 20.0)), 3), metrics=self.metrics(),
            faults=self.faults)

    def to_report(self, leg: Leg | None = None, judgement: Judgement | None = None) -> dict[str, Any]:
        """The rep's measurements and its faults: the judgement's when given (`passed` is "no fault found":
        the camera's checks, not made here, are listed as not checked), else the load cell's own."""
        faults = judgement.faults if judgement is not None else self.faults
        out: dict[str, Any] = {
            "index": self.index, "leg": leg.value if leg else None, "start_t": round(self.start_t, 3),
            "end_t": round(self.end_t, 3), "concentric_s": round(self.concentric_s, 3),
            "eccentric_s": round(self.eccentric_s, 3), "load_kg": round(self.load_kg, 2),
            "peak_force_n": round(self.peak_force_n, 1), "peak_velocity": round(self.peak_velocity, 3),
            "time_under_tension_s": round(self.time_under_tension_s, 3), **self.metrics(),
            "faults": [f.value for f in faults], "passed": not faults,
        }
        if judgement is not None:
            out["verified"] = judgement.verified
            out["not_checked"] = [c.check.value for c in judgement.unchecked(blocking_only=False)]
        return out


@dataclass
class RepSegmenter:
    """Reps from the stack's travel, with hysteresis: up past `rep_travel_m`, back down, still."""

    rules: LoadRules = field(default_factory=LoadRules)
    phase: Phase = Phase.REST
    count: int = 0
    _still_t: float = 0.0
    _since_still_peak: float = 0.0
    _impulse: float = 0.0
    _prev_end: float | None = None
    _set_down_at: float | None = None
    # the rep in progress
    _start: float = 0.0
    _load: float = 0.0
    _top_t: float | None = None
    _up_t: float = 0.0
    _peak_x: float = 0.0
    _peak_f: float = 0.0
    _conc_f: float = 0.0
    _peak_v: float = 0.0
    _impulse_up: float = 0.0
    _impulse_desc: float = 0.0
    rep_reference: float = 0.0
    _descending: bool = False
    base: float = 0.0  # travel of the bottom this rep started from
    _still_x: float = 0.0  # travel (from the base) and force when the stack was last still in this rep
    _still_f: float = 0.0
    _stopped_low: bool = False
    last_balance: tuple[float, float] | None = None  # (friction, load offset) of the last rep, newtons
    _before: deque[tuple[float, float]] = field(default_factory=deque)  # (t, force) until the first rep
    _start_tension: float | None = None

    def update(self, s: LoadSample, dt: float) -> RepMeasure | None:
        if s.load_n is None:
            return None
        self._impulse += (s.force_n - s.load_n) * dt
        if self.count == 0 and self.phase is Phase.REST:
            self._before.append((s.t, s.force_n))
            while s.t - self._before[0][0] > START_HISTORY_S:
                self._before.popleft()
        if self.phase is Phase.REST:
            if s.set_down and self._prev_end is not None:
                self._set_down_at = s.t
            if s.still:
                self._still_t, self._since_still_peak, self._impulse = s.t, s.force_n, 0.0
                self.base = s.travel  # the bottom is wherever the stack rests between reps
            self._since_still_peak = max(self._since_still_peak, s.force_n)
            if s.travel - self.base > self.rules.rep_travel_m:
                self._begin(s)
            return None
        x = s.travel - self.base
        if (self._stopped_low and not s.still and s.velocity > MOVE_END_V
                and self._peak_x - self._still_x >= CURL_AGAIN_SHARE * self._peak_x):
            # Up, down a good way, still, and up again: a new curl has begun, so the last rep is over
            # (where its return stopped), even if double integration left it short of the bottom.
            rep = self._finish(self._still_t, self._still_f)
            self.base += self._still_x
            self._still_t, self._since_still_peak, self._impulse = self._still_t, s.force_n, 0.0
            return rep
        if s.still:
            if (self._descending and s.t - self._up_t < SETTLE_S
                    and x >= (1 - CURL_AGAIN_SHARE) * self._peak_x):
                # Still near the top right after turning down: a hold. The turn was the curl settling (a
                # kick's overshoot), not the return, which starts when the stack leaves the hold.
                self._descending = False
            self._still_t, self._still_x, self._still_f = s.t, x, s.force_n
            self._stopped_low = self._descending  # came down and stopped: a new curl would start a rep
        self._peak_x = max(self._peak_x, x)
        self._peak_f = max(self._peak_f, s.force_n)
        self._peak_v = max(self._peak_v, s.velocity)
        if self._top_t is None:
            self._conc_f = max(self._conc_f, s.force_n)
            if s.velocity <= 0.0:
                self._top_t, self._impulse_up = s.t, self._impulse
        if s.velocity < -MOVE_END_V and not self._descending and self._top_t is not None:
            # The first turn downwards starts the eccentric (a set-down that follows is not part of it).
            self._up_t, self._impulse_desc, self._descending = s.t, self._impulse, True
        if s.still and x < self.rules.end_travel_share * self._peak_x:
            return self._finish(s.t, s.force_n)
        return None

    def _begin(self, s: LoadSample) -> None:
        self.phase = Phase.REP
        self._start, self._load = self._still_t, s.load_n or 0.0
        if self.count == 0:  # the set's first rep: how taut was the cable just before it?
            window = [f for t, f in self._before if self._start - self.rules.start_window_s <= t <= self._start]
            self._start_tension = sum(window) / len(window) if window else None
            self._before.clear()
        self._top_t, self._up_t, self._descending, self._stopped_low = None, s.t, False, False
        self._peak_x, self._peak_v = s.travel - self.base, s.velocity
        self._still_x, self._still_f = self._peak_x, s.force_n
        self._peak_f = self._conc_f = max(self._since_still_peak, s.force_n)

    def _finish(self, end_t: float, end_f: float) -> RepMeasure | None:
        r = self.rules
        self.phase = Phase.REST
        top = self._top_t if self._top_t is not None else end_t
        conc, ecc = top - self._start, end_t - self._up_t
        if end_t - self._start < r.min_rep_s:
            return None
        # Impulse balance: over a move from still to still ∫(F − m·g)dt = ±f·T (the inertia cancels), so
        # the mean excess over the reference is f + δ going up and −f + δ coming down, δ = m·g − reference.
        self.last_balance = None
        if conc > 0 and ecc > 0:
            up = self._impulse_up / conc
            down = (self._impulse - self._impulse_desc) / ecc
            self.last_balance = ((up - down) / 2, (up + down) / 2)
        faults = []
        start_tension, self._start_tension = self._start_tension, None
        if start_tension is not None and start_tension < r.set_down_share * self._load:
            faults.append(Fault.SLACK_START)
        if (self._set_down_at is not None and self._prev_end is not None
                and self._start - self._prev_end <= r.set_break_s):
            faults.append(Fault.LOST_TENSION)
        self._set_down_at = None
        self._prev_end = end_t
        self.rep_reference = self._load
        self.count += 1
        self._still_t, self._since_still_peak, self._impulse = end_t, end_f, 0.0
        return RepMeasure(
            index=self.count, start_t=self._start, end_t=end_t, concentric_s=conc, eccentric_s=ecc,
            load_kg=self._load / G, peak_force_n=self._peak_f, concentric_peak_n=self._conc_f,
            peak_velocity=self._peak_v, travel_m=self._peak_x, faults=faults, start_tension_n=start_tension)


def exercise_limits(exercise: str = DEFAULT_EXERCISE) -> FormRules:
    """The exercise's judging limits from the catalogue (KeyError for an unknown exercise)."""
    return default_catalogue()[exercise].rules


@dataclass
class LoadAnalyzer:
    """Samples (t, force_n) in, measured reps out; one per stream (or per set)."""

    rules: LoadRules = field(default_factory=LoadRules)
    # The exercise's limits, only to leave kicked and dropped reps out of the friction learning.
    limits: FormRules = field(default_factory=exercise_limits)
    tracker: StackTracker = field(init=False)
    segmenter: RepSegmenter = field(init=False)
    last: LoadSample | None = None
    _sum: float = 0.0
    _n: int = 0
    _next_t: float = -math.inf

    def __post_init__(self) -> None:
        self.tracker = StackTracker(self.rules)
        self.segmenter = RepSegmenter(self.rules)

    def feed(self, t: float, force_n: float) -> list[RepMeasure]:
        """Take one sample; return the reps that ended (the stack state lags by one move).

        A faster board is averaged down to ANALYSIS_HZ first (a box-car mean, which also rejects its noise).
        """
        self._sum += force_n
        self._n += 1
        if t < self._next_t:
            return []
        mean, self._sum, self._n = self._sum / self._n, 0.0, 0
        self._next_t = t + 0.999 / ANALYSIS_HZ
        out = self._take(self.tracker.update(t, mean))
        waiting = self.tracker.waiting
        while waiting:  # the stack was just weighed: the samples that waited for it, again
            out += self._take(self.tracker.update(*waiting.popleft()))
        return out

    def _take(self, samples: list[LoadSample]) -> list[RepMeasure]:
        out = []
        for i, s in enumerate(samples):
            prev_t = self.last.t if self.last else s.t
            self.last = s
            rep = self.segmenter.update(s, min(max(s.t - prev_t, 0.0), 0.05))
            if self.segmenter.phase is Phase.REST and s.still and not s.set_down:
                # Travel reset: between reps a still stack is at the bottom (the tracker's own travel only
                # from its latest sample: the others of a batch are already behind it).
                self.segmenter.base = 0.0
                if i == len(samples) - 1:
                    self.tracker.x = 0.0
            if rep is None:
                continue
            balance = self.segmenter.last_balance
            if balance is not None and not self.unbalanced(rep):
                self.tracker.learn(*balance)
                rep.load_kg = (self.segmenter.rep_reference + balance[1]) / G
            out.append(rep)
        return out

    def unbalanced(self, rep: RepMeasure) -> bool:
        """A rep whose impulse balance is not the stack's alone: off the pins, or kicked or dropped by the
        exercise's limits (a kick or a drop can slacken the cable)."""
        lim = self.limits
        kicked = (rep.concentric_peak_n > lim.kick_peak_ratio.value * rep.load_kg * G
                  or rep.concentric_s < lim.kick_concentric_s.value)
        return kicked or rep.eccentric_s < lim.min_eccentric_s.value or bool(LEARN_EXCLUDES & set(rep.faults))

    def new_set(self) -> None:
        """Number reps from 1 again and weigh the stack afresh (the member may have moved the pin);
        the pulleys' friction learnt so far is kept, as a share of the load."""
        old = self.tracker
        share = old.friction_n / old.load_n if old.load_n and old.friction_n is not None else old.friction_share
        self.tracker = StackTracker(self.rules, friction_share=share)
        self.segmenter = RepSegmenter(self.rules)
        self.last = None


def judge_alone(exercise: Exercise, goal: Goal | None, rep: RepMeasure, leg: Leg | None = None) -> Judgement:
    """The one judge on the load cell's evidence alone: the camera's checks (thigh, hips, range…) not made."""
    return judge(exercise, goal, None, rep.to_event_data(leg), first_of_set=rep.index == 1)


def analyze(samples: Iterable[tuple[float, float]], rules: LoadRules | None = None,
            limits: FormRules | None = None) -> list[RepMeasure]:
    a = LoadAnalyzer(rules or LoadRules(), limits or exercise_limits())
    return [r for t, f in samples for r in a.feed(t, f)]
