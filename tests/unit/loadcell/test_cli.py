"""`python -m services.loadcell simulate | analyze | calibrate` in process (no server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.loadcell.__main__ import main


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
