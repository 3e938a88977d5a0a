"""The kiosk's decisions without Qt: the rep's phase and its step, hands-free set ends, the strap step,
the pain stop, what to fix, a trainer cue's lifetime, staff replies in words, the summary's cards."""

from __future__ import annotations

import pytest

from kiosk.state.flow import DONE_GRACE_S, PAIN_NOTE, STOPPED_S, Flow, Page
from kiosk.state.phase import Phase, PhaseTracker, step_for_phase
from kiosk.state.staff import reply_words
from shared import contract as c
from shared.catalogue import default_catalogue

EX = default_catalogue()["hamstring-curl-kickback"]


def ev(t: str, data: c.Model) -> c.Envelope:
    return c.make_event(t, "main", "st-01", data)


def page_of(f: Flow) -> Page:
    """The flow's page as it is now. Read through a call where an earlier assert on `f.page` came before a
    call that changes it: mypy keeps the attribute narrowed to the earlier page across method calls."""
    return f.page


def scripted_rep(t0: float, hz: float = 20.0) -> list[tuple[float, float]]:
    """A tempo rep's knee angle: 1 s at rest (10°), 2 s curl to 100°, 1 s squeeze, 3 s return, 2 s at rest."""
    out, t = [], t0
    for dur, start, end in ((1.0, 10, 10), (2.0, 10, 100), (1.0, 100, 100), (3.0, 100, 10), (2.0, 10, 10)):
        n = int(dur * hz)
        for i in range(n):
            out.append((t, start + (end - start) * i / n))
            t += 1 / hz
    return out


def test_the_tracker_follows_a_reps_phases_in_order() -> None:
    tr = PhaseTracker()
    seen: list[Phase] = []
    for t, knee in scripted_rep(100.0):
        ph = tr.update(t, knee)
        if not seen or seen[-1] != ph:
            seen.append(ph)
    assert seen == [Phase.REST, Phase.CURL, Phase.SQUEEZE, Phase.RETURN, Phase.RESET, Phase.REST]
    assert tr.update(200.0, None) is Phase.REST  # an unseen frame keeps the phase


def test_each_phase_lights_the_seed_step_about_it() -> None:
    titles = {ph: EX.execution[i].title for ph in Phase if (i := step_for_phase(EX.execution, ph)) is not None}
    assert titles == {Phase.REST: "Start with tension", Phase.CURL: "Curl the heel upward",
                      Phase.SQUEEZE: "Squeeze the hamstring", Phase.RETURN: "Lower slowly",
                      Phase.RESET: "Reset without relaxing"}
    assert step_for_phase(EX.execution, None) is None


def training(goal: str = "muscle_activation") -> tuple[Flow, list[tuple[str, c.Model]]]:
    sent: list[tuple[str, c.Model]] = []
    f = Flow(EX, lambda t, d: sent.append((t, d)))
    f.set_broker_online(True)
    f.start_guest()  # left leg first, 10 reps (the first goal's least)
    f.choose_goal(goal)
    f.start_training()
    return f, sent


def verdict(f: Flow, rep: int, faults: list[c.Fault] | None = None) -> None:
    cur = f.current
    assert cur is not None
    f.apply(ev("rep.verdict", c.RepVerdict(
        session_id=f.session_id, set_index=cur.index, leg=cur.leg, rep_index=rep, start_t=rep * 6.0,
        end_t=rep * 6.0 + 5, passed=not faults, faults=faults or [], sensors=[c.Sensor.CAMERA], verified=True)))


def pose(f: Flow, t: float, knee: float, leg: c.Leg | None = None, **kw: object) -> None:
    f.apply(ev("camera.pose", c.CameraPose(t=t, leg=leg or (f.current.leg if f.current else c.Leg.LEFT),
                                           knee_flexion_deg=knee, **kw)))


def test_the_execution_step_follows_the_camera_pose() -> None:
    f, _ = training()
    assert f.highlighted_step is None  # no pose yet: nothing lit
    lit: list[int | None] = []
    for t, knee in scripted_rep(10.0):
        pose(f, t, knee)
        if not lit or lit[-1] != f.highlighted_step:
            lit.append(f.highlighted_step)
    assert [EX.execution[i].title for i in lit if i is not None] == [
        "Start with tension", "Curl the heel upward", "Squeeze the hamstring", "Lower slowly",
        "Reset without relaxing", "Start with tension"]


def test_a_set_ends_by_itself_after_the_target_reps_and_a_short_grace() -> None:
    f, sent = training()
    target = f.current.target_reps if f.current else 0
    assert target == 10
    for r in range(1, target):
        verdict(f, r)
        f.tick(1.0)
    f.tick(STOPPED_S - 2)  # nine reps and a pause just short of STOPPED_S: still training
    assert f.page == Page.EXECUTION
    verdict(f, target)
    f.tick(1.0)
    assert f.page == Page.EXECUTION  # the grace for one more
    f.tick(DONE_GRACE_S)
    assert page_of(f) == Page.REST
    ended = [d for t, d in sent if t == "set.ended"]
    assert len(ended) == 1 and isinstance(ended[0], c.SetEnded) and ended[0].end_reason == "completed"
    assert str(f.end_note) == "Set done: 10 reps."


def test_the_grace_waits_while_a_rep_is_under_way() -> None:
    f, _ = training()
    for r in range(1, 11):
        verdict(f, r)
    pose(f, 50.0, 10.0)
    pose(f, 50.5, 60.0)  # one more rep started: curling, then a long squeeze (poses keep coming)
    for i in range(int(DONE_GRACE_S) + 2):
        pose(f, 51.0 + i, 100.0)
        f.tick(1.0)
    assert f.page == Page.EXECUTION
    pose(f, 58.0, 60.0)
    pose(f, 59.0, 10.0)  # back: the rep's verdict would come now; without it the grace ends the set
    f.tick(1.0)
    assert page_of(f) == Page.REST


def test_a_member_who_stops_short_ends_the_set_as_stopped() -> None:
    f, sent = training()
    for r in (1, 2, 3):
        verdict(f, r)
    f.tick(STOPPED_S - 1)
    assert f.page == Page.EXECUTION
    f.tick(1.0)
    assert page_of(f) == Page.REST
    ended = next(d for t, d in sent if t == "set.ended")
    assert isinstance(ended, c.SetEnded) and ended.end_reason == "stopped"
    assert "no rep for 20 s" in str(f.end_note)


def test_no_rep_at_all_does_not_end_the_set_by_itself() -> None:
    f, _ = training()
    f.tick(STOPPED_S * 3)
    assert f.page == Page.EXECUTION


def finish_leg(f: Flow) -> None:
    leg = f.current.leg if f.current else None
    while f.current is not None and f.current.leg == leg:
        if f.page == Page.REST:
            f.start_training()
        f.end_set()


def test_the_strap_step_comes_between_legs_and_a_tap_confirms_it() -> None:
    f, sent = training()
    finish_leg(f)
    assert f.page == Page.STRAP and f.current is not None and f.current.leg == c.Leg.RIGHT
    # The right leg's set has started, so the camera already follows the newly strapped leg.
    started = [d for t, d in sent if t == "set.started"]
    assert isinstance(started[-1], c.SetStarted) and started[-1].leg == c.Leg.RIGHT
    f.confirm_strap()
    assert page_of(f) == Page.EXECUTION
    assert sum(t == "set.started" for t, _ in sent) == len(started)  # no second set.started


def test_the_camera_seeing_the_other_leg_curl_confirms_the_strap() -> None:
    f, _ = training()
    finish_leg(f)
    pose(f, 90.0, 40.0, leg=c.Leg.LEFT)  # the old leg moving says nothing
    assert f.page == Page.STRAP
    pose(f, 91.0, 12.0, leg=c.Leg.RIGHT)  # the new leg standing still: not yet
    assert f.page == Page.STRAP
    pose(f, 91.5, 40.0, leg=c.Leg.RIGHT)
    assert page_of(f) == Page.EXECUTION


def test_the_rest_page_says_what_to_fix_from_the_last_set() -> None:
    f, _ = training()
    verdict(f, 1, [c.Fault.SWING])
    verdict(f, 2, [c.Fault.FAST_ECCENTRIC])
    verdict(f, 3, [c.Fault.FAST_ECCENTRIC])
    f.end_set()
    assert f.page == Page.REST
    fe = c.Fault.FAST_ECCENTRIC
    assert f.rest_fix == f"To fix: {c.FAULT_FIXES[fe]} (2 reps: {c.FAULT_WORDS[fe]})"
    f.start_training()
    verdict(f, 1)
    f.end_set()
    assert f.rest_fix == "Every rep was clean: keep the same control."


def test_the_pain_stop_ends_set_and_session_kindly() -> None:
    f, sent = training()
    verdict(f, 1)
    f.stop_for_pain()
    assert f.page == Page.SUMMARY and f.stopped_for_pain
    kinds = [(t, getattr(d, "end_reason", getattr(d, "reason", None))) for t, d in sent if t.endswith("ended")]
    assert kinds == [("set.ended", "stopped"), ("session.ended", "aborted")]
    assert "right call" in PAIN_NOTE and "trainer" in PAIN_NOTE


def test_a_trainer_cue_lasts_its_own_ttl() -> None:
    f, _ = training()
    f.apply(ev("kiosk.cue", c.KioskCue(message="Slow the return", ttl_s=3.0)))
    f.tick(2.0)
    assert f.trainer_cue == "Slow the return"
    f.tick(1.0)
    assert f.trainer_cue == ""
    f.apply(ev("kiosk.cue", c.KioskCue(message="Hips square", ttl_s=30.0)))
    f.tick(20.0)
    assert f.trainer_cue == "Hips square"


def test_an_unknown_badge_asks_for_a_profile_and_a_known_one_does_not() -> None:
    f = Flow(EX, lambda _t, _d: None)
    f.identify(c.IdMethod.BADGE, "b-1")
    assert not f.enrol_needed
    f.apply(ev("member.profile", c.MemberProfile(correlation_id=f.pending or "", status="unknown")))
    assert f.enrol_needed


@pytest.mark.parametrize(("service", "command", "status", "data", "error", "want"), [
    ("loadcell", "tare", "ok", {"tare_counts": 8421.0, "n_per_count": 0.01, "file": "/x"}, "",
     "Load cell — Tare done: zero set at 8,421 counts."),
    ("loadcell", "calibrate", "error", {}, "cannot calibrate: no samples",
     "Load cell — Calibration failed: cannot calibrate: no samples"),
    ("camera", "placement_check", "ok", {"ok": True, "message": "Placement OK: the left leg is seen"}, "",
     "Camera — Placement check: Placement OK: the left leg is seen"),
])
def test_staff_replies_are_sentences_not_dicts(service: str, command: str, status: str,
                                               data: dict[str, float | str | bool],
                                               error: str, want: str) -> None:
    assert reply_words(service, status, data, error, command) == want


def test_the_flow_names_a_reply_by_the_command_it_answers() -> None:
    f = Flow(EX, lambda _t, _d: None)
    cid = f.operator_command("loadcell", "tare")
    f.apply(ev("station.reply", c.StationReply(correlation_id=cid, service="loadcell", status="ok",
                                               data={"tare_counts": 12.0})))
    assert f.reply_lines == ["Load cell — Tare done: zero set at 12 counts."]
    assert "{" not in f.reply_lines[0]


def test_the_summary_cards_are_decided_in_the_state() -> None:
    f, _ = training()
    sid = f.session_id or ""
    f.apply(ev("set.summary", c.SetSummary(session_id=sid, set_index=1, leg=c.Leg.LEFT, weight_kg=5, target_reps=10,
                                           reps=10, passed_reps=8, faults_per_rep=[[c.Fault.SWING]] * 2)))
    f.apply(ev("recommendation", c.Recommendation(
        session_id=sid, member_id="m", exercise=EX.id, leg=c.Leg.LEFT, goal="muscle_activation",
        current_weight_kg=5, next_weight_kg=5, next_target_reps=10, action=c.Action.HOLD, reasons=["2 swung"])))
    (card,) = f.leg_summaries()
    assert card.leg == c.Leg.LEFT and card.tally.text == "8 of 10 reps passed"
    assert str(card.faults) == "2× swung the thigh" and str(card.next_time) == "Next time: 5 kg × 10 (hold)"
    assert card.reasons == ("2 swung",)


def test_the_demonstrated_rep_keeps_the_goals_tempo() -> None:
    from kiosk.state.demo import REST_KNEE_DEG, DemoRep, side_view

    tempo = DemoRep.for_goal(EX, EX.goal("tempo_focus"))  # 2 s curl, 3 s return
    assert (tempo.curl_s, tempo.return_s) == (2.0, 3.0)
    squeeze = DemoRep.for_goal(EX, EX.goal("hypertrophy"))  # "a 1–2 second squeeze at the top"
    assert squeeze.hold_s == 1.0
    phases = [tempo.at(t / 10)[0] for t in range(int(tempo.period_s * 10))]
    assert list(dict.fromkeys(phases)) == [Phase.CURL, Phase.SQUEEZE, Phase.RETURN, Phase.RESET]
    assert tempo.at(0.0)[1] == REST_KNEE_DEG and tempo.at(2.0)[1] == pytest.approx(tempo.peak_deg)
    assert tempo.at(2.5 + 1.5)[1] == pytest.approx((tempo.peak_deg + REST_KNEE_DEG) / 2)  # halfway down at 1.5 s
    assert tempo.at(tempo.period_s + 1.0) == tempo.at(1.0)  # it loops
    straight, bent = side_view(REST_KNEE_DEG), side_view(90.0)
    assert straight["ankle"][1] > bent["ankle"][1]  # the heel comes up toward the glutes
    assert straight["hip"] == bent["hip"] and straight["knee"] == bent["knee"]  # the thigh stays still
