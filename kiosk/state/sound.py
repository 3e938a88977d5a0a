"""What the station says and when (pure: no Qt, no audio): the rep counted, the set done, a fault's fix,
the tempo guide's ticks — and the operator's volume and mute. The adapter (`kiosk/ui/sound.py`) only plays.

Spoken words are short and never pile up: a newer utterance replaces one not yet said, and the same
cue is not repeated within `CUE_REPEAT_S` (a member hears "Keep the thigh still" once, not every pose).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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


def tempo_ticks(curl_s: float, return_s: float, prev: float, now: float) -> list[Tick]:
    """The tempo guide's ticks between two moments of its loop (seconds since it started): a high tick as
    the curl starts, a low one as the return starts, a soft beat on every other whole second."""
    period = curl_s + return_s
    out: list[Tick] = []
    k = int(prev) + 1 if prev >= 0 else 0
    while k <= now:
        u = k % period
        if abs(u) < 1e-9:
            out.append("curl")
        elif abs(u - curl_s) < 1e-9:
            out.append("return")
        else:
            out.append("beat")
        k += 1
    return out
