"""`python -m services.loadcell simulate | analyze | calibrate` in process (no server); `analyze` prints what
the one judge makes of each measured rep on the load cell's evidence alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.loadcell.__main__ import main
from services.simulator.force import ForceSimulator, Station, write_csv
from services.simulator.script import RepPlan, SetPlan
from shared.contract import Fault, Leg


def test_analyze_a_simulated_replay_finds_its_reps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "set.csv"
    assert main(["simulate", "--out", str(csv), "--seed", "3", "--reps", "8"]) == 0
    truth = json.loads(capsys.readouterr().out)
    assert main(["analyze", "--replay", str(csv), "--leg", "right"]) == 0
    reps = json.loads(capsys.readouterr().out)["reps"]
    assert len(reps) == len(truth["reps"]) == 8
    assert [sorted(r["faults"]) for r in reps] == [sorted(t["faults"]) for t in truth["reps"]]
    assert all(r["leg"] == "right" and abs(r["load_kg"] - truth["mass_kg"]) < 0.05 * truth["mass_kg"] for r in reps)
    assert {"index", "start_t", "end_t", "concentric_s", "eccentric_s", "peak_force_n", "peak_velocity",
            "time_under_tension_s", "passed"} <= set(reps[0])


def test_analyze_with_a_tempo_goal_prints_tempo_and_a_slack_start(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    slack = RepPlan(concentric_s=2.0, top_hold_s=0.6, eccentric_s=3.0, faults=frozenset({Fault.SLACK_START}))
    rushed = RepPlan(concentric_s=1.1, top_hold_s=0.6, eccentric_s=3.0)
    on_beat = RepPlan(concentric_s=2.0, top_hold_s=0.6, eccentric_s=3.0)
    csv = tmp_path / "tempo.csv"
    write_csv(csv, ForceSimulator(SetPlan(leg=Leg.LEFT, reps=(slack, rushed, on_beat)), Station(mass_kg=16.0),
                                  seed=4).samples())
    assert main(["analyze", "--replay", str(csv), "--goal", "tempo_focus"]) == 0
    reps = json.loads(capsys.readouterr().out)["reps"]
    assert [r["faults"] for r in reps] == [["slack_start"], ["tempo"], []]
    assert [r["passed"] for r in reps] == [False, False, True]  # the camera's checks, not made, fail nothing
    assert reps[0]["start_tension_n"] < 0.2 * 16.0 * 9.8 and "start_tension_n" not in reps[1]
    assert {"swing", "hip_rotation", "squeeze"} <= set(reps[2]["not_checked"]) and reps[2]["verified"] is False
    assert main(["analyze", "--replay", str(csv)]) == 0  # no goal: no tempo
    assert [r["faults"] for r in json.loads(capsys.readouterr().out)["reps"]] == [["slack_start"], [], []]
    assert main(["analyze", "--replay", str(csv), "--goal", "levitation"]) == 2
    assert "levitation" in capsys.readouterr().err


def test_analyze_refuses_a_bad_replay_with_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("t,force_n\n0.0,12\n0.0125,abc\n")
    assert main(["analyze", "--replay", str(bad)]) == 2
    assert "bad.csv:3" in capsys.readouterr().err


def test_calibrate_from_a_replay_saves_the_station_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "still.csv"
    csv.write_text("t,force_n\n" + "".join(f"{i / 80:.4f},{500 + i % 3}\n" for i in range(200)))
    monkeypatch.setenv("GYM_LOADCELL_CALIBRATION_DIR", str(tmp_path / "cal"))
    assert main(["calibrate", "--source", str(csv), "--station", "st-07"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 500 <= out["tare_counts"] <= 502 and (tmp_path / "cal" / "st-07.json").exists()
    assert main(["calibrate", "--source", str(csv), "--station", "st-07", "--known-mass-kg", "10"]) == 2
    assert "hung on" in capsys.readouterr().err  # the same reading under "10 kg": refused, file kept


def test_analyze_reports_the_stacks_mass_on_a_2_to_1_station(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from services.simulator.force_physical import CableStation, PhysicalForceSimulator

    csv = tmp_path / "two_to_one.csv"
    plan = SetPlan(leg=Leg.LEFT, reps=(RepPlan(concentric_s=1.9, top_hold_s=0.6, eccentric_s=2.8, rest_s=0.9),) * 4)
    write_csv(csv, PhysicalForceSimulator(plan, CableStation(mass_kg=22.0, ratio=2), seed=2).samples())
    assert main(["analyze", "--replay", str(csv), "--pulley-ratio", "2"]) == 0
    reps = json.loads(capsys.readouterr().out)["reps"]
    assert len(reps) == 4 and all(abs(r["load_kg"] - 22.0) < 0.05 * 22.0 for r in reps)
    assert main(["analyze", "--replay", str(csv)]) == 0  # the default, 1:1: the cable's half of it
    assert all(abs(r["load_kg"] - 11.0) < 0.05 * 11.0 for r in json.loads(capsys.readouterr().out)["reps"])
