"""The kiosk's state machine, without Qt."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.state.flow import INACTIVITY_S, BadgeReader, Flow, Page
from kiosk.state.station import CUE_IN_VIEW, CUE_UNCHECKED, StationState, Tally, coach_cue, verdict_text
from shared import contract as c
from shared.catalogue import default_catalogue

EX = default_catalogue()["hamstring-curl-kickback"]
FlowAndSent = tuple[Flow, list[tuple[str, c.Model]]]  # the flow and what it sent, in order


@pytest.fixture
def flow() -> FlowAndSent:
    sent: list[tuple[str, c.Model]] = []
    f = Flow(EX, lambda t, d: sent.append((t, d)))
    f.set_broker_online(True)
    return f, sent


def ev(t: str, data: c.Model) -> c.Envelope:
    return c.make_event(t, "main", "st-01", data)


def page_of(f: Flow) -> Page:
    """The flow's page as it is now. Read through a call where an earlier assert on `f.page` came before a
    call that changes it: mypy keeps the attribute narrowed to the earlier page across method calls."""
    return f.page


def profile(f: Flow, weaker: c.Leg = c.Leg.RIGHT) -> None:
    other = c.Leg.LEFT if weaker == c.Leg.RIGHT else c.Leg.RIGHT
    f.apply(ev("member.profile", c.MemberProfile(
        correlation_id=f.pending or "", status="ok", exercise=EX.id,
        member=c.MemberInfo(member_id="m-1", name="Ana", weaker_leg=weaker),
        plan=[c.PlannedLeg(leg=weaker, weight_kg=10, target_reps=9, sets=3),
              c.PlannedLeg(leg=other, weight_kg=11.25, target_reps=9, sets=3)])))


def test_a_badge_asks_the_site_and_the_answer_opens_the_welcome_page(flow: FlowAndSent) -> None:
    f, sent = flow
    f.identify(c.IdMethod.BADGE, " 0004521337 ")
    assert sent[-1][0] == "member.lookup"
    q = sent[-1][1]
    assert isinstance(q, c.MemberLookup) and q.token == "0004521337" and q.correlation_id == f.pending
    f.apply(ev("member.profile", c.MemberProfile(correlation_id="someone-else", status="ok")))
    assert f.page == Page.ATTRACT  # another request's answer is ignored
    profile(f)
    assert page_of(f) == Page.WELCOME and f.member is not None and f.member.name == "Ana"


def test_an_unknown_badge_offers_guest_or_enrol(flow: FlowAndSent) -> None:
    f, sent = flow
    f.identify(c.IdMethod.BADGE, "999999")
    f.apply(ev("member.profile", c.MemberProfile(correlation_id=f.pending or "", status="unknown")))
    assert f.page == Page.ATTRACT and "not recognised" in f.message
    f.enrol("  Zoe ", c.Leg.LEFT)
    t, d = sent[-1]
    assert t == "member.enrol" and isinstance(d, c.MemberEnrol)
    assert (d.token, d.name, d.weaker_leg) == ("999999", "Zoe", c.Leg.LEFT)


def test_the_plan_trains_the_weaker_leg_first_with_the_goals_sets(flow: FlowAndSent) -> None:
    f, sent = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f, weaker=c.Leg.RIGHT)
    f.choose_goal("hypertrophy")  # 3–4 sets × 8–12
    assert [(p.leg, p.index, p.weight_kg, p.target_reps) for p in f.plan] == [
        (c.Leg.RIGHT, 1, 10, 9), (c.Leg.RIGHT, 2, 10, 9), (c.Leg.RIGHT, 3, 10, 9),
        (c.Leg.LEFT, 1, 11.25, 9), (c.Leg.LEFT, 2, 11.25, 9), (c.Leg.LEFT, 3, 11.25, 9)]
    f.start_training()
    kinds = [t for t, _ in sent]
    assert kinds[-2:] == ["session.started", "set.started"]
    started = sent[-2][1]
    assert isinstance(started, c.SessionStarted) and started.leg_order == [c.Leg.RIGHT, c.Leg.LEFT]
    assert f.page == Page.EXECUTION


def test_the_member_chooses_the_set_count_within_the_goals_range(flow: FlowAndSent) -> None:
    f, sent = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f, weaker=c.Leg.RIGHT)  # the site planned 3 sets
    f.choose_goal("strength_control")  # 3–5 sets
    assert f.sets_per_leg == 3 and f.can_add_set and not f.can_remove_set
    assert "3–5 sets per leg" in f.sets_note and "planned for you: 3" in f.sets_note
    f.change_sets(+1)
    f.change_sets(+1)
    f.change_sets(+1)  # past the goal's top: stays at 5
    assert f.sets_per_leg == 5 and not f.can_add_set
    f.change_sets(-1)
    assert f.sets_per_leg == 4
    assert [(p.leg, p.index, p.of) for p in f.plan] == [
        *((c.Leg.RIGHT, i, 4) for i in range(1, 5)), *((c.Leg.LEFT, i, 4) for i in range(1, 5))]
    f.start_training()
    started = next(d for t, d in sent if t == "session.started")
    assert isinstance(started, c.SessionStarted) and started.planned_sets == 4
    # Once the first set is under way the plan the site was told stands.
    assert not f.sets_choosable
    f.change_sets(-1)
    assert f.sets_per_leg == 4 and len(f.plan) == 8
    n = 0
    while f.current is not None:
        f.start_training()
        f.end_set()
        n += 1
    assert n == 8 and f.page == Page.SUMMARY


def test_the_default_set_count_is_the_profiles_when_the_goal_allows_it(flow: FlowAndSent) -> None:
    f, _ = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f)  # 3 sets planned
    f.choose_goal("warm_up")  # 2 sets exactly: 3 is out of range
    assert f.sets_per_leg == 2 and not f.can_add_set and not f.can_remove_set
    assert f.sets_note == "Warm-up or accessory work: 2 sets per leg"
    f.change_sets(+1)
    assert f.sets_per_leg == 2 and len(f.plan) == 4
    f.choose_goal("tempo_focus")  # 2–4: the profile's 3 fits
    assert f.sets_per_leg == 3 and {p.of for p in f.plan} == {3}


def verdict_of(rep: int, status: str, session: str | None = "s-1") -> c.RepVerdict:
    """A verdict as the progression service sends it: passed, failed (a fault), or unverified (a blocking
    check not made: the camera did not see the rep)."""
    unseen = [c.RepCheck(check=ck, outcome=c.Outcome.NOT_CHECKED, blocking=True,
                         why="the camera did not see this rep") for ck in (c.Check.SWING, c.Check.HIP_ROTATION)]
    return c.RepVerdict(
        session_id=session, set_index=1, leg=c.Leg.RIGHT, rep_index=rep, start_t=rep * 5.0, end_t=rep * 5.0 + 4,
        passed=status == "passed", faults=[c.Fault.OVERREACH] if status == "failed" else [],
        sensors=[c.Sensor.LOAD], verified=status != "unverified", checks=unseen if status == "unverified" else [],
        reasons=["thigh still not checked: the camera did not see this rep"] if status == "unverified" else [])


def test_an_unverified_rep_is_counted_as_neither_passed_nor_failed() -> None:
    st = StationState()
    for i, status in enumerate(["passed", "unverified", "failed", "passed"], start=1):
        st.on_verdict(verdict_of(i, status))
    assert (st.reps, st.passed, st.failed, st.unverified) == (4, 2, 1, 1)
    assert st.tally.text == "2 passed, 1 failed, 1 not checked of 4"
    assert st.tally.parts() == [("passed", "2 passed"), ("failed", "1 failed"), ("unverified", "1 not checked")]
    # A late sensor's refinement moves a rep from one count to another, never counts it twice.
    st.on_verdict(verdict_of(2, "passed").model_copy(update={"revision": 1}))
    assert (st.reps, st.passed, st.failed, st.unverified) == (4, 3, 1, 0)
    assert st.tally.text == "3 of 4 reps passed"  # every rep checked: the sentence members already know


def test_verdict_text_and_cue_for_each_outcome() -> None:
    assert verdict_text(verdict_of(1, "passed")) == "Rep 1  ✓  good rep"
    assert verdict_text(verdict_of(2, "failed")) == "Rep 2  ✗  curled past the controlled range"
    assert verdict_text(verdict_of(3, "unverified")) == (
        "Rep 3  ?  not checked: thigh still, hips square (the camera did not see this rep)")
    # Without the checks (an older progression service), the reasons in words.
    bare = verdict_of(4, "unverified").model_copy(update={"checks": []})
    assert verdict_text(bare) == "Rep 4  ?  thigh still not checked: the camera did not see this rep"
    assert coach_cue(verdict_of(2, "failed")) == c.FAULT_FIXES[c.Fault.OVERREACH]
    assert coach_cue(verdict_of(3, "unverified")) == CUE_IN_VIEW
    assert coach_cue(bare) == CUE_UNCHECKED
    assert coach_cue(verdict_of(1, "passed")) == ""
    # Every fault, the three new ones too, has words for the rep list and a fix for the cue.
    for fault in c.Fault:
        v = verdict_of(5, "failed").model_copy(update={"faults": [fault]})
        assert c.FAULT_WORDS[fault] in verdict_text(v) and coach_cue(v) == c.FAULT_FIXES[fault]


def test_rest_and_summary_count_unverified_reps_from_the_set_summaries(flow: FlowAndSent) -> None:
    f, _ = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f, weaker=c.Leg.RIGHT)
    f.choose_goal("warm_up")
    f.start_training()
    f.end_set()
    assert f.last_set_tally is None
    for i, (passed, unverified, faults) in enumerate([(10, 2, []), (9, 1, [[c.Fault.SQUEEZE], [c.Fault.SWING],
                                                                           [c.Fault.SWING]])], start=1):
        f.apply(ev("set.summary", c.SetSummary(
            session_id=f.session_id or "", set_index=i, leg=c.Leg.RIGHT, weight_kg=10, target_reps=12, reps=12,
            passed_reps=passed, unverified_reps=unverified, faults_per_rep=faults, planned_sets=2)))
    assert f.last_set_tally == Tally(12, 9, 1)
    t = f.tally(c.Leg.RIGHT)
    assert (t.reps, t.passed, t.failed, t.unverified) == (24, 19, 2, 3)
    assert t.text == "19 passed, 2 failed, 3 not checked of 24"
    assert t.unverified_note == "3 reps were not checked: they do not count toward more weight"
    assert f.fault_text(c.Leg.RIGHT) == "2× swung the thigh, 1× missed the squeeze at the top"
    assert f.tally(c.Leg.LEFT) == Tally() and f.fault_text(c.Leg.LEFT) == "no faults"


def test_verdicts_count_only_for_the_set_under_way_and_a_refinement_replaces(flow: FlowAndSent) -> None:
    f, _ = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f)
    f.choose_goal("strength_control")
    f.start_training()
    sid = f.session_id

    def verdict(rep: int, faults: list[c.Fault], session: str | None = sid, revision: int = 0) -> None:
        f.apply(ev("rep.verdict", c.RepVerdict(session_id=session, set_index=1, leg=c.Leg.RIGHT, rep_index=rep,
                                               start_t=rep * 5.0, end_t=rep * 5.0 + 4, passed=not faults,
                                               faults=faults, sensors=[c.Sensor.CAMERA], revision=revision)))

    verdict(1, [])
    verdict(2, [c.Fault.SWING])
    verdict(2, [], revision=1)  # refined by the load cell: still rep 2
    verdict(3, [], session="s-other")  # another session's verdict
    assert (f.station.reps, f.station.passed) == (2, 2)


def test_sets_rest_and_summary(flow: FlowAndSent) -> None:
    f, sent = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f)
    f.choose_goal("warm_up")  # 2 sets
    f.start_training()
    f.end_set()
    assert f.page == Page.REST and f.rest_left_s > 0
    f.tick(5.0)
    assert f.page == Page.REST
    while f.current is not None:
        f.start_training()
        f.end_set()
    assert page_of(f) == Page.SUMMARY
    assert [t for t, _ in sent].count("set.ended") == 4
    assert sent[-1][0] == "session.ended"


def test_inactivity_signs_out_and_ends_the_session(flow: FlowAndSent) -> None:
    f, sent = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f)
    f.choose_goal("warm_up")
    f.start_training()
    f.tick(INACTIVITY_S + 1)
    assert f.page == Page.ATTRACT and f.member is None
    assert [t for t, _ in sent][-2:] == ["set.ended", "session.ended"]
    ended = sent[-1][1]
    assert isinstance(ended, c.SessionEnded) and ended.reason == "timeout"


def test_a_stray_badge_does_not_take_over_a_training_station(flow: FlowAndSent) -> None:
    f, sent = flow
    f.identify(c.IdMethod.PIN, "1234")
    profile(f)
    f.choose_goal("warm_up")
    n = len(sent)
    f.identify(c.IdMethod.BADGE, "55555555")
    assert len(sent) == n and f.member is not None and f.member.name == "Ana"


def test_degraded_services_and_offline_broker_show_banners(flow: FlowAndSent) -> None:
    f, _ = flow
    assert f.degraded() == []
    f.apply(ev("station.status", c.StationStatus(service="camera", state=c.ServiceState.DEGRADED,
                                                 detail="no person in view")))
    f.set_broker_online(False)
    lines = f.degraded()
    assert any("Offline" in x for x in lines) and any("Camera degraded: no person in view" in x for x in lines)


def test_badge_reader_is_told_from_typing() -> None:
    r = BadgeReader()
    t = 0.0
    for ch in "0004521337":
        assert r.key(ch, t) is None
        t += 0.008  # a reader types a character every few milliseconds
    assert r.key("\n", t) == "0004521337"
    for ch in "1234":
        r.key(ch, t)
        t += 0.25  # a person
    assert r.key("\n", t) is None
    assert r.key("1", 10.0) is None and r.key("\n", 10.001) is None  # too short for a badge


def test_kiosk_state_imports_no_qt_and_no_paho() -> None:
    code = ("import sys, kiosk.state.flow, kiosk.state.station, kiosk.state.phase, kiosk.state.demo, "
            "kiosk.state.sound, kiosk.state.words, kiosk.state.staff; print(sorted(m for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "kiosk.state.flow" in out and "kiosk.state.sound" in out
    assert not re.search(r"'(PyQt6|paho)[.']", out)


def _lum(hexcol: str) -> float:
    rgb = [int(hexcol[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_lum(a), _lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_stylesheet_meets_wcag_aa_and_touch_targets_are_15mm() -> None:
    qss = (Path(__file__).resolve().parents[3] / "kiosk" / "ui" / "style.qss").read_text()
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", qss)
    checked = 0
    base_bg = "#0F1419"
    for _sel, body in rules:
        fg = re.search(r"(?<!-)color:\s*(#[0-9A-Fa-f]{6})", body)
        bg = re.search(r"background:\s*(#[0-9A-Fa-f]{6})", body)
        if fg:
            ratio = contrast(fg.group(1), bg.group(1) if bg else base_bg)
            assert ratio >= 4.5, (body, ratio)  # WCAG AA for normal text
            checked += 1
    assert checked >= 8
    # 15.6-inch 1920x1080 panel: 141 px per inch, so 15 mm is 84 px; buttons ask 96.
    heights = [int(h) for h in re.findall(r"QPushButton \{[^}]*min-height:\s*(\d+)px", qss)]
    assert heights and min(heights) >= 84
