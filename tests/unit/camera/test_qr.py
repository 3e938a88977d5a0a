"""QR tap-in: OpenCV reads the code; the same code is one tap-in, not one a second."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from services.camera.capture import QR_REPEAT_S, QrReader


def picture(text: str | None) -> npt.NDArray[np.uint8]:
    img = np.full((480, 640, 3), 90, np.uint8)
    if text:
        q = cv2.resize(cv2.QRCodeEncoder.create().encode(text), None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
        img[40:40 + q.shape[0], 300:300 + q.shape[1]] = cv2.cvtColor(q, cv2.COLOR_GRAY2BGR)
    return img


def test_a_code_is_read_once_per_showing() -> None:
    qr = QrReader(every_s=1.0)
    assert qr(picture(None), 0.0) is None
    assert qr(picture("m-7"), 1.0) == "m-7"
    assert qr(picture("m-7"), 2.0) is None  # still held up: the same tap-in
    assert qr(picture("m-8"), 2.5) is None  # not looked at yet (once a second)
    assert qr(picture("m-8"), 3.0) == "m-8"
    assert qr(picture("m-7"), 1.0 + QR_REPEAT_S + 0.1) == "m-7"  # shown again later: a new tap-in
