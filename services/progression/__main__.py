"""python -m services.progression run | replay EVENTS.jsonl"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.progression", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a live worker")
    r.add_argument("--worker", type=int, default=None, help="worker number (distinct client id per worker)")
    r.add_argument("--shared", action="store_true", help="share the site's events with other workers")
    rp = sub.add_parser("replay", help="fold a log of contract events and print what would be published")
    rp.add_argument("events", type=Path, help="JSON Lines file, one envelope a line")
    args = p.parse_args(argv)
    if args.cmd == "replay":
        return replay(args.events)
    return run(args.worker, args.shared)


def replay(path: Path) -> int:
    from services.progression.engine import Engine
    from services.progression.service import ProgressionSettings
    from shared.catalogue import load_catalogue
    from shared.contract import ContractError, parse_event
    from shared.repo import MemoryRepo

    settings = ProgressionSettings(_env_file=None)
    engine = Engine(load_catalogue(settings.catalogue_dir), settings.stack())
    repo = MemoryRepo()
    seen: set[str] = set()
    errors = 0
    if not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                ev = parse_event(line.strip())
            except ContractError as exc:
                errors += 1
                print(f"line {n}: skipped, not a contract event: {exc}", file=sys.stderr)
                continue
            if ev.event_id in seen:  # the live service applies each event once; so does replay
                continue
            seen.add(ev.event_id)
            for out in engine.handle(ev, repo):
                print(json.dumps(json.loads(out.to_json())))
    return 1 if errors else 0


def run(worker: int | None, shared: bool = False) -> int:
    from services.progression.service import ProgressionSettings, bootstrap
    from shared import telemetry

    overrides: dict[str, object] = {} if worker is None else {"worker": worker}
    if shared:
        overrides["shared"] = True
    settings = ProgressionSettings(**overrides)  # type: ignore[arg-type]
    telemetry.configure_logging("progression", settings)
    telemetry.serve(settings)
    bus, _service = bootstrap(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    bus.start(wait_s=None)
    stop.wait()
    bus.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
