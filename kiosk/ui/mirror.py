"""The skeleton mirror: the member's working side as a stick figure from `camera.pose` keypoints (no picture
ever reaches the kiosk), the working leg coloured by the live cue, the knee angle and a range-of-motion meter.

Tempo's finding: always-on range-of-motion feedback helps more than constant correction, so the meter is
always there and the colour only turns amber while a cue is live.
"""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from kiosk.ui.i18n import tr
from kiosk.ui.widgets import FAIL_COLOUR, MUTED_COLOUR, PASS_COLOUR
from shared.contract import CameraPose

BODY = QColor("#F5F7FA")
TRACK = QColor("#2A3642")
# Bones of the working side, body first, then the working leg (coloured by the cue).
TRUNK = (("shoulder", "hip"),)
# The head sits this far beyond the shoulder, as a share of the hip-to-shoulder line (a drawing, not a joint).
HEAD_SHARE = 0.35
LEG = (("hip", "knee"), ("knee", "ankle"), ("ankle", "heel"), ("heel", "foot"), ("ankle", "foot"))


class SkeletonMirror(QWidget):
    def __init__(self, range_deg: float) -> None:
        super().__init__()
        # A typical controlled range (the exercise's `range_reference_deg`): the meter is full there.
        self.range_deg = range_deg
        self.pose: CameraPose | None = None
        self.frames = 0  # paints so far: the frame rate check counts them
        self.setMinimumSize(300, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Your working leg, live")

    def show_pose(self, pose: CameraPose | None) -> None:
        if pose is not self.pose:
            self.pose = pose
            self.update()

    @property
    def leg_colour(self) -> QColor:
        p = self.pose
        if p is None or not p.person_visible or not p.keypoints:
            return MUTED_COLOUR
        return FAIL_COLOUR if p.cues else PASS_COLOUR

    def paintEvent(self, _ev: QPaintEvent | None) -> None:
        self.frames += 1
        qp = QPainter(self)
        qp.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        meter_w = 70
        fig = QRectF(0, 0, w - meter_w - 30, h - 70)
        qp.fillRect(QRectF(0, 0, w, h), QColor("#151B22"))
        p = self.pose
        font = QFont("DejaVu Sans")
        font.setPixelSize(30)
        font.setBold(True)
        qp.setFont(font)
        if p is None or not p.person_visible or not p.keypoints:
            qp.setPen(MUTED_COLOUR)
            qp.drawText(fig, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                        tr("Step into the camera's view"))
        else:
            self._figure(qp, p, fig)
        knee = p.knee_flexion_deg if p is not None and p.person_visible else None
        qp.setPen(BODY)
        qp.drawText(QRectF(0, h - 60, w - meter_w - 30, 60), Qt.AlignmentFlag.AlignCenter,
                    tr("Knee {deg}°").format(deg=f"{knee:.0f}") if knee is not None else tr("Knee —"))
        # The range-of-motion meter: how far this curl has come of a full controlled range.
        bar = QRectF(w - meter_w, 10, meter_w - 10, h - 80)
        qp.setPen(Qt.PenStyle.NoPen)
        qp.setBrush(TRACK)
        qp.drawRoundedRect(bar, 10, 10)
        share = max(0.0, min(1.0, (knee or 0.0) / self.range_deg))
        fill = QRectF(bar.left(), bar.bottom() - bar.height() * share, bar.width(), bar.height() * share)
        qp.setBrush(self.leg_colour)
        qp.drawRoundedRect(fill, 10, 10)
        qp.setPen(BODY)
        # The meter's name right-aligned under it, room for a longer word than "ROM" (German "Umfang").
        qp.drawText(QRectF(w - meter_w - 90, h - 60, meter_w + 90, 60),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tr("ROM"))
        qp.end()

    def _figure(self, qp: QPainter, p: CameraPose, box: QRectF) -> None:
        pts: dict[str, tuple[float, float]] = {str(k): v for k, v in p.keypoints.items()}
        if "shoulder" in pts and "hip" in pts:  # a head beyond the shoulder, so the figure reads as a person
            (sx, sy), (hx, hy) = pts["shoulder"], pts["hip"]
            pts["head"] = (sx + HEAD_SHARE * (sx - hx), sy + HEAD_SHARE * (sy - hy))
        xs = [x for x, _ in pts.values()]
        ys = [y for _, y in pts.values()]
        # Fit the figure's own extent, head included, into the box (keeping its shape): the member fills
        # the mirror wherever the camera stands, and a figure facing left stays facing left.
        span = max(max(xs) - min(xs), max(ys) - min(ys), 0.05)
        scale = 0.75 * min(box.width(), box.height()) / span
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

        def at(name: str) -> QPointF:
            x, y = pts[name]
            return QPointF(box.center().x() + (x - cx) * scale, box.center().y() + (y - cy) * scale)

        for bones, colour, width in ((TRUNK, BODY, 14), (LEG, self.leg_colour, 22)):
            qp.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            for a, b in bones:
                if a in pts and b in pts:
                    qp.drawLine(at(a), at(b))
        qp.setPen(Qt.PenStyle.NoPen)
        for name in pts:
            if name == "head":
                qp.setBrush(BODY)
                qp.drawEllipse(at(name), 26, 26)
                continue
            qp.setBrush(self.leg_colour if name in ("knee", "ankle", "heel", "foot") else BODY)
            qp.drawEllipse(at(name), 13, 13)
