"""The station's sound: spoken words through Debian's `espeak-ng` (a QProcess: the GUI thread never waits
for it) and the tempo guide's ticks through Qt Multimedia. Either is skipped, silently, where the station
has none (no espeak-ng installed, no audio output): the screen carries everything the sound says.
What is said and when is decided in `kiosk/state/sound.py`."""

from __future__ import annotations

import logging
import math
import shutil
import struct
import tempfile
import wave
from pathlib import Path

from PyQt6.QtCore import QObject, QProcess, QUrl

from kiosk.state.sound import SoundSettings, Tick
from kiosk.ui import i18n

log = logging.getLogger(__name__)

# espeak-ng's words per minute: 165 is a calm coaching pace, still done with "Keep the thigh still" in 1.5 s.
SPEECH_WPM = 165
# The ticks: a high short one as the curl starts, a lower one as the return starts, a soft beat between.
TICKS: dict[Tick, tuple[float, float, float]] = {"curl": (1320.0, 0.08, 1.0), "return": (660.0, 0.12, 1.0),
                                                 "beat": (990.0, 0.04, 0.5)}  # Hz, seconds, share of volume


def _tone(path: Path, hz: float, seconds: float, rate: int = 22050) -> None:
    n = int(rate * seconds)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        # A 5 ms fade at each end: a tone cut dead clicks.
        fade = int(rate * 0.005)
        w.writeframes(b"".join(struct.pack("<h", int(12000 * min(1.0, i / fade, (n - i) / fade)
                                                     * math.sin(2 * math.pi * hz * i / rate))) for i in range(n)))


class Speaker(QObject):
    def __init__(self, settings: SoundSettings, command: list[str] | None = None, ticks: bool = True) -> None:
        super().__init__()
        self.settings = settings
        espeak = shutil.which("espeak-ng")
        self.command = command if command is not None else ([espeak] if espeak else [])
        self.proc = QProcess(self)
        self.proc.finished.connect(self._next)
        self.pending: str | None = None
        self.said: list[str] = []  # what was handed to the speech program (the newest last)
        self._effects: dict[Tick, object] = {}
        if ticks:
            self._load_ticks()

    @property
    def speech(self) -> str:
        """The speech engine in words, for the staff screen."""
        return Path(self.command[0]).name if self.command else "none (install espeak-ng to hear cues)"

    def _load_ticks(self) -> None:
        try:
            from PyQt6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError:  # Qt Multimedia not installed: ticks are shown, not heard
            return
        if not QMediaDevices.audioOutputs():
            log.info("no audio output: the tempo guide is shown, not heard")
            return
        self._dir = tempfile.TemporaryDirectory(prefix="kiosk-ticks-")
        for kind, (hz, seconds, _share) in TICKS.items():
            path = Path(self._dir.name) / f"{kind}.wav"
            _tone(path, hz, seconds)
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            self._effects[kind] = effect

    def say(self, text: str) -> None:
        """Speak `text` without waiting; while something is being said, the newest text waits its turn
        (older waiting text is dropped: what is said stays current)."""
        if not text or not self.command or not self.settings.audible:
            return
        if self.proc.state() != QProcess.ProcessState.NotRunning:
            self.pending = text
            return
        self._start(text)

    def _start(self, text: str) -> None:
        amplitude = round(200 * self.settings.volume)  # espeak-ng's -a: 0–200, 100 its default
        self.said.append(text)
        voice = i18n.current()  # espeak-ng's voices are named by language code: "en", "de"
        self.proc.start(self.command[0], [*self.command[1:], "-v", voice, "-a", str(amplitude), "-s", str(SPEECH_WPM),
                                          text])

    def _next(self) -> None:
        text, self.pending = self.pending, None
        if text and self.settings.audible:
            self._start(text)

    def tick(self, kind: Tick) -> None:
        effect = self._effects.get(kind)
        if effect is None or not self.settings.audible:
            return
        effect.setVolume(self.settings.volume * TICKS[kind][2])  # type: ignore[attr-defined]
        effect.play()  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.pending = None
        if self.proc.state() != QProcess.ProcessState.NotRunning:
            self.proc.kill()
            self.proc.waitForFinished(500)
