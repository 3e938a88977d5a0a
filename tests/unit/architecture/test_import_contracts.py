"""The import contracts (pyproject's [tool.importlinter], docs/ARCHITECTURE.md) hold on this tree, and they
do catch what they forbid: a copy of the tree with one deliberate cross-service import breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="lint-imports is installed by `make setup`")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    # The copy's packages first on the path: grimp reads the modules Python would import.
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, env={"PYTHONPATH": str(root), "PATH": ""},
                          capture_output=True, text=True, timeout=300)


def copy_tree(dst: Path) -> Path:
    for pkg in ("shared", "services", "kiosk"):
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def test_the_tree_keeps_its_import_contracts() -> None:
    res = lint(ROOT)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("services/loadcell/analysis.py", "import services.camera.analysis", "Services do not import each other"),
    ("shared/judge.py", "import services.progression.rules", "The contract layer imports no service"),
    ("services/progression/engine.py", "import redis", "Pure cores"),
    ("kiosk/state/flow.py", "import PyQt6.QtCore", "Pure cores"),
])
def test_a_deliberate_violation_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    tree = copy_tree(tmp_path)
    target = tree / module
    target.write_text(target.read_text() + f"\n{line}  # deliberately against the architecture\n")
    res = lint(tree)
    assert res.returncode != 0
    broken = res.stdout.split("Broken contracts")[-1]
    importer = module.removesuffix(".py").replace("/", ".")
    assert contract in broken and importer in broken
