"""Offline and live analysis of a pose stream (pure): frames in, measured reps and live cues out.

The camera measures, it does not judge: each rep goes out as a `CameraRep` with its phases and angles
in `metrics` and no faults (none is the camera's alone today). The one judge (`shared.judge`) applies
the exercise's rules to them; `judge_alone` is what it makes of a rep on the camera's evidence only,
for the `analyze` command and the benchmark. The live cues read the same limits (the exercise's
`FormRules`), so a cue warns before a rep would fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.camera.kinematics import LegTracker, Sample
from services.camera.reps import KneePhase, KneeRepSegmenter, Rep
from shared.catalogue import DEFAULT_EXERCISE, Exercise, FormRules, Goal, default_catalogue
from shared.contract import CameraRep, Leg
from shared.judge import Judgement, judge

# Live cues fire at this share of a fault's limit, so the member hears it before the rep fails.
CUE_SHARE = 0.7
# A return faster than 110°/s at its quickest is heading for a drop: a controlled 2 s return of a
# 100° curl peaks at ~80°/s, a 1.2 s one (the fast_eccentric limit) at ~130°/s.
FAST_RETURN_DEG_S = 110.0
# Rest references (thigh, pelvis, torso at the bottom) follow slow posture changes between reps.
REST_SMOOTHING = 0.1

CUE_THIGH = "Keep the thigh still"
CUE_HIPS = "Hips square"
CUE_LOWER = "Lower slowly"


def exercise_limits(exercise: str = DEFAULT_EXERCISE) -> FormRules:
    """The exercise's judging limits from the catalogue (KeyError for an unknown exercise)."""
    return default_catalogue()[exercise].rules


@dataclass(frozen=True)
class MeasuredRep:
    """One rep as the camera measured it: timing and angles, no verdict."""

    rep: Rep

    def metrics(self) -> dict[str, float]:
        r = self.rep
        m = {"peak_knee_flexion_deg": r.peak_knee_deg, "rest_knee_flexion_deg": r.rest_knee_deg,
             "thigh_excursion_deg": r.thigh_excursion_deg, "pelvis_rotation_deg": r.pelvis_rotation_deg,
             "torso_change_deg": r.torso_change_deg, "max_gap_s": r.max_gap_s}
        return {k: round(v, 2) for k, v in m.items() if v is not None}

    def to_event_data(self, leg: Leg, t_offset: float = 0.0) -> CameraRep:
        r = self.rep
        return CameraRep(
            leg=leg, rep_index=r.index, start_t=max(0.0, r.start_t + t_offset), end_t=max(0.0, r.end_t + t_offset),
            concentric_s=round(r.concentric_s, 3), top_hold_s=round(r.top_hold_s, 3),
            eccentric_s=round(r.eccentric_s, 3), metrics=self.metrics(), faults=[],
        )

    def to_report(self, judgement: Judgement | None = None) -> dict[str, Any]:
        """The rep's measurements and, with a judgement, its faults. `passed` is "no fault found": the
        checks the camera cannot make (the cable's) are listed as not checked, not counted against it."""
        r = self.rep
        out: dict[str, Any] = {
            "index": r.index, "start_t": round(r.start_t, 3), "end_t": round(r.end_t, 3),
            "concentric_s": round(r.concentric_s, 3), "top_hold_s": round(r.top_hold_s, 3),
            "eccentric_s": round(r.eccentric_s, 3), **self.metrics(),
        }
        if judgement is not None:
            out["faults"] = [f.value for f in judgement.faults]
            out["passed"] = not judgement.faults
            out["verified"] = judgement.verified
            out["not_checked"] = [c.check.value for c in judgement.unchecked(blocking_only=False)]
        return out


def judge_alone(exercise: Exercise, goal: Goal | None, measured: MeasuredRep, leg: Leg) -> Judgement:
    """The one judge on the camera's evidence alone: the load cell's checks (momentum, tension) are not made."""
    return judge(exercise, goal, measured.to_event_data(leg), None, first_of_set=measured.rep.index == 1)


@dataclass
class PoseAnalyzer:
    leg: Leg
    limits: FormRules = field(default_factory=exercise_limits)  # for the live cues only
    tracker: LegTracker = field(init=False)
    segmenter: KneeRepSegmenter = field(default_factory=KneeRepSegmenter)
    last: Sample | None = None
    _rest: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tracker = LegTracker(self.leg)

    @property
    def last_knee(self) -> float | None:
        return self.last.knee if self.last else None

    def feed(self, frame: Mapping[str, Any]) -> MeasuredRep | None:
        s = self.last = self.tracker.update(frame)
        rep = self.segmenter.update(s)
        if self.segmenter.phase is KneePhase.REST:
            for ch in ("thigh", "pelvis", "torso"):
                v = getattr(s, ch)
                if v is not None:
                    old = self._rest.get(ch)
                    self._rest[ch] = v if old is None else old + REST_SMOOTHING * (v - old)
        return MeasuredRep(rep) if rep else None

    def cues(self) -> list[str]:
        """Live coaching cues for the frame just fed (during a rep only)."""
        s = self.last
        if s is None or self.segmenter.phase is KneePhase.REST:
            return []
        out = []
        lim = self.limits

        def off(ch: str) -> float:
            v, ref = getattr(s, ch), self._rest.get(ch)
            return 0.0 if v is None or ref is None else abs(v - ref)

        if off("thigh") > CUE_SHARE * lim.swing_thigh_deg.value:
            out.append(CUE_THIGH)
        if off("pelvis") > CUE_SHARE * lim.hip_rotation_deg.value:
            out.append(CUE_HIPS)
        if s.knee is not None and s.knee_velocity < -FAST_RETURN_DEG_S:
            out.append(CUE_LOWER)
        return out


def analyze(frames: Iterable[Mapping[str, Any]], leg: Leg, limits: FormRules | None = None) -> list[MeasuredRep]:
    a = PoseAnalyzer(leg, limits or exercise_limits())
    return [m for m in (a.feed(f) for f in frames) if m is not None]
