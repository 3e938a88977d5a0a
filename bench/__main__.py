"""python -m bench [NAME ...] [--option ...] — run every benchmark module in this folder (or the named ones);
options after the names go to each named module (`python -m bench soak --stations 100 --minutes 10`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    first_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    argv, options = argv[:first_option], argv[first_option:]
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    failed = []
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        t = time.perf_counter()
        mod = importlib.import_module(f"bench.{name}")
        rc = mod.main(options) if hasattr(mod, "main") else 1
        print(f"--- bench.{name}: {'ok' if not rc else 'FAILED'} in {time.perf_counter() - t:.1f}s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
