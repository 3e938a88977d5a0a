"""python -m services.camera analyze --replay FILE [--leg left|right] [--goal GOAL] [--exercise ID]
                        | run [--source sim|REPLAY.jsonl|DEVICE|VIDEO|RTSP-URL] [--leg L] [--exercise ID]
                              [--script NAME]
                        | placement --source DEVICE|VIDEO|RTSP-URL|REPLAY.jsonl [--seconds S] [--snapshot PNG]

`analyze` measures each rep of a replay and prints what the one judge (shared/judge.py) makes of it on
the camera's evidence alone: the cable's checks (momentum, tension) are not made there.
With --source sim the virtual member trains the session named by --script; SIGUSR1 pulls the virtual
camera's cable (camera_lost frames) and SIGUSR2 plugs it back."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.camera.analysis import analyze, judge_alone
from services.camera.sources import PoseSource, ReplayReader, ReplaySource
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue
from shared.cli import LazyChoices
from shared.contract import Leg
from shared.settings import Settings

REPLAY_SUFFIXES = (".jsonl", ".json", ".ndjson")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.camera", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    legs = [x.value for x in Leg]
    a = sub.add_parser("analyze", help="measure the reps of a pose replay, judge them and print JSON")
    a.add_argument("--replay", type=Path, required=True, help="pose JSON Lines file")
    a.add_argument("--leg", choices=legs, default="left")
    a.add_argument("--goal", default=None, help="goal id (tempo goals judge tempo, hypertrophy its squeeze)")
    a.add_argument("--exercise", default=DEFAULT_EXERCISE, help="exercise id in the catalogue")
    r = sub.add_parser("run", help="run the live service")
    r.add_argument("--source", default="sim",
                   help="'sim' (virtual member), a pose replay (.jsonl), a camera index, a video file or an RTSP URL")
    r.add_argument("--leg", choices=legs, default="left")
    r.add_argument("--exercise", default=DEFAULT_EXERCISE,
                   help="exercise whose limits the live cues use, until a session says otherwise")
    r.add_argument("--speed", type=float, default=1.0, help="replay pace (2 = twice real time)")
    r.add_argument("--script", choices=LazyChoices(simulator_scripts), metavar="NAME", default="demo",
                   help="with --source sim: the session the virtual member trains, one of %(choices)s "
                        "(the simulator's and load cell's)")
    r.add_argument("--snapshot-dir", type=Path, default=Path("var/camera"), help="where placement snapshots go")
    c = sub.add_parser("placement", help="installer's check: are the working leg, both hips and the torso seen?")
    c.add_argument("--source", required=True, help="a camera index, a video file, an RTSP URL or a pose replay")
    c.add_argument("--leg", choices=legs, default="left")
    c.add_argument("--seconds", type=float, default=3.0)
    c.add_argument("--snapshot", type=Path, default=Path("placement.png"), help="annotated snapshot (PNG)")
    args = p.parse_args(argv)

    if args.cmd == "analyze":
        return analyze_command(args.replay, Leg(args.leg), args.goal, args.exercise)
    if args.cmd == "placement":
        return placement_command(args.source, Leg(args.leg), args.seconds, args.snapshot)
    return run(args.source, Leg(args.leg), args.exercise, args.snapshot_dir, args.speed, args.script)


def simulator_scripts() -> list[str]:
    """The sessions `--source sim` can train: the simulator is loaded only when they are asked for."""
    from services.simulator.script import SCRIPTS

    return list(SCRIPTS)


def analyze_command(path: Path, leg: Leg, goal_id: str | None, exercise_id: str = DEFAULT_EXERCISE) -> int:
    try:
        exercise = default_catalogue()[exercise_id]
    except KeyError:
        print(f"error: unknown exercise {exercise_id!r}", file=sys.stderr)
        return 2
    try:
        goal = exercise.goal(goal_id) if goal_id is not None else None
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    reader = ReplayReader(path)
    try:
        reps = analyze(reader, leg, exercise.rules)
    except OSError as exc:
        print(f"error: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    for reason in reader.skipped[:20]:
        print(f"warning: skipped {reason}", file=sys.stderr)
    out: dict[str, Any] = {"reps": [m.to_report(judge_alone(exercise, goal, m, leg)) for m in reps]}
    if reader.skipped:
        out["skipped_lines"] = len(reader.skipped)
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


def make_source(spec: str, speed: float = 1.0) -> PoseSource:
    if spec == "sim":
        from services.simulator.station import SimulatedMemberSource  # the virtual member: `--source sim` only

        return SimulatedMemberSource()
    if spec.endswith(REPLAY_SUFFIXES):
        return ReplaySource(Path(spec), speed=speed)
    from services.camera.capture import VideoSource  # cv2 and MediaPipe: only for a real camera

    return VideoSource(spec)


def placement_command(spec: str, leg: Leg, seconds: float, snapshot: Path) -> int:
    from services.camera.annotate import save_snapshot
    from services.camera.kinematics import measure
    from services.camera.placement import PlacementCheck

    source = make_source(spec)
    check = PlacementCheck(leg)
    until = time.monotonic() + seconds
    for frame in source.frames():
        if "camera_lost" in frame:
            print(f"error: camera lost: {frame['camera_lost']}", file=sys.stderr)
            source.close()
            return 2
        check.feed(frame)
        if time.monotonic() >= until:
            break
    source.close()
    result = check.result()
    if check.last_frame is not None:
        image = getattr(source, "last_image", None)
        result["snapshot"] = str(save_snapshot(snapshot, check.last_frame, measure(check.last_frame, leg), image,
                                               [str(result["message"])[:70]]))
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0 if result["ok"] else 1


def run(source_arg: str, leg: Leg, exercise: str, snapshot_dir: Path, speed: float = 1.0,
        script: str = "demo") -> int:
    from services.camera.service import CameraService
    from shared.mqtt import MqttBus
    from shared.sensor import bootstrap

    if exercise not in default_catalogue():
        print(f"error: unknown exercise {exercise!r}", file=sys.stderr)
        return 2

    def wire(bus: MqttBus, stop: threading.Event) -> Callable[[], None]:
        source: PoseSource
        if source_arg == "sim":
            from services.simulator.station import SimulatedMemberSource, simulate_camera

            source = sim = SimulatedMemberSource()
            simulate_camera(bus, bus.settings, sim, script)
        else:
            source = make_source(source_arg, speed)
        service = CameraService(bus, source, leg, exercise=exercise, snapshot_dir=snapshot_dir)

        def loop() -> None:
            def close_on_stop() -> None:  # a stop closes the source, which ends its frames and the loop
                stop.wait()
                source.close()

            threading.Thread(target=close_on_stop, daemon=True, name="stop").start()
            service.run()
            if not stop.is_set():
                # A replay has ended: stay up (queued events still go out, commands are still answered).
                logging.getLogger(__name__).info("source ended; idle until stopped")
                stop.wait()

        return loop

    return bootstrap("camera", Settings(), wire)


if __name__ == "__main__":
    raise SystemExit(main())
