"""A stroke of the stack measured from the tension it pulls (pure, numpy).

Over a smooth stroke of travel d and length T starting at t₀ (the shape of human reaching: minimum-jerk, or a
half-cosine), the cable's tension is

    F(t) = F_before                       before t₀ (the stack stuck where it rested)
    F(t) = F_moving + (m·d/T²)·s″(τ)      while it moves, τ = (t − t₀)/T
    F(t) = F_after                        after (stuck at the top, or at the bottom)

with s″ the shape's acceleration (zero mean over the stroke) and F_moving = L ± f (the static load plus or minus
the friction: over a move from rest to rest ∫(F − L)dt = ±f·T, the inertia cancelling). For each (t₀, T) the
three levels and the amplitude are a linear least-squares fit; the best (t₀, T, shape) gives the stroke's start,
length and travel (d = amplitude·T²/m). The levels absorb any error in the static load or the friction, so a
light stack's newton or two of inertia still times its stroke; and the fitted F_moving up and down are the load's
and friction's own measurement.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Shape = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]
# Strokes too small for a rep skipped before the curl: a lift off the pins and its jolt, a twitch.
MAX_SKIPS = 2


def minimum_jerk_acceleration(tau: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """x(τ) = 10τ³ − 15τ⁴ + 6τ⁵ (Flash & Hogan's smooth reach), its second derivative."""
    out: npt.NDArray[np.float64] = 60.0 * tau - 180.0 * tau ** 2 + 120.0 * tau ** 3
    return out


def half_cosine_acceleration(tau: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """x(τ) = (1 − cos πτ)/2, its second derivative."""
    out: npt.NDArray[np.float64] = (math.pi ** 2 / 2) * np.cos(math.pi * tau)
    return out


def push_and_coast(share: float) -> Shape:
    """A ballistic stroke: a constant push for `share` of it, then a constant slowing to a stop — a kick (a short
    throw, then the stack coasting up) or, the other way, a drop (a long fall, then the catch). x(1) = 1."""

    def accel(tau: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = np.where(tau < share, 2.0 / share, -2.0 / (1.0 - share))
        return out

    return accel


# The strokes a rep is made of, each with its peak speed over its mean speed: the smooth reach of a controlled
# curl or return (minimum-jerk 1.875, half-cosine π/2), a thrown curl (a push over its first 15–30 %, then the
# coast), a push and slowing in halves, and a dropped return (a fall over 70 % of it, then the catch): 2.
SHAPES: tuple[tuple[Shape, float], ...] = (
    (minimum_jerk_acceleration, 1.875), (half_cosine_acceleration, math.pi / 2),
    (push_and_coast(0.15), 2.0), (push_and_coast(0.3), 2.0), (push_and_coast(0.5), 2.0), (push_and_coast(0.7), 2.0))


def snatched(start: float) -> tuple[Shape, float]:
    """A stroke that starts already moving: the rest of a minimum-jerk stroke from `start` (a share of it) on,
    renormalised to travel 1 — a slack cable picked up mid-curl snatches the stack to the ankle's speed at once,
    and the stack then follows the curl's slowing part. With its speed at the start over its mean speed."""
    x0 = start ** 3 * (10 - 15 * start + 6 * start * start)
    span, rest = 1.0 - start, 1.0 - x0
    v0 = 30 * start ** 2 * (1 - start) ** 2 * span / rest

    def accel(tau: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return minimum_jerk_acceleration(start + span * tau) * span * span / rest

    return accel, v0


# A stroke is fitted only where most (60 %) of its samples are used (not left out as a snatch's ringing).
MIN_USED = 0.6
# A slack cable picked up rings for up to 0.3 s (a stack on a soft strap, 2.5 Hz, damped in about a period):
# the fit of a curl that lifted the stack leaves that out.
SNATCH_S = 0.3
# A curl that lifts the stack off its pins on a slack cable (a slack start): picked up a quarter to half way in.
SNATCHED: tuple[tuple[Shape, float], ...] = (snatched(0.25), snatched(0.4), snatched(0.55))


@dataclass(frozen=True)
class StrokeFit:
    """One stroke as the fit found it."""

    start_t: float
    duration_s: float
    travel_m: float  # the stack's travel, ≥ 0 either way
    moving_n: float  # the tension's level while it moved (L + f up, L − f down)
    peak_velocity: float
    rss: float = 0.0  # the fit's residual sum of squares over its samples (N²)
    snatched: bool = False  # started as a slack cable was picked up mid-curl (at a lift off the pins)

    @property
    def end_t(self) -> float:
        return self.start_t + self.duration_s


def fit_stroke(ts: npt.NDArray[np.float64], fs: npt.NDArray[np.float64], first_t: float, last_t: float,
               up: bool, mass_kg: float, min_s: float, max_s: float,
               shapes: tuple[tuple[Shape, float], ...] = SHAPES,
               skip: tuple[float, float] | None = None) -> StrokeFit | None:
    """The best stroke (up or down) of `shapes` starting within [first_t, last_t] in the samples (ts, fs), the
    samples in `skip` (a span of time) left out.

    Each segment's least squares comes from sums: a level's from cumulative sums of F and F², the moving
    part's (level and amplitude on the shape) from dot products per candidate start; the lengths are searched
    every 5 samples, then each around the best.
    """
    n_all = len(fs)
    if n_all < 8 or mass_kg <= 0:
        return None
    dt = float(np.median(np.diff(ts)))
    if dt <= 0:
        return None
    w = np.ones(n_all) if skip is None else ((ts < skip[0]) | (ts > skip[1])).astype(np.float64)
    wy = w * fs
    c0 = np.concatenate(([0.0], np.cumsum(w)))
    c1 = np.concatenate(([0.0], np.cumsum(wy)))
    c2 = np.concatenate(([0.0], np.cumsum(wy * fs)))
    i_lo = int(np.searchsorted(ts, first_t))
    i_hi = min(int(np.searchsorted(ts, last_t, side="right")), n_all - 2)
    if i_hi <= i_lo:
        return None
    n_min = max(4, round(min_s / dt))
    n_max = min(round(max_s / dt), n_all - i_lo)
    if n_max < n_min:
        return None
    sign = 1.0 if up else -1.0

    def level_rss(k0: npt.NDArray[np.int_], k1: npt.NDArray[np.int_]) -> npt.NDArray[np.float64]:
        n = c0[k1] - c0[k0]
        y1 = c1[k1] - c1[k0]
        out: npt.NDArray[np.float64] = np.where(n > 0, c2[k1] - c2[k0] - y1 * y1 / np.maximum(n, 1e-9), 0.0)
        return out

    def best_of(lengths: range, shape: Shape) -> tuple[float, int, int, float, float]:
        out = (math.inf, 0, 0, 0.0, 0.0)
        ends = np.full(1, n_all)
        for n in lengths:
            starts = np.arange(i_lo, min(i_hi, n_all - n) + 1)
            if len(starts) == 0:
                continue
            s = shape((np.arange(n) + 0.5) / n)
            sy = np.lib.stride_tricks.sliding_window_view(wy, n)[starts] @ s
            if skip is None:
                n_in = np.full(len(starts), float(n))
                ss = np.full(len(starts), float(s.sum()))
                s2 = np.full(len(starts), float((s * s).sum()))
            else:
                wins = np.lib.stride_tricks.sliding_window_view(w, n)[starts]
                n_in, ss, s2 = wins.sum(axis=1), wins @ s, wins @ (s * s)
            y1 = c1[starts + n] - c1[starts]
            y2 = c2[starts + n] - c2[starts]
            det = n_in * s2 - ss * ss
            amp = (n_in * sy - ss * y1) / np.where(det > 0, det, np.inf)
            level = (y1 - amp * ss) / np.maximum(n_in, 1e-9)
            rss_in = y2 - level * y1 - amp * sy
            rss = (rss_in + level_rss(np.zeros_like(starts), starts)
                   + level_rss(starts + n, np.repeat(ends, len(starts))))
            rss = np.where((amp * sign > 0) & (n_in >= MIN_USED * n), rss, np.inf)  # a stroke mostly seen
            k = int(np.argmin(rss))
            if rss[k] < out[0]:
                out = (float(rss[k]), int(starts[k]), n, float(amp[k]), float(level[k]))
        return out

    best: tuple[float, int, int, float, float, float] | None = None
    for shape, peak_ratio in shapes:
        rss, i0, n, amp, level = best_of(range(n_min, n_max + 1, 5), shape)
        if math.isinf(rss):
            continue
        rss, i0, n, amp, level = best_of(range(max(n_min, n - 4), min(n_max, n + 4) + 1), shape)
        if best is None or rss < best[0]:
            best = (rss, i0, n, amp, level, peak_ratio)
    if best is None:
        return None
    _, i0, n, amp, level, peak_ratio = best
    duration = n * dt
    travel = abs(amp) * duration ** 2 / mass_kg
    return StrokeFit(float(ts[i0]) - dt / 2, duration, travel, level, peak_ratio * travel / duration, best[0])


# A curl that lifted the stack off its pins on a slack cable moved it only once the slack was taken up, up to
# half way into the curl (`SNATCHED`): the stack's part of it is at least half a rep's least travel.
SNATCH_TRAVEL_SHARE = 0.5


def least_travel(curl: StrokeFit, rep_travel_m: float) -> float:
    """A rep's least travel for this curl: less for one that snatched the stack off its pins."""
    return rep_travel_m * (SNATCH_TRAVEL_SHARE if curl.snatched else 1.0)


def fit_rising(ts: npt.NDArray[np.float64], fs: npt.NDArray[np.float64], first_t: float, latest_t: float,
               mass_kg: float, limits: tuple[float, float, float], lifted_t: float | None = None) -> StrokeFit | None:
    """A curl: the best stroke up starting in [first_t, latest_t]. A stroke too small for a rep found first (a
    lift off the pins and its jolt, a stack caught after a drop, a twitch) is skipped and the curl looked for
    after it, at most `MAX_SKIPS` times. `limits`: the shortest and longest stroke (s) and a rep's least
    travel (m). `lifted_t`: the curl lifted the stack off its pins then (a slack start): it may have snatched
    it there."""
    min_s, max_s, min_travel = limits
    if lifted_t is not None and first_t - SNATCH_S <= lifted_t <= latest_t:
        # The ringing of the cable picked up is left out; a curl snatched at the lift and one started after it
        # (a lift off the pins, a pause, then the curl) are fitted to the same samples and the better taken.
        skip = (lifted_t - 0.05, lifted_t + SNATCH_S)
        a = int(np.searchsorted(ts, first_t))
        snatch = fit_stroke(ts[a:], fs[a:], lifted_t - 0.1, lifted_t + 0.05, True, mass_kg, min_s, max_s,
                            SHAPES + SNATCHED, skip)
        after = fit_stroke(ts[a:], fs[a:], first_t, latest_t, True, mass_kg, min_s, max_s, SHAPES, skip)
        if snatch is not None:  # it started as the stack left its pins: the slack took the curl's first part
            snatch = dataclasses.replace(snatch, snatched=True)
        fits = [c for c in (snatch, after) if c is not None and c.travel_m >= least_travel(c, min_travel)]
        if fits:
            return min(fits, key=lambda c: c.rss)
    curl = None
    for _ in range(MAX_SKIPS + 1):
        a = int(np.searchsorted(ts, first_t))
        curl = fit_stroke(ts[a:], fs[a:], first_t, latest_t, True, mass_kg, min_s, max_s)
        if curl is None or curl.travel_m >= min_travel or curl.end_t > latest_t:
            break
        first_t = curl.end_t
    return curl
