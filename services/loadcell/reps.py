"""Rep segmentation and measurement on the stack's motion (pure): the tracker's samples and stroke events in,
measured reps out.

A rep is a stroke up (a curl: the tracker's up event, the friction turning upward) followed by a stroke down
(the return's down event), nothing more: no pins are needed, and a rest can be as short as a stroke's end.
Each stroke is then measured by fitting the tension the physics gives it: over a smooth stroke of travel d
and length T starting at t₀ (the shape of human reaching: minimum-jerk, or a half-cosine), the tension is

    F(t) = F_before                       before t₀ (the stack stuck where it rested)
    F(t) = F_moving + (m·d/T²)·s″(τ)      while it moves, τ = (t − t₀)/T (F_moving = L ± f)
    F(t) = F_after                        after (stuck at the top, or at the bottom)

with s″ the shape's acceleration. For each (t₀, T) the four levels and amplitudes are a linear least-squares
fit; the best (t₀, T, shape) gives the stroke's start, length and travel (d = amplitude·T²/m). The levels
absorb any error in the static load or the friction, so a light stack's newton of inertia still times its
stroke; and F_moving up and down are the load's and friction's own measurement (`L ± f`).

A rep is over at the next curl, at a set-down, or after a second's rest; a rise under `rep_travel_m` is a
twitch and no rep. Each rep carries the load cell's own faults: `lost_tension` (set down between the last rep
and this one) and, on a set's first rep, `slack_start` (the cable slack just before it).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

from services.loadcell.rules import G, LoadRules
from services.loadcell.stack import StackSample
from services.loadcell.strokes import StrokeFit, fit_rising, fit_stroke, least_travel
from shared.contract import Fault, Leg, LoadRep
from shared.judge import CONCENTRIC_PEAK_N, START_TENSION_N

if TYPE_CHECKING:
    from shared.judge import Judgement

TRAVEL_M = "travel_m"
# Most (80 %) of the samples steady: the stack rests (a steady window flickers with the noise).
QUIET_SHARE = 0.8


class StrokePhase(Enum):
    REST = "rest"
    CURL = "curl"  # a stroke up has started
    RETURN = "return"  # and the stroke down after it


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
    curl: StrokeFit | None = None
    ret: StrokeFit | None = None

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


@dataclass(frozen=True)
class RepInProgress:
    """A rep under way: when its curl and its return started (as the tracker's events saw them) and whether
    the stack was set down before it."""

    curl_t: float
    return_t: float | None = None
    set_down_before: bool = False
    maybe_return_t: float | None = None  # a start down during the curl, until its fit tells a return from a slowing
    held: bool = False  # the stack rested (a steady tension) since the curl started: at its top
    after_lift: bool = False  # restarted at the curl after a lift off the pins: that lift is spent
    # The stack rested high (stuck after moving up: a dropped return caught with a bounce) from this time to the
    # curl's event: the curl may have started anywhere after it, its friction never flipping to mark it.
    high_from: float | None = None
    # Restarted at a second start up after a lift off the pins: when the first one was (the curl may have been
    # under way since the lift, that second start up its own slowing).
    lifted_from: float | None = None

    def fit_from(self, lead_s: float) -> float:
        """Where its curl's fit may start: `lead_s` before its event, or where the stack came to rest high."""
        first = self.curl_t - lead_s
        return first if self.high_from is None else min(first, self.high_from)


@dataclass
class RepSegmenter:
    """Reps from the tracker's stroke events, each measured by fitting its two strokes."""

    rules: LoadRules = field(default_factory=LoadRules)
    count: int = 0
    rep: RepInProgress | None = None
    _samples: deque[StackSample] = field(default_factory=deque)
    _prev_end: float | None = None
    _set_down_at: float | None = None
    _on_pins: bool = False
    _lift_t: float | None = None  # when the stack was last lifted off its pins (until the next rep)
    _junk_until: float | None = None  # where the last start up that made no rep was looked at up to
    _next_probe: float = 0.0

    @property
    def phase(self) -> StrokePhase:
        if self.rep is None:
            return StrokePhase.REST
        return StrokePhase.CURL if self.rep.return_t is None else StrokePhase.RETURN

    def update(self, s: StackSample) -> RepMeasure | None:
        r = self.rules
        buf = self._samples
        buf.append(s)
        while s.t - buf[0].t > r.keep_s:
            buf.popleft()
        out = None
        rep = self.rep
        if s.on_pins and not self._on_pins:  # set down: it landed when the tension fell
            landed = s.t - r.set_down_s
            if rep is not None and rep.return_t is not None:
                out = self._finish(rep, landed)
            self.rep = None
            if self._prev_end is not None or out is not None:
                self._set_down_at = landed
        if self._on_pins and not s.on_pins:
            self._lift_t = s.t
        self._on_pins = s.on_pins
        if (rep is not None and s.steady and not rep.held and rep.return_t is None and s.t > rep.curl_t + r.steady_s
                and abs(s.force_n - s.load_n) <= r.stuck_share * s.friction_n):
            rep = self.rep = dataclasses.replace(rep, held=True)
        if rep is not None and rep.maybe_return_t is not None and (
                s.event != 0 or s.t >= rep.maybe_return_t + r.decide_s):
            rep = self.rep = self._decide_return(rep, s.t)
        if s.event > 0:
            if rep is None:
                self.rep = self._curl_at(s.t)
            elif rep.return_t is not None:  # the next curl: this rep is over
                out = self._finish(rep, s.t - r.event_lag_s)
                self._junk_until = None if out is not None else s.t - r.event_lag_s
                self.rep = self._curl_at(s.t)
            else:
                # A second start up with no return seen. After a lift off the pins with nothing like a curl since,
                # that was the lift, and the curl starts now. Else this is the next curl after a return that
                # showed no event (from a stack resting low), or the curl's own slowing recovering.
                until = s.t - r.event_lag_s
                lifted = (not rep.after_lift and self._lift_t is not None
                          and rep.curl_t - r.lead_s <= self._lift_t <= s.t)
                curl = self._fit_curl(rep, until, until - r.min_stroke_s) if lifted else None
                if lifted and (curl is None or curl.travel_m < least_travel(curl, r.rep_travel_m)):
                    self._junk_until = until
                    self.rep = RepInProgress(s.t, set_down_before=rep.set_down_before, after_lift=True,
                                             lifted_from=rep.curl_t)
                elif s.t - rep.curl_t > r.min_rep_s:
                    # Resting low since a thrown curl's end: the stack came back down, though its return (a light
                    # stack's, from a kick that left it hanging low at the top) moved no level.
                    lowered = self._rested(-1, rep.curl_t + r.weigh_stroke_s, s.t - r.lead_s)
                    out = self._finish(rep, until, whole=not lowered, thrown_down=lowered)
                    if out is not None and lowered and self._prev_end is not None:
                        # its return's fit may run into the next curl, which its friction's flip marks late
                        self._prev_end = min(self._prev_end, s.t - r.lead_s - r.settle_s)
                    if out is not None:
                        self.rep = self._curl_at(s.t)
        elif s.event < 0:
            if rep is None:  # a return with no curl seen (it started from a stack resting high)
                since = s.t - r.max_stroke_s - r.min_rep_s
                self.rep = RepInProgress(since, s.t, self._set_down_before(s.t))
            elif rep.return_t is None and rep.held:  # a start down after a rest at the top: the return
                self.rep = dataclasses.replace(rep, return_t=s.t)
            elif rep.return_t is None:  # the return, or the curl slowing hard before its top: its fit will tell
                self.rep = dataclasses.replace(rep, maybe_return_t=s.t)
            else:  # a return again: if this rep is whole, the next one's curl was missed (it started high)
                out = self._finish(rep, s.t - r.event_lag_s, whole=True)
                if out is not None and self._prev_end is not None:
                    self.rep = RepInProgress(self._prev_end, s.t, self._set_down_before(self._prev_end))
        elif (rep is not None and rep.return_t is not None and s.t - rep.return_t >= r.rest_ends_s
              and s.t >= self._next_probe and self._quiet(s.t)):
            # Resting a while after the return (the set's last rep, or a long rest): over once its return's fit
            # ends well before now.
            self._next_probe = s.t + r.probe_every_s
            out = self._finish(rep, s.t, settled_s=r.rest_confirm_s)
            if out is None and s.t - rep.return_t > r.max_stroke_s:  # any return that start down began is over
                out = self._finish_unmarked(rep, s.t, r.rest_confirm_s)
            if out is not None:
                self.rep = None
        return out

    def close(self) -> RepMeasure | None:
        """The stream ended (a replay's last sample): a rep whose return has started is over if it came back down
        by then — no later sample will show its rest."""
        rep, self.rep = self.rep, None
        if rep is None or not self._samples:
            return None
        if rep.maybe_return_t is not None:
            rep = self._decide_return(rep, self._samples[-1].t)
        end = self._samples[-1].t
        return self._finish(rep, end, whole=True) or self._finish_unmarked(rep, end)

    def _finish_unmarked(self, rep: RepInProgress, until: float, settled_s: float = 0.0) -> RepMeasure | None:
        """The rep as if no event had marked its return: looked for anywhere after the curl. The stack resting since
        (the set's last rep), a start down that moved nothing (a stuck stack's jolt at the top, a kick's coast
        ending) is no longer taken for it."""
        if rep.return_t is None:
            return None
        return self._finish(rep, until, whole=True, settled_s=settled_s, unmarked=True)

    def _decide_return(self, rep: RepInProgress, now: float) -> RepInProgress:
        """A start down during the curl is its return if the curl, fitted up to now, ended `turn_s` before it (the
        stack stops before it turns, and the tension falls through the friction a little after); else the stack
        was still rising (a brisk curl slowing before its top)."""
        r = self.rules
        down = rep.maybe_return_t
        assert down is not None
        curl = self._fit_curl(rep, now - r.event_lag_s, down - r.event_lag_s - r.min_stroke_s)
        if curl is not None and curl.end_t > down - r.turn_s:
            return dataclasses.replace(rep, maybe_return_t=None)
        return dataclasses.replace(rep, return_t=down, maybe_return_t=None)

    def _curl_since(self, rep: RepInProgress, until: float) -> bool:
        """A curl big enough for a rep starts after this rep's event and before its return's (or `until`'s)."""
        r = self.rules
        last = (rep.return_t - r.event_lag_s) if rep.return_t is not None else until - r.min_stroke_s
        curl = self._fit_curl(rep, last, last - r.min_stroke_s)
        return curl is not None and curl.travel_m >= least_travel(curl, r.rep_travel_m)

    def _came_back(self, curl: StrokeFit, ret: StrokeFit) -> bool:
        """The return brought the stack back down: `end_travel_share` of the curl's travel, or after a thrown curl
        (shorter than `weigh_stroke_s`, whose travel a smooth shape's fit over- or underestimates, a stack
        flying off a slack cable most) a rep's least travel."""
        r = self.rules
        if curl.duration_s < r.weigh_stroke_s:
            return ret.travel_m >= r.rep_travel_m
        return ret.travel_m >= r.end_travel_share * curl.travel_m

    def _quiet(self, t: float) -> bool:
        """Steady for most of the last `rest_confirm_s` (a steady window flickers with the noise)."""
        recent = [x.steady for x in reversed(self._samples) if x.t >= t - self.rules.rest_confirm_s]
        return bool(recent) and sum(recent) >= QUIET_SHARE * len(recent)

    def _curl_at(self, t: float) -> RepInProgress:
        """A rep whose curl's event is now."""
        return RepInProgress(t, set_down_before=self._set_down_before(t), high_from=self._rested_high(t))

    def _rested_high(self, t: float) -> float | None:
        """When the stack came to rest high since the last rep, if it rested there right up to a stroke's lead
        before `t`: a dropped return caught with a bounce leaves it stuck as after a curl, and the next curl of
        a light stack (its inertia a newton or two) moves no level."""
        r = self.rules
        if self._prev_end is None:
            return None
        since = self._prev_end + r.settle_s
        return since if self._rested(1, since, t - r.lead_s) else None

    def _rested(self, way: int, since: float, until: float) -> bool:
        """Most samples in [since, until] past L ± ½f `way`'s side: the stack last moved that way."""
        r = self.rules
        side = [way * (x.force_n - x.load_n) > r.level_share * x.friction_n
                for x in self._samples if since <= x.t <= until]
        return len(side) >= 8 and sum(side) >= QUIET_SHARE * len(side)

    def _set_down_before(self, t: float) -> bool:
        at, prev = self._set_down_at, self._prev_end
        return at is not None and prev is not None and at >= prev - 0.5 and t - prev <= self.rules.set_break_s

    def _fit_curl(self, rep: RepInProgress, until: float, latest: float,
                  samples: list[StackSample] | None = None) -> StrokeFit | None:
        """The curl: the best stroke up in (from a little before its event) … `until` that starts by `latest`.
        It may start anywhere up to there; a stroke too small for a rep found first (a lift off the pins, a stack
        caught after a drop, a twitch) is skipped and the curl looked for after it."""
        r = self.rules
        first = rep.fit_from(r.lead_s)
        if self._prev_end is not None:  # not into the last rep, nor a dropped stack's catch just after it
            first = max(first, self._prev_end + r.settle_s)
        if self._junk_until is not None:  # nor into a stroke found too small for a rep (a lift off the pins)
            first = max(first, self._junk_until)
        if samples is None:
            samples = [x for x in self._samples if first <= x.t <= until]
        if len(samples) < 8:
            return None
        mass = samples[-1].load_n / G
        ts = np.fromiter((x.t for x in samples), float, len(samples))
        fs = np.fromiter((x.raw_n for x in samples), float, len(samples))
        b = int(np.searchsorted(ts, until))
        return fit_rising(ts[:b], fs[:b], first, latest, mass, r.stroke_limits, self._lift_t)

    def _finish(self, rep: RepInProgress, until: float, whole: bool = False,
                settled_s: float = 0.0, thrown_down: bool = False, unmarked: bool = False) -> RepMeasure | None:
        """Fit the rep's curl (from a little before its event to its return's) and its return (to `until`); a
        return no event marked is looked for anywhere after the curl. `whole`: only a rep that came back down;
        `settled_s`: only one whose return ended that long before `until`; `thrown_down`: the stack rested low after
        the curl, so a thrown curl's rep is whole whatever its return's fit measured; `unmarked`: the return is looked
        for anywhere after the curl even though an event marked one (that start down moved nothing)."""
        r = self.rules
        if rep.lifted_from is not None and not self._curl_since(rep, until):
            # No curl after the second start up: the curl was under way since the lift (a slack cable taken up
            # mid-curl), and that start up was its slowing.
            rep = dataclasses.replace(rep, curl_t=rep.lifted_from, lifted_from=None, after_lift=False)
            self._junk_until = None
        first = rep.fit_from(r.lead_s)
        samples = [x for x in self._samples if first - r.start_window_s <= x.t <= until]
        if len(samples) < 8:
            return None
        load = samples[-1].load_n
        mass = load / G
        ts = np.fromiter((x.t for x in samples), float, len(samples))
        fs = np.fromiter((x.raw_n for x in samples), float, len(samples))
        filt = np.fromiter((x.force_n for x in samples), float, len(samples))
        last = (rep.return_t - r.event_lag_s) if rep.return_t is not None else until - r.min_stroke_s
        curl = self._fit_curl(rep, last, last - r.min_stroke_s, samples)
        if rep.return_t is not None and not unmarked:
            back_from, back_to = rep.return_t - r.lead_s, rep.return_t + r.event_lag_s
        elif curl is not None:
            back_from, back_to = curl.end_t, until - r.min_stroke_s
        else:
            return None
        c = int(np.searchsorted(ts, back_from))
        ret = None
        if rep.return_t is not None and curl is not None and rep.return_t - curl.end_t > r.long_hold_s and not unmarked:
            # Longer at the top than anyone holds: the return went unmarked (from a stack resting low) and this
            # start down is something after it (a set-down); looked for between the two first.
            e, d = np.searchsorted(ts, [curl.end_t, rep.return_t - r.event_lag_s])
            silent = fit_stroke(ts[e:d], fs[e:d], curl.end_t, rep.return_t - r.event_lag_s - r.min_stroke_s, False,
                                mass, r.min_stroke_s, r.max_stroke_s)
            if silent is not None and self._came_back(curl, silent):
                ret = silent
        if ret is None:
            ret = fit_stroke(ts[c:], fs[c:], back_from, back_to, False, mass, r.min_stroke_s, r.max_stroke_s)
        down = thrown_down and curl is not None and curl.duration_s < r.weigh_stroke_s
        if (whole or rep.return_t is None or unmarked) and ret is not None and curl is not None and not down and \
                not self._came_back(curl, ret):
            return None  # it has not come back down: no rep yet
        if settled_s and ret is not None and curl is not None and (
                ret.end_t > until - settled_s or not self._came_back(curl, ret)):
            return None  # still coming down (a slow return's steady middle passes for a rest)
        if curl is None or ret is None or curl.travel_m < least_travel(curl, r.rep_travel_m):
            return None  # a twitch, or too little to measure
        start, top = curl.start_t, curl.end_t
        back, end = ret.start_t, max(ret.end_t, ret.start_t)
        if end - start < r.min_rep_s:
            return None
        faults = []
        start_tension = None
        if self.count == 0:  # the set's first rep: how taut was the cable just before it?
            # (before it lifted the stack off its pins, when it did: it sat there until the curl took up the slack)
            ref = min(start, self._lift_t - r.event_lag_s) if self._lift_t is not None else start
            before = fs[(ts >= ref - r.start_window_s) & (ts <= ref)]
            start_tension = float(before.mean()) if len(before) else None
            if start_tension is not None and start_tension < r.set_down_share * load:
                faults.append(Fault.SLACK_START)
        if rep.set_down_before:
            faults.append(Fault.LOST_TENSION)
        in_curl = (ts >= start - r.event_lag_s) & (ts <= top)
        in_rep = (ts >= start) & (ts <= end)
        conc_peak = float(filt[in_curl].max()) if in_curl.any() else load
        peak = float(filt[in_rep].max()) if in_rep.any() else load
        self._prev_end, self._lift_t, self._junk_until = end, None, None
        self.count += 1
        return RepMeasure(
            index=self.count, start_t=start, end_t=end, concentric_s=top - start, eccentric_s=end - back,
            load_kg=load / G, peak_force_n=peak, concentric_peak_n=conc_peak, peak_velocity=curl.peak_velocity,
            travel_m=curl.travel_m, faults=faults, start_tension_n=start_tension, curl=curl, ret=ret)
