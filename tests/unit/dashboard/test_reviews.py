"""A verdict review (pure): what the station missed, what it found wrongly, and no review that agrees."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.dashboard.reviews import VerdictReview
from shared.contract import Fault, Leg


def review(verdict: list[Fault], label: list[Fault], status: str = "failed") -> VerdictReview:
    return VerdictReview(station_id="st-01", session_id="s1", set_index=1, leg=Leg.LEFT, rep_index=2, start_t=8.0,
                         end_t=12.0, verdict_faults=verdict, verdict_status=status, true_faults=label,
                         trainer="tina", made=datetime(2026, 11, 30, tzinfo=UTC))


def test_a_review_names_the_faults_missed_and_the_ones_found_wrongly() -> None:
    rv = review([Fault.SWING, Fault.TEMPO], [Fault.TEMPO, Fault.HIP_ROTATION])
    assert rv.missed == [Fault.HIP_ROTATION] and rv.wrongly_found == [Fault.SWING]
    assert rv.words() == "station: swung the thigh, missed the tempo; trainer: missed the tempo, opened the hips"
    clean = review([Fault.SWING], [])
    assert clean.missed == [] and clean.wrongly_found == [Fault.SWING] and clean.words().endswith("trainer: clean")


def test_a_label_that_agrees_with_the_station_is_refused_except_for_an_unchecked_rep() -> None:
    with pytest.raises(ValidationError, match="nothing to correct"):
        review([Fault.SWING], [Fault.SWING])
    with pytest.raises(ValidationError):
        review([], [], status="passed")
    assert review([], [], status="unverified").true_faults == []  # "it was clean": the label the camera could not make
