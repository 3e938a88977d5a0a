"""The demonstrated rep: the virtual member's recorded clean rep (shared/exercises/*.demo-rep.json),
time-warped to the goal's tempo, and the setup page's figure drawn from it."""

from __future__ import annotations

import json
import math

import pytest
from pytestqt.qtbot import QtBot

from kiosk.state.demo import REST_KNEE_DEG, DemoRep, Keypoints, demo_rep_path, with_foot
from kiosk.state.phase import Phase
from shared.catalogue import default_catalogue
from tests.kiosk import guest_window

EX = default_catalogue()["hamstring-curl-kickback"]
FILE = json.loads(demo_rep_path(EX.id).read_text(encoding="utf-8"))
ASPECT = FILE["width"] / FILE["height"]


def truth(frame: int) -> tuple[float, Keypoints]:
    """The recorded rep's knee and joints at a frame, in the figure's units (x and y in image heights)."""
    s = FILE["samples"][frame]
    return s["knee_deg"], {k: (x * ASPECT, y) for k, (x, y) in s["keypoints"].items()}


def flexion(k: Keypoints) -> float:
    """The knee's bend drawn: 180° less the angle between thigh and shank."""
    (hx, hy), (kx, ky), (ax, ay) = k["hip"], k["knee"], k["ankle"]
    u, v = (hx - kx, hy - ky), (ax - kx, ay - ky)
    cos = (u[0] * v[0] + u[1] * v[1]) / (math.hypot(*u) * math.hypot(*v))
    return 180.0 - math.degrees(math.acos(cos))


def test_the_recorded_rep_rests_where_the_kiosk_says_the_knee_rests() -> None:
    # The execution page's tempo bar counts from REST_KNEE_DEG: the recording must start and end there.
    assert FILE["samples"][0]["knee_deg"] == REST_KNEE_DEG


@pytest.mark.parametrize("goal", ["tempo_focus", "hypertrophy", "strength_control"])
def test_each_phase_boundary_shows_the_ground_truths_figure(goal: str) -> None:
    rep = DemoRep.for_goal(EX, EX.goal(goal))
    fps = FILE["fps"]
    c, h, e = FILE["concentric_s"], FILE["top_hold_s"], FILE["eccentric_s"]
    # The goal's curl start, top, turn and back at rest are the recording's (its frames 0, 45, 60, 135).
    shown = (0.0, rep.curl_s, rep.curl_s + rep.hold_s, rep.curl_s + rep.hold_s + rep.return_s)
    for t, src in zip(shown, (0.0, c, c + h, c + h + e), strict=True):
        knee, figure = truth(round(src * fps))
        assert rep.at(t)[1] == pytest.approx(knee)
        played = rep.figure_at(t)
        assert played == {k: pytest.approx(v, abs=1e-4) for k, v in figure.items()}
        assert flexion(played) == pytest.approx(knee, abs=1.0)  # the figure bends as the truth says


def test_the_goals_tempo_stretches_each_phase_of_the_recorded_rep() -> None:
    tempo = DemoRep.for_goal(EX, EX.goal("tempo_focus"))  # 2 s curl, 3 s return; recorded 1.5 s and 2.5 s
    # Halfway through the goal's curl is halfway through the recorded curl (0.75 s: between frames 22 and 23).
    mid = (truth(22)[0] + truth(23)[0]) / 2
    assert tempo.at(1.0)[1] == pytest.approx(mid, abs=1e-6)
    # The return's first second shows the recording's first 2.5/3 s of it, not its first second.
    assert tempo.at(2.5 + 1.0)[1] == pytest.approx(truth(60 + 25)[0], abs=1e-6)
    assert [tempo.at(t)[0] for t in (0.1, 2.1, 2.6, 5.6)] == [Phase.CURL, Phase.SQUEEZE, Phase.RETURN, Phase.RESET]
    # It loops without a jump: the end of the rest leads back into the first frame.
    end, start = tempo.figure_at(tempo.period_s - 1e-9), tempo.figure_at(0.0)
    assert end == {k: pytest.approx(v, abs=1e-3) for k, v in start.items()}


def test_the_setup_page_plays_the_recorded_rep(qtbot: QtBot) -> None:
    win, flow, _ = guest_window(qtbot, EX)
    flow.choose_goal("tempo_focus")
    win.setup.show_demo_at(2.0)  # the top of the tempo goal's 2 s curl: the recording's frame 45
    top = win.setup.demo.pose
    knee, figure = truth(45)
    assert top is not None and top.knee_flexion_deg == pytest.approx(knee, abs=0.05)
    joints = {k: v for k, v in top.keypoints.items() if k in figure}
    assert joints == {k: pytest.approx(v, abs=1e-4) for k, v in figure.items()}
    assert {"heel", "foot"} <= top.keypoints.keys()  # the drawn foot
    win.setup.show_demo_at(2.5 + 3.0)  # back at rest at the end of the goal's 3 s return: frame 135
    rest = win.setup.demo.pose
    assert rest is not None
    still = {str(k): v for k, v in rest.keypoints.items() if k in figure}
    assert still == {k: pytest.approx(v, abs=1e-4) for k, v in truth(135)[1].items()}


def test_the_figure_gets_a_foot_at_right_angles_to_the_shank_toes_forward() -> None:
    _, figure = truth(0)  # at rest: the member faces image-left (the shoulder ahead of the hip)
    drawn = with_foot(figure)
    assert {k: drawn[k] for k in figure} == figure
    (kx, ky), (ax, ay), (fx, fy), (hx, _) = drawn["knee"], drawn["ankle"], drawn["foot"], drawn["heel"]
    assert (fx - ax) * (ax - kx) + (fy - ay) * (ay - ky) == pytest.approx(0.0, abs=1e-3)  # square to the shank
    assert fx < ax < hx  # toes toward the face, the heel behind
    assert with_foot({"knee": (0.5, 0.5)}) == {"knee": (0.5, 0.5)}  # no shank, no foot
