"""python -m services.gymctl — provision a site.

  init --site ID [--broker-host H] [--broker-port P] [--tls-ca PATH]
                                   the state folder, the site services' accounts, ACL
  station add ID | list | remove ID | rotate ID
                                   a station's broker account, ACL entry and env file
  broker-config [--data-dir D] [--certs-dir C] [--pid-file F] [--bind H]
                                   render the site broker's mosquitto.conf
  reload [--pid-file F]            make the running broker re-read passwords and ACL (SIGHUP)
  backup FILE | restore FILE       the site's Redis data (GYM_REDIS_URL)
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from services.gymctl.site import (
    SERVICE_ACCOUNTS,
    SiteConfig,
    SiteState,
    check_station_id,
    read_env,
    render_acl,
    render_broker_conf,
    render_env,
)

DEFAULT_STATE = Path(os.environ.get("GYM_STATE_DIR", "/var/lib/gym"))
PASSWORD_BYTES = 24  # 32 URL-safe characters: far beyond guessing over a rate-limited MQTT login


class GymctlError(Exception):
    """A refusal with a message for the operator (exit 2)."""


def _passwd_tool() -> str:
    tool = shutil.which("mosquitto_passwd")
    if not tool:
        raise GymctlError("mosquitto_passwd not found: install the Debian package 'mosquitto'")
    return tool


def set_password(state: SiteState, user: str, password: str) -> None:
    if not state.passwd.exists():
        state.passwd.touch(mode=0o600)
    subprocess.run([_passwd_tool(), "-b", str(state.passwd), user, password], check=True, capture_output=True)


def new_token_key() -> str:
    """The site secret keying members' badge, QR and PIN hashes (shared/identity.py): 256 random bits, made
    here once per site and never defaulted; only the site services' env files (mode 0600) hold it."""
    return secrets.token_urlsafe(32)


def write_account(state: SiteState, cfg: SiteConfig, name: str, token_key: str = "") -> Path:
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    set_password(state, name, password)
    path = state.env_file(name)
    key = secrets.token_urlsafe(32) if name == "dashboard" else ""  # 43 characters: above the dashboard's floor
    if name in SERVICE_ACCOUNTS and not token_key and path.exists():
        token_key = read_env(path).get("GYM_TOKEN_KEY", "")  # every stored token reference depends on it
    # Created 0600, never readable by others even for an instant (write_text then chmod was, for a moment).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(render_env(cfg, name, password, key, token_key=token_key))
    return path


def write_acl(state: SiteState, cfg: SiteConfig) -> None:
    state.acl.write_text(render_acl(cfg, state.stations()))


def cmd_init(state: SiteState, args: argparse.Namespace) -> str:
    if state.exists():
        raise GymctlError(f"{state.root} already holds site {state.load().site_id!r}")
    cfg = SiteConfig(site_id=check_station_id(args.site), broker_host=args.broker_host,
                     broker_port=args.broker_port, tls_port=args.tls_port, tls_ca=args.tls_ca)
    state.save(cfg)
    token_key = new_token_key()
    for svc in SERVICE_ACCOUNTS:
        write_account(state, cfg, svc, token_key)
    write_acl(state, cfg)
    return f"site {cfg.site_id} in {state.root}: accounts {', '.join(SERVICE_ACCOUNTS)}"


def cmd_station(state: SiteState, args: argparse.Namespace) -> str:
    cfg = state.load()
    if args.action == "list":
        return "\n".join(state.stations()) or "(no station)"
    sid = check_station_id(args.id)
    known = sid in state.stations()
    if args.action == "add":
        if known:
            raise GymctlError(f"station {sid} exists: `rotate` gives it a new password")
        path = write_account(state, cfg, sid)
        write_acl(state, cfg)
        return f"station {sid}: env file {path} (copy it to the unit), then `gymctl reload`"
    if not known:
        raise GymctlError(f"no station {sid}")
    if args.action == "rotate":
        path = write_account(state, cfg, sid)
        return f"station {sid}: new password in {path}; `gymctl reload`, then update the unit"
    subprocess.run([_passwd_tool(), "-D", str(state.passwd), sid], check=True, capture_output=True)
    state.env_file(sid).unlink()
    write_acl(state, cfg)
    return f"station {sid} removed; `gymctl reload` applies it"


def cmd_broker_config(state: SiteState, args: argparse.Namespace) -> str:
    text = render_broker_conf(state, state.load(), bind=args.bind, data_dir=args.data_dir, certs_dir=args.certs_dir,
                              pid_file=args.pid_file)
    state.conf.write_text(text)
    return str(state.conf)


def cmd_reload(args: argparse.Namespace) -> str:
    try:
        pid = int(Path(args.pid_file).read_text().strip())
        os.kill(pid, signal.SIGHUP)  # mosquitto re-reads the password file and ACL; connections stay
    except (OSError, ValueError) as exc:
        raise GymctlError(f"cannot signal the broker from {args.pid_file}: {exc}") from exc
    return f"broker {pid} reloads its passwords and ACL"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.gymctl", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--state-dir", type=Path, default=DEFAULT_STATE, help="the site's provisioning folder")
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("init", help="start a site's provisioning state")
    i.add_argument("--site", required=True)
    i.add_argument("--broker-host", default="broker", help="the broker's name as the units reach it")
    i.add_argument("--broker-port", type=int, default=1883)
    i.add_argument("--tls-port", type=int, default=8883)
    i.add_argument("--tls-ca", default="", help="CA path on the units: they then connect with TLS")
    st = sub.add_parser("station", help="a station's account")
    st.add_argument("action", choices=["add", "list", "remove", "rotate"])
    st.add_argument("id", nargs="?")
    bc = sub.add_parser("broker-config", help="render mosquitto.conf for the site broker")
    bc.add_argument("--data-dir", default="/mosquitto/data")
    bc.add_argument("--certs-dir", default="", help="folder with ca.crt, server.crt, server.key: adds TLS")
    bc.add_argument("--pid-file", default="")
    bc.add_argument("--bind", default="")
    rl = sub.add_parser("reload", help="SIGHUP the broker")
    rl.add_argument("--pid-file", default="/run/mosquitto/mosquitto.pid")
    for name in ("backup", "restore"):
        b = sub.add_parser(name, help=f"{name} the site's Redis data")
        b.add_argument("file", type=Path)
    args = p.parse_args(argv)
    state = SiteState(args.state_dir)
    try:
        if args.cmd == "init":
            out = cmd_init(state, args)
        elif args.cmd == "station":
            if args.action != "list" and not args.id:
                raise GymctlError(f"station {args.action} needs a station id")
            out = cmd_station(state, args)
        elif args.cmd == "broker-config":
            out = cmd_broker_config(state, args)
        elif args.cmd == "reload":
            out = cmd_reload(args)
        else:
            from services.gymctl.backup import backup, restore
            from shared.settings import Settings

            url = Settings(_env_file=None).redis_url
            out = backup(url, args.file) if args.cmd == "backup" else restore(url, args.file)
    except (GymctlError, ValueError, FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"gymctl: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
