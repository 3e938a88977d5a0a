from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.catalogue import BUILTIN_DIR, load_catalogue
from shared.contract import Fault

SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "exercise-hamstring-curl-kickback.txt"


def test_seed_exercise_has_the_seed_content() -> None:
    ex = load_catalogue()["hamstring-curl-kickback"]
    assert ex.overview.body_part == "Hamstrings"
    assert ex.overview.difficulty == "Intermediate"
    assert [g.id for g in ex.goals] == [
        "muscle_activation", "hypertrophy", "strength_control", "warm_up", "tempo_focus"]
    assert (ex.goal("hypertrophy").sets.min, ex.goal("hypertrophy").sets.max) == (3, 4)
    assert (ex.goal("hypertrophy").reps.min, ex.goal("hypertrophy").reps.max) == (8, 12)
    assert ex.goal("hypertrophy").top_squeeze_s is not None
    tempo = ex.goal("tempo_focus").tempo
    assert tempo is not None and (tempo.concentric_s, tempo.eccentric_s) == (2.0, 3.0)
    assert ex.goal("strength_control").tempo is None
    assert set(ex.progression.blocking_faults) == {Fault.SWING, Fault.HIP_ROTATION, Fault.FAST_ECCENTRIC}
    assert len(ex.setup) == 6 and len(ex.execution) == 7
    assert len(ex.tips) + len(ex.mistakes) == 8
    assert len(ex.faq) == 6 and len(ex.equipment) == 5


@pytest.mark.skipif(not SEED.exists(), reason="seed text lives beside the repository")
def test_every_step_title_and_faq_question_is_in_the_seed() -> None:
    text = SEED.read_text()
    ex = load_catalogue()["hamstring-curl-kickback"]
    for step in [*ex.setup, *ex.execution, *ex.tips, *ex.mistakes]:
        assert f"{step.title}: {step.text}" in text, step.title
    for f in ex.faq:
        assert f.q in text


def test_a_second_exercise_is_one_more_file(tmp_path: Path) -> None:
    doc = yaml.safe_load((BUILTIN_DIR / "hamstring-curl-kickback.yaml").read_text())
    doc["id"] = "cable-glute-kickback"
    doc["name"] = "Cable Glute Kickback"
    (tmp_path / "cable-glute-kickback.yaml").write_text(yaml.safe_dump(doc))
    cat = load_catalogue(tmp_path)
    assert set(cat) == {"hamstring-curl-kickback", "cable-glute-kickback"}
    assert cat["cable-glute-kickback"].name == "Cable Glute Kickback"


def test_a_broken_exercise_file_is_refused(tmp_path: Path) -> None:
    doc = yaml.safe_load((BUILTIN_DIR / "hamstring-curl-kickback.yaml").read_text())
    doc["id"] = "bad"
    doc["goals"][0]["reps"] = {"min": 12, "max": 8}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="max below min"):
        load_catalogue(tmp_path)
