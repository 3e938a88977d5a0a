"""This machine playing a Debian site server, for the tests that follow the deployment docs command by command.

Every path the docs name (/var/lib/gym, /etc/mosquitto, /run/mosquitto, /etc/systemd/system …) is mapped
to a folder under one throwaway root (0711: the broker's, Redis's and the services' users pass through it
as they pass through /var/lib); ports are free loopback ports; `gym-site.local` is 127.0.0.1; the site
services' user `gym` (which this machine has not) is `nobody`. A documented command is run by bash with
those substitutions and nothing else changed. `systemctl` is the one command played rather than run: a
unit is started from its own file — `ExecStartPre` and `ExecStart` with its `User=`, `Environment=` and
`EnvironmentFile=` as systemd applies them, in an otherwise empty environment — for the project's units
and for Debian's own `mosquitto.service` and `redis-server.service` (from /lib/systemd/system when the
packages installed them; their ExecStart lines otherwise).
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from shared.servers import _find, free_port, terminate, wait_port

REPO = Path(__file__).resolve().parents[3]
DEBIAN_UNITS = Path("/lib/systemd/system")
SERVICE_USER = "nobody"  # stands in for the `gym` user the site README creates
# What Debian's packages run when their unit files are not on this machine (mosquitto 2.0, redis 7).
DEBIAN_FALLBACK = {
    "mosquitto.service": "[Service]\nExecStartPre=/bin/mkdir -m 740 -p /run/mosquitto\n"
                         "ExecStartPre=/bin/chown mosquitto /run/mosquitto\n"
                         "ExecStart=/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf\n",
    "redis-server.service": "[Service]\nUser=redis\nGroup=redis\n"
                            "ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd "
                            "--daemonize no\n",
}


def doc_commands(path: Path, heading: str = "") -> list[str]:
    """The commands of a document's first command block (after `heading` when given): a ```sh fence, or
    lines indented by 4 spaces."""
    lines = path.read_text().splitlines()
    if heading:
        lines = lines[lines.index(heading):]
    fence = [i for i, line in enumerate(lines) if line.strip() == "```sh"]
    if fence:
        block = lines[fence[0] + 1:]
        block = block[:next(i for i, line in enumerate(block) if line.strip() == "```")]
    else:
        start = next(i for i, line in enumerate(lines) if line.startswith("    ") and not lines[i - 1].strip())
        block = []
        for line in lines[start:]:
            if not line.startswith("    ") and line.strip():
                break
            block.append(line[4:])
    return [line for line in block if line.strip()]


@dataclass
class Unit:
    """The [Service] settings of a unit file that starting it needs."""

    name: str
    user: str = ""
    group: str = ""
    env: dict[str, str] = field(default_factory=dict)
    env_files: list[str] = field(default_factory=list)
    pre: list[str] = field(default_factory=list)
    exec_start: str = ""

    @classmethod
    def parse(cls, name: str, text: str, instance: str = "") -> Unit:
        unit = cls(name)
        section = ""
        for raw in text.replace("%i", instance).replace("%I", instance).splitlines():
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]" or "=" not in line:
                continue
            key, value = line.split("=", 1)
            if key == "User":
                unit.user = value
            elif key == "Group":
                unit.group = value
            elif key == "Environment":
                unit.env.update(dict(a.split("=", 1) for a in shlex.split(value)))
            elif key == "EnvironmentFile":
                unit.env_files.append(value)
            elif key == "ExecStartPre":
                unit.pre.append(value)
            elif key == "ExecStart":
                unit.exec_start = value
        return unit


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd reads an EnvironmentFile= (comments, blank lines, quotes)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and line[0] not in "#;" and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip().strip("'\"") if value[:1] in "'\"" else value.strip()
    return out


class Machine:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.ports = {name: free_port() for name in ("broker", "tls", "services", "redis", "dashboard")}
        self.map = {
            "/opt/gym/.venv/bin/python": sys.executable,
            "/var/lib/gym": str(root / "var-lib-gym"),
            "/var/lib/mosquitto": str(root / "var-lib-mosquitto"),
            "/var/log/mosquitto": str(root / "var-log-mosquitto"),
            "/run/mosquitto": str(root / "run-mosquitto"),
            "/etc/mosquitto": str(root / "etc-mosquitto"),
            "/etc/redis": str(root / "etc-redis"),
            "/etc/systemd/system": str(root / "etc-systemd-system"),
            "/var/backups": str(root / "var-backups"),
            "/media/usb": str(root / "media-usb"),
            "gym-site.local": "127.0.0.1",
        }
        self.procs: dict[str, tuple[subprocess.Popen[bytes], IO[bytes]]] = {}
        self._install_debian_packages()

    def path(self, documented: str) -> Path:
        return Path(self.sub(documented))

    def _install_debian_packages(self) -> None:
        """What `apt install mosquitto redis-server` leaves: their config, data folders of their own users."""
        for d in ("etc-mosquitto", "etc-redis", "etc-systemd-system", "var-backups", "media-usb", "run-redis"):
            (self.root / d).mkdir()
        for d, user in (("var-lib-mosquitto", "mosquitto"), ("var-lib-redis", "redis"), ("run-redis", "redis")):
            (self.root / d).mkdir(exist_ok=True)
            if os.geteuid() == 0:
                pw = pwd.getpwnam(user)
                os.chown(self.root / d, pw.pw_uid, pw.pw_gid)
        conf = self.root / "etc-mosquitto" / "mosquitto.conf"
        conf.write_text("# Debian's default, replaced by the site README's `ln -sf`\n")
        redis_conf = Path("/etc/redis/redis.conf")
        base = redis_conf.read_text() if redis_conf.is_file() else ""
        # Debian's redis.conf with this machine's port and folders (later lines win in redis.conf)
        (self.root / "etc-redis" / "redis.conf").write_text(base + "\n".join([
            "", f"port {self.ports['redis']}", "bind 127.0.0.1", f"dir {self.root / 'var-lib-redis'}",
            f"pidfile {self.root / 'run-redis' / 'redis-server.pid'}", 'logfile ""', ""]))
        if os.geteuid() == 0:
            os.chown(self.root / "etc-redis" / "redis.conf", 0, pwd.getpwnam("redis").pw_gid)
        (self.root / "etc-redis" / "redis.conf").chmod(0o640)

    def sub(self, text: str) -> str:
        for old in sorted(self.map, key=len, reverse=True):
            text = text.replace(old, self.map[old])
        text = re.sub(r"(^|;\s*)\.venv/bin/python", lambda m: m.group(1) + sys.executable, text)
        return text

    def init_args(self) -> str:
        """What `gymctl init` is given beyond the README's line: this machine's ports and services' user."""
        p = self.ports
        return (f" --broker-port {p['broker']} --tls-port {p['tls']} --services-port {p['services']}"
                f" --redis-url redis://127.0.0.1:{p['redis']}/0 --service-user {SERVICE_USER}")

    def run(self, command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """A documented shell command, as root in the project's folder, with this machine's paths."""
        line = self.sub(command)
        if re.search(r"services\.gymctl .*\binit\b", line):
            line += self.init_args()
        clean = {"PATH": os.environ["PATH"], "HOME": str(self.root), "LANG": "C.UTF-8", **(env or {})}
        return subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=REPO, env=clean, capture_output=True,
                              text=True, timeout=120)

    # systemctl, played

    def unit(self, name: str) -> Unit:
        base, _, rest = name.partition("@")
        instance = rest.removesuffix(".service") if rest else ""
        file = f"{base}@.service" if rest else (name if name.endswith(".service") else f"{name}.service")
        for where in (self.root / "etc-systemd-system", DEBIAN_UNITS):
            if (where / file).is_file():
                return Unit.parse(name, (where / file).read_text(), instance)
        if file in DEBIAN_FALLBACK:
            return Unit.parse(name, DEBIAN_FALLBACK[file], instance)
        raise FileNotFoundError(f"no unit {file}")

    def systemctl(self, command: str) -> None:
        args = shlex.split(command)[1:]
        verb, names = args[0], [a for a in args[1:] if not a.startswith("--")]
        assert verb in ("restart", "start") or (verb == "enable" and "--now" in args), command
        for name in names:
            self.start(name)

    def start(self, name: str) -> None:
        self.stop(name)
        unit = self.unit(name)
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        env.update({k: self.sub(v) for k, v in unit.env.items()})
        for f in unit.env_files:
            optional = f.startswith("-")
            path = self.path(f.lstrip("-"))
            if path.exists() or not optional:
                env.update(read_environment_file(path))  # read as root, before dropping to User=
        for pre in unit.pre:
            subprocess.run(shlex.split(self.sub(pre.lstrip("-+!"))), check=True)
        argv = shlex.split(self.sub(unit.exec_start))
        argv = self._rewrite_ports(name, argv)
        user = SERVICE_USER if unit.user == "gym" else unit.user
        if user == SERVICE_USER and not interpreter_reachable_by_others():
            user = ""  # this machine's venv interpreter is under /root: the services run as root here
        if user and os.geteuid() == 0:
            group = unit.group or str(pwd.getpwnam(user).pw_gid)
            argv = [_find("setpriv", "util-linux"), f"--reuid={user}", f"--regid={group}", "--init-groups", *argv]
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
        self.procs[name] = (subprocess.Popen(argv, cwd="/", env=env, stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True), log)

    def _rewrite_ports(self, name: str, argv: list[str]) -> list[str]:
        """The dashboard's `--host 0.0.0.0 --port 8000` on a free loopback port (the only change to a unit)."""
        if name == "gym-dashboard":
            out = list(argv)
            out[out.index("--host") + 1] = "127.0.0.1"
            out[out.index("--port") + 1] = str(self.ports["dashboard"])
            return out
        return argv

    def wait_up(self, name: str, port: int, timeout: float = 30) -> None:
        try:
            wait_port(port, timeout)
        except TimeoutError:
            raise AssertionError(f"{name} did not start:\n{self.log(name)[-3000:]}") from None

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def uid(self, name: str) -> int:
        """Whom a started unit's process runs as now (mosquitto drops root after reading its files)."""
        status = Path(f"/proc/{self.procs[name][0].pid}/status").read_text()
        return int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]

    def alive(self, name: str) -> bool:
        return name in self.procs and self.procs[name][0].poll() is None

    def stop(self, name: str) -> None:
        if name in self.procs:
            proc, log = self.procs.pop(name)
            terminate(proc, 15)
            log.close()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def interpreter_reachable_by_others() -> bool:
    """Whether an unprivileged user can run this interpreter (a venv made from a pyenv under /root cannot;
    /opt/gym/.venv from Debian's python3 can)."""
    real = Path(os.path.realpath(sys.executable))
    return all(os.stat(d).st_mode & 0o001 for d in real.parents) and bool(real.stat().st_mode & 0o001)


def systemd_analyze() -> str | None:
    return shutil.which("systemd-analyze")
