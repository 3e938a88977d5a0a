"""What the camera measures of a rep, for tests that publish camera reps as a real camera would: the judge
decides faults from these measurements, and a rep without them is not verified."""

from __future__ import annotations

from collections.abc import Iterable

from shared.contract import Fault

# A clean rep: a 100° curl with the thigh, hips and torso still (each well inside the exercise's limits).
CLEAN = {"peak_knee_flexion_deg": 100.0, "thigh_excursion_deg": 3.0, "pelvis_rotation_deg": 2.0,
         "torso_change_deg": 1.0}
# How each body fault measures: clearly past its limit in shared/exercises/hamstring-curl-kickback.yaml.
PAST_LIMIT = {Fault.SWING: ("thigh_excursion_deg", 25.0), Fault.HIP_ROTATION: ("pelvis_rotation_deg", 20.0),
              Fault.BACK_ARCH: ("torso_change_deg", 18.0), Fault.PARTIAL_RANGE: ("peak_knee_flexion_deg", 55.0)}


def camera_metrics(faults: Iterable[Fault] = ()) -> dict[str, float]:
    """The camera's `metrics` of a rep with these body faults (others, such as timing, are not metrics)."""
    m = dict(CLEAN)
    for f in faults:
        if f in PAST_LIMIT:
            key, value = PAST_LIMIT[f]
            m[key] = value
    return m
