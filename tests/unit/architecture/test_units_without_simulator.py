"""A deployed sensor unit never loads the simulator (docs/ARCHITECTURE.md, rule 1): `run` with a real source
imports, parses its arguments and wires the service without `services.simulator` in `sys.modules`; only
`--source sim` (and the load cell's `simulate`) bring it in. Each case runs in a fresh interpreter, whose
modules are its own; `bootstrap` wires the service on a bus in memory and runs no loop, so no broker is needed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]

PROBE = textwrap.dedent("""
    import json, sys, threading
    import shared.sensor
    from shared.bus import MemoryBus

    started = []

    def bootstrap(service, settings, wire):  # wires the service on a bus in memory; its loop is not run
        wire(MemoryBus(settings, service), threading.Event())
        started.append(service)
        return 0

    shared.sensor.bootstrap = bootstrap
    from {module}.__main__ import main

    rc = main(sys.argv[1:])
    print(json.dumps({{"rc": rc, "started": started,
                      "simulator": sorted(m for m in sys.modules if m.startswith("services.simulator"))}}))
""")


def probe(module: str, *argv: str) -> dict[str, Any]:
    res = subprocess.run([sys.executable, "-c", PROBE.format(module=module), *argv], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    out: dict[str, Any] = json.loads(res.stdout.splitlines()[-1])
    return out


@pytest.fixture
def replays(tmp_path: Path) -> dict[str, Path]:
    poses, forces = tmp_path / "set.jsonl", tmp_path / "set.csv"
    poses.write_text('{"t": 0.0, "landmarks": {}}\n')
    forces.write_text("t,force_n\n0.0,12\n")
    return {"services.camera": poses, "services.loadcell": forces}


@pytest.mark.parametrize("module", ["services.camera", "services.loadcell"])
def test_a_real_source_never_loads_the_simulator(module: str, replays: dict[str, Path]) -> None:
    out = probe(module, "run", "--source", str(replays[module]))
    assert out["rc"] == 0 and out["started"] == [module.removeprefix("services.")]
    assert out["simulator"] == []


@pytest.mark.parametrize("module", ["services.camera", "services.loadcell"])
def test_the_simulated_source_still_brings_the_simulator_in(module: str) -> None:
    out = probe(module, "run", "--source", "sim", "--script", "quick")
    assert out["rc"] == 0 and out["started"] == [module.removeprefix("services.")]
    assert "services.simulator.station" in out["simulator"]


@pytest.mark.parametrize("module", ["services.camera", "services.loadcell"])
def test_help_still_lists_the_scripts_and_a_bad_one_is_refused(module: str) -> None:
    res = subprocess.run([sys.executable, "-m", module, "run", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "demo" in res.stdout and "quick" in res.stdout
    res = subprocess.run([sys.executable, "-m", module, "run", "--script", "marathon"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "marathon" in res.stderr and "demo" in res.stderr
