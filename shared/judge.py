"""The one judge (pure): what the sensors measured of a rep in, every check of the exercise out.

Camera and load cell only measure (phases, angles, forces) and report the few faults only they can
see (a stack set down between reps, a slack cable before the first rep). Every exercise- and
goal-level rule lives here, with its threshold read from the exercise's YAML (`FormRules`), and
is applied by the progression service; the sensors' `analyze` commands reuse it.

Each check ends passed, failed or not checked (with why). A rep whose blocking checks — the
faults the progression rule names — were not all made is *unverified*: not failed, and not
passed either, so it never earns more weight.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from shared.catalogue import Exercise, FormRules, Goal
from shared.contract import (
    CHECK_FAULT,
    CHECK_WORDS,
    FAULT_WORDS,
    CameraRep,
    Check,
    Fault,
    LoadRep,
    Outcome,
    RepCheck,
    Sensor,
)

G = 9.80665

# Metric names in `CameraRep.metrics` and `LoadRep.metrics`.
PEAK_KNEE = "peak_knee_flexion_deg"
THIGH = "thigh_excursion_deg"
PELVIS = "pelvis_rotation_deg"
TORSO = "torso_change_deg"
CONCENTRIC_PEAK_N = "concentric_peak_n"
START_TENSION_N = "start_tension_n"

# Enum members bound once: reading `Outcome.PASSED` is a descriptor call, and a rep reads dozens.
PASSED, FAILED, NOT_CHECKED = Outcome.PASSED, Outcome.FAILED, Outcome.NOT_CHECKED
CAMERA, LOAD = Sensor.CAMERA, Sensor.LOAD

NO_CAMERA = "the camera did not see this rep"
NO_LOAD = "the load cell did not report this rep"


@dataclass(frozen=True)
class Judgement:
    checks: tuple[RepCheck, ...]
    faults: tuple[Fault, ...]  # sorted, each once
    verified: bool

    @property
    def passed(self) -> bool:
        return self.verified and not self.faults

    @property
    def sensors(self) -> list[Sensor]:
        return sorted({c.sensor for c in self.checks if c.sensor is not None})

    def unchecked(self, blocking_only: bool = True) -> list[RepCheck]:
        return [c for c in self.checks if c.outcome is NOT_CHECKED and (c.blocking or not blocking_only)]

    def first_unchecked(self) -> str:
        """The first blocking check not made and why ("hips square: the camera did not see this rep"), or ""."""
        missing = self.unchecked()
        return f"{CHECK_WORDS[missing[0].check]}: {missing[0].why}" if missing else ""

    def reasons(self) -> list[str]:
        """Plain words: each fault, then each blocking check that could not be made and why."""
        out = [FAULT_WORDS[f] for f in self.faults]
        out += [f"{CHECK_WORDS[c.check]} not checked: {c.why}" for c in self.unchecked()]
        return out


def _check(check: Check, outcome: Outcome, blocking: frozenset[Fault], sensor: Sensor | None = None,
           value: float | None = None, limit: float | None = None, why: str = "") -> RepCheck:
    # Limits come from the catalogue as written; a measured value is shown to the millisecond or millidegree.
    return RepCheck(check, outcome, CHECK_FAULT[check] in blocking, sensor,
                    None if value is None else round(value, 3), limit, why)


def _over(check: Check, value: float, limit: float, sensor: Sensor, blocking: frozenset[Fault]) -> RepCheck:
    return _check(check, FAILED if value > limit else PASSED, blocking, sensor, value, limit)


def _under(check: Check, value: float, limit: float, sensor: Sensor, blocking: frozenset[Fault]) -> RepCheck:
    return _check(check, FAILED if value < limit else PASSED, blocking, sensor, value, limit)


def judge(exercise: Exercise, goal: Goal | None, camera: CameraRep | None, load: LoadRep | None,
          first_of_set: bool = False, rom_deg: float | None = None) -> Judgement:
    """Every check of the exercise for one rep, from what each sensor measured.

    `goal` None judges no goal-level rule (tempo, the hypertrophy squeeze); `rom_deg` is the member's
    own controlled range on this leg when recorded; `first_of_set` adds the starting-tension check.
    """
    r: FormRules = exercise.rules
    blocking = frozenset(exercise.progression.blocking_faults)
    checks: list[RepCheck] = []
    add = checks.append

    # ---- what only the camera measures: thigh, pelvis, torso, the knee's range, the top hold
    cam_metrics = camera.metrics if camera is not None else {}

    def camera_angle(check: Check, key: str, limit: float, what: str) -> None:
        if camera is None:
            add(_check(check, NOT_CHECKED, blocking, why=NO_CAMERA))
        elif key not in cam_metrics:
            add(_check(check, NOT_CHECKED, blocking, CAMERA, why=f"{what} not in view"))
        else:
            add(_over(check, cam_metrics[key], limit, CAMERA, blocking))

    camera_angle(Check.SWING, THIGH, r.swing_thigh_deg.value, "thigh")
    camera_angle(Check.HIP_ROTATION, PELVIS, r.hip_rotation_deg.value, "hips")
    camera_angle(Check.BACK_ARCH, TORSO, r.back_arch_deg.value, "torso")

    peak = cam_metrics.get(PEAK_KNEE)
    if peak is None:
        why = NO_CAMERA if camera is None else "knee not in view"
        add(_check(Check.RANGE, NOT_CHECKED, blocking, why=why))
        add(_check(Check.OVERREACH, NOT_CHECKED, blocking, why=why))
    else:
        floor = round(r.partial_range_share.value * rom_deg, 1) if rom_deg else r.partial_range_knee_deg.value
        add(_under(Check.RANGE, peak, floor, CAMERA, blocking))
        controlled = (rom_deg or r.range_reference_deg.value) + r.overreach_margin_deg.value
        thigh, pelvis = cam_metrics.get(THIGH), cam_metrics.get(PELVIS)
        share = r.overreach_compensation_share.value
        if thigh is None and pelvis is None:
            add(_check(Check.OVERREACH, NOT_CHECKED, blocking, CAMERA, peak, controlled,
                       why="thigh and hips not in view"))
        else:
            # Past the controlled range AND paid for by the pelvis or the thigh: the seed's "stop the curl
            # where you can still control the knee and pelvis". A long curl with both still is fine.
            compensated = ((thigh is not None and thigh >= share * r.swing_thigh_deg.value)
                           or (pelvis is not None and pelvis >= share * r.hip_rotation_deg.value))
            failed = peak > controlled and compensated
            add(_check(Check.OVERREACH, FAILED if failed else PASSED, blocking, CAMERA,
                       peak, controlled))

    # ---- phases: either sensor times them (the camera first: it sees the knee itself)
    timed = camera or load
    timer = CAMERA if camera is not None else LOAD
    if timed is None:
        add(_check(Check.ECCENTRIC, NOT_CHECKED, blocking, why="no sensor saw this rep"))
    else:
        add(_under(Check.ECCENTRIC, timed.eccentric_s, r.min_eccentric_s.value, timer, blocking))

    if camera is None:
        add(_check(Check.SQUEEZE, NOT_CHECKED, blocking, why=NO_CAMERA))
    else:
        hold, tol = camera.top_hold_s, r.squeeze_measurement_s.value
        asked = goal.top_squeeze_s if goal is not None else None
        if asked is not None:
            bad = hold < asked.min - tol or hold > asked.max + tol
            add(_check(Check.SQUEEZE, FAILED if bad else PASSED, blocking, CAMERA, hold,
                       asked.min if hold < asked.min else asked.max))
        else:
            add(_under(Check.SQUEEZE, hold, r.brief_pause_s.value, CAMERA, blocking))

    if goal is not None and goal.tempo is not None:
        if timed is None:
            add(_check(Check.TEMPO, NOT_CHECKED, blocking, why="no sensor saw this rep"))
        else:
            tol = r.tempo_tolerance_s.value
            miss_c = timed.concentric_s - goal.tempo.concentric_s
            miss_e = timed.eccentric_s - goal.tempo.eccentric_s
            worst = miss_c if abs(miss_c) >= abs(miss_e) else miss_e
            add(_check(Check.TEMPO, FAILED if abs(worst) > tol else PASSED, blocking, timer,
                       abs(worst), tol))

    # ---- what only the load cell measures: the cable's tension
    if load is None:
        add(_check(Check.MOMENTUM, NOT_CHECKED, blocking, why=NO_LOAD))
        add(_check(Check.TENSION, NOT_CHECKED, blocking, why=NO_LOAD))
        if first_of_set:
            add(_check(Check.START_TENSION, NOT_CHECKED, blocking, why=NO_LOAD))
    else:
        static_n = load.load_kg * G
        peak_n = load.metrics.get(CONCENTRIC_PEAK_N, load.peak_force_n)
        ratio = peak_n / static_n if static_n > 0 else 0.0
        # A kick shows as a tension peak far over the static load, or a curl thrown faster than any
        # controlled one: either is momentum.
        kicked = ratio > r.kick_peak_ratio.value or load.concentric_s < r.kick_concentric_s.value
        add(_check(Check.MOMENTUM, FAILED if kicked else PASSED, blocking, LOAD,
                   ratio, r.kick_peak_ratio.value))
        add(_check(Check.TENSION, FAILED if Fault.LOST_TENSION in load.faults else PASSED,
                   blocking, LOAD))
        if first_of_set:
            if Fault.SLACK_START in load.faults:
                add(_check(Check.START_TENSION, FAILED, blocking, LOAD,
                           load.metrics.get(START_TENSION_N)))
            elif START_TENSION_N in load.metrics:
                add(_check(Check.START_TENSION, PASSED, blocking, LOAD, load.metrics[START_TENSION_N]))
            else:
                add(_check(Check.START_TENSION, NOT_CHECKED, blocking, LOAD,
                           why="the load cell did not measure the cable before the first rep"))

    # Faults a sensor reported itself count too (an older unit's, or one only it can see).
    reported = set(camera.faults if camera is not None else ()) | set(load.faults if load is not None else ())
    if reported:
        checks = [c if c.outcome is FAILED or CHECK_FAULT[c.check] not in reported
                  else replace(c, outcome=FAILED) for c in checks]
    faults = {CHECK_FAULT[c.check] for c in checks if c.outcome is FAILED} | reported
    verified = all(c.outcome is not NOT_CHECKED for c in checks if c.blocking)
    return Judgement(tuple(checks), tuple(sorted(faults)), verified)


def blocking_faults(exercise: Exercise, faults: Iterable[Fault]) -> list[Fault]:
    """The faults among `faults` that the exercise's progression rule names."""
    named = set(exercise.progression.blocking_faults)
    return [f for f in faults if f in named]
