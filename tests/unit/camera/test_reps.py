"""Rep segmentation: exact counts, no twitch or half-drop counted, phase times against the truth."""

from __future__ import annotations

import pytest

from services.camera.analysis import analyze
from services.camera.kinematics import Sample
from services.camera.reps import KneeRepSegmenter
from services.simulator.script import RepPlan, Timeline
from shared.contract import Leg
from tests.unit.camera.streams import CLEAN, frames, set_of


def feed(knees: list[tuple[float, float]]) -> KneeRepSegmenter:
    seg = KneeRepSegmenter()
    for t, k in knees:
        seg.update(Sample(t, k, 12.0, 0.0, 65.0, 0.0, True))
    return seg


def ramp(t0: float, k0: float, k1: float, secs: float, fps: float = 30.0) -> list[tuple[float, float]]:
    n = int(secs * fps)
    return [(t0 + i / fps, k0 + (k1 - k0) * i / n) for i in range(n)]


def test_a_twitch_is_not_a_rep() -> None:
    seg = feed(ramp(0, 8, 35, 0.5) + ramp(0.5, 35, 8, 0.5) + ramp(1.0, 8, 8, 1.0))
    assert seg.count == 0


def test_a_half_drop_then_curl_again_is_one_rep() -> None:
    knees = (ramp(0, 8, 8, 1) + ramp(1, 8, 100, 1.5) + ramp(2.5, 100, 45, 0.8) + ramp(3.3, 45, 100, 0.8)
             + ramp(4.1, 100, 8, 2.5) + ramp(6.6, 8, 8, 1))
    seg = feed(knees)
    assert seg.count == 1
    assert seg.reps[0].peak_knee_deg == pytest.approx(100, abs=3)  # a sharp turn, averaged over 5 samples


def test_jitter_around_the_start_threshold_is_not_a_rep() -> None:
    knees = [(i / 30, 20.0 + (6 if i % 2 else -6)) for i in range(120)]  # 14°…26°, never a curl
    assert feed(knees).count == 0


@pytest.mark.parametrize("leg", [Leg.LEFT, Leg.RIGHT])
@pytest.mark.parametrize("camera_on_left", [True, False])
def test_phase_times_match_the_truth(leg: Leg, camera_on_left: bool) -> None:
    plans = (CLEAN, RepPlan(concentric_s=2.0, top_hold_s=1.0, eccentric_s=3.0, rest_s=1.0),
             RepPlan(concentric_s=0.8, top_hold_s=0.2, eccentric_s=1.8, rest_s=0.5, peak_knee_deg=90))
    plan = set_of(*plans, leg=leg)
    judged = analyze(frames(plan, camera_on_left=camera_on_left, noise_px=1.0, seed=4), leg)
    truth = Timeline(plan).reps
    assert [j.rep.index for j in judged] == [1, 2, 3]
    for j, tr in zip(judged, truth, strict=True):
        r, p = j.rep, tr.plan
        # ±0.15 s: what progression's squeeze rule allows for the camera's measurement.
        assert r.concentric_s == pytest.approx(p.concentric_s, abs=0.15)
        assert r.top_hold_s == pytest.approx(p.top_hold_s, abs=0.15)
        assert r.eccentric_s == pytest.approx(p.eccentric_s, abs=0.15)
        assert r.start_t == pytest.approx(tr.start_t, abs=0.15)
        assert r.end_t == pytest.approx(tr.end_t, abs=0.15)
        assert r.peak_knee_deg == pytest.approx(p.peak_knee_deg, abs=3)


def test_noisy_stream_with_dropouts_counts_exactly() -> None:
    plan = set_of(*([CLEAN] * 8))
    for seed in range(3):
        judged = analyze(frames(plan, noise_px=2.5, dropouts_per_min=12, seed=seed), Leg.LEFT)
        assert len(judged) == 8, seed


def test_the_other_leg_is_not_counted() -> None:
    plan = set_of(CLEAN, CLEAN, leg=Leg.RIGHT)
    assert analyze(frames(plan), Leg.LEFT) == []
    assert len(analyze(frames(plan), Leg.RIGHT)) == 2
