"""Private `mosquitto` and `redis-server` processes on free loopback ports.

The demo and the tests run their own broker and Redis in a temporary folder, never
the machine's default instances, so they can also stop, kill and restart them.
"""

from __future__ import annotations

import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from typing import IO, Self


class ServerMissing(RuntimeError):
    """The Debian package that provides a server is not installed."""


# Ports a private server may take: below the kernel's ephemeral range. A port the kernel hands out for bind(0)
# is one it also hands to outgoing connections (every client of every test takes one), so a server started on it
# a moment later can find it taken ("Address already in use"); ports under the range are never given out so.
LOWEST_PORT = 10000


def ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port() -> int:
    """A loopback port nothing listens on, outside the ephemeral range (checked by binding it)."""
    low = ephemeral_range()[0]
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(LOWEST_PORT, low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {LOWEST_PORT}–{low - 1}")


def wait_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def terminate(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """Stop a process as its service manager would: SIGTERM, then SIGKILL if it is still there after `timeout`
    seconds, so a stop never hangs. Returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _find(binary: str, package: str) -> str:
    path = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None
    )
    if not path:
        raise ServerMissing(f"{binary} not found: install the Debian package '{package}'")
    return path


class PrivateServer:
    """A server process owned by its creator; start, stop (SIGTERM), kill (SIGKILL), restart."""

    name = "server"

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def log_path(self) -> Path:
        return self.dir / f"{self.name}.log"

    def start(self, timeout: float = 10.0) -> Self:
        if self.running:
            return self
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's life
        self.proc = subprocess.Popen(
            self.command(), cwd=self.dir, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal is handled by our owner, not the server
        )
        try:
            wait_port(self.port, timeout)
        except TimeoutError:
            self.kill()
            raise RuntimeError(f"{self.name} did not start; log: {self.log_path.read_text()[-2000:]}") from None
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop: the server saves what it persists."""
        if self.proc:
            terminate(self.proc, timeout)
        self._close_log()

    def kill(self) -> None:
        """Abrupt death: SIGKILL, nothing saved beyond what is already on disk."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_log()

    def restart(self, pause_s: float = 0.0) -> None:
        self.stop()
        if pause_s:
            time.sleep(pause_s)
        self.start()

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> PrivateServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


BROKER_USER = "mosquitto"  # Debian's mosquitto package makes it; the broker, started by root, drops to it


def broker_user() -> pwd.struct_passwd | None:
    """Whom a broker started by root becomes: Debian's `mosquitto` user (mosquitto's default `user`, as on
    every station and site), or None on a machine without that user (mosquitto built from source, a bare
    container)."""
    try:
        return pwd.getpwnam(BROKER_USER)
    except KeyError:
        return None


class PrivateMosquitto(PrivateServer):
    """A development broker (anonymous, on loopback), started as production starts one. Started as root it
    has no `user` line: mosquitto drops to its `mosquitto` user, so its config (root:mosquitto 0640) and its
    persistence (that user's) live in a folder of their own the user can pass through (the owner's temporary
    folders are 0700); the log stays in `workdir`."""

    name = "mosquitto"

    def __init__(self, workdir: Path, port: int | None = None, extra_conf: str = "") -> None:
        super().__init__(workdir, port)
        self.extra_conf = extra_conf
        self.binary = _find("mosquitto", "mosquitto")
        self.conf_dir = self.data = self.dir
        # Who the broker runs as: the packaged user when we are root; else ourselves (nobody to drop to).
        self.user = broker_user() if os.geteuid() == 0 else None
        if self.user is not None:
            self.conf_dir = reachable_dir("gym-mosquitto-")
            weakref.finalize(self, shutil.rmtree, self.conf_dir, True)
            self.data = owned_dir(self.conf_dir / "data", self.user)

    def config(self) -> str:
        return "\n".join([
            "per_listener_settings false",
            # Only as root on a machine without the packaged user, never in production: mosquitto 2 would
            # drop to `nobody`, who can reach none of our 0700 temporary folders, so the broker stays root.
            *(["user root"] if os.geteuid() == 0 and self.user is None else []),
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.data}/",
            # Keep queued QoS 1 messages of a station that is away for a long time.
            "max_queued_messages 100000",
            "set_tcp_nodelay true",  # as the site's broker (broker/mosquitto.conf): no Nagle, no delayed-ACK waits
            "persistent_client_expiration 1d",
            "log_type error",
            "log_type warning",
            "log_type notice",
            self.extra_conf,
            "",
        ])

    def command(self) -> list[str]:
        return [self.binary, "-c", str(write_config(self.conf_dir / "mosquitto.conf", self.config(), self.user))]


def reachable_dir(prefix: str) -> Path:
    """A new temporary folder a server's user may pass through (0711: not list), as it passes through
    /var/lib/gym in production; the owner's own temporary folders are 0700 and would stop it."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o711)
    return path


def owned_dir(path: Path, user: pwd.struct_passwd | None) -> Path:
    """A folder the server writes (its persistence), its user's as /var/lib/mosquitto is; ours without a user."""
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)
    return path


def write_config(path: Path, text: str, user: pwd.struct_passwd | None) -> Path:
    """A server's config as the packages install it: root:<the user's group> 0640 from its creation, so the
    user reads it and no one else; 0600 and ours without a user (the server then runs as us)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        if user is not None:
            os.fchown(fh.fileno(), 0, user.pw_gid)
            os.fchmod(fh.fileno(), 0o640)
        fh.write(text)
    return path


class PrivateRedis(PrivateServer):
    name = "redis"

    def __init__(self, workdir: Path, port: int | None = None, appendonly: bool = True) -> None:
        super().__init__(workdir, port)
        self.appendonly = appendonly
        self.binary = _find("redis-server", "redis-server")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
            "--save", "", "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec", "--daemonize", "no", "--protected-mode", "yes",
        ]
