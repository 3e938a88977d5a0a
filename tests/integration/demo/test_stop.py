"""`make demo 2>&1 | tee log`, then Ctrl-C: the terminal's Ctrl-C stops `tee` too, so the demo's narration
goes to a closed pipe while it stops — it must still stop every process it started and remove its files."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_ctrl_c_with_the_reader_gone_still_stops_the_broker_redis_and_services(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen([sys.executable, "-m", "services.demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        assert demo.stdout is not None
        head = ""
        deadline = time.monotonic() + 90
        while "dashboard:" not in head and time.monotonic() < deadline:
            line = demo.stdout.readline().decode(errors="replace")
            if not line:
                break
            head += line
        m = re.search(r"broker on 127\.0\.0\.1:(\d+), redis on 127\.0\.0\.1:(\d+), logs in (\S+)", head)
        assert m and "dashboard:" in head, head
        broker, redis, work = int(m[1]), int(m[2]), Path(m[3])
        assert _listening(broker) and _listening(redis)
        demo.stdout.close()  # the reader (tee) is gone: every later line of the narration hits a closed pipe
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        assert demo.wait(60) == 0
        wait_for(lambda: not _listening(broker) and not _listening(redis), timeout=10, what="broker and redis gone")
        assert not work.exists()
        services = subprocess.run(["pgrep", "-f", str(work)], capture_output=True, text=True).stdout.split()
        assert services == []  # no service process of this demo left (each runs with its files under `work`)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
