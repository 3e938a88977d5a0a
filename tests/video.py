"""Test videos for the camera's capture path (OpenCV writes them; no person in them)."""

from __future__ import annotations

import cv2
import numpy as np


def write_test_video(path: str, seconds: float = 2.0, fps: float = 15.0, size: tuple[int, int] = (640, 480),
                     qr_text: str | None = None) -> None:
    """A short video of an empty, lit room (a moving bar so it is not a still image): no person.
    With `qr_text`, a phone's QR code is held up in the second half."""
    w, h = size
    code = None
    if qr_text:
        q = cv2.QRCodeEncoder.create().encode(qr_text)
        code = cv2.cvtColor(cv2.resize(q, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST), cv2.COLOR_GRAY2BGR)
    out = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    n = int(seconds * fps)
    try:
        for i in range(n):
            img = np.full((h, w, 3), 90, np.uint8)
            x = int(i * w / (seconds * fps))
            cv2.rectangle(img, (x, h // 3), (x + 40, 2 * h // 3), (200, 180, 160), -1)
            if code is not None and i >= n // 2:
                ch, cw = code.shape[:2]
                img[40:40 + ch, w - cw - 40:w - 40] = code
            out.write(img)
    finally:
        out.release()
