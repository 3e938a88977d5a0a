"""Matching a camera rep and a load rep of the same movement (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.records import RepRecord

# Two sensors see the same movement when their rep intervals overlap by at least half of the
# shorter one: the camera and load cell mark a rep's ends a few hundred ms apart, while two
# consecutive reps are separated by a rest and never overlap by half.
MIN_OVERLAP = 0.5
# Only the last few reps can still be waiting for their second sensor (a sensor lags < 2 reps).
LOOKBACK = 4


def overlap_share(a0: float, a1: float, b0: float, b1: float) -> float:
    inter = min(a1, b1) - max(a0, b0)
    shorter = min(a1 - a0, b1 - b0)
    if shorter <= 0:
        return 1.0 if inter >= 0 else 0.0
    return max(0.0, inter) / shorter


def find_partner(reps: Iterable[RepRecord], start_t: float, end_t: float, sensor: str) -> RepRecord | None:
    """The recent rep that lacks `sensor` and overlaps [start_t, end_t] the most, if any."""
    best, best_share = None, MIN_OVERLAP
    for r in list(reps)[-LOOKBACK:]:
        if getattr(r, sensor) is not None:
            continue
        share = overlap_share(r.start_t, r.end_t, start_t, end_t)
        if share >= best_share:
            best, best_share = r, share
    return best
