"""Staff record the next set into the station's corpus, labelled: when that set ends the kiosk asks the camera and
the load cell to save it (the set's span on the station's wall clock, every rep labelled), once."""

from __future__ import annotations

from kiosk.state.flow import RECORD_MARGIN_S, Flow, Page
from kiosk.state.staff import reply_words
from shared import contract as c
from shared.catalogue import default_catalogue
from shared.corpus import SAVE_COMMAND, label_of

EX = default_catalogue()["hamstring-curl-kickback"]


def test_the_recorded_set_is_saved_by_both_sensors_with_its_span_and_label_once() -> None:
    sent: list[tuple[str, c.Model]] = []
    now = [1_000.0]
    f = Flow(EX, lambda t, d: sent.append((t, d)), wall_clock=lambda: now[0])
    f.record_next_set([c.Fault.SWING])
    f.start_guest()
    f.choose_goal(EX.goals[0].id)
    f.start_training()
    assert f.page == Page.EXECUTION
    now[0] = 1_042.0
    f.end_set()
    saves = [d for t, d in sent if t == "station.command" and isinstance(d, c.StationCommand)
             and d.command == SAVE_COMMAND]
    assert sorted(s.service for s in saves) == ["camera", "loadcell"]
    label = label_of("st-01", saves[0].args)
    assert label.rep_index is None and label.true_faults == [c.Fault.SWING] and label.leg == f.plan[0].leg
    assert (label.from_t, label.to_t) == (1_000.0 - RECORD_MARGIN_S, 1_042.0 + RECORD_MARGIN_S)
    assert f.recording is None  # once: the set after it is not recorded
    f.rest_left_s = 0.0
    f.start_training()
    f.end_set()
    assert len([d for t, d in sent if isinstance(d, c.StationCommand) and d.command == SAVE_COMMAND]) == 2


def test_a_clean_recording_and_the_replies_in_words() -> None:
    f = Flow(EX, lambda t, d: None)
    f.record_next_set([])
    assert f.recording == ()
    assert reply_words("camera", "ok", {"file": "x", "frames": 1200.0}, "", SAVE_COMMAND) == \
        "Camera — Recorded set saved to the station's corpus (1,200 frames)."
    assert reply_words("loadcell", "error", {}, "no force samples of that span are kept", SAVE_COMMAND) == \
        "Load cell — Recorded set failed: no force samples of that span are kept"
