"""What the station says and when (pure: no Qt, no audio): the rep counted, the set done, a fault's fix,
the tempo guide's ticks — and the operator's volume and mute. The adapter (`kiosk/ui/sound.py`) only plays.

Spoken words are short and never pile up: a newer utterance replaces one not yet said, and the same
cue is not repeated within `CUE_REPEAT_S` (a member hears "Keep the thigh still" once, not every pose).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from kiosk.state.demo import DemoRep
from kiosk.state.station import coach_cue
from shared.contract import RepVerdict

# A live cue is said again only after this long: once per rep (a tempo rep lasts 5–6 s).
CUE_REPEAT_S = 6.0
VOLUME_STEP = 0.1
DEFAULT_VOLUME = 0.7

Tick = Literal["curl", "return", "beat"]


@dataclass
class SoundSettings:
    """The operator's volume (0–1) and mute, kept for the kiosk's run."""

    volume: float = DEFAULT_VOLUME
    muted: bool = False

    def louder(self) -> None:
        self.volume = round(min(1.0, self.volume + VOLUME_STEP), 2)

    def softer(self) -> None:
        self.volume = round(max(0.0, self.volume - VOLUME_STEP), 2)

    def toggle_mute(self) -> None:
        self.muted = not self.muted

    @property
    def audible(self) -> bool:
        return not self.muted and self.volume > 0

    @property
    def text(self) -> str:
        return "Sound muted" if self.muted else f"Volume {round(self.volume * 100)} %"


@dataclass
class Announcer:
    """Turns the flow's changes into utterances. Feed it after every change with `observe(...)`."""

    settings: SoundSettings = field(default_factory=SoundSettings)
    _reps: int = 0
    _page: str = ""
    _cue: str = ""
    _cue_t: float = -1e9

    def observe(self, page: str, reps: int, last_verdict_cue: str, live_cues: list[str], end_note: str,
                now: float) -> list[str]:
        """The words to say now (possibly none). `page` is the flow's page value."""
        out: list[str] = []
        if page == "execution" and reps > self._reps:
            fix = last_verdict_cue
            out.append(f"{reps}. {fix}" if fix else f"{reps}")
            if fix:
                self._cue, self._cue_t = fix, now
        elif page == "execution" and live_cues:
            cue = live_cues[0]
            if cue != self._cue or now - self._cue_t >= CUE_REPEAT_S:
                out.append(cue)
                self._cue, self._cue_t = cue, now
        if self._page == "execution" and page in ("rest", "strap", "summary"):
            out.append(end_note or "Set done.")
        if page == "strap" and self._page != "strap":
            out.append("Move the strap to your other ankle.")
        self._reps = reps if page == "execution" else 0
        self._page = page
        return out if self.settings.audible else []


def verdict_cue(verdicts: list[RepVerdict]) -> str:
    """The fix of the last rep, as the screen shows it (empty after a good rep)."""
    return coach_cue(verdicts[-1]) if verdicts else ""


def guide_ticks(rep: DemoRep) -> list[tuple[float, Tick]]:
    """The tempo guide's ticks within one rep of `rep`'s timing (offsets in seconds): a high tick as the
    curl starts, a low one as the return starts (after the pause at the top), a soft beat on each whole
    second of the curl and the return — "2 s curl, pause, 3 s return" heard."""
    out: list[tuple[float, Tick]] = [(0.0, "curl")]
    out += [(float(k), "beat") for k in range(1, math.ceil(rep.curl_s))]
    down = rep.curl_s + rep.hold_s
    out.append((down, "return"))
    out += [(down + k, "beat") for k in range(1, math.ceil(rep.return_s))]
    return out


def tempo_ticks(rep: DemoRep, prev: float, now: float) -> list[Tick]:
    """The ticks due between two moments of the looping guide (seconds since it started; `prev` < 0 before
    the first frame)."""
    period = rep.period_s
    out: list[Tick] = []
    events = guide_ticks(rep)
    cycle = max(0, math.floor(prev / period)) if prev >= 0 else 0
    while cycle * period <= now:
        for offset, kind in events:
            t = cycle * period + offset
            if (prev < t or (prev < 0 and t == 0)) and t <= now:
                out.append(kind)
        cycle += 1
    return out
