"""Starting the product's own processes as children that never outlive their parent."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGTERM to the child when the parent dies, even by SIGKILL.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class Child:
    """One service process: `python -m <module> <args>` with its own log file."""

    def __init__(self, name: str, module_args: Sequence[str], env: dict[str, str], log_dir: Path,
                 stdout: IO[bytes] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = stdout or open(self.log_path, "wb")  # noqa: SIM115 - lives as long as the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *module_args], env=env, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            start_new_session=True,  # Ctrl-C goes to the parent, which stops children in order
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed and self._log is not sys.stdout:
            self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        """Everything the child has written so far ("" before its first line)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, n: int = 2000) -> str:
        return self.log()[-n:]


def service_env(base: Mapping[str, str] | None = None, **gym: str) -> dict[str, str]:
    """The environment of a child service: ours plus GYM_* settings."""
    env = dict(os.environ if base is None else base)
    env.setdefault("PYTHONUNBUFFERED", "1")
    for k, v in gym.items():
        env[f"GYM_{k.upper()}"] = v
    return env
