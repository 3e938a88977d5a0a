"""Rep segmentation on knee flexion (pure): a state machine with hysteresis."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Phase(Enum):
    REST = "rest"
    CURL = "curl"
    RETURN = "return"


# A rep starts when the knee bends past START_DEG and ends when it is back under END_DEG.
# 25° is beyond any standing sway of the knee ("mostly straight" start is 5–15°), and the
# 10° gap between the two thresholds is the hysteresis that ignores jitter around either.
START_DEG = 25.0
END_DEG = 15.0
# A curl that peaks below this is a twitch, not a rep (the shortest real partial rep goes past 40°).
MIN_PEAK_DEG = 40.0


@dataclass
class Rep:
    index: int
    start_t: float
    peak_t: float
    end_t: float
    peak_knee_deg: float

    @property
    def concentric_s(self) -> float:
        return self.peak_t - self.start_t

    @property
    def eccentric_s(self) -> float:
        return self.end_t - self.peak_t


@dataclass
class RepSegmenter:
    """Feed (t, knee flexion) samples; completed reps come back from `update`."""

    phase: Phase = Phase.REST
    count: int = 0
    _start: float = 0.0
    _peak: float = 0.0
    _peak_t: float = 0.0
    _last_low_t: float = 0.0
    reps: list[Rep] = field(default_factory=list)

    def update(self, t: float, knee: float | None) -> Rep | None:
        if knee is None:
            return None
        if self.phase is Phase.REST:
            if knee < START_DEG:
                self._last_low_t = t
                if knee >= END_DEG:
                    return None
            else:
                self.phase = Phase.CURL
                self._start, self._peak, self._peak_t = self._last_low_t, knee, t
            return None
        if knee > self._peak:
            self._peak, self._peak_t = knee, t
        if knee < END_DEG:
            self.phase = Phase.REST
            self._last_low_t = t
            if self._peak < MIN_PEAK_DEG:
                return None
            self.count += 1
            rep = Rep(self.count, self._start, self._peak_t, t, self._peak)
            self.reps.append(rep)
            return rep
        return None
