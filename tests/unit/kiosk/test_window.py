"""The kiosk window offscreen: what must hold once the member-facing window is gone."""

from __future__ import annotations

from PyQt6.QtCore import Qt

# pytest-qt leaves QtBot.mouseClick and keyClicks untyped (*args, **kwargs): hence type: ignore[no-untyped-call]
from pytestqt.qtbot import QtBot

from kiosk.state.flow import Flow
from kiosk.state.station import CUE_IN_VIEW
from kiosk.ui.widgets import FAIL_COLOUR, PASS_COLOUR, UNVERIFIED_COLOUR
from kiosk.ui.window import KioskWindow
from shared import contract as c
from shared.catalogue import Exercise, default_catalogue
from shared.contract import Model
from tests.kiosk import guest_window


def test_a_closed_window_gets_no_more_ticks_nor_state_changes(qtbot: QtBot) -> None:
    sent: list[tuple[str, Model]] = []
    flow = Flow(default_catalogue()["hamstring-curl-kickback"], lambda t, d: sent.append((t, d)))
    win = KioskWindow(flow)
    qtbot.addWidget(win)
    win.show()
    assert win.tick.isActive() and win.refresh in flow._listeners
    refreshed: list[int] = []
    win.refresh = lambda: refreshed.append(1)  # type: ignore[method-assign]
    flow.subscribe(win.refresh)
    win.close()
    # The flow and the MQTT bridge outlive the window; a site event after the close must not reach it.
    flow.changed()
    assert refreshed == [] and not win.tick.isActive() and not win.execution.tempo_timer.isActive()


def _window(qtbot: QtBot) -> tuple[KioskWindow, Flow, list[tuple[str, Model]]]:
    return guest_window(qtbot)


def test_the_set_count_is_chosen_with_large_buttons_and_reaches_the_session(qtbot: QtBot) -> None:
    win, flow, sent = _window(qtbot)
    flow.choose_goal("strength_control")  # 3–5 sets; a guest's plan has none for this goal: 3
    assert win.setup.sets_value.text() == "3" and "3–5 sets per leg" in win.setup.sets_note.text()
    assert not win.setup.fewer.isEnabled() and win.setup.more.isEnabled()
    # 15 mm on the 141 px/inch panel is 84 px: both buttons are a fingertip wide and high.
    for b in (win.setup.fewer, win.setup.more):
        assert b.isVisible() and b.width() >= 84 and b.height() >= 84
    qtbot.mouseClick(win.setup.more, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert win.setup.sets_value.text() == "4" and win.setup.fewer.isEnabled()
    assert "start set 1 of 4" in win.setup.start.text()
    qtbot.mouseClick(win.setup.start, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    started = next(d for t, d in sent if t == "session.started")
    assert isinstance(started, c.SessionStarted) and started.planned_sets == 4
    assert " set 1 of 4 " in win.execution.set_title.text()


def test_an_unverified_rep_has_its_own_colour_symbol_and_words(qtbot: QtBot) -> None:
    win, flow, _ = _window(qtbot)
    flow.choose_goal("strength_control")
    flow.start_training()
    cur = flow.current
    assert cur is not None

    def verdict(rep: int, faults: list[c.Fault], verified: bool = True) -> None:
        checks = [] if verified else [c.RepCheck(check=c.Check.HIP_ROTATION, outcome=c.Outcome.NOT_CHECKED,
                                                 blocking=True, why="the camera did not see this rep")]
        flow.apply(c.make_event("rep.verdict", "main", "st-01", c.RepVerdict(
            session_id=flow.session_id, set_index=cur.index, leg=cur.leg, rep_index=rep, start_t=rep * 5.0,
            end_t=rep * 5.0 + 4, passed=verified and not faults, faults=faults, sensors=[c.Sensor.LOAD],
            verified=verified, checks=checks)))

    verdict(1, [])
    verdict(2, [c.Fault.SQUEEZE])
    verdict(3, [], verified=False)
    rows = {item.text(): item.foreground().color()
            for item in (win.execution.list.item(i) for i in range(win.execution.list.count())) if item}
    unverified = "Rep 3  ?  not checked: hips square (the camera did not see this rep)"
    assert unverified in rows
    assert rows[unverified] == UNVERIFIED_COLOUR
    assert rows["Rep 1  ✓  good rep"] == PASS_COLOUR and rows["Rep 2  ✗  missed the squeeze at the top"] == FAIL_COLOUR
    assert len({UNVERIFIED_COLOUR.name(), PASS_COLOUR.name(), FAIL_COLOUR.name()}) == 3
    # The counter's line counts it apart, in the same colour and symbol; the cue says how to get it checked.
    assert win.execution.count.text() == "3"
    summary = win.execution.summary.text()
    assert f"<span style='color:{UNVERIFIED_COLOUR.name()}'>? 1 not checked</span>" in summary
    assert "1 passed" in summary and "1 failed" in summary and summary.endswith(" of 3")
    assert win.execution.cue.text() == CUE_IN_VIEW
    verdict(4, [c.Fault.SLACK_START])  # a new fault coaches with its fix
    assert win.execution.cue.text() == c.FAULT_FIXES[c.Fault.SLACK_START]

    # Rest and summary pages count the not-checked reps of the set summaries.
    flow.end_set()
    flow.apply(c.make_event("set.summary", "main", "st-01", c.SetSummary(
        session_id=flow.session_id or "", set_index=1, leg=cur.leg, weight_kg=cur.weight_kg, target_reps=6, reps=4,
        passed_reps=1, unverified_reps=1, faults_per_rep=[[], [c.Fault.SQUEEZE], [], [c.Fault.SLACK_START]],
        planned_sets=3)))
    assert "? 1 not checked" in win.rest.last.text()
    assert "1 rep was not checked: it does not count toward more weight" in win.rest.last.text()
    flow.finish()
    cards = win.summary.cards()
    assert len(cards) == 1 and "? 1 not checked" in cards[0] and "1× missed the squeeze at the top" in cards[0]


def test_the_window_fits_the_1080_panel_with_a_banner_shown(qtbot: QtBot) -> None:
    win, flow, _ = _window(qtbot)
    flow.set_broker_online(False)  # the offline banner takes a line above every page
    flow.choose_goal("hypertrophy")
    qtbot.wait(10)
    assert win.banner.isVisible()
    # The stack is as tall as its tallest page: none may push the window past the panel.
    assert win.minimumSizeHint().height() <= 1080 and win.height() == 1080


def test_the_setup_page_plays_a_clean_rep_only_while_shown(qtbot: QtBot) -> None:
    win, flow, _ = _window(qtbot)
    assert not win.setup.demo_timer.isActive()
    flow.choose_goal("tempo_focus")
    assert win.setup.demo_timer.isActive()
    win.setup.show_demo_at(0.0)
    rest = win.setup.demo.pose
    win.setup.show_demo_at(2.0)  # the top of the tempo goal's 2 s curl
    top = win.setup.demo.pose
    assert rest is not None and top is not None
    assert (rest.knee_flexion_deg or 0) < 20 < 90 < (top.knee_flexion_deg or 0)
    assert rest.keypoints["ankle"] != top.keypoints["ankle"]
    assert win.setup.demo_caption.text().startswith("A clean rep: Squeeze")
    flow.start_training()
    assert not win.setup.demo_timer.isActive()


def test_the_window_says_each_rep_and_staff_set_the_volume(qtbot: QtBot) -> None:
    from kiosk.state.sound import SoundSettings
    from kiosk.ui.sound import Speaker

    sent: list[tuple[str, Model]] = []
    flow = Flow(default_catalogue()["hamstring-curl-kickback"], lambda t, d: sent.append((t, d)))
    sound = SoundSettings()
    speaker = Speaker(sound, command=["true"], ticks=False)
    win = KioskWindow(flow, "2468", sound=sound, speaker=speaker)
    qtbot.addWidget(win)
    win.resize(1920, 1080)
    win.show()
    flow.start_guest()
    flow.choose_goal("muscle_activation")
    flow.start_training()
    cur = flow.current
    assert cur is not None
    flow.apply(c.make_event("rep.verdict", "main", "st-01", c.RepVerdict(
        session_id=flow.session_id, set_index=cur.index, leg=cur.leg, rep_index=1, start_t=1.0, end_t=4.0,
        passed=True, faults=[], sensors=[c.Sensor.CAMERA], verified=True)))
    qtbot.waitUntil(lambda: speaker.said == ["1"], timeout=3000)
    # Staff: softer, then mute, on the operator screen.
    win.open_operator()
    win.operator.pin.setText("2468")
    win.operator.unlock()
    assert win.operator.sound_text.text() == "Volume 70 %"
    qtbot.mouseClick(win.operator.softer, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert sound.volume == 0.6 and win.operator.sound_text.text() == "Volume 60 %"
    qtbot.mouseClick(win.operator.mute, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert sound.muted and win.operator.mute.text() == "Unmute"
    assert win.operator.mute.height() >= 84


def _seed_texts(ex: Exercise) -> list[str]:
    """Every member-facing text the catalogue holds from the seed."""
    o = ex.overview
    out = [ex.name, ex.summary, ex.intro, o.body_part, o.primary_muscles, o.secondary_muscles, o.equipment,
           o.difficulty_note, ex.progression.rule, ex.starting_position_note, ex.equipment_note]
    for g in ex.goals:
        out += [g.name, g.load_note]
    for st in (*ex.setup, *ex.execution, *ex.tips, *ex.mistakes):
        out += [st.title, st.text]
    for f in ex.faq:
        out += [f.q, f.a]
    for e in ex.equipment:
        out += [e.name, e.text]
    return [" ".join(t.split()) for t in out if t]


def test_every_seed_text_is_on_some_page_and_the_title_is_whole(qtbot: QtBot) -> None:
    import re

    from PyQt6.QtWidgets import QLabel

    win, flow, _ = _window(qtbot)
    seen: list[str] = []

    def collect() -> None:
        for w in win.findChildren(QLabel):
            seen.append(" ".join(re.sub(r"<[^>]+>", " ", w.text()).replace("&amp;", "&").split()))

    collect()  # attract, welcome
    flow.choose_goal("tempo_focus")
    collect()  # setup
    win.open_info()
    collect()  # Tips & FAQ
    text = " | ".join(seen).replace(" .", ".").replace(" ,", ",").replace(" :", ":")
    missing = [t for t in _seed_texts(flow.exercise) if t not in text]
    assert missing == []
    # The exercise's whole name, not cut: the title's text is all of it and its label is tall enough for it.
    t = win.title
    assert t.text() == flow.exercise.name and t.height() >= t.heightForWidth(t.width())
