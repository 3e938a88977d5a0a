"""Starting the product's own processes as children that never outlive their parent."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from shared.servers import terminate

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
        self.started = time.time()  # wall clock, to tell this process's retained status from an older one's
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
        code = terminate(self.proc, timeout)
        if not self._log.closed and self._log is not sys.stdout:
            self._log.close()
        return code

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


def wait_online(port: int, service: str, station_id: str, *, site_id: str = "main", since: float | None = None,
                timeout: float = 20.0, child: Child | None = None, host: str = "127.0.0.1") -> None:
    """Wait until `service` of `station_id` says it is online in its retained `station.status`, published at
    or after `since` (a Unix time; default: when `child` was started, else now). The status follows the
    service's subscriptions on the same connection, so once it is seen the service receives what is
    published next. Raises TimeoutError, or RuntimeError with the child's log when `child` died first."""
    import threading
    import uuid

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from shared.contract import ContractError, ServiceState, StationStatusEvent, parse_event
    from shared.topics import status_topic

    if since is None:
        since = child.started if child is not None else time.time()
    online = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            ev = parse_event(bytes(msg.payload))
        except ContractError:
            return
        if (isinstance(ev, StationStatusEvent) and ev.data.state is ServiceState.ONLINE
                and ev.ts.timestamp() >= since - 1.0):  # a second for clocks read in two processes
            online.set()

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"wait-{service}-{uuid.uuid4().hex[:8]}",
                    protocol=mqtt.MQTTv5)
    c.on_connect = lambda cl, *_: cl.subscribe(status_topic(site_id, station_id, service), qos=1)
    c.on_message = on_message
    c.connect(host, port)
    c.loop_start()
    try:
        deadline = time.monotonic() + timeout
        while not online.wait(0.05):
            if child is not None and not child.alive():
                raise RuntimeError(f"{child.name} exited before it was online:\n{child.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service} of {station_id} not online within {timeout} s"
                                   + (f":\n{child.tail()}" if child is not None else ""))
    finally:
        c.loop_stop()
        c.disconnect()
