"""The analysers scored on real sets a trainer labelled (shared/corpus.py): each saved set is replayed through
the camera's or the load cell's `analyze`, the labelled rep found by its span, judged by the one judge on that
sensor's evidence alone, and its faults compared with what the trainer saw.

`python -m bench corpus --corpus DIR [--sensor camera|loadcell]`; also `python -m bench camera --corpus DIR` and
`python -m bench loadcell --corpus DIR`. A corpus has no target of its own (it is what the product is learning
from): the figures are printed beside the simulated corpora's.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from shared.catalogue import DEFAULT_EXERCISE, default_catalogue
from shared.contract import Fault
from shared.corpus import Label, entries

# The labelled rep is the analysed rep whose middle falls within the label's span, with this slack: the
# sensors' and the dashboard's spans of one rep differ by their phase errors (docs/LOADCELL.md: ≤ 0.2 s).
MATCH_SLACK_S = 0.5
SENSORS = ("camera", "loadcell")
DATA = {"camera": "camera.jsonl", "loadcell": "force.csv"}


def judged(sensor: str, d: Path, label: Label) -> list[set[Fault]] | None:
    """The faults the sensor's analyser and the one judge find on the labelled rep (every rep of a recorded
    set); None when it found no rep there (or the set was not saved by that sensor)."""
    exercise = default_catalogue()[DEFAULT_EXERCISE]
    path = d / DATA[sensor]
    if not path.is_file():
        return None
    lo, hi = label.rep_start_t - label.from_t - MATCH_SLACK_S, label.rep_end_t - label.from_t + MATCH_SLACK_S
    if sensor == "camera":
        from services.camera.analysis import analyze as analyze_pose
        from services.camera.analysis import judge_alone as judge_pose

        with open(path, encoding="utf-8") as fh:
            reps = analyze_pose((json.loads(line) for line in fh if line.strip()), label.leg)
        found = [set(judge_pose(exercise, None, m, label.leg).faults) for m in reps
                 if label.rep_index is None or lo <= (m.rep.start_t + m.rep.end_t) / 2 <= hi]
        return found[:1] if label.rep_index is not None and found else (found or None)
    from services.loadcell.analysis import analyze as analyze_force
    from services.loadcell.analysis import judge_alone as judge_force
    from services.loadcell.drivers import read_force_csv

    found = [set(judge_force(exercise, None, r, label.leg).faults) for r in analyze_force(read_force_csv(path))
             if label.rep_index is None or lo <= (r.start_t + r.end_t) / 2 <= hi]
    return found[:1] if label.rep_index is not None and found else (found or None)


def score(corpus: Path, sensor: str) -> dict[str, Any]:
    """Per labelled rep found: the label matched exactly or not; per fault precision and recall."""
    tp: Counter[Fault] = Counter()
    fp: Counter[Fault] = Counter()
    fn: Counter[Fault] = Counter()
    n = found = exact = 0
    for d, label in entries(corpus):
        if not (d / DATA[sensor]).is_file():
            continue
        n += 1
        reps = judged(sensor, d, label)
        if reps is None:
            continue
        true = set(label.true_faults)
        for said in reps:
            found += 1
            exact += said == true
            tp.update(said & true)
            fp.update(said - true)
            fn.update(true - said)
    faults = {f.value: {"precision": tp[f] / (tp[f] + fp[f]) if tp[f] + fp[f] else 1.0,
                        "recall": tp[f] / (tp[f] + fn[f]) if tp[f] + fn[f] else 1.0,
                        "tp": tp[f], "fp": fp[f], "fn": fn[f]} for f in sorted(set(tp) | set(fp) | set(fn))}
    return {"sets": n, "reps_found": found, "labels_matched": exact, "faults": faults}


def report(corpus: Path, sensor: str) -> bool:
    """Print the scores; False (with the reason) for a folder that is not there."""
    if not corpus.is_dir():
        print(f"error: no labelled corpus at {corpus}")
        return False
    s = score(corpus, sensor)
    print(f"{sensor} on the labelled corpus {corpus}: {s['sets']} sets, {s['reps_found']} labelled reps found, "
          f"their faults exactly the label's in {s['labels_matched']}")
    for name, m in s["faults"].items():
        print(f"  {name:15s} precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
              f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']})")
    return True


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench corpus", description=__doc__)
    p.add_argument("--corpus", type=Path, help="a folder of labelled sets (a station's GYM_CORPUS_DIR)")
    p.add_argument("--sensor", choices=SENSORS, action="append")
    args = p.parse_args(argv)
    if args.corpus is None:  # `make bench` runs every module: without a corpus there is nothing to score
        print("no labelled corpus given: python -m bench corpus --corpus DIR")
        return 0
    ok = all([report(args.corpus, sensor) for sensor in args.sensor or SENSORS])
    return 0 if ok else 2


__all__ = ["judged", "main", "report", "score"]
