"""python -m services.gymctl — provision a site.

  init --site ID [--broker-host H] [--tls-name N…] [--plain | --tls-ca PATH [--ca-key KEY]] [--redis-url U]
       [--broker-port P] [--tls-port P] [--services-port P] [--broker-user U] [--redis-user U] [--service-user U]
                                   the state folder, the site CA and the broker's and dashboard's certificates
                                   (TLS by default), the site services' broker and Redis accounts, ACLs
  station add ID | list | remove ID | rotate ID
                                   a station's broker account, ACL entry, env file (with its
                                   kiosk's staff PIN) and the unit's bridge config
  broker-config [--data-dir D] [--certs-dir C] [--pid-file F] [--bind H] [--broker-user U] [--include-dir D]
                                   render the site broker's mosquitto.conf (its files readable by U)
  reload [--pid-file F]            make the running broker re-read passwords and ACL (SIGHUP)
  certs renew --ca-key KEY [--days N]
                                   new broker and dashboard certificates from the site CA (its key brought back)
  doctor [--pid-file F]            check the site: files and their modes, certificates' expiry, the broker's
                                   and Redis's reachability with the accounts' credentials (exit 1: fix something)
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

from services.gymctl import certs, doctor, passwd, site_data, tls
from services.gymctl.files import broker_group, private_dir, write_private
from services.gymctl.site import (
    REDIS_ADMIN,
    REDIS_REPLICA,
    REDIS_SENTINEL,
    SERVICE_ACCOUNTS,
    SiteConfig,
    SiteState,
    TlsFiles,
    check_station_id,
    read_env,
    redis_url_of,
    render_acl,
    render_bridge_conf,
    render_broker_conf,
    render_env,
    render_redis_acl,
    render_redis_replication,
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


def write_account(state: SiteState, cfg: SiteConfig, name: str, token_key: str = "", redis_password: str = "") -> Path:
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    set_password(state, cfg, name, password)
    path = state.env_file(name)
    old = read_env(path) if path.exists() else {}
    key = secrets.token_urlsafe(32) if name == "dashboard" else ""  # 43 characters: above the dashboard's floor
    pin = ""
    if name not in SERVICE_ACCOUNTS:
        pin = old.get("GYM_OPERATOR_PIN", "") or new_operator_pin()  # a new password does not change what staff know
        write_private(state.bridge_conf(name), render_bridge_conf(cfg, name, password))
    else:
        token_key = token_key or old.get("GYM_TOKEN_KEY", "")  # every stored token reference depends on it
        if not redis_password and "GYM_REDIS_URL" in old:  # keep the Redis account users.acl knows
            redis_password = old["GYM_REDIS_URL"].split("://", 1)[1].split("@", 1)[0].partition(":")[2]
    dash_tls = (state.dashboard_cert, state.dashboard_key) if name == "dashboard" and cfg.site_certs else None
    write_private(path, render_env(cfg, name, password, key, operator_pin=pin, token_key=token_key,
                                   redis_password=redis_password, dashboard_tls=dash_tls))
    return path


def write_acl(state: SiteState, cfg: SiteConfig) -> None:
    write_private(state.acl, render_acl(cfg, state.stations()), group=_group(cfg))


def prepare_dirs(state: SiteState, cfg: SiteConfig) -> None:
    private_dir(state.broker, group=_group(cfg))
    private_dir(state.accounts)


def write_redis_accounts(state: SiteState, cfg: SiteConfig) -> dict[str, str]:
    """A Redis user per site service and gymctl's own, with generated passwords: the ACL file (hashes only,
    readable by Redis) and gymctl's env file (0600); the services' URLs go into their env files."""
    names = (*SERVICE_ACCOUNTS, REDIS_ADMIN, REDIS_REPLICA, REDIS_SENTINEL)
    passwords = {name: secrets.token_urlsafe(PASSWORD_BYTES) for name in names}
    group = broker_group(cfg.redis_user, "--redis-user")
    private_dir(state.redis, group=group)
    write_private(state.redis_acl, render_redis_acl(cfg, passwords), group=group)
    for name in (REDIS_REPLICA, REDIS_SENTINEL):
        write_private(state.accounts / f"{name}.conf", render_redis_replication(name, passwords[name]))
    write_private(state.env_file(REDIS_ADMIN), "\n".join([
        "# Rendered by gymctl: the operator's Redis account (backup, restore, user, member, retention, doctor).",
        f"GYM_SITE_ID={cfg.site_id}", f"GYM_REDIS_URL={redis_url_of(cfg, REDIS_ADMIN, passwords[REDIS_ADMIN])}", ""]))
    return passwords


def cmd_init(state: SiteState, args: argparse.Namespace) -> str:
    if state.exists():
        raise GymctlError(f"{state.root} already holds site {state.load().site_id!r}")
    if args.plain and (args.tls_ca or args.ca_key):
        raise GymctlError("--plain is a site without TLS: no --tls-ca or --ca-key")
    if args.ca_key and not args.tls_ca:
        raise GymctlError("--ca-key is the key of the operator's CA given with --tls-ca")
    site_certs = not args.plain and (not args.tls_ca or bool(args.ca_key))
    cfg = SiteConfig(site_id=check_station_id(args.site), broker_host=args.broker_host,
                     broker_port=args.broker_port, tls_port=args.tls_port,
                     tls_ca="" if args.plain else (args.tls_ca or args.unit_ca),
                     services_ca=str(state.ca_cert) if site_certs and not args.tls_ca else "",
                     services_port=args.services_port, broker_user=args.broker_user, site_certs=site_certs,
                     redis_url=args.redis_url, redis_user=args.redis_user, service_user=args.service_user)
    state.save(cfg)
    prepare_dirs(state, cfg)
    out = [f"site {cfg.site_id} in {state.root}: accounts {', '.join(SERVICE_ACCOUNTS)}"]
    if site_certs:
        if args.tls_ca:
            ca = certs.load_ca(state, Path(args.tls_ca), Path(args.ca_key))
        else:
            ca = certs.make_site_ca(state, cfg)
            out.append(f"site CA {state.ca_cert} (copy it to every unit as {cfg.tls_ca}); its key {state.ca_key}: "
                       "move it off this host (renewals need it back: `gymctl certs renew --ca-key …`)")
        names = [cfg.broker_host, *args.tls_name, "localhost", "127.0.0.1"]
        certs.issue_site_certs(state, cfg, ca, list(dict.fromkeys(names)))
    redis = write_redis_accounts(state, cfg)
    token_key = new_token_key()
    for svc in SERVICE_ACCOUNTS:
        write_account(state, cfg, svc, token_key, redis[svc])
    write_acl(state, cfg)
    out.append(f"Redis: `aclfile {state.redis_acl}` in redis.conf")
    return "\n".join(out)


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
    files = TlsFiles.in_dir(args.certs_dir) if args.certs_dir else (state.tls_files() if cfg.site_certs else None)
    if cfg.tls and files is None:
        raise GymctlError("this site's stations connect with TLS: give --certs-dir (ca.crt, server.crt, server.key)")
    text = render_broker_conf(state, cfg, bind=args.bind, data_dir=args.data_dir, tls=files,
                              pid_file=args.pid_file, include_dir=args.include_dir)
    prepare_dirs(state, cfg)
    group = _group(cfg)
    write_private(state.conf, text, group=group)
    for f in (state.passwd, state.passwd_services):  # the files the broker reads, to its (new) group
        passwd.write_entries(f, passwd.read_entries(f), group=group)
    if cfg.site_certs and state.broker_key.exists():
        certs.write_key(state.broker_key, state.broker_key.read_bytes(), group)
    write_acl(state, cfg)
    return str(state.conf)


def cmd_certs(state: SiteState, args: argparse.Namespace) -> str:
    return certs.renew(state, state.load(), args.ca_key, days=args.days)


def cmd_reload(args: argparse.Namespace) -> str:
    try:
        pid = int(Path(args.pid_file).read_text().strip())
        os.kill(pid, signal.SIGHUP)  # mosquitto re-reads the password file and ACL; connections stay
    except (OSError, ValueError) as exc:
        raise GymctlError(f"cannot signal the broker from {args.pid_file}: {exc}") from exc
    return f"broker {pid} reloads its passwords and ACL"


def _operator_env(state: SiteState) -> Path | None:
    """gymctl's own Redis account (accounts/gymctl.env); GYM_* in the environment win over it."""
    path = state.env_file(REDIS_ADMIN)
    return path if path.is_file() else None


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
    i.add_argument("--tls-name", action="append", default=[],
                   help="another name or address of the server in its certificates (repeat)")
    i.add_argument("--tls-ca", default="",
                   help="the operator's CA certificate, at this path on the units and here (default: gymctl makes "
                        "the site CA); with --ca-key gymctl issues the certificates with it, else broker-config "
                        "needs --certs-dir")
    i.add_argument("--ca-key", default="", help="the key of the --tls-ca CA (read once, not kept)")
    i.add_argument("--unit-ca", default="/etc/gym/ca.crt", help="where units keep the CA gymctl made")
    i.add_argument("--plain", action="store_true",
                   help="no TLS: a test or demo site whose broker is reached on one machine or a private network")
    i.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                   help="the site's Redis as the site services reach it (gymctl adds each account's credentials)")
    i.add_argument("--redis-user", default="redis", help="the user redis-server runs as: it reads users.acl")
    i.add_argument("--service-user", default="gym", help="the user the site services run as: reads the dashboard key")
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
    ce = sub.add_parser("certs", help="renew the broker's and the dashboard's certificates")
    ce.add_argument("action", choices=["renew"])
    ce.add_argument("--ca-key", type=Path, required=True, help="the site CA's key, brought back for the renewal")
    ce.add_argument("--days", type=int, default=tls.SERVER_DAYS)
    dr = sub.add_parser("doctor", help="check the site's files, certificates, broker and Redis")
    dr.add_argument("--pid-file", default="", help="the broker's pid file: is it running")
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
        elif args.cmd == "certs":
            out = cmd_certs(state, args)
        elif args.cmd == "doctor":
            report = doctor.check(state, pid_file=args.pid_file)
            print(report.text())
            return 0 if report.ok else 1
        elif args.cmd in site_data.COMMANDS:
            out = site_data.run(args, _operator_env(state))
        else:
            from services.gymctl.backup import backup, restore
            from shared.settings import Settings

            env = Settings(_env_file=_operator_env(state))
            site = state.load().site_id if state.exists() else env.site_id  # the site's keys only
            out = (backup if args.cmd == "backup" else restore)(env.redis_url, args.file, site)
    except (GymctlError, ValueError, FileNotFoundError) as exc:
        print(f"gymctl: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
