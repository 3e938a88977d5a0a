"""The camera service's accuracy and cost on this machine.

1. Accuracy on a generated corpus (the virtual member, its own seed; thresholds untouched):
   share of sets whose rep count is exact (target ≥ 98 %), and per fault the precision and recall
   of the rep verdicts against the simulator's ground truth (target ≥ 0.95 each). The camera only
   measures; each rep is judged by the one judge (`shared.judge`) on the camera's evidence alone,
   for the goal its set was trained for (a quarter tempo, a quarter hypertrophy's squeeze). Detected
   reps are matched to true reps by time overlap, so a missed or extra rep costs recall/precision.
   The same sets again with twice the noise and three times the dropouts, for the margin.
2. Replay analysis speed: 10 minutes of 30-fps pose replay (18,000 frames) read from JSON Lines
   and judged (target < 1 s), and the same without the JSON parsing.
3. Per-frame cost on one core, 640×480 frames: bare MediaPipe BlazePose inference (the baseline,
   model_complexity=1, video mode) vs everything else the live loop does per frame (landmarks →
   replay dict, kinematics, filtering, segmentation, cues, and the QR look once a second
   spread over its 30 frames); the ratio is printed (target ≤ 10 %), and the live loop's frames
   per second (target ≥ 30). The synthetic frames hold no person, so BlazePose runs its detector
   on every frame (with a person it tracks and runs the landmark model instead).

`python -m bench camera [--sets N] [--seed S] [--frames N]`
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from services.camera.analysis import MeasuredRep, PoseAnalyzer, analyze, judge_alone
from services.camera.sources import ReplayReader
from services.simulator.pose import PoseSimulator, corpus
from services.simulator.script import RepTruth, Timeline, varied_set
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue
from shared.contract import Fault, Leg

CORPUS_SEED = 20_260_503  # the corpus's own seed: never the seed the thresholds were looked at with
# Every fault the judge can find on the camera's evidence alone (overreach is never generated: its
# figure counts false alarms only).
JUDGED = (Fault.SWING, Fault.HIP_ROTATION, Fault.FAST_ECCENTRIC, Fault.PARTIAL_RANGE, Fault.BACK_ARCH, Fault.TEMPO,
          Fault.SQUEEZE, Fault.OVERREACH)
# The margin check: 1–5 px of landmark jitter at 720p and up to 24 dropouts a minute.
HARSH_NOISE = 2.0
HARSH_DROPOUTS = 3.0
TARGET_EXACT = 0.98
TARGET_PR = 0.95
TARGET_REPLAY_S = 1.0
TARGET_RATIO = 0.10
TARGET_FPS = 30.0
INFER_FRAMES = 150  # 5 s of video: the median per-frame time is stable to a few %
LIVE_FPS = 30.0  # the camera's rate: QR looks are spread over this many frames a second
REPEATS = 3  # replay timing: best of 3 (other work on a shared machine only ever adds time)
T = TypeVar("T")


def overlap(a: MeasuredRep, b: RepTruth) -> float:
    return max(0.0, min(a.rep.end_t, b.end_t) - max(a.rep.start_t, b.start_t))


def score(n_sets: int, seed: int, noise_scale: float = 1.0, dropout_scale: float = 1.0) -> dict[str, Any]:
    exact = 0
    tp: Counter[Fault] = Counter()
    fp: Counter[Fault] = Counter()
    fn: Counter[Fault] = Counter()
    reps_true = reps_found = 0
    timing: list[float] = []
    holds: list[float] = []
    exercise = default_catalogue()[DEFAULT_EXERCISE]
    for c in corpus(seed, n_sets, noise_scale, dropout_scale):
        plan = c.sim.set_plan
        goal = exercise.goal(c.goal)
        measured = analyze(c.sim.frames(), plan.leg, exercise.rules)
        truth = Timeline(plan).reps
        reps_true += len(truth)
        reps_found += len(measured)
        exact += len(measured) == len(truth)
        unmatched = list(truth)
        for m in measured:
            best = max(unmatched, key=lambda tr: overlap(m, tr), default=None)
            got = set(judge_alone(exercise, goal, m, plan.leg).faults)
            if best is None or overlap(m, best) <= 0:
                fp.update(got)
                continue
            unmatched.remove(best)
            want = set(best.plan.faults)
            tp.update(got & want)
            fp.update(got - want)
            fn.update(want - got)
            timing += [abs(m.rep.concentric_s - best.plan.concentric_s), abs(m.rep.eccentric_s - best.plan.eccentric_s)]
            holds.append(abs(m.rep.top_hold_s - best.plan.top_hold_s))
        for tr in unmatched:
            fn.update(tr.plan.faults)
    out: dict[str, Any] = {"sets": n_sets, "exact_count_share": exact / n_sets, "reps_true": reps_true,
                           "reps_found": reps_found, "phase_error_median_s": statistics.median(timing),
                           "phase_error_p95_s": sorted(timing)[int(0.95 * (len(timing) - 1))],
                           "hold_error_median_s": statistics.median(holds),
                           "hold_error_p95_s": sorted(holds)[int(0.95 * (len(holds) - 1))], "faults": {}}
    unexpected = set(tp) | set(fp) | set(fn)
    for f in (*JUDGED, *sorted(unexpected - set(JUDGED))):
        p = tp[f] / (tp[f] + fp[f]) if tp[f] + fp[f] else 1.0
        r = tp[f] / (tp[f] + fn[f]) if tp[f] + fn[f] else 1.0
        out["faults"][f.value] = {"precision": p, "recall": r, "tp": tp[f], "fp": fp[f], "fn": fn[f]}
    return out


def ten_minutes(seed: int, n_frames: int) -> list[dict[str, Any]]:
    import random

    rng = random.Random(seed)
    frames: list[dict[str, Any]] = []
    t0 = 0.0
    while len(frames) < n_frames:
        sim = PoseSimulator(varied_set(rng, Leg.LEFT, n=12), t0=t0, noise_px=1.5, seed=rng.randrange(1 << 30),
                            dropouts_per_min=4)
        frames += sim.frames()
        t0 = frames[-1]["t"] + 1 / 30
    return frames[:n_frames]


def replay_speed(n_frames: int, seed: int) -> dict[str, float]:
    frames = ten_minutes(seed, n_frames)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "ten-minutes.jsonl"
        with open(path, "w") as fh:
            for f in frames:
                fh.write(json.dumps(f) + "\n")
        with_parse, reps = _best_of(REPEATS, lambda: analyze(ReplayReader(path), Leg.LEFT))
    core, _ = _best_of(REPEATS, lambda: analyze(frames, Leg.LEFT))
    return {"frames": n_frames, "reps": len(reps), "analyze_file_s": with_parse, "analyze_parsed_s": core,
            "core_us_per_frame": core / n_frames * 1e6}


def _best_of(n: int, fn: Callable[[], T]) -> tuple[float, T]:
    """Fastest of n runs: the cost of the code, not of whatever else the machine was doing meanwhile."""
    best, out = math.inf, None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    assert out is not None
    return best, out


def synthetic_frames(n: int) -> list[np.ndarray[Any, np.dtype[np.uint8]]]:
    """640×480 frames: a lit room with texture and a moving shape (no person: the detector runs each frame)."""
    rng = np.random.default_rng(1)
    base = rng.integers(60, 120, (480, 640, 3), dtype=np.uint8)
    out = []
    for i in range(n):
        img = base.copy()
        x = 40 + (i * 7) % 500
        img[150:350, x:x + 80] = (180, 150, 120)
        out.append(img)
    return out


def live_cost(n: int) -> dict[str, float]:
    from services.camera.capture import QR_EVERY_S, BlazePose, QrReader

    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[0]})  # one core, set before MediaPipe starts its threads
    try:
        imgs = synthetic_frames(n)
        pose = BlazePose(model_complexity=1)
        for img in imgs[:10]:
            pose.infer(img)  # warm-up: graph start and first allocations are not per-frame cost
        infer = []
        for img in imgs:
            t = time.perf_counter()
            pose.infer(img)
            infer.append(time.perf_counter() - t)
        # Everything else per frame, on frames with a person in them: a result as BlazePose gives it
        # (33 landmarks and world landmarks) converted to the replay dict, then the whole analyzer.
        sim_frames = ten_minutes(3, n * 10)
        results = [_as_result(f) for f in sim_frames]
        analyzer = PoseAnalyzer(Leg.LEFT)
        t = time.perf_counter()
        for r, f in zip(results, sim_frames, strict=True):
            frame = pose.to_frame(r, f["t"], 640, 480)
            analyzer.feed(frame)
            analyzer.cues()
        rest = (time.perf_counter() - t) / len(results)
        # The same once more, best of the two: a busy machine only ever adds time.
        analyzer = PoseAnalyzer(Leg.LEFT)
        t = time.perf_counter()
        for r, f in zip(results, sim_frames, strict=True):
            analyzer.feed(pose.to_frame(r, f["t"], 640, 480))
            analyzer.cues()
        rest = min(rest, (time.perf_counter() - t) / len(results))
        # QR tap-in: one look a QR_EVERY_S, spread over the frames of that second.
        qr = QrReader()
        scans = []
        for img in imgs[:20]:
            t = time.perf_counter()
            qr.scan(img)
            scans.append(time.perf_counter() - t)
        qr_per_frame = statistics.median(scans) / (QR_EVERY_S * LIVE_FPS)
        pose.close()
    finally:
        os.sched_setaffinity(0, set(cpus))
    inf = statistics.median(infer)
    other = rest + qr_per_frame
    return {"frames": n, "inference_ms": inf * 1e3, "inference_p95_ms": sorted(infer)[int(0.95 * (n - 1))] * 1e3,
            "pipeline_ms": rest * 1e3, "qr_scan_ms": statistics.median(scans) * 1e3, "qr_ms": qr_per_frame * 1e3,
            "ratio": other / inf, "fps_one_core": 1.0 / (inf + other)}


class _Lm:
    __slots__ = ("visibility", "x", "y", "z")

    def __init__(self, x: float, y: float, z: float, v: float = 1.0) -> None:
        self.x, self.y, self.z, self.visibility = x, y, z, v


class _List:
    def __init__(self, lms: list[_Lm]) -> None:
        self.landmark = lms


class _Result:
    def __init__(self, img: _List, world: _List) -> None:
        self.pose_landmarks, self.pose_world_landmarks = img, world


def _as_result(f: dict[str, Any]) -> _Result:
    from mediapipe.python.solutions.pose import PoseLandmark

    names = [lm.name.lower() for lm in PoseLandmark]
    lm = f.get("landmarks") or {}
    wd = f.get("world") or {}
    img = [_Lm(*lm[n]) if n in lm else _Lm(0.5, 0.5, 0.0, 0.0) for n in names]
    world = [_Lm(*wd[n]) if n in wd else _Lm(0.0, 0.0, 0.0) for n in names]
    return _Result(_List(img), _List(world))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench camera")
    p.add_argument("--sets", type=int, default=48)
    p.add_argument("--seed", type=int, default=CORPUS_SEED)
    p.add_argument("--frames", type=int, default=18_000)
    p.add_argument("--corpus", type=Path, help="also score a folder of labelled real sets (bench/corpus.py)")
    args = p.parse_args(argv)
    ok = True
    if args.corpus is not None:
        from bench.corpus import report

        ok &= report(args.corpus, "camera")

    acc = score(args.sets, args.seed)
    print(f"accuracy on {acc['sets']} generated sets (seed {args.seed}): {acc['reps_true']} true reps, "
          f"{acc['reps_found']} found")
    print(f"  exact rep count: {acc['exact_count_share']:.1%} of sets (target ≥ {TARGET_EXACT:.0%})")
    print(f"  phase time error: median {acc['phase_error_median_s']:.3f} s, p95 {acc['phase_error_p95_s']:.3f} s; "
          f"top hold error: median {acc['hold_error_median_s']:.3f} s, p95 {acc['hold_error_p95_s']:.3f} s")
    ok &= acc["exact_count_share"] >= TARGET_EXACT
    for name, m in acc["faults"].items():
        good = m["precision"] >= TARGET_PR and m["recall"] >= TARGET_PR
        ok &= good
        print(f"  {name:15s} precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
              f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']}){'' if good else '  BELOW TARGET'}")

    harsh = score(args.sets, args.seed, HARSH_NOISE, HARSH_DROPOUTS)
    print(f"harsher corpus, the same sets with {HARSH_NOISE:.0f}x the noise and {HARSH_DROPOUTS:.0f}x the dropouts "
          f"(no target, for the margin): exact rep count {harsh['exact_count_share']:.1%}, phase time error p95 "
          f"{harsh['phase_error_p95_s']:.3f} s")
    print("  " + ", ".join(f"{k} P {m['precision']:.2f} R {m['recall']:.2f}" for k, m in harsh["faults"].items()))

    rs = replay_speed(args.frames, args.seed)
    from services.camera import sources

    parser = getattr(sources._loads, "__module__", "json") or "json"
    print(f"replay analysis (JSON parser: {parser.split('.')[0]}) of {rs['frames']} frames "
          f"({rs['frames'] / 1800:.0f} min at 30 fps, {rs['reps']} reps): {rs['analyze_file_s']:.3f} s from the "
          f"JSON Lines file, {rs['analyze_parsed_s']:.3f} s on parsed frames ({rs['core_us_per_frame']:.1f} µs/frame) "
          f"(target < {TARGET_REPLAY_S:.0f} s)")
    ok &= rs["analyze_file_s"] < TARGET_REPLAY_S

    lc = live_cost(INFER_FRAMES)
    print(f"live loop on one core, 640x480: bare MediaPipe inference (baseline) {lc['inference_ms']:.2f} ms/frame "
          f"(p95 {lc['inference_p95_ms']:.2f})")
    print(f"  everything else: {lc['pipeline_ms'] * 1000:.1f} µs/frame (landmarks → kinematics → reps → cues)"
          f" + QR look {lc['qr_scan_ms']:.1f} ms once a second = {lc['qr_ms'] * 1000:.0f} µs/frame")
    print(f"  ratio everything-else / inference: {lc['ratio']:.4f} ({lc['ratio']:.2%}, target ≤ {TARGET_RATIO:.0%})")
    print(f"  frames per second: {lc['fps_one_core']:.1f} (target ≥ {TARGET_FPS:.0f})")
    ok &= lc["ratio"] <= TARGET_RATIO
    if lc["fps_one_core"] < TARGET_FPS:
        print("  fps BELOW TARGET on this CPU")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))

