"""`gymctl doctor`: is the site as gymctl made it, and does it work — each problem said with its fix.

Checks, in order: the state folder; every file's mode (secrets never readable by others, the broker's
files readable by the broker's user, Redis's ACL by Redis's, the dashboard's key by the site services');
the CA's key still on this host; the certificates the broker and the dashboard serve (expired, due for
renewal within tls.RENEW_BEFORE_DAYS, not signed by the site CA, not naming the broker's host); the
broker, reached as each site service reaches it (their env files: host, port, CA, account) and its TLS
listener as a unit reaches it (a handshake that checks the certificate, without a station's account,
which would push that station's own connection off); Redis with each account, and refusing anyone
without one. The exit status is 1 when anything needs fixing.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import socket
import ssl
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import redis
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from services.gymctl import tls
from services.gymctl.site import REDIS_ADMIN, SERVICE_ACCOUNTS, SiteConfig, SiteState, read_env

TIMEOUT_S = 5.0


@dataclass
class Report:
    lines: list[tuple[bool, str]] = field(default_factory=list)

    def good(self, msg: str) -> None:
        self.lines.append((True, msg))

    def fix(self, msg: str) -> None:
        self.lines.append((False, msg))

    @property
    def ok(self) -> bool:
        return all(good for good, _ in self.lines)

    def problems(self) -> list[str]:
        return [m for good, m in self.lines if not good]

    def text(self) -> str:
        body = [f"{'ok ' if good else 'FIX'}  {msg}" for good, msg in self.lines]
        n = len(self.problems())
        return "\n".join([*body, f"{n} problem(s) to fix" if n else "all good"])


def _ids(user: str) -> tuple[int, int] | None:
    """(uid, gid) of a user name or numeric uid[:gid], None when unknown here."""
    uid_text, _, gid_text = user.partition(":")
    if uid_text.isdigit():
        uid = int(uid_text)
        if gid_text.isdigit():
            return uid, int(gid_text)
        try:
            return uid, pwd.getpwuid(uid).pw_gid
        except KeyError:
            return uid, uid
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return None
    return pw.pw_uid, pw.pw_gid


def _can(st: os.stat_result, ids: tuple[int, int], bits: int) -> bool:
    """Whether (uid, gid) has `bits` (4 read, 1 enter) on a file with this stat: owner, group or others."""
    uid, gid = ids
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode >> 6 & bits)
    groups = {gid}
    try:
        groups |= {g.gr_gid for g in grp.getgrall() if pwd.getpwuid(uid).pw_name in g.gr_mem}
    except KeyError:
        pass
    if st.st_gid in groups:
        return bool(st.st_mode >> 3 & bits)
    return bool(st.st_mode & bits)


def _reachable(path: Path, ids: tuple[int, int]) -> Path | None:
    """The first folder on the way to `path` the user cannot enter, if any."""
    for d in reversed(path.parents):
        if d.exists() and not _can(d.stat(), ids, 1):
            return d
    return None


def _file(report: Report, path: Path, what: str, reader: str | None, reader_option: str) -> None:
    """A secret file: present, not readable by others, and readable by `reader` (None: its owner only)."""
    if not path.exists():
        report.fix(f"{what} {path} is missing")
        return
    st = path.stat()
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077 and reader is None:
        report.fix(f"{what} {path} is mode {mode:04o}: `chmod 600 {path}` (it holds secrets)")
        return
    if mode & 0o007:
        report.fix(f"{what} {path} is readable by everyone (mode {mode:04o}): `chmod o-rwx {path}`")
        return
    if reader is not None:
        ids = _ids(reader)
        if ids is None:
            report.fix(f"{what}: no user {reader!r} on this host (`gymctl init {reader_option} …` names who reads it)")
            return
        if not _can(st, ids, 4):
            report.fix(f"{what} {path} is not readable by {reader} (owner {st.st_uid}:{st.st_gid}, mode "
                       f"{mode:04o}): `chgrp {ids[1]} {path} && chmod 640 {path}`, or rerun `gymctl broker-config`")
            return
        blocked = _reachable(path, ids)
        if blocked is not None:
            report.fix(f"{what}: {reader} cannot enter {blocked}: `chmod o+x {blocked}` (enter, not list)")
            return
    report.good(f"{what} {path} ({mode:04o})")


def _files(report: Report, state: SiteState, cfg: SiteConfig) -> None:
    broker_files = [(state.passwd, "broker password file"), (state.passwd_services, "services' password file"),
                    (state.acl, "broker ACL")]
    if state.conf.exists():
        broker_files.append((state.conf, "broker config"))
    else:
        report.fix(f"no broker config in {state.conf}: run `gymctl broker-config`")
    if cfg.site_certs:
        broker_files.append((state.broker_key, "broker TLS key"))
    for path, what in broker_files:
        _file(report, path, what, cfg.broker_user, "--broker-user")
    for path in sorted(state.accounts.glob("*")):
        _file(report, path, "account file", None, "")
    if state.redis_acl.exists() or state.env_file(REDIS_ADMIN).exists():
        _file(report, state.redis_acl, "Redis ACL", cfg.redis_user, "--redis-user")
    if cfg.site_certs:
        _file(report, state.dashboard_key, "dashboard TLS key", cfg.service_user, "--service-user")
    if state.ca_key.exists():
        report.fix(f"the site CA's key is on this host ({state.ca_key}): move it off (a USB key in the office "
                   "safe); a stolen server could otherwise issue certificates every unit trusts")


def _conf_files(state: SiteState) -> dict[str, list[Path]]:
    """cafile / certfile / keyfile lines of the rendered broker config."""
    out: dict[str, list[Path]] = {}
    if state.conf.exists():
        for m in re.finditer(r"^(cafile|certfile|keyfile) (.+)$", state.conf.read_text(), re.M):
            out.setdefault(m.group(1), [])
            if Path(m.group(2)) not in out[m.group(1)]:
                out[m.group(1)].append(Path(m.group(2)))
    return out


def _certs(report: Report, state: SiteState, cfg: SiteConfig) -> None:
    files = _conf_files(state)
    cas = files.get("cafile", []) or ([state.ca_cert] if cfg.site_certs else [])
    servers = [(p, "broker certificate") for p in files.get("certfile", [])]
    if cfg.site_certs and not servers:
        servers = [(state.broker_cert, "broker certificate")]
    if cfg.site_certs:
        servers.append((state.dashboard_cert, "dashboard certificate"))
    if not cas and not servers:
        if cfg.tls:
            report.fix("the stations use TLS but the broker has no certificate: `gymctl broker-config --certs-dir …`")
        return
    ca_certs = []
    for p in cas:
        try:
            ca_certs.append(tls.load(p))
        except (OSError, ValueError) as exc:
            report.fix(f"site CA {p}: {exc}")
    for c in ca_certs:
        _expiry(report, c, f"site CA {c.subject.rfc4514_string()}", "make a new CA and install it on every unit")
    renew = ("`gymctl certs renew --ca-key …` with the CA's key brought back, then restart mosquitto and "
             "gym-dashboard" if cfg.site_certs else "renew it where it was made (broker/make-certs.sh)")
    for p, what in servers:
        try:
            cert = tls.load(p)
        except (OSError, ValueError) as exc:
            report.fix(f"{what} {p}: {exc}")
            continue
        if ca_certs and not any(tls.signed_by(cert, ca) for ca in ca_certs):
            report.fix(f"{what} {p} is not signed by the site CA: units will refuse it ({renew})")
            continue
        if cfg.broker_host not in tls.names(cert):
            report.fix(f"{what} {p} does not name {cfg.broker_host} (it names {', '.join(tls.names(cert))}): "
                       f"units will refuse it ({renew})")
            continue
        _expiry(report, cert, f"{what} {p}", renew)


def _expiry(report: Report, cert: object, what: str, how: str) -> None:
    left = tls.days_left(cert)  # type: ignore[arg-type]
    if left <= 0:
        report.fix(f"{what} expired {-left:.0f} days ago: {how}")
    elif left < tls.RENEW_BEFORE_DAYS:
        report.fix(f"{what} expires in {left:.0f} days: {how}")
    else:
        report.good(f"{what} valid for {left:.0f} more days")


def _mqtt_login(host: str, port: int, user: str, password: str, ca: str) -> str | None:
    """None when the account is let in, else why not."""
    done = threading.Event()
    result: list[str] = []

    def on_connect(_c: object, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        result.append("" if not rc.is_failure else str(rc))
        done.set()

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{user}-doctor-{os.getpid()}", protocol=mqtt.MQTTv5)
    c.username_pw_set(user, password)
    c.on_connect = on_connect
    try:
        if ca:
            c.tls_set(ca_certs=ca)
        c.connect(host, port, keepalive=10)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return str(exc)
    c.loop_start()
    try:
        if not done.wait(TIMEOUT_S):
            return f"no answer within {TIMEOUT_S:.0f} s"
        return result[0] or None
    finally:
        c.disconnect()
        c.loop_stop()


def _tls_handshake(host: str, port: int, ca: Path) -> str | None:
    ctx = ssl.create_default_context(cafile=str(ca))
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as s, \
                ctx.wrap_socket(s, server_hostname=host) as tls_sock:
            try:
                tls_sock.unwrap()  # a close_notify: the broker logs a client that left, not an OpenSSL error
            except (OSError, ssl.SSLError):
                pass
            return None
    except (OSError, ssl.SSLError) as exc:
        return str(exc)


def _broker(report: Report, state: SiteState, cfg: SiteConfig, pid_file: str) -> None:
    if pid_file:
        try:
            os.kill(int(Path(pid_file).read_text().strip()), 0)
        except (OSError, ValueError) as exc:
            report.fix(f"the broker is not running ({pid_file}: {exc}): `systemctl start mosquitto`")
    for name in SERVICE_ACCOUNTS:
        if not state.env_file(name).exists():
            continue
        env = read_env(state.env_file(name))
        host, port = env["GYM_MQTT_HOST"], int(env["GYM_MQTT_PORT"])
        why = _mqtt_login(host, port, name, env["GYM_MQTT_PASSWORD"], env.get("GYM_MQTT_TLS_CA", ""))
        if why is None:
            report.good(f"broker lets {name} in at {host}:{port}")
        elif "authori" in why.lower() or "password" in why.lower():
            report.fix(f"broker refuses {name} at {host}:{port} ({why}): `gymctl broker-config`, then restart "
                       "mosquitto (its password files are not the ones gymctl wrote)")
        else:
            report.fix(f"broker unreachable for {name} at {host}:{port} ({why}): is mosquitto running on the "
                       f"config gymctl rendered (`mosquitto -c {state.conf}`), and does {host} resolve here?")
    ca = state.ca_cert if state.ca_cert.exists() else (Path(cfg.tls_ca) if cfg.tls_ca else None)
    if cfg.tls and ca is not None and ca.exists():
        why = _tls_handshake(cfg.broker_host, cfg.tls_port, ca)
        if why is None:
            report.good(f"units' TLS listener {cfg.broker_host}:{cfg.tls_port} presents a certificate they accept")
        else:
            report.fix(f"units' TLS listener {cfg.broker_host}:{cfg.tls_port}: {why} (is mosquitto running on "
                       "gymctl's config? a certificate error: `gymctl certs renew`)")


def _redis(report: Report, state: SiteState, cfg: SiteConfig) -> None:
    from shared.store import redacted_url

    urls = {n: read_env(state.env_file(n)).get("GYM_REDIS_URL", "") for n in (*SERVICE_ACCOUNTS, REDIS_ADMIN)
            if state.env_file(n).exists()}
    for name, url in urls.items():
        if not url:
            report.fix(f"{name} has no Redis account (an older site): `gymctl init` a new state, or add one")
            continue
        try:
            redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S).ping()
            report.good(f"Redis lets {name} in at {redacted_url(url)}")
        except redis.AuthenticationError as exc:
            report.fix(f"Redis refuses {name} ({exc}): add `aclfile {state.redis_acl}` to redis.conf and restart "
                       "redis-server")
        except redis.RedisError as exc:
            report.fix(f"Redis unreachable for {name} at {redacted_url(url)} ({exc}): is redis-server running?")
    if urls:
        try:
            redis.Redis.from_url(cfg.redis_url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S).ping()
            report.fix(f"Redis at {cfg.redis_url} answers anyone without an account: add `aclfile "
                       f"{state.redis_acl}` to redis.conf (its `default` user is off) and restart redis-server")
        except redis.AuthenticationError:
            report.good("Redis refuses clients without an account")
        except redis.RedisError:
            pass  # unreachable: said above


def check(state: SiteState, *, pid_file: str = "") -> Report:
    report = Report()
    try:
        cfg = state.load()
    except (FileNotFoundError, ValueError, TypeError) as exc:
        report.fix(str(exc))
        return report
    report.good(f"site {cfg.site_id} in {state.root} ({'TLS' if cfg.tls else 'no TLS: a test or demo site'})")
    _files(report, state, cfg)
    _certs(report, state, cfg)
    _broker(report, state, cfg, pid_file)
    _redis(report, state, cfg)
    return report
