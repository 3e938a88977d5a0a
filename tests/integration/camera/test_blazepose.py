"""The real MediaPipe BlazePose backend (bundled full model, nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from services.camera.capture import BlazePose

pytestmark = [pytest.mark.integration]

# A photograph of a whole person standing, side or front on (not in the repository yet: see docs/CAMERA.md).
PHOTO = Path(__file__).parents[2] / "data" / "person-standing.jpg"


@pytest.fixture(scope="module")
def pose() -> BlazePose:
    return BlazePose(model_complexity=1)


def test_an_empty_room_gives_no_landmarks_in_the_replay_format(pose: BlazePose) -> None:
    img = np.full((480, 640, 3), 90, np.uint8)
    cv2.rectangle(img, (200, 150), (260, 350), (180, 150, 120), -1)
    frame = pose.landmarks(img, 1.5)
    assert frame == {"t": 1.5, "width": 640, "height": 480, "landmarks": {}}
    assert len(pose.names) == 33 and pose.names[23] == "left_hip" and pose.names[0] == "nose"


@pytest.mark.skipif(not PHOTO.is_file(), reason=f"needs a photograph of a person at {PHOTO}")
def test_a_photograph_of_a_person_gives_hips_above_knees_above_ankles(pose: BlazePose) -> None:
    img = cv2.imread(str(PHOTO))
    assert img is not None
    fresh = BlazePose(model_complexity=1)  # a still photo: no tracking state from other tests
    frame = fresh.landmarks(img, 0.0)
    lm = frame["landmarks"]
    assert lm, "no person found in the photograph"
    for side in ("left", "right"):
        hip, knee, ankle = (lm[f"{side}_{j}"] for j in ("hip", "knee", "ankle"))
        assert hip[1] < knee[1] < ankle[1]  # image y grows downward
        assert min(hip[3], knee[3]) > 0.5
    assert set(frame["world"]) == set(lm)
    fresh.close()
