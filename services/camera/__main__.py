"""python -m services.camera analyze --replay FILE | run --source sim|FILE"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from services.camera.analysis import analyze
from services.camera.sources import ReplaySource, SimulatedMemberSource, read_replay
from shared.contract import Envelope, Leg, SetStarted
from shared.settings import Settings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.camera", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("analyze", help="judge the reps of a pose replay and print JSON")
    a.add_argument("--replay", type=Path, required=True, help="pose JSON Lines file")
    a.add_argument("--leg", choices=[x.value for x in Leg], default="left")
    a.add_argument("--goal", default=None, help="goal id (tempo goals judge tempo)")
    r = sub.add_parser("run", help="run the live service")
    r.add_argument("--source", default="sim", help="'sim' (virtual member) or a replay file")
    r.add_argument("--leg", choices=[x.value for x in Leg], default="left")
    args = p.parse_args(argv)

    if args.cmd == "analyze":
        try:
            reps = analyze(read_replay(args.replay), Leg(args.leg))
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: cannot analyse {args.replay}: {exc}", file=sys.stderr)
            return 2
        json.dump({"reps": [j.to_report() for j in reps]}, sys.stdout, indent=1)
        print()
        return 0
    return run(args.source, Leg(args.leg))


def run(source_arg: str, leg: Leg) -> int:
    from services.camera.service import CameraService
    from services.simulator.script import demo_set
    from shared.mqtt import MqttBus

    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s camera %(levelname)s %(message)s")
    bus = MqttBus(settings, "camera")
    source: SimulatedMemberSource | ReplaySource
    if source_arg == "sim":
        source = SimulatedMemberSource()
        sim = source

        def perform(ev: Envelope) -> None:
            data = ev.data  # type: ignore[attr-defined]
            assert isinstance(data, SetStarted)
            sim.perform(demo_set(data.leg))

        bus.subscribe("set.started", perform, site_id=settings.site_id, station_id=settings.station_id)
    else:
        source = ReplaySource(Path(source_arg))
    service = CameraService(bus, source, leg)
    stop = threading.Event()

    def on_signal(*_: object) -> None:
        stop.set()
        source.close()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bus.start(wait_s=None)
    try:
        service.run()
    finally:
        bus.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
