"""python -m services.simulator run [--once] — a virtual member training at a simulated station."""

from __future__ import annotations

import argparse
import signal
import threading

from services.simulator.script import SCRIPTS
from shared import telemetry
from shared.settings import Settings

PAUSE_BETWEEN_SESSIONS_S = 5.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.simulator", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="train at the station: sessions of sets, as the kiosk would report them")
    r.add_argument("--once", action="store_true", help="one session, then exit")
    r.add_argument("--script", choices=sorted(SCRIPTS), default="demo",
                   help="the session to train (the station's camera and load cell must follow the same)")
    args = p.parse_args(argv)

    from services.simulator.clock import install_from_env
    from services.simulator.member import run_session
    from shared.mqtt import MqttBus

    install_from_env()  # a simulated station's clock may be stepped by a test (no-op otherwise)
    settings = Settings()
    telemetry.configure_logging("member", settings)
    bus = MqttBus(settings, "simulator")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    bus.start(wait_s=30)
    # Give the camera and progression a moment to subscribe before the first set.
    stop.wait(1.0)
    while not stop.is_set():
        run_session(bus, stop, SCRIPTS[args.script]())
        if args.once or stop.wait(PAUSE_BETWEEN_SESSIONS_S):
            break
    bus.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
