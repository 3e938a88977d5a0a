"""Real sets labelled by a trainer, kept as a corpus the analysers are scored on (`bench camera --corpus`,
`bench loadcell --corpus`).

A station's sensor services keep what they measured of the last few minutes (`Recent`: pose landmarks, force
samples — never a picture); when a trainer marks a verdict wrong on the dashboard, the dashboard asks the
station's camera and load cell to save that set (`station.command` `save_set`), and each writes its part
beside the trainer's label (`Label`) into its corpus folder (`GYM_CORPUS_DIR`):

    <corpus>/<station>-<review>/label.json      what the trainer saw, the station's verdict, the set's span
                                                (each file's t = 0 is the span's start, `Label.from_t`)
    <corpus>/<station>-<review>/camera.jsonl    the pose frames, the replay format (`analyze --replay`)
    <corpus>/<station>-<review>/force.csv       the force samples, `t,force_n` (`analyze --replay`)

An operator collects the stations' corpus folders (they hold no picture and no name: a member id at most).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contract import Fault, Leg

T = TypeVar("T")

# What a sensor keeps: a set (up to 20 reps of a slow tempo, ~2 min) and the rest before the review comes in.
RECENT_S = 300.0
SAVE_COMMAND = "save_set"


@dataclass
class Recent(Generic[T]):
    """Items stamped on one clock, the last `keep_s` seconds of them."""

    keep_s: float = RECENT_S
    items: deque[tuple[float, T]] = field(default_factory=deque)

    def add(self, t: float, item: T) -> None:
        self.items.append((t, item))
        while self.items and self.items[0][0] < t - self.keep_s:
            self.items.popleft()

    def between(self, t0: float, t1: float) -> list[tuple[float, T]]:
        return [(t, x) for t, x in self.items if t0 <= t <= t1]


class Label(BaseModel):
    """What the trainer saw of one rep of the saved set, and what the station had said."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    station_id: str
    review_id: str = Field(description="The dashboard's review it came from")
    leg: Leg
    set_index: int | None = None
    rep_index: int | None = Field(description="The labelled rep; None: every rep of the set (a recording staff "
                                              "asked for before the set)")
    rep_start_t: float = Field(description="The rep's span on the station's wall clock (the set's, for every rep)")
    rep_end_t: float
    from_t: float = Field(description="The saved span on the station's wall clock")
    to_t: float
    true_faults: list[Fault] = Field(description="What the trainer saw; empty: a clean rep")
    station_faults: list[Fault] = Field(default_factory=list, description="What the station had found")


def save_args(label: Label) -> dict[str, float | str]:
    """A label as a `save_set` command's arguments (the contract's args are flat numbers and strings)."""
    return {"review_id": label.review_id, "leg": label.leg.value, "set_index": float(label.set_index or 0),
            "rep_index": float(label.rep_index or 0), "rep_start_t": label.rep_start_t, "rep_end_t": label.rep_end_t,
            "from_t": label.from_t, "to_t": label.to_t, "true_faults": ",".join(f.value for f in label.true_faults),
            "station_faults": ",".join(f.value for f in label.station_faults)}


def label_of(station_id: str, args: dict[str, float | str]) -> Label:
    """The label a `save_set` command carries; ValueError (with the reason) for arguments that are not one."""
    def faults(key: str) -> list[Fault]:
        return [Fault(x) for x in str(args.get(key, "")).split(",") if x]

    try:
        set_index = int(float(args.get("set_index", 0)))
        return Label(station_id=station_id, review_id=str(args["review_id"]), leg=Leg(str(args["leg"])),
                     set_index=set_index or None, rep_index=int(float(args["rep_index"])) or None,
                     rep_start_t=float(args["rep_start_t"]), rep_end_t=float(args["rep_end_t"]),
                     from_t=float(args["from_t"]), to_t=float(args["to_t"]), true_faults=faults("true_faults"),
                     station_faults=faults("station_faults"))
    except KeyError as exc:
        raise ValueError(f"save_set needs {exc.args[0]}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"save_set: {exc}") from None


def entry_dir(corpus: Path, station_id: str, review_id: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{station_id}-{review_id}")
    d = corpus / safe
    d.mkdir(parents=True, exist_ok=True)
    return d


def write_label(d: Path, label: Label) -> Path:
    path = d / "label.json"
    _write(path, label.model_dump_json(indent=1) + "\n")
    return path


def write_pose(d: Path, frames: list[dict[str, object]]) -> Path:
    path = d / "camera.jsonl"
    _write(path, "".join(json.dumps(f, separators=(",", ":")) + "\n" for f in frames))
    return path


def write_force(d: Path, samples: list[tuple[float, float]]) -> Path:
    path = d / "force.csv"
    _write(path, "t,force_n\n" + "".join(f"{t!r},{f!r}\n" for t, f in samples))  # full precision: replays alike
    return path


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a file


def entries(corpus: Path) -> Iterator[tuple[Path, Label]]:
    """Every saved set of a corpus folder, oldest first by name."""
    for d in sorted(p for p in corpus.iterdir() if (p / "label.json").is_file()):
        yield d, Label.model_validate_json((d / "label.json").read_text())


__all__ = ["RECENT_S", "SAVE_COMMAND", "Label", "Recent", "entries", "entry_dir", "label_of", "save_args",
           "write_force", "write_label", "write_pose"]
