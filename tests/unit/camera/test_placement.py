"""The placement check's judgement on simulated frames: what is and is not in view."""

from __future__ import annotations

from typing import Any

from services.camera.placement import PlacementCheck
from services.simulator.script import RepPlan
from shared.contract import Leg
from tests.unit.camera.streams import frames, set_of


def check(fs: list[dict[str, Any]], leg: Leg = Leg.LEFT) -> dict[str, float | str | bool]:
    c = PlacementCheck(leg)
    for f in fs:
        c.feed(f)
    return c.result()


def test_a_member_seen_from_the_side_passes() -> None:
    r = check(frames(set_of(RepPlan()), noise_px=1.0)[:90])
    assert r["ok"] and r["working_leg"] and r["both_hips"] and r["torso"] and r["side_view"]
    assert "Placement OK" in str(r["message"])


def test_an_ankle_out_of_frame_is_named() -> None:
    fs = frames(set_of(RepPlan()))[:90]
    for f in fs:
        f["landmarks"]["left_ankle"][3] = 0.1
    r = check(fs)
    assert not r["ok"] and not r["working_leg"] and r["both_hips"]
    assert "left ankle" in str(r["message"])


def test_a_camera_in_front_is_not_a_side_view() -> None:
    fs = frames(set_of(RepPlan()))[:60]
    for f in fs:  # seen from the front: the hips side by side in the image, no depth between them
        f.pop("world")
        f["landmarks"]["left_hip"][0:3] = [0.45, 0.45, 0.0]
        f["landmarks"]["right_hip"][0:3] = [0.55, 0.45, 0.0]
    r = check(fs)
    assert not r["side_view"] and not r["ok"]


def test_nobody_in_view_and_no_frames() -> None:
    assert "No person" in str(check([{"t": i / 30, "landmarks": {}} for i in range(30)])["message"])
    assert check([])["message"] == "No picture from the camera"
