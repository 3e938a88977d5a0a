"""Load-cell accuracy on a generated corpus, and the CPU cost of a 1,000 samples/s amplifier.

- corpus: N sets of 8–12 reps at 80 Hz, stacks of 10–30 kg, random friction and noise, kicked reps,
  set-downs and dropped returns (services/simulator/force.py); exact rep count share, load_kg error,
  jerk and lost_tension precision/recall against the plans' ground truth;
- CPU: a 1,000 Hz stream of count lines through parse → calibrate → health → analyzer, against the
  baseline of numpy parsing the same lines alone, both measured here.

`python -m bench loadcell [--sets 40] [--held-out-sets 100] [--seconds 60]`
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from services.loadcell.calibration import Calibration
from services.loadcell.core import LoadAnalyzer, analyze
from services.loadcell.drivers import parse_counts
from services.loadcell.health import SensorHealth
from services.simulator.force import ForceSimulator, random_station, varied_load_set
from services.simulator.script import Timeline
from shared.contract import Fault

HELD_OUT_SEED = 4711
MATCH_SLACK_S = 0.3  # a measured rep matches a true one when its middle is within the true rep ± this


def corpus(sets: int, seed: int = 2026) -> dict[str, float]:
    rng = random.Random(seed)
    exact, errs = 0, []
    tp = {Fault.JERK: 0, Fault.LOST_TENSION: 0}
    fp, fn = dict(tp), dict(tp)
    for k in range(sets):
        st, plan = random_station(rng), varied_load_set(rng)
        reps = analyze(ForceSimulator(plan, st, seed=k).samples())
        truth = Timeline(plan).reps
        exact += len(reps) == len(truth)
        errs += [abs(r.load_kg - st.mass_kg) / st.mass_kg for r in reps]
        for tr in truth:
            got = next((r for r in reps
                        if tr.start_t - MATCH_SLACK_S <= (r.start_t + r.end_t) / 2 <= tr.end_t + MATCH_SLACK_S), None)
            for f in tp:
                said, true = got is not None and f in got.faults, f in tr.plan.faults
                tp[f] += said and true
                fp[f] += said and not true
                fn[f] += true and not said
    out = {"sets": float(sets), "exact_count_share": exact / sets, "load_err_median": float(np.median(errs)),
           "load_within_5pct_share": float(np.mean(np.array(errs) < 0.05))}
    for f in tp:
        out[f"{f.value}_precision"] = tp[f] / max(1, tp[f] + fp[f])
        out[f"{f.value}_recall"] = tp[f] / max(1, tp[f] + fn[f])
    return out


def stream_chunks(seconds: float) -> list[bytes]:
    """A 1,000 Hz amplifier's output in 10 ms reads (10 lines each), as a USB-serial board delivers it."""
    rng = random.Random(5)
    st, lines = random_station(rng), list[bytes]()
    while len(lines) < seconds * 1000:
        plan = varied_load_set(rng)
        lines += [b"%d\n" % round(f * 100) for _, f in ForceSimulator(plan, st, hz=1000.0, seed=1).samples()]
    lines = lines[: int(seconds * 1000)]
    return [b"".join(lines[i:i + 10]) for i in range(0, len(lines), 10)]


def cpu_pipeline(chunks: list[bytes]) -> float:
    cal, health, analyzer = Calibration(n_per_count=0.01), SensorHealth(), LoadAnalyzer()
    t0, rest, n = time.process_time(), b"", 0
    for chunk in chunks:
        counts, rest, _ = parse_counts(rest + chunk)
        for c in counts:
            t = n / 1000.0
            n += 1
            health.sample(t, c)
            analyzer.feed(t, cal.newtons(c))
    return time.process_time() - t0


def cpu_numpy_parse(chunks: list[bytes]) -> float:
    t0 = time.process_time()
    for chunk in chunks:
        np.array(chunk.split(), dtype=np.int64)
    return time.process_time() - t0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench loadcell")
    p.add_argument("--sets", type=int, default=40)
    p.add_argument("--held-out-sets", type=int, default=100)
    p.add_argument("--seconds", type=float, default=60.0)
    args = p.parse_args(argv)
    # The first corpus is the one the thresholds were tuned on; the held-out one was never looked at while tuning.
    for name, sets, seed in (("tuning", args.sets, 2026), ("held-out", args.held_out_sets, HELD_OUT_SEED)):
        if sets <= 0:
            continue
        c = corpus(sets, seed)
        print(f"{name} corpus (seed {seed}): {sets} sets of 8–12 reps at 80 Hz, stacks 10–30 kg")
        print(f"  exact rep count: {c['exact_count_share']:.1%} of sets (target ≥ 98 %)")
        print(f"  load_kg error: median {c['load_err_median']:.2%}, within 5 % for "
              f"{c['load_within_5pct_share']:.1%} of reps (target: within 5 %)")
        for f in ("jerk", "lost_tension"):
            print(f"  {f}: precision {c[f + '_precision']:.3f}, recall {c[f + '_recall']:.3f} (target ≥ 0.95)")
    chunks = stream_chunks(args.seconds)
    base = cpu_numpy_parse(chunks)
    ours = cpu_pipeline(chunks)
    print(f"1,000 samples/s for {args.seconds:.0f} s: pipeline CPU {ours:.2f} s = {ours / args.seconds:.1%} "
          f"of one core (target < 5 %); baseline numpy parse of the same lines {base:.3f} s "
          f"= {base / args.seconds:.2%}; ratio {ours / max(base, 1e-9):.0f}x")
    return 0
