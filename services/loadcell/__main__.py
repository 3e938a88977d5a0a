"""python -m services.loadcell analyze --replay FILE.csv [--goal G] | run --source ... [--script NAME]
                          | calibrate ... | simulate --out FILE.csv

`analyze` measures each rep of a force replay and prints what the one judge (shared/judge.py) makes of
it on the load cell's evidence alone: the camera's checks (thigh, hips, range, squeeze) are not made there."""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from services.loadcell.analysis import analyze, judge_alone
from services.loadcell.calibration import Calibration, CalibrationError, load_calibration, save_calibration
from services.loadcell.drivers import AdcDriver, SensorError, read_force_csv
from services.loadcell.settings import LoadcellSettings
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue
from shared.cli import LazyChoices
from shared.contract import Leg

if TYPE_CHECKING:  # `--source sim` only: a deployed unit never loads the simulator
    from services.simulator.station import SimulatedAmplifier


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.loadcell", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("analyze", help="measure the reps of a force replay, judge them and print JSON")
    a.add_argument("--replay", type=Path, required=True, help="CSV with header t,force_n")
    a.add_argument("--leg", choices=[x.value for x in Leg], default=None)
    a.add_argument("--goal", default=None, help="goal id (tempo goals judge tempo)")
    a.add_argument("--exercise", default=DEFAULT_EXERCISE, help="exercise id in the catalogue")
    a.add_argument("--pulley-ratio", type=int, choices=(1, 2), default=1,
                   help="2 when the stack hangs from a running pulley (load_kg is the stack's mass)")
    r = sub.add_parser("run", help="run the live service")
    r.add_argument("--source", default="sim", help="sim | serial:/dev/ttyUSB0 | hx711 | FILE.csv")
    r.add_argument("--script", choices=LazyChoices(simulator_scripts), metavar="NAME", default="demo",
                   help="with --source sim: the session the virtual member trains, one of %(choices)s "
                        "(the simulator's and camera's)")
    c = sub.add_parser("calibrate", help="tare, or scale with a known mass, from 1 s of the sensor")
    c.add_argument("--source", default="sim", help="as for run")
    c.add_argument("--station", default=None, help="station id (default GYM_STATION_ID)")
    c.add_argument("--known-mass-kg", type=float, default=None, help="scale with this mass hung on; else tare")
    s = sub.add_parser("simulate", help="write a simulated set's force replay")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--reps", type=int, default=None)
    args = p.parse_args(argv)

    if args.cmd == "analyze":
        return analyze_command(args.replay, Leg(args.leg) if args.leg else None, args.goal, args.exercise,
                               args.pulley_ratio)
    if args.cmd == "simulate":
        return simulate(args.out, args.seed, args.reps)
    if args.cmd == "calibrate":
        return calibrate(args.source, args.station, args.known_mass_kg)
    return run(args.source, args.script)


def simulator_scripts() -> list[str]:
    """The sessions `--source sim` can train: the simulator is loaded only when they are asked for."""
    from services.simulator.script import SCRIPTS

    return list(SCRIPTS)


def analyze_command(path: Path, leg: Leg | None, goal_id: str | None, exercise_id: str = DEFAULT_EXERCISE,
                    pulley_ratio: int = 1) -> int:
    try:
        exercise = default_catalogue()[exercise_id]
        goal = exercise.goal(goal_id) if goal_id is not None else None
    except KeyError as exc:
        print(f"error: unknown exercise or goal: {exc}", file=sys.stderr)
        return 2
    try:
        reps = analyze(read_force_csv(path), limits=exercise.rules, pulley_ratio=pulley_ratio)
    except (OSError, ValueError) as exc:
        print(f"error: cannot analyse {path}: {exc}", file=sys.stderr)
        return 2
    json.dump({"reps": [r.to_report(leg, judge_alone(exercise, goal, r, leg)) for r in reps]}, sys.stdout, indent=1)
    print()
    return 0


def simulate(out: Path, seed: int, reps: int | None) -> int:
    from services.simulator.force import ForceSimulator, random_station, varied_load_set, write_csv
    from services.simulator.script import Timeline

    rng = random.Random(seed)
    station, plan = random_station(rng), varied_load_set(rng, n=reps)
    n = write_csv(out, ForceSimulator(plan, station, seed=seed).samples())
    truth = [{"index": r.index, "start_t": round(r.start_t, 3), "end_t": round(r.end_t, 3),
              "faults": sorted(f.value for f in r.plan.faults)} for r in Timeline(plan).reps]
    print(json.dumps({"samples": n, "mass_kg": station.mass_kg, "reps": truth}))
    return 0


def simulated_driver() -> tuple[AdcDriver, SimulatedAmplifier]:
    """`--source sim`: the simulator's amplifier (the virtual member's stack), with its factory calibration."""
    from services.loadcell.drivers import FactoryCalibrated
    from services.simulator.station import N_PER_COUNT, TARE_COUNTS, SimulatedAmplifier

    amp = SimulatedAmplifier()
    return FactoryCalibrated(amp, Calibration(tare_counts=TARE_COUNTS, n_per_count=N_PER_COUNT)), amp


def open_driver(source: str, settings: LoadcellSettings) -> AdcDriver:
    from services.loadcell import drivers

    if source == "sim":
        return simulated_driver()[0]
    if source.startswith("serial:"):
        return drivers.SerialAmplifier(source.removeprefix("serial:"), settings.serial_baud, settings.serial_hz)
    if source == "hx711":
        pins = drivers.GpiodPins(settings.hx711_chip, settings.hx711_dout, settings.hx711_sck)
        return drivers.HX711(pins, hz=settings.hx711_hz)
    return drivers.ReplayAmplifier(Path(source))


def calibrate(source: str, station: str | None, known_mass_kg: float | None) -> int:
    from shared.settings import Settings

    settings = LoadcellSettings()
    station_id = station or Settings().station_id
    try:
        driver = open_driver(source, settings)
        samples: list[float] = []
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            got = driver.read(0.1)
            if got is None:
                break
            samples.extend(got)
        driver.close()
        cal = load_calibration(settings.calibration_dir, station_id) or driver.factory_calibration
        cal = cal.calibrated(samples, known_mass_kg) if known_mass_kg is not None else cal.tared(samples)
        path = save_calibration(settings.calibration_dir, station_id, cal)
    except (SensorError, CalibrationError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"station": station_id, "file": str(path), **cal.model_dump(), "samples": len(samples)}))
    return 0


def run(source: str, script: str = "demo") -> int:
    from services.loadcell.service import LoadcellService, one_blas_thread
    from shared.mqtt import MqttBus
    from shared.sensor import bootstrap
    from shared.settings import Settings

    one_blas_thread()
    lc = LoadcellSettings()
    amp = None
    try:
        if source == "sim":
            driver, amp = simulated_driver()
        else:
            driver = open_driver(source, lc)
    except (SensorError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def wire(bus: MqttBus, stop: threading.Event) -> Callable[[], None]:
        if amp is not None:
            from services.simulator.station import simulate_loadcell

            simulate_loadcell(bus, bus.settings, amp, script)
        service = LoadcellService(bus, driver, lc)

        def loop() -> None:
            try:
                service.run(stop)
            finally:
                driver.close()

        return loop

    return bootstrap("loadcell", Settings(), wire)

if __name__ == "__main__":
    raise SystemExit(main())
