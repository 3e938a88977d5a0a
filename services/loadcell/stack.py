"""The stack tracker (pure): cable tension in, the stack's static load, the friction's way and the events
that start a stroke out.

The stack hangs on the cable, so while it moves the tension is F = L + m·a + f·sign(v) (L its static load,
m = L/g the mass the cable moves — at 2:1 half the stack's, moving at the stack's own acceleration —, f the
Coulomb friction, a few % of L), and while it is stuck, anywhere within L ± the static friction: after a curl
near L + f, after a return near L − f (a rigid, frictionless ideal rests at L after both). On a slow curl
of a light stack the inertia is a newton or two, the friction several, so the friction's sign is the
strongest mark of which way the stack last went:

- **up** (a curl starts): the tension rises over L + `level_share`·f from under it — or, the stack stuck
  high already (lifted off its pins, the member stepping into the stance), over L + `breakaway_share`·f,
  out of the band any stuck stack rests in;
- **down** (a return starts): it falls under L − `level_share`·f from over it, or likewise;
- an up or down crossing made by the stack's inertia — a fast curl decelerating before its top, a dropped
  stack caught — is not a new stroke: the stack's velocity, integrated as m·dv/dt = F − L − f·sign(v) and
  zeroed whenever the tension is steady (drift control), is still large the other way;
- **on its pins**: the tension under a fifth of the load for `set_down_s`; lifted off once the cable carries
  most of it again.

The strokes between the events are measured by the rep segmenter (`reps.py`), by fitting the stroke's
inertia to the tension, which no error of L or f can bias.

Weighing needs no pins either. A hanging stack's first steady tension is its weight only to within the
static friction (a member stepping into the stance leaves it stuck anywhere in the band), so the set's first
rep weighs it (`Weighing`). Until then the samples wait; once weighed they are taken again from the first,
so the first rep is measured like any other.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from services.loadcell.rules import G, LoadRules
from services.loadcell.strokes import fit_rising, fit_stroke

# A stack stops after a curl a little short of L + f and after a return a little short of L − f (the stroke
# ends decelerating): the top and bottom rest about 1.85 frictions apart.
LEVELS_PER_FRICTION = 1.85
# After the first rep's return, a rest this long shows its bottom as well as the next curl would: longer than
# the steady middle of the slowest stroke (a third of 4.5 s).
REST_WEIGHS_S = 2.5
# A stuck stack rests within L ± 1.4 f (f under 15 % of L), so within a fifth of its first steady level (itself
# in that band); a steadier level further off is a stroke pulling a constant force, not a rest.
WEIGH_BAND_SHARE = 0.2
# The bottom of the first rep is any steady spell before the next curl: a rest's slow settling splits it into
# spells of a few tenths of a second; the fits tell a stroke's steady middle from it.
BOTTOM_S = 0.2


@dataclass
class Spell:
    """A steady stretch of the filtered tension."""

    level: float
    start_t: float
    end_t: float


@dataclass
class Weighing:
    """Finds the set's first rep for the tracker to weigh the stack by: its top (the steady tension before the
    return), its bottom (the steady tension before the next curl) and when its curl and return started.

    Between two steady spells the tension departs up or down (the first way it leaves the last spell's level
    by `weigh_departure_share`). A rep (a cycle) starts at a departure up; the top is the spell before its last
    departure down, the bottom the spell (of a rest, `BOTTOM_S` long) before the next departure up, or a long
    rest well under the top. Spells in the middle of a slow stroke sit at its moving level, and a curl's
    deceleration dips between them and the top, so neither can pass for the top and bottom pair. Works with
    the stack hanging (its rest can be anywhere in its stiction band) and after a slack start (the rest before
    the first rep is the frame's, under `min_tension_n`). `provisional` is the first steady tension over
    `min_tension_n`, used if no rep weighs the stack in time.
    """

    rules: LoadRules
    provisional: float | None = None
    noise_n: float | None = None  # the filtered tension's standard deviation in the first steady spell
    top: float | None = None
    bottom: float | None = None
    cycle_t: float | None = None  # when the rep being weighed departed up
    return_t: float = 0.0  # when it departed down from its top
    end_t: float = 0.0  # when the next curl departed (or the rest had lasted)
    _last: float | None = None  # the level of the last steady spell
    _way: int = 0  # how the tension left it: +1 up, −1 down, 0 not yet
    _way_t: float = 0.0  # and when
    _rising: bool = False  # departed up from a possible bottom: the next curl once over the top
    _set_down: bool = False  # the bottom was found by a set-down after the return

    @property
    def spread(self) -> float:
        """How far the top rested over the bottom (≈ 1.85 f on a real stack; 0 on a frictionless ideal one)."""
        return 0.0 if self.top is None or self.bottom is None else self.top - self.bottom

    @property
    def weight(self) -> float | None:
        return None if self.top is None or self.bottom is None else (self.top + self.bottom) / 2

    def _gap(self, level: float) -> float:
        return self.rules.weigh_departure_share * max(level, self.rules.min_tension_n)

    def spell(self, level: float, samples: list[float]) -> None:
        """Take one steady spell (with the filtered samples it started with) as it starts."""
        if level > self.rules.min_tension_n and self.provisional is None:
            self.provisional = level
            if len(samples) > 3:
                mean = sum(samples) / len(samples)
                self.noise_n = math.sqrt(sum((s - mean) ** 2 for s in samples) / (len(samples) - 1))
        if self.provisional is not None and abs(level - self.provisional) > WEIGH_BAND_SHARE * self.provisional:
            # Not where a stuck stack can rest: a stroke pulling a constant force (a kick's coast, a dropped
            # stack's fall) or the frame's (on the pins). It neither tops nor bottoms the rep; set down on its
            # pins after the return, the stack rested at the bottom before.
            if level < self.rules.min_tension_n:
                if self._way < 0 and self.top is not None and self._last is not None and self._last < self.top:
                    self.bottom, self.end_t, self._set_down = self._last, self._way_t, True
                self._way = 0
            return
        if self._way < 0 and self.cycle_t is not None and self._last is not None:
            self.top, self.bottom, self.return_t = self._last, None, self._way_t  # the top so far
        self._last, self._way, self._rising = level, 0, False

    def set_down(self) -> bool:
        """True once (then False) when a set-down after the return showed the bottom."""
        found, self._set_down = self._set_down, False
        return found

    def between(self, t: float, f: float, last_s: float) -> bool:
        """A filtered sample outside any spell (`last_s`: how long the last spell lasted); True once the next curl
        shows the bottom: the tension rose from a steady spell and over the top (a return's end, on a cable
        without friction, only comes back up to the top's level)."""
        last = self._last
        if last is None:
            return False
        if self._way == 0:
            if f > last + self._gap(last):
                self._way, self._way_t = 1, t
                if self.cycle_t is None:
                    self.cycle_t = t
                self._rising = self.top is not None and last > self.rules.min_tension_n and last_s >= BOTTOM_S
            elif f < last - self._gap(last):
                self._way, self._way_t = -1, t
        if self._way > 0 and self._rising and self.top is not None and f > self.top + self._gap(self.top) / 3:
            self.bottom, self.end_t, self._rising = last, self._way_t, False
            return True
        return False

    def resting(self, t: float, level: float, since_s: float) -> bool:
        """The spell under way has lasted `since_s`: a long rest well under the top is the bottom too (a top hold
        can last as long, but rests as high as the top)."""
        if (self.top is not None and self._way == 0 and since_s >= REST_WEIGHS_S
                and self.top - level > self._gap(level) and level > self.rules.min_tension_n):
            self.bottom, self.end_t = level, t
            return True
        return False

    def next_cycle(self) -> None:
        """This rep did not weigh the stack (a dropped return, a slack start's lift): try the next, which started
        at `end_t`."""
        self.top = self.bottom = None
        self.cycle_t = self.end_t


@dataclass
class SpellFinder:
    """Steady spells of the filtered tension: within a band for `steady_s`."""

    rules: LoadRules
    noise_n: float = 0.3
    _win: deque[tuple[float, float]] = field(default_factory=deque)
    _cur: Spell | None = None

    def band(self, level: float) -> float:
        r = self.rules
        return max(r.steady_band_n, r.steady_noise_k * self.noise_n, r.steady_band_share * abs(level))

    def update(self, t: float, f: float) -> tuple[Spell | None, list[float], bool]:
        """Take one filtered sample; return (a spell that just started, the samples it started with, steady now)."""
        win = self._win
        win.append((t, f))
        while t - win[0][0] > self.rules.steady_s:
            win.popleft()
        lo, hi = min(w[1] for w in win), max(w[1] for w in win)
        level = (lo + hi) / 2
        steady = t - win[0][0] >= self.rules.steady_s * 0.9 and hi - lo < self.band(level)
        cur = self._cur
        if steady and cur is not None and abs(level - cur.level) < self.band(level):
            cur.end_t = t
            return None, [], True
        self._cur = Spell(level, win[0][0], t) if steady else None
        return self._cur, [w[1] for w in win] if steady else [], steady

    @property
    def current(self) -> Spell | None:
        return self._cur

    @property
    def current_s(self) -> float:
        return 0.0 if self._cur is None else self._cur.end_t - self._cur.start_t


class Level(Enum):
    """Where the filtered tension is, against the static load and the friction."""

    HIGH = 1  # over L + level_share·f: moving up, or stuck after moving up
    MID = 0  # near L: stuck on a taut, frictionless-looking cable
    LOW = -1  # under L − level_share·f: moving down, or stuck after moving down


@dataclass(frozen=True)
class StackSample:
    """One analysis sample with what the tracker derived from it."""

    t: float
    raw_n: float  # the tension at the analysis rate (box-car mean, unfiltered: the stroke fit's input)
    force_n: float  # filtered tension
    load_n: float  # static load, the stack's weight over the pulley ratio
    friction_n: float
    velocity: float  # m/s, up positive, zeroed whenever the tension is steady
    steady: bool
    on_pins: bool  # set down: the cable carries (almost) nothing
    event: int = 0  # +1 a stroke up starts, −1 a stroke down starts


@dataclass
class StackTracker:
    """Tension samples in (at the analysis rate), the stack's state out; one per set."""

    rules: LoadRules = field(default_factory=LoadRules)
    friction_share: float | None = None  # friction over load, when an earlier set of this stream measured it
    load_n: float | None = None
    friction_n: float | None = None
    noise_n: float = 0.3  # the filtered tension's noise (standard deviation)
    on_pins: bool = False
    level: Level = Level.MID
    v: float = 0.0
    _armed: bool = True  # stuck since the last event: a stroke the same way may start
    _crossed: tuple[Level, float] | None = None  # a level crossed while the steady window still held, and when
    _q_prev: float = 0.0
    _f: float | None = None
    _t: float | None = None
    _low_since: float | None = None
    _reweigh_since: float | None = None
    _reweigh_level: float = 0.0
    # before the stack is weighed
    _weighing: Weighing = field(init=False)
    _spells: SpellFinder = field(init=False)
    _waiting: deque[tuple[float, float]] = field(default_factory=deque)
    _last_spell_s: float = 0.0
    # (load, friction) of reps that could not weigh the stack alone (kicks' balances, tops and bottoms' middles)
    _fallbacks: list[tuple[float, float | None]] = field(default_factory=list)
    _balances: list[tuple[float, float]] = field(default_factory=list)  # (load, friction) of the last clean reps

    def __post_init__(self) -> None:
        self._weighing = Weighing(self.rules)
        self._spells = SpellFinder(self.rules)

    @property
    def friction(self) -> float:
        if self.friction_n is not None:
            return self.friction_n
        share = self.friction_share if self.friction_share is not None else self.rules.friction_prior_share
        return share * (self.load_n or 0.0)

    def update(self, t: float, force: float) -> list[StackSample]:
        """Take one sample (at the analysis rate); return the samples whose stack state is now known (none
        while the stack is being weighed; all of those at once when it is)."""
        if self.load_n is not None:
            return [self._step(t, force)]
        return self._weigh(t, force)

    # ------------------------------------------------------------ weighing

    def _filter(self, t: float, force: float) -> tuple[float, float]:
        dt = 0.0 if self._t is None else min(max(t - self._t, 0.0), 0.05)  # a gap is not integrated through
        self._t = t
        alpha = 1.0 - math.exp(-2 * math.pi * self.rules.filter_hz * dt) if dt > 0 else 1.0
        f = force if self._f is None else self._f + alpha * (force - self._f)
        self._f = f
        return f, dt

    def _weigh(self, t: float, force: float) -> list[StackSample]:
        r = self.rules
        if self._waiting and t - self._waiting[-1][0] > 1.0:  # a gap: nothing is carried across it
            self._restart_weighing()
        self._waiting.append((t, force))
        f, _ = self._filter(t, force)
        w = self._weighing
        last = self._spells.current
        started, samples, steady = self._spells.update(t, f)
        if started is not None:
            w.spell(started.level, samples)
            if w.noise_n is not None:
                self.noise_n = self._spells.noise_n = max(0.05, w.noise_n)
        cur = self._spells.current
        if steady and cur is not None:
            found = w.set_down() or w.resting(t, cur.level, self._spells.current_s)
        else:
            if last is not None:
                self._last_spell_s = last.end_t - last.start_t
            found = not steady and w.between(t, f, self._last_spell_s)
        if found:
            levels, controlled = self._fitted_levels()
            if levels is not None:  # the rep's own moving levels, L + f and L − f: its impulse balance
                load, friction = (levels[0] + levels[1]) / 2, (levels[0] - levels[1]) / 2
                if controlled:
                    return self._weighed(load, friction)
                self._fallbacks.append((load, friction))  # a kick's: the best guess if no controlled rep comes
            elif w.weight is not None:
                self._fallbacks.append((w.weight, w.spread / LEVELS_PER_FRICTION if w.spread > 0 else None))
            w.next_cycle()
        if t - self._waiting[0][0] > r.weigh_wait_s:
            # No controlled rep weighed it in time: the kicks' balances, else the middle of the last top and
            # bottom seen, else the first steady tension.
            # (the kicks' frictions are not taken: a throw and a coast fitted by shapes they only resemble put
            # it anywhere in its range; a typical station's share serves until a clean rep measures it)
            fitted = [b for b in self._fallbacks if b[1] is not None]
            if fitted:
                return self._weighed(statistics.median(b[0] for b in fitted))
            if self._fallbacks:
                return self._weighed(*self._fallbacks[-1])
            if w.provisional is not None:
                return self._weighed(w.provisional, None)
            while self._waiting and t - self._waiting[0][0] > r.weigh_wait_s - 1.0:
                self._waiting.popleft()  # nothing steady over min_tension_n: forget the oldest second
        return []

    def _weighed(self, weight: float, friction: float | None = None) -> list[StackSample]:
        r = self.rules
        self.load_n = weight
        lo, hi = (s * weight for s in r.friction_range_share)
        if self.friction_share is not None:
            self.friction_n = self.friction_share * weight
        elif friction is not None:
            self.friction_n = min(max(friction, lo), hi)
        kept = list(self._waiting)
        self._waiting.clear()
        self._f = self._t = None
        self._spells = SpellFinder(self.rules, self.noise_n)
        return [self._step(t, f) for t, f in kept]

    def _fitted_levels(self) -> tuple[tuple[float, float] | None, bool]:
        """The weighed rep's curl and return fitted (`strokes.fit_stroke`): their moving levels, when both are
        strokes of one rep and put the load within a friction of the top and bottom's middle, and whether both
        were controlled (a dropped return, slack and caught on the pins, balances nothing; a kick's throw and
        coast are fitted by shapes they only resemble; a lift off the pins is no curl)."""
        r, w = self.rules, self._weighing
        weight = w.weight
        if weight is None or w.cycle_t is None or not self._waiting:
            return None, False
        ts = np.fromiter((x[0] for x in self._waiting), float, len(self._waiting))
        fs = np.fromiter((x[1] for x in self._waiting), float, len(self._waiting))
        mass = weight / G
        first, last = w.cycle_t - r.lead_s, w.return_t - r.event_lag_s
        a, b = np.searchsorted(ts, [first, last])
        curl = fit_rising(ts[a:b], fs[a:b], first, last - r.min_stroke_s, mass, r.stroke_limits)
        c, d = np.searchsorted(ts, [w.return_t - r.lead_s, w.end_t - r.event_lag_s])
        ret = fit_stroke(ts[c:d], fs[c:d], w.return_t - r.lead_s, w.return_t + r.event_lag_s, False,
                         mass, r.min_stroke_s, r.max_stroke_s)
        if curl is None or ret is None or min(curl.travel_m, ret.travel_m) < r.rep_travel_m / 2:
            return None, False
        if ret.duration_s < r.weigh_stroke_s or not 0.6 < ret.travel_m / curl.travel_m < 1.67:
            return None, False
        load, friction = (curl.moving_n + ret.moving_n) / 2, (curl.moving_n - ret.moving_n) / 2
        lo, hi = (s * load for s in r.friction_range_share)
        if not lo <= friction <= hi or abs(load - weight) > friction:
            return None, False
        return (curl.moving_n, ret.moving_n), curl.duration_s >= r.weigh_stroke_s

    def _restart_weighing(self) -> None:
        self._waiting.clear()
        self._weighing = Weighing(self.rules)
        self._spells = SpellFinder(self.rules, self._spells.noise_n)
        self._f = self._t = None

    # ------------------------------------------------------------ per sample, the stack weighed

    def _step(self, t: float, raw: float) -> StackSample:
        r = self.rules
        f, dt = self._filter(t, raw)
        load = self.load_n or 0.0
        _, _, steady = self._spells.update(t, f)
        if self._check_pins(t, f, load):
            self.level, self.v = Level.LOW, 0.0
            return StackSample(t, raw, f, load, self.friction, 0.0, steady, True)
        self._check_reweigh(t, f, load, steady)
        load = self.load_n or 0.0
        fr = self.friction
        q = f - load
        # The velocity, only to tell an inertial crossing from a new stroke: zero whenever steady.
        v = self.v
        # Steady within the stiction band is stuck; steady out of it (a kick's coast, a stack falling on a slack
        # cable) is a constant acceleration, and the stack moves.
        steady = steady and abs(q) <= r.breakaway_share * fr + r.level_noise_k * self.noise_n
        if steady:
            v = 0.0
        elif v == 0.0:
            if abs(q) > fr:
                v = (q - math.copysign(fr, q)) / (load / G) * dt
        else:
            nv = v + (q - math.copysign(fr, v)) / (load / G) * dt
            v = 0.0 if (nv > 0.0) != (v > 0.0) else nv
        self.v = v
        event = self._level_event(t, f, q, fr, steady)
        return StackSample(t, raw, f, load, fr, v, steady, False, event)

    def _level_event(self, t: float, f: float, q: float, fr: float, steady: bool) -> int:
        r = self.rules
        th = r.level_share * fr + r.level_noise_k * self.noise_n
        veto = r.veto_v
        if steady:
            # Stuck: where it rests says which way it last went (between the two: a taut, ideal cable); a
            # crossing the velocity set aside is settled here without an event. A crossing made while the
            # steady window still holds (a light stack's slow curl starts within the noise band) is kept a
            # moment: if the spell breaks within `steady_s` with the tension still past it, the stroke started.
            level = Level.HIGH if q > th else Level.LOW if q < -th else Level.MID
            if level is not self.level and level is not Level.MID:
                self._crossed = (level, t)
            elif self._crossed is not None and t - self._crossed[1] > r.steady_s:
                self._crossed = None  # still resting there: a stuck stack leaned on, no stroke
            self.level = level
            self._armed, self._q_prev = True, q
            return 0
        crossed, self._crossed = self._crossed, None
        if crossed is not None and t - crossed[1] <= r.steady_s:
            way, _ = crossed
            if way is Level.HIGH and q > th:
                self._armed = False
                return 1
            if way is Level.LOW and q < -th:
                self._armed = False
                return -1
        if q > th and self.level is not Level.HIGH:
            self.level, self._armed = Level.HIGH, False
            return 0 if self.v < -veto else 1  # a falling stack caught is not a curl
        if q < -th and self.level is not Level.LOW:
            self.level, self._armed = Level.LOW, False
            return 0 if self.v > veto else -1  # a curl slowing before its top is not a return
        # Stuck high already (or low), a stroke the same way shows by its inertia: the tension leaves the whole
        # stiction band, which no stuck stack's can.
        out = r.breakaway_share * fr + r.level_noise_k * self.noise_n
        prev, self._q_prev = self._q_prev, q
        if self._armed and self.level is Level.HIGH and q > out >= prev:
            self._armed = False
            return 0 if self.v < -veto else 1
        if self._armed and self.level is Level.LOW and q < -out <= prev:
            self._armed = False
            return 0 if self.v > veto else -1
        return 0

    def _check_pins(self, t: float, f: float, load: float) -> bool:
        r = self.rules
        if self.on_pins:
            if f > r.lift_off_share * load:
                self.on_pins = False
                return False
            return True
        if f < r.set_down_share * load:
            if self._low_since is None:
                self._low_since = t
            if t - self._low_since >= r.set_down_s:
                self.on_pins = True
                return True
        else:
            self._low_since = None
        return False

    def _check_reweigh(self, t: float, f: float, load: float, steady: bool) -> None:
        """A steady tension far off the load for `reacquire_s`: a new weight on the pin."""
        r = self.rules
        far = max(r.reacquire_share * load, 3.0 * self.friction)
        if not steady or abs(f - load) < far or f < r.min_tension_n:
            self._reweigh_since = None
            return
        if self._reweigh_since is None or abs(f - self._reweigh_level) > self._spells.band(f):
            self._reweigh_since, self._reweigh_level = t, f
        elif t - self._reweigh_since >= r.reacquire_s:
            self.load_n, self.friction_n = f, None  # a new weight: its friction is measured afresh
            self._reweigh_since = None

    def learn(self, up_level: float, down_level: float) -> None:
        """Take in one clean rep's moving levels (`reps.py` fits them): L + f up, L − f down. The load and the
        friction are the medians of the last few reps' (the weighing's among them): one rep measured wrong
        moves neither."""
        if self.load_n is None:
            return
        r = self.rules
        if not self._balances:
            self._balances.append((self.load_n, self.friction))
        lo, hi = (s * self.load_n for s in r.friction_range_share)
        friction = (up_level - down_level) / 2
        if not lo <= friction <= hi:
            return  # no station's friction: one of the two strokes was measured wrong
        self._balances.append(((up_level + down_level) / 2, friction))
        del self._balances[:-r.learn_reps]
        self.load_n = statistics.median(b[0] for b in self._balances)
        self.friction_n = statistics.median(b[1] for b in self._balances)
