"""python -m kiosk.screenshots DIR — render every kiosk page at 1920x1080 to PNG, with sample data."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtWidgets import QApplication

    from kiosk.state.demo import side_view
    from kiosk.state.flow import Flow, Page
    from kiosk.ui.window import KioskWindow
    from shared import contract as c
    from shared.catalogue import default_catalogue

    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    sent: list[tuple[str, c.Model]] = []
    flow = Flow(default_catalogue()["hamstring-curl-kickback"], lambda t, d: sent.append((t, d)))
    win = KioskWindow(flow, "2468")
    win.resize(1920, 1080)
    win.show()
    flow.set_broker_online(True)

    def shot(name: str) -> None:
        # Twice: a label whose text just changed asks for a new layout, which posts a second round of
        # layout requests (the staff page's status card was painted at its old height with one).
        app.processEvents()
        app.processEvents()
        path = out / f"kiosk-{name}.png"
        win.grab().save(str(path))
        print(path)

    def ev(t: str, data: c.Model) -> None:
        flow.apply(c.make_event(t, "main", "st-01", data))

    shot("1-attract")
    flow.identify(c.IdMethod.BADGE, "0004521337")
    ev("member.profile", c.MemberProfile(
        correlation_id=flow.pending or "", status="ok", exercise="hamstring-curl-kickback",
        member=c.MemberInfo(member_id="m-ana", name="Ana", weaker_leg=c.Leg.LEFT, goal="hypertrophy"),
        plan=[c.PlannedLeg(leg=c.Leg.LEFT, weight_kg=12.5, target_reps=10, sets=3, action=c.Action.INCREASE,
                           reasons=["Every rep of every set passed with 12 reps: go up to 12.5 kg for 10 reps"]),
              c.PlannedLeg(leg=c.Leg.RIGHT, weight_kg=13.75, target_reps=10, sets=3,
                           reasons=["Every rep passed: keep 13.75 kg for 10 reps", "10 reps to match your left leg"])],
        last_session=c.LastSession(session_id="s-0", ended=datetime(2026, 11, 20, 18, tzinfo=UTC),
                                   goal="hypertrophy", summary="left 3x12 @ 11.25 kg, 36/36 passed; "
                                                               "right 3x12 @ 12.5 kg, 35/36 passed")))
    shot("2-welcome")
    flow.choose_goal("tempo_focus")
    win.setup.stop_demo()
    win.setup.show_demo_at(1.2)  # the demonstrated rep mid-curl, at the tempo goal's 2 s curl
    shot("3-setup")
    flow.start_training()
    sid = flow.session_id
    # Rep 4: the camera lost Ana, so the hips and the thigh could not be checked: unverified, not failed.
    unseen = [c.RepCheck(check=ck, outcome=c.Outcome.NOT_CHECKED, blocking=True, why="the camera did not see this rep")
              for ck in (c.Check.SWING, c.Check.HIP_ROTATION)]
    reps: list[list[c.Fault] | None] = [[], [], [c.Fault.FAST_ECCENTRIC], None, [c.Fault.SWING, c.Fault.HIP_ROTATION],
                                        []]
    for i, faults in enumerate(reps, start=1):
        ev("rep.verdict", c.RepVerdict(session_id=sid, set_index=1, leg=c.Leg.LEFT, rep_index=i, start_t=i * 6.0,
                                       end_t=i * 6.0 + 5, passed=faults == [], faults=faults or [],
                                       sensors=[c.Sensor.LOAD] if faults is None else [c.Sensor.CAMERA, c.Sensor.LOAD],
                                       verified=faults is not None, checks=unseen if faults is None else []))
    # Mid-rep: the camera's poses of a clean curl light "Curl the heel upward" and draw the mirror.
    for i in range(0, 31):
        knee = 8.0 + 2.9 * i
        ev("camera.pose", c.CameraPose(t=40.0 + i / 20, leg=c.Leg.LEFT, knee_flexion_deg=knee,
                                       keypoints=side_view(knee)))
    shot("4-execution")
    ev("kiosk.cue", c.KioskCue(message="Great control — slow the return a touch more", trainer="Sam"))
    shot("5-trainer-cue")
    flow.dismiss_cue()
    # The return dropped: the live cue turns the mirror's leg amber and lights "Lower slowly".
    for i in range(0, 8):
        knee = 96.0 - 7.0 * i
        ev("camera.pose", c.CameraPose(t=44.0 + i / 20, leg=c.Leg.LEFT, knee_flexion_deg=knee,
                                       keypoints=side_view(knee), cues=["Lower slowly"]))
    shot("13-mirror-cue")
    flow.end_set()
    ev("set.summary", c.SetSummary(session_id=sid or "s", set_index=1, leg=c.Leg.LEFT, weight_kg=12.5,
                                   target_reps=10, reps=6, passed_reps=3, unverified_reps=1,
                                   faults_per_rep=[f or [] for f in reps], planned_sets=flow.sets_per_leg))
    ev("station.status", c.StationStatus(service="camera", state=c.ServiceState.DEGRADED,
                                         detail="no person in view"))
    shot("6-rest-degraded")
    ev("station.status", c.StationStatus(service="camera", state=c.ServiceState.ONLINE))
    while flow.page != Page.STRAP:
        flow.start_training()
        flow.end_set()
    shot("11-strap")
    flow.confirm_strap()
    while flow.current is not None:
        flow.end_set()
        flow.start_training()
    for leg, w in ((c.Leg.LEFT, 12.5), (c.Leg.RIGHT, 13.75)):
        ev("set.summary", c.SetSummary(session_id=sid or "s", set_index=2, leg=leg, weight_kg=w, target_reps=10,
                                       reps=10, passed_reps=10 if leg == c.Leg.RIGHT else 8,
                                       faults_per_rep=[[c.Fault.SWING]] * (0 if leg == c.Leg.RIGHT else 2),
                                       planned_sets=flow.sets_per_leg))
    ev("recommendation", c.Recommendation(
        session_id=sid or "s", member_id="m-ana", exercise="hamstring-curl-kickback", leg=c.Leg.LEFT,
        goal="tempo_focus", current_weight_kg=12.5, next_weight_kg=12.5, next_target_reps=10,
        action=c.Action.HOLD, reasons=["3 reps swung the thigh: keep 12.5 kg for 10 reps",
                                       "Keep the thigh still and bend only the knee"]))
    ev("recommendation", c.Recommendation(
        session_id=sid or "s", member_id="m-ana", exercise="hamstring-curl-kickback", leg=c.Leg.RIGHT,
        goal="tempo_focus", current_weight_kg=13.75, next_weight_kg=13.75, next_target_reps=10,
        action=c.Action.HOLD, reasons=["Every rep passed: keep 13.75 kg for 10 reps",
                                       "10 reps to match your left leg"]))
    shot("7-summary")
    win.open_info()
    shot("8-tips-faq")
    win.close_overlays()
    win.open_operator()
    win.operator.pin.setText("2468")
    win.operator.unlock()
    ev("station.status", c.StationStatus(service="loadcell", state=c.ServiceState.ONLINE, version="0.1.0"))
    tare = flow.operator_command("loadcell", "tare")
    ev("station.reply", c.StationReply(correlation_id=tare, service="loadcell", status="ok",
                                       data={"tare_counts": 8421.0, "n_per_count": 0.0123, "file": "st-01.json"}))
    check = flow.operator_command("camera", "placement_check")
    ev("station.reply", c.StationReply(correlation_id=check, service="camera", status="ok", data={
        "ok": False, "message": "Move the camera — not in view: left ankle; the camera must look at the member's "
                                "side, level with the hips"}))
    shot("9-staff")
    flow.set_broker_online(False)
    win.close_overlays()
    flow.sign_out()
    shot("10-offline")
    # A badge the site does not know: the profile form, its name typed on the on-screen keyboard.
    flow.set_broker_online(True)
    flow.identify(c.IdMethod.BADGE, "0004521999")
    ev("member.profile", c.MemberProfile(correlation_id=flow.pending or "", status="unknown"))
    win.attract.name.setFocus()
    win.keyboard.open_for(win.attract.name)
    for key in ("b", "e", "n"):
        win.keyboard.press(key)
    shot("12-keyboard")
    win.keyboard.close_keyboard()
    # Pain: the member stops mid-set; the summary says so kindly.
    flow.start_guest()
    flow.choose_goal("muscle_activation")
    flow.start_training()
    flow.stop_for_pain()
    shot("14-pain-stop")
    # The member's own language: German, the seed's content included.
    flow.sign_out()
    flow.choose_language("de")
    flow.start_guest()
    flow.choose_goal("tempo_focus")
    flow.start_training()
    for i in range(0, 25):
        knee = 8.0 + 3.6 * i
        ev("camera.pose", c.CameraPose(t=60.0 + i / 20, leg=c.Leg.LEFT, knee_flexion_deg=knee,
                                       keypoints=side_view(knee), cues=["Keep the thigh still"] if i > 20 else []))
    shot("15-deutsch-execution")
    win.open_info()
    shot("16-deutsch-tips")
    win.close_overlays()
    # The site's sentences in German: the recommendation's reasons arrive as phrases, said in the member's language.
    gid = flow.session_id or "g"
    while flow.current is not None:
        flow.end_set()
        flow.start_training()
    for leg, passed in ((c.Leg.LEFT, 7), (c.Leg.RIGHT, 10)):
        ev("set.summary", c.SetSummary(session_id=gid, set_index=1, leg=leg, weight_kg=12.5, target_reps=10,
                                       reps=10, passed_reps=passed, faults_per_rep=[[c.Fault.SWING]] * (10 - passed),
                                       planned_sets=flow.sets_per_leg))
    say = c.PhraseKey
    keep = c.Phrase(key=say.PLAN_KEEP, args={"kg": 12.5, "reps": 10})
    swung = c.Phrase(key=say.FAULT_REPS, args={"reps": 3, "fault": c.Fault.SWING})
    left = [c.Phrase(key=say.REASON, args={"cause": swung, "plan": keep}),
            c.Phrase(key=say.FIX, args={"fix": c.Fault.SWING})]
    right = [c.Phrase(key=say.REASON, args={"cause": c.Phrase(key=say.PASSED), "plan": c.Phrase(
                 key=say.PLAN_INCREASE, args={"kg": 13.75, "reps": 10})}),
             c.Phrase(key=say.MATCH_REPS, args={"reps": 10, "leg": c.Leg.LEFT})]
    for leg, phrases, nxt, action in ((c.Leg.LEFT, left, 12.5, c.Action.HOLD),
                                      (c.Leg.RIGHT, right, 13.75, c.Action.INCREASE)):
        ev("recommendation", c.Recommendation(
            session_id=gid, member_id="guest", exercise="hamstring-curl-kickback", leg=leg, goal="tempo_focus",
            current_weight_kg=12.5, next_weight_kg=nxt, next_target_reps=10, action=action,
            reasons=[p.say() for p in phrases], phrases=phrases))
    shot("17-deutsch-summary")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
