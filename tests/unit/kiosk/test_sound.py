"""The station's sound: what is said and when (pure), and a speaker that never makes the screen wait."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.state.demo import DemoRep
from kiosk.state.sound import CUE_REPEAT_S, Announcer, SoundSettings, guide_ticks, tempo_ticks
from kiosk.ui.sound import Speaker
from shared.catalogue import default_catalogue

EX = default_catalogue()["hamstring-curl-kickback"]


def test_reps_are_counted_aloud_with_the_fix_and_the_set_end_is_said() -> None:
    a = Announcer()
    assert a.observe("execution", 0, "", [], "", 0.0) == []
    assert a.observe("execution", 1, "", [], "", 5.0) == ["1"]
    assert a.observe("execution", 2, "Lower slowly, about 3 seconds", [], "", 10.0) == [
        "2. Lower slowly, about 3 seconds"]
    assert a.observe("execution", 2, "Lower slowly, about 3 seconds", [], "", 10.5) == []  # nothing new
    assert a.observe("rest", 0, "", [], "Set done: 10 reps.", 20.0) == ["Set done: 10 reps."]
    assert a.observe("rest", 0, "", [], "Set done: 10 reps.", 21.0) == []  # said once


def test_a_live_cue_is_said_once_a_rep_not_every_pose() -> None:
    a = Announcer()
    a.observe("execution", 0, "", [], "", 0.0)
    said = [w for i in range(40) for w in a.observe("execution", 0, "", ["Keep the thigh still"], "", i * 0.05)]
    assert said == ["Keep the thigh still"]  # 20 poses a second, 2 s: once
    assert a.observe("execution", 0, "", ["Keep the thigh still"], "", CUE_REPEAT_S + 0.1) == ["Keep the thigh still"]
    assert a.observe("execution", 0, "", ["Hips square"], "", CUE_REPEAT_S + 0.2) == ["Hips square"]  # a new cue


def test_the_strap_step_is_announced_and_mute_silences_everything() -> None:
    a = Announcer()
    a.observe("execution", 3, "", [], "", 0.0)
    assert a.observe("strap", 0, "", [], "Set done: 3 reps.", 1.0) == [
        "Set done: 3 reps.", "Move the strap to your other ankle."]
    a.settings.toggle_mute()
    a.observe("execution", 0, "", [], "", 2.0)
    assert a.observe("execution", 1, "", [], "", 3.0) == []
    assert a.settings.text == "Sound muted"


def test_volume_steps_stay_within_0_and_1() -> None:
    s = SoundSettings(volume=0.95)
    s.louder()
    s.louder()
    assert s.volume == 1.0 and s.text == "Volume 100 %"
    for _ in range(12):
        s.softer()
    assert s.volume == 0.0 and not s.audible


def test_the_tempo_guide_ticks_curl_pause_and_return() -> None:
    # The tempo goal: 2 s curl (ticks at 0 and 1), a 0.5 s pause, 3 s return (ticks at 2.5, 3.5, 4.5), 1 s
    # at rest: 6.5 s a rep.
    rep = DemoRep.for_goal(EX, EX.goal("tempo_focus"))
    assert [t for t, _ in guide_ticks(rep)] == [0.0, 1.0, 2.5, 3.5, 4.5]
    assert tempo_ticks(rep, -1.0, 7.0) == ["curl", "beat", "return", "beat", "beat", "curl"]
    assert tempo_ticks(rep, 1.2, 2.4) == []  # the pause at the top is silent
    assert tempo_ticks(rep, 2.4, 2.6) == ["return"]


def test_the_speaker_never_makes_the_screen_wait(qtbot: QtBot, tmp_path: Path) -> None:
    out = tmp_path / "said.txt"
    # A speech program that takes a second per utterance, as espeak-ng does for a sentence.
    slow = [sys.executable, "-c",
            f"import sys, time; time.sleep(1.0); open({str(out)!r}, 'a').write(sys.argv[-1] + '\\n')"]
    sp = Speaker(SoundSettings(), command=slow, ticks=False)
    t0 = time.monotonic()
    for words in ("1", "2", "3"):
        sp.say(words)
    assert time.monotonic() - t0 < 0.2  # the GUI thread went on at once
    qtbot.waitUntil(lambda: out.exists() and out.read_text().split() == ["1", "3"], timeout=10000)
    assert sp.said == ["1", "3"]  # "2" was overtaken while "1" was said: what is said stays current
    sp.settings.toggle_mute()
    sp.say("4")
    assert sp.said == ["1", "3"]
    sp.stop()


def test_no_speech_program_is_silence_not_an_error(qtbot: QtBot) -> None:
    sp = Speaker(SoundSettings(), command=[], ticks=False)
    sp.say("Set done.")
    sp.tick("curl")
    assert sp.said == [] and sp.speech.startswith("none")
