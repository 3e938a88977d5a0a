"""The placement snapshot: the skeleton and angles drawn on the camera's picture (or on a blank
canvas for a replay or the simulator), written to a file on the station unit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from services.camera.kinematics import MIN_VISIBILITY, Angles

Image = npt.NDArray[Any]  # a BGR picture; it never leaves this process

BONES = [("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
         ("right_shoulder", "right_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
         ("right_hip", "right_knee"), ("right_knee", "right_ankle")]


def draw(frame: Mapping[str, Any], angles: Angles, image: Image | None, lines: list[str]) -> Image:
    w, h = int(frame.get("width") or 640), int(frame.get("height") or 480)
    img = image.copy() if image is not None else np.full((h, w, 3), 40, np.uint8)
    h, w = img.shape[:2]
    lm = frame.get("landmarks") or {}
    pts = {n: (int(p[0] * w), int(p[1] * h)) for n, p in lm.items()
           if len(p) >= 2 and (len(p) < 4 or p[3] >= MIN_VISIBILITY)}
    for a, b in BONES:
        if a in pts and b in pts:
            cv2.line(img, pts[a], pts[b], (0, 220, 0), 3)
    for p in pts.values():
        cv2.circle(img, p, 5, (0, 160, 255), -1)
    text = [*lines]
    for label, v in (("knee", angles.knee_flexion), ("thigh", angles.thigh), ("pelvis", angles.pelvis_rotation),
                     ("torso", angles.torso)):
        text.append(f"{label}: {'-' if v is None else f'{v:.0f} deg'}")
    for i, line in enumerate(text):
        cv2.putText(img, line, (10, 25 + 24 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
    return img


def save_snapshot(path: Path, frame: Mapping[str, Any], angles: Angles, image: Image | None,
                  lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), draw(frame, angles, image, lines)):
        raise OSError(f"cannot write {path}")
    return path
