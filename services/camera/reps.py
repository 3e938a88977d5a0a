"""Rep segmentation on knee flexion (pure): a state machine with hysteresis.

Counting: a rep starts when the knee bends past START_DEG and is complete when it is back under
END_DEG, having peaked above MIN_PEAK_DEG; a wobble between the two thresholds never counts, and a
return that stops half way and curls again (a half-drop) stays one rep.

Timing: once a rep is complete its samples are read again. The curl and the return are located
by where the knee crosses 25 % and 75 % of the rep's range; then each phase is fitted, as the smooth
(half-cosine) bend of a controlled curl, to every sample between 10 % and 90 % of the range, so the
jitter of single samples averages out instead of moving a crossing (the fit falls back to three times
the 25–75 % stretch when too few samples are left). Rest-to-top is the curl, top-to-leaving-the-top
the hold, leaving-the-top-to-rest the return.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from services.camera.kinematics import Sample


class KneePhase(Enum):
    REST = "rest"
    CURL = "curl"
    TOP_HOLD = "top_hold"
    RETURN = "return"


# A rep starts past START_DEG and ends back under END_DEG. 25° is beyond any standing sway of the
# knee (the "mostly straight" start is 5–15°); the 10° gap is the hysteresis that ignores jitter.
START_DEG = 25.0
END_DEG = 15.0
# A curl that peaks below this is a twitch, not a rep (the shortest real partial rep goes past 40°).
MIN_PEAK_DEG = 40.0
# Nobody curls and returns against a cable in under 0.3 s: anything quicker is a landmark glitch.
MIN_REP_S = 0.3
# Live phase only: under 20°/s the knee is holding (landmark jitter after filtering is ~5°/s).
HOLD_SPEED_DEG_S = 20.0
# Samples kept from before the start trigger: the bend begins below START_DEG, up to ~1 s earlier.
PRE_ROLL_S = 1.5
# Fractions of the range at which the curl and return are timed (see the module docstring).
LOW, HIGH = 0.25, 0.75
# Half-width of the centred average used for timing: 2 samples each side (±66 ms at 30 fps) halves
# landmark jitter and is far shorter than any phase.
SMOOTH_HALF = 2
# The phase fit uses the samples between 10 % and 90 % of the range: nearer the rest or the top the
# bend is so flat that a degree of jitter is a tenth of a second. Under 6 samples (0.2 s at 30 fps)
# a fit is no better than the crossings.
FIT_LO, FIT_HI = 0.1, 0.9
MIN_FIT_SAMPLES = 6
# Half-width of the average the top's level is first read from: 5 samples each side (0.37 s) average
# a held top's jitter down by 3, and lower the turn of a 1 s curl without a hold by only 2 % of the range.
TOP_HALF = 5


@dataclass(frozen=True)
class Rep:
    index: int
    start_t: float
    top_t: float  # reached the top
    return_t: float  # left the top
    end_t: float
    peak_knee_deg: float
    rest_knee_deg: float
    thigh_excursion_deg: float | None  # max - min of the thigh angle during the rep
    pelvis_rotation_deg: float | None  # pelvis turn at the top from its position at rest
    torso_change_deg: float | None  # torso angle change at the top from its position at rest
    max_gap_s: float  # longest stretch without a knee measurement inside the rep

    @property
    def concentric_s(self) -> float:
        return self.top_t - self.start_t

    @property
    def top_hold_s(self) -> float:
        return self.return_t - self.top_t

    @property
    def eccentric_s(self) -> float:
        return self.end_t - self.return_t


Row = tuple[float, float, float | None, float | None, float | None]  # t, knee, thigh, pelvis, torso


def _cross(rows: list[Row], level: float, up: bool, start: int = 0, last: bool = False) -> tuple[float, int] | None:
    """Interpolated time (and index) where knee crosses `level` upward/downward; first or last one."""
    found: tuple[float, int] | None = None
    for i in range(max(1, start), len(rows)):
        k0, k1 = rows[i - 1][1], rows[i][1]
        if (k0 < level <= k1) if up else (k0 > level >= k1):
            t0, t1 = rows[i - 1][0], rows[i][0]
            found = (t0 + (t1 - t0) * (level - k0) / (k1 - k0), i)
            if not last:
                return found
    return found


def _spread(rows: list[Row], col: int, t0: float, t1: float) -> float | None:
    vals = [r[col] for r in rows if t0 <= r[0] <= t1 and r[col] is not None]
    return max(vals) - min(vals) if vals else None  # type: ignore[type-var, operator]


def _median(vals: list[float]) -> float | None:
    if not vals:
        return None
    vals.sort()
    return vals[len(vals) // 2]


def _top_change(rows: list[Row], knees: list[float], col: int, start: float, hi: float) -> float | None:
    """How far a posture angle moved from rest to the top of the curl, median against median.

    The pelvis and torso come from the two hips' depth (and shoulders), the noisiest landmarks
    BlazePose gives; a median over the top's ~1 s against one over the rest is robust to that noise
    where a per-frame extreme is not. Hip rotation and back arch both peak at the top ("to make the
    range of motion look bigger").
    """
    rest = _median([r[col] for r in rows if r[0] <= start and r[col] is not None])  # type: ignore[misc]
    top = _median([r[col] for r, k in zip(rows, knees, strict=True) if k >= hi and r[col] is not None])  # type: ignore[misc]
    return None if rest is None or top is None else abs(top - rest)


def _fit_phase(rows: list[Row], idx: range, base: float, amp: float, rising: bool) -> tuple[float, float] | None:
    """(start, duration) of a half-cosine bend fitted to the samples `idx` (weighted least squares).

    A half-cosine from 0 to 1 over T seconds has u = acos(1 − 2s)/π rising linearly from 0 to 1, so u is
    regressed on t; each sample weighs s(1 − s), the inverse of how much the transform amplifies its jitter.
    """
    sw = st = su = stt = stu = 0.0
    n = 0
    for i in idx:
        t, s = rows[i][0], (rows[i][1] - base) / amp
        if not FIT_LO <= s <= FIT_HI:
            continue
        u = math.acos(1 - 2 * s if rising else 2 * s - 1) / math.pi
        w = s * (1 - s)
        sw, st, su, stt, stu = sw + w, st + w * t, su + w * u, stt + w * t * t, stu + w * t * u
        n += 1
    den = sw * stt - st * st
    if n < MIN_FIT_SAMPLES or den <= 0:
        return None
    slope = (sw * stu - st * su) / den
    if slope <= 0:
        return None
    return -(su - slope * st) / sw / slope, 1 / slope


def _run(knees: list[float], i: int, base: float, amp: float, step: int, stop_below: bool) -> int:
    """From sample i, step while the (smoothed) bend stays inside the fitted band; the last index inside."""
    while 0 <= i + step < len(knees):
        s = (knees[i + step] - base) / amp
        if (s < FIT_LO) if stop_below else (s > FIT_HI):
            break
        i += step
    return i


def _phases(rows: list[Row], knees: list[float], base: float, peak: float) -> tuple[float, float, float, float]:
    """(start, top, leaving the top, end) of the rep whose bend goes from `base` to `peak`."""
    smooth: list[Row] = [(r[0], k, r[2], r[3], r[4]) for r, k in zip(rows, knees, strict=True)]
    amp = peak - base
    lo, hi = base + LOW * amp, base + HIGH * amp

    def cross(level: float, up: bool, start: int = 0, last: bool = False) -> tuple[float, int] | None:
        # On the average; where it misses one (a return ending across a dropout, whose average straddles
        # the hole) the samples themselves are read.
        return _cross(smooth, level, up, start, last) or _cross(rows, level, up, start, last)

    up_lo = cross(lo, up=True)
    up_hi = cross(hi, up=True, start=up_lo[1]) if up_lo else None
    dn_hi = cross(hi, up=False, last=True)
    dn_lo = cross(lo, up=False, start=dn_hi[1]) if dn_hi else None
    if not (up_lo and up_hi and dn_hi and dn_lo):  # degenerate (too few samples): plain edges
        peak_t = rows[knees.index(max(knees))][0]
        return rows[0][0], peak_t, peak_t, rows[-1][0]
    tc = (up_hi[0] - up_lo[0]) / (HIGH - LOW) * _COS_SHARE
    te = (dn_lo[0] - dn_hi[0]) / (HIGH - LOW) * _COS_SHARE
    start, top = up_lo[0] - tc * _COS_EDGE, up_hi[0] + tc * _COS_EDGE
    ret, end = dn_hi[0] - te * _COS_EDGE, dn_lo[0] + te * _COS_EDGE
    curl = _fit_phase(rows, range(_run(knees, up_lo[1], base, amp, -1, True),
                                  _run(knees, up_lo[1], base, amp, 1, False) + 1), base, amp, rising=True)
    back = _fit_phase(rows, range(_run(knees, dn_lo[1], base, amp, -1, False),
                                  _run(knees, dn_lo[1], base, amp, 1, True) + 1), base, amp, rising=False)
    if curl is not None:
        start, top = curl[0], curl[0] + curl[1]
    if back is not None:
        ret, end = back[0], back[0] + back[1]
    if ret < top:  # no hold: the two estimates of the turn overlap; meet in the middle
        top = ret = (top + ret) / 2
    return max(start, rows[0][0]), top, ret, end


def measure_rep(index: int, rows: list[Row], trigger_t: float) -> Rep:
    """Timing and metrics of one completed rep from its samples (pre-roll included)."""
    # Centred moving average: no lag, and the range's ends are not set by one noisy sample.
    n = len(rows)
    raw = [r[1] for r in rows]
    h = SMOOTH_HALF
    knees = [sum(raw[max(0, i - h):i + h + 1]) / (min(n, i + h + 1) - max(0, i - h)) for i in range(n)]
    highest = max(knees)
    resting = sorted(k for k, r in zip(knees, rows, strict=True) if r[0] <= trigger_t and k < START_DEG)
    base = resting[len(resting) // 4] if resting else min(knees)  # lower quartile: the rise is in there too
    # The top's level: the highest of a wider average first, then the median of the hold it finds. The
    # highest of a short average is the hold's level plus the jitter's excursion, which squeezes the
    # fitted bends toward the hold and shortens it.
    w = TOP_HALF
    wide = max(sum(raw[max(0, i - w):i + w + 1]) / (min(n, i + w + 1) - max(0, i - w)) for i in range(n))
    peak = wide if base < wide < highest else highest  # a rep too short for the wide average keeps its highest
    start, top, ret, end = _phases(rows, knees, base, peak)
    held = sorted(raw[i] for i in range(n) if top <= rows[i][0] <= ret)
    if len(held) >= MIN_FIT_SAMPLES:
        level = held[len(held) // 2]
        # A hold sits at the top (within its jitter); a "hold" whose median is well below it went down
        # and up again between (a half-drop) and keeps the first reading.
        if peak - (1 - FIT_HI) * (peak - base) < level < highest:
            start, top, ret, end = _phases(rows, knees, base, level)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(rows) if start <= b[0] and a[0] <= end]
    hi = base + HIGH * (highest - base)  # the top, for the posture angles
    return Rep(
        index=index, start_t=start, top_t=top, return_t=ret, end_t=max(end, ret), peak_knee_deg=highest,
        rest_knee_deg=base, thigh_excursion_deg=_spread(rows, 2, start, end),
        pelvis_rotation_deg=_top_change(rows, knees, 3, start, hi),
        torso_change_deg=_top_change(rows, knees, 4, start, hi), max_gap_s=max(gaps, default=0.0),
    )


# A half-cosine bend from 0 to 1 crosses 0.25 and 0.75 at 1/3 and 2/3 of its duration: the middle
# half of the range takes a third of the time (share), and each outer quarter a third (edge).
_COS_SHARE = (HIGH - LOW) / ((math.acos(1 - 2 * HIGH) - math.acos(1 - 2 * LOW)) / math.pi)
_COS_EDGE = math.acos(1 - 2 * LOW) / math.pi


@dataclass
class KneeRepSegmenter:
    """Feed filtered samples; completed reps come back from `update`."""

    phase: KneePhase = KneePhase.REST
    count: int = 0
    reps: list[Rep] = field(default_factory=list)
    _rows: deque[Row] = field(default_factory=deque)
    _active: list[Row] = field(default_factory=list)
    _peak: float = 0.0
    _trigger_t: float = 0.0

    def abandon(self) -> bool:
        """Drop the rep under way and the rest before it (the camera is lost); True if a rep was under way.

        Short dropouts are bridged by interpolation; across a lost camera nothing is known of the movement.
        """
        busy = self.phase is not KneePhase.REST
        self.phase, self._active, self._rows = KneePhase.REST, [], deque()
        return busy

    def update(self, s: Sample) -> Rep | None:
        if s.knee is None or not s.fresh:
            return None  # bridged or unseen: crossings are interpolated across the hole later
        row: Row = (s.t, s.knee, s.thigh, s.pelvis, s.torso)
        if self.phase is KneePhase.REST:
            self._rows.append(row)
            while self._rows and s.t - self._rows[0][0] > PRE_ROLL_S:
                self._rows.popleft()
            if s.knee >= START_DEG:
                self.phase = KneePhase.CURL
                self._active = list(self._rows)
                self._peak, self._trigger_t = s.knee, s.t
            return None
        self._active.append(row)
        self._peak = max(self._peak, s.knee)
        if s.knee < END_DEG:
            rows, self._active = self._active, []
            self.phase = KneePhase.REST
            self._rows = deque([row])
            if self._peak < MIN_PEAK_DEG or s.t - self._trigger_t < MIN_REP_S:
                return None
            self.count += 1
            rep = measure_rep(self.count, rows, self._trigger_t)
            self.reps.append(rep)
            return rep
        v = s.knee_velocity
        if v > HOLD_SPEED_DEG_S:
            self.phase = KneePhase.CURL
        elif v < -HOLD_SPEED_DEG_S:
            self.phase = KneePhase.RETURN
        elif s.knee > self._peak - 15.0:  # slow and near the top: squeezing, not turning at the bottom
            self.phase = KneePhase.TOP_HOLD
        return None
