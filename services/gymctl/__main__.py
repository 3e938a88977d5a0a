"""python -m services.gymctl — provision a site.

  init --site ID [--broker-host H] [--broker-port P] [--tls-ca PATH] [--services-port P] [--broker-user U]
                                   the state folder, the site services' accounts, ACL
  station add ID | list | remove ID | rotate ID
                                   a station's broker account, ACL entry, env file (with its
                                   kiosk's staff PIN) and the unit's bridge config
  broker-config [--data-dir D] [--certs-dir C] [--pid-file F] [--bind H] [--broker-user U] [--include-dir D]
                                   render the site broker's mosquitto.conf (its files readable by U)
  reload [--pid-file F]            make the running broker re-read passwords and ACL (SIGHUP)
  backup FILE | restore FILE       the site's Redis data (GYM_REDIS_URL)
  user disable|enable|remove NAME | list
                                   a dashboard account; disable/remove end its sessions at once
  member export ID [--out F] | erase ID --yes
                                   one member's data: a JSON copy, or erased everywhere
  retention [--months N]           delete finished sessions older than N months (services/gymctl/site_data.py)
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
from dataclasses import replace
from pathlib import Path

from services.gymctl import passwd, site_data
from services.gymctl.files import broker_group, private_dir, write_private
from services.gymctl.site import (
    SERVICE_ACCOUNTS,
    SiteConfig,
    SiteState,
    check_station_id,
    read_env,
    render_acl,
    render_bridge_conf,
    render_broker_conf,
    render_env,
)

DEFAULT_STATE = Path(os.environ.get("GYM_STATE_DIR", "/var/lib/gym"))
PASSWORD_BYTES = 24  # 32 URL-safe characters: far beyond guessing over a rate-limited MQTT login
# A kiosk's staff PIN: 6 digits, a million codes; with the kiosk's growing delay after 3 wrong ones
# (kiosk/state/staff.py) a guesser needs years at the panel.
OPERATOR_PIN_DIGITS = 6


class GymctlError(Exception):
    """A refusal with a message for the operator (exit 2)."""


def _group(cfg: SiteConfig) -> int | None:
    return broker_group(cfg.broker_user)


def set_password(state: SiteState, cfg: SiteConfig, user: str, password: str) -> None:
    """The account's hash in the password files (written here: the password is never on a command line)."""
    group = _group(cfg)
    passwd.set_password(state.passwd, user, password, group=group)
    if user in SERVICE_ACCOUNTS:
        passwd.set_password(state.passwd_services, user, password, group=group)


def new_operator_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(OPERATOR_PIN_DIGITS))


def new_token_key() -> str:
    """The site secret keying members' badge, QR and PIN hashes (shared/identity.py): 256 random bits, made
    here once per site and never defaulted; only the site services' env files (mode 0600) hold it."""
    return secrets.token_urlsafe(32)


def write_account(state: SiteState, cfg: SiteConfig, name: str, token_key: str = "") -> Path:
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    set_password(state, cfg, name, password)
    path = state.env_file(name)
    key = secrets.token_urlsafe(32) if name == "dashboard" else ""  # 43 characters: above the dashboard's floor
    pin = ""
    if name not in SERVICE_ACCOUNTS:
        old = read_env(path).get("GYM_OPERATOR_PIN", "") if path.exists() else ""
        pin = old or new_operator_pin()  # a new password does not change what the staff know
        write_private(state.bridge_conf(name), render_bridge_conf(cfg, name, password))
    elif not token_key and path.exists():
        token_key = read_env(path).get("GYM_TOKEN_KEY", "")  # every stored token reference depends on it
    write_private(path, render_env(cfg, name, password, key, operator_pin=pin, token_key=token_key))
    return path


def write_acl(state: SiteState, cfg: SiteConfig) -> None:
    write_private(state.acl, render_acl(cfg, state.stations()), group=_group(cfg))


def prepare_dirs(state: SiteState, cfg: SiteConfig) -> None:
    private_dir(state.broker, group=_group(cfg))
    private_dir(state.accounts)


def cmd_init(state: SiteState, args: argparse.Namespace) -> str:
    if state.exists():
        raise GymctlError(f"{state.root} already holds site {state.load().site_id!r}")
    cfg = SiteConfig(site_id=check_station_id(args.site), broker_host=args.broker_host,
                     broker_port=args.broker_port, tls_port=args.tls_port, tls_ca=args.tls_ca,
                     services_port=args.services_port, broker_user=args.broker_user)
    state.save(cfg)
    prepare_dirs(state, cfg)
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
    prepare_dirs(state, cfg)
    if args.action == "add":
        if known:
            raise GymctlError(f"station {sid} exists: `rotate` gives it a new password")
        path = write_account(state, cfg, sid)
        write_acl(state, cfg)
        return (f"station {sid}: env file {path} and bridge config {state.bridge_conf(sid)} (copy both to the "
                "unit), then `gymctl reload`")
    if not known:
        raise GymctlError(f"no station {sid}")
    if args.action == "rotate":
        path = write_account(state, cfg, sid)
        return (f"station {sid}: new password in {path} and {state.bridge_conf(sid)}; `gymctl reload`, "
                "then update the unit")
    passwd.remove_user(state.passwd, sid, group=_group(cfg))
    state.env_file(sid).unlink()
    state.bridge_conf(sid).unlink(missing_ok=True)
    write_acl(state, cfg)
    return f"station {sid} removed; `gymctl reload` applies it"


def cmd_broker_config(state: SiteState, args: argparse.Namespace) -> str:
    cfg = state.load()
    if args.broker_user and args.broker_user != cfg.broker_user:  # e.g. 1883 for the eclipse-mosquitto image
        cfg = replace(cfg, broker_user=args.broker_user)
        state.save(cfg)
    text = render_broker_conf(state, cfg, bind=args.bind, data_dir=args.data_dir, certs_dir=args.certs_dir,
                              pid_file=args.pid_file, include_dir=args.include_dir)
    prepare_dirs(state, cfg)
    group = _group(cfg)
    write_private(state.conf, text, group=group)
    for f in (state.passwd, state.passwd_services):  # the files the broker reads, to its (new) group
        passwd.write_entries(f, passwd.read_entries(f), group=group)
    write_acl(state, cfg)
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
    i.add_argument("--plain", action="store_true", help="no TLS (a test or demo site on one machine)")
    i.add_argument("--services-port", type=int, default=0,
                   help="the site services' own listener (default: broker port + 1)")
    i.add_argument("--broker-user", default="mosquitto",
                   help="the user the broker runs as (name or uid[:gid], 1883 in the eclipse-mosquitto image): "
                        "it must read the password files and ACL")
    st = sub.add_parser("station", help="a station's account")
    st.add_argument("action", choices=["add", "list", "remove", "rotate"])
    st.add_argument("id", nargs="?")
    bc = sub.add_parser("broker-config", help="render mosquitto.conf for the site broker")
    bc.add_argument("--data-dir", default="/mosquitto/data")
    bc.add_argument("--certs-dir", default="", help="folder with ca.crt, server.crt, server.key: adds TLS")
    bc.add_argument("--pid-file", default="")
    bc.add_argument("--bind", default="")
    bc.add_argument("--broker-user", default="", help="change the broker's user (see init)")
    bc.add_argument("--include-dir", default="", help="a folder of extra config, e.g. the bridge to the centre")
    rl = sub.add_parser("reload", help="SIGHUP the broker")
    rl.add_argument("--pid-file", default="/run/mosquitto/mosquitto.pid")
    for name in ("backup", "restore"):
        b = sub.add_parser(name, help=f"{name} the site's Redis data")
        b.add_argument("file", type=Path)
    site_data.add_parsers(sub)
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
        elif args.cmd in site_data.COMMANDS:
            out = site_data.run(args)
        else:
            from services.gymctl.backup import backup, restore
            from shared.settings import Settings

            env = Settings(_env_file=None)
            site = state.load().site_id if state.exists() else env.site_id  # the site's keys only
            out = (backup if args.cmd == "backup" else restore)(env.redis_url, args.file, site)
    except (GymctlError, ValueError, FileNotFoundError) as exc:
        print(f"gymctl: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
