"""The phase of the rep under way, read from the knee angle of `camera.pose` (pure: no Qt).

rest → curl → squeeze → return → reset → rest. The kiosk highlights the execution step that
belongs to the phase, so the member reads the one instruction that matters right now.

The camera's own segmenter (services/camera/reps.py) judges the rep; this tracker only follows it
for the screen, with the same thresholds so both agree on when a rep starts and ends (the kiosk
does not import a service: the numbers are restated here with their reasons).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared.catalogue import Step
from shared.contract import Fault

# A rep starts past START_DEG and ends back under END_DEG: the "mostly straight" start is 5–15°,
# 25° is beyond standing sway; the 10° gap is hysteresis against landmark jitter (as the camera).
START_DEG = 25.0
END_DEG = 15.0
# Under 20°/s the knee is holding (filtered landmark jitter is ~5°/s), as the camera's segmenter.
HOLD_SPEED_DEG_S = 20.0
# Holding within 15° of the rep's peak is the squeeze; slow further down is turning at the bottom.
TOP_BAND_DEG = 15.0
# "Reset without relaxing": the step stays lit this long after the leg is back, the pause a member
# takes between reps, then the next rep's "start with tension" takes over.
RESET_S = 1.5
# Velocity over at least this span: at 10–20 poses a second, two samples are 50–100 ms apart and a
# one-degree jitter would read as 20°/s.
VELOCITY_SPAN_S = 0.15


class Phase(Enum):
    REST = "rest"
    CURL = "curl"
    SQUEEZE = "squeeze"
    RETURN = "return"
    RESET = "reset"


# The fault each phase's execution step is about (the catalogue tags every execution step with the
# fault it prevents): the screen finds the step by its fault, so the YAML's order and wording may change.
PHASE_FAULT: dict[Phase, Fault] = {
    Phase.REST: Fault.SLACK_START,
    Phase.CURL: Fault.PARTIAL_RANGE,
    Phase.SQUEEZE: Fault.SQUEEZE,
    Phase.RETURN: Fault.FAST_ECCENTRIC,
    Phase.RESET: Fault.LOST_TENSION,
}
# Steps that hold for the whole rep (the thigh still, the hips square): marked as such, never "the one".
THROUGHOUT: frozenset[Fault] = frozenset({Fault.SWING, Fault.HIP_ROTATION})


def step_for_phase(steps: list[Step], phase: Phase | None) -> int | None:
    """Index of the execution step to highlight in this phase (None: no phase known, or no such step)."""
    if phase is None:
        return None
    want = PHASE_FAULT[phase]
    return next((i for i, s in enumerate(steps) if s.fault == want), None)


def throughout(step: Step) -> bool:
    return step.fault in THROUGHOUT


@dataclass
class PhaseTracker:
    phase: Phase = Phase.REST
    peak: float = 0.0
    _samples: list[tuple[float, float]] | None = None
    _back_t: float = 0.0

    def reset(self) -> None:
        self.phase, self.peak, self._samples = Phase.REST, 0.0, None

    def update(self, t: float, knee: float | None) -> Phase:
        """Feed one pose (station time, knee bend in degrees or None when unseen)."""
        if knee is None:
            return self.phase  # unseen for a moment: keep the last phase rather than flicker
        samples = self._samples if self._samples is not None else []
        samples.append((t, knee))
        while len(samples) > 2 and t - samples[1][0] >= VELOCITY_SPAN_S:
            samples.pop(0)
        self._samples = samples
        t0, k0 = samples[0]
        v = (knee - k0) / (t - t0) if t - t0 > 0 else 0.0
        if self.phase in (Phase.REST, Phase.RESET):
            if knee >= START_DEG:
                self.phase, self.peak = Phase.CURL, knee
            elif self.phase is Phase.RESET and t - self._back_t >= RESET_S:
                self.phase = Phase.REST
            return self.phase
        self.peak = max(self.peak, knee)
        if knee < END_DEG:
            self.phase, self._back_t = Phase.RESET, t
        elif v > HOLD_SPEED_DEG_S:
            self.phase = Phase.CURL
        elif v < -HOLD_SPEED_DEG_S:
            self.phase = Phase.RETURN
        elif knee > self.peak - TOP_BAND_DEG and self.phase is not Phase.RETURN:
            self.phase = Phase.SQUEEZE
        return self.phase
