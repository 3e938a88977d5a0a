"""python -m services.dashboard run [--host H] [--port P]
   | user add --role {trainer,operator} [--reset] NAME | user role NAME {trainer,operator}
   | user disable|enable|remove NAME | user list

A reset password, a new role, disable and remove end every session of the account at once; each is audited."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared import telemetry

PASSWORD_ENV = "GYM_DASHBOARD_NEW_PASSWORD"


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text().strip()
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise SystemExit(f"no terminal to ask for the password: use --password-file or {PASSWORD_ENV}")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


def _switch(users: Any, audit: Any, args: argparse.Namespace) -> int:
    """user role | disable | enable | remove: each ends the account's sessions (enable has none to end)."""
    from services.dashboard.users import Role

    try:
        if args.user_cmd == "role":
            users.set_role(args.name, Role(args.role))
            detail, msg = {"role": args.role}, f"{args.name} is now {args.role}; their sessions ended"
        elif args.user_cmd == "disable":
            detail = {"sessions_ended": users.access.disable(args.name)}
            msg = f"{args.name} disabled; {detail['sessions_ended']} session(s) ended"
        elif args.user_cmd == "enable":
            users.access.enable(args.name)
            detail, msg = {}, f"{args.name} may sign in again"
        else:
            detail = {"sessions_ended": users.access.remove(args.name)}
            msg = f"{args.name} removed; {detail['sessions_ended']} session(s) ended"
    except KeyError:
        print(f"no account {args.name!r}", file=sys.stderr)
        return 1
    audit.record(_actor(), f"user.{args.user_cmd}", args.name, detail)
    print(msg)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.dashboard", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="serve the dashboard")
    r.add_argument("--host", default=None, help="default GYM_DASHBOARD_HOST or 127.0.0.1")
    r.add_argument("--port", type=int, default=None, help="default GYM_DASHBOARD_PORT or 8000")
    u = sub.add_parser("user", help="manage sign-in accounts")
    usub = u.add_subparsers(dest="user_cmd", required=True)
    add = usub.add_parser("add", help="create a trainer or operator (the first operator too)")
    add.add_argument("name")
    add.add_argument("--role", choices=["trainer", "operator"], required=True)
    add.add_argument("--password-file", help=f"read the password from this file (else {PASSWORD_ENV} or a prompt)")
    add.add_argument("--reset", action="store_true", help="replace an existing user's password and role")
    usub.add_parser("list", help="list accounts")
    role = usub.add_parser("role", help="promote or demote an account (ends its sessions)")
    role.add_argument("name")
    role.add_argument("role", choices=["trainer", "operator"])
    for action, what in (("disable", "no sign-in, sessions end now"), ("enable", "may sign in again"),
                         ("remove", "delete the account, sessions end now")):
        usub.add_parser(action, help=what).add_argument("name")
    args = p.parse_args(argv)

    from services.dashboard.config import DashboardSettings

    try:
        settings = DashboardSettings()
    except ValidationError as exc:
        print(f"dashboard settings are invalid:\n{exc}", file=sys.stderr)
        return 2
    telemetry.configure_logging("dashboard", settings)

    if args.cmd == "user":
        from pydantic import TypeAdapter

        from services.dashboard.users import Role, UserName, UserStore
        from shared.store import AuditLog, RedisErrors, connect, redacted_url

        redis = connect(settings.redis_url)
        users = UserStore(redis, settings.site_id)
        audit = AuditLog(redis, settings.site_id, settings.dashboard_audit_retention_days)
        try:
            if args.user_cmd == "list":
                disabled = users.access.disabled()
                for user in users.all():
                    print(f"{user.name}\t{user.role.value}\t{user.created:%Y-%m-%d}"
                          f"{chr(9) + 'disabled' if user.name in disabled else ''}")
                return 0
            if args.user_cmd in ("role", "disable", "enable", "remove"):
                return _switch(users, audit, args)
            name = TypeAdapter(UserName).validate_python(args.name)
            user = users.add(name, Role(args.role), _password(args), replace=args.reset)
            audit.record(_actor(), "user.reset" if args.reset else "user.add", name, {"role": user.role.value})
        except ValidationError:
            print("a user name is 2-40 characters: lower-case letters, digits, '.', '_' or '-'", file=sys.stderr)
            return 2
        except ValueError as exc:
            print(f"not created: {exc}", file=sys.stderr)
            return 1
        except RedisErrors as exc:
            print(f"redis at {redacted_url(settings.redis_url)} cannot be reached: {exc}", file=sys.stderr)
            return 1
        print(f"{user.role.value} {user.name} created")
        return 0

    import uvicorn

    from services.dashboard.app import bootstrap

    telemetry.serve(settings)  # /metrics on GYM_METRICS_PORT, apart from the app (operators' scrapers only)
    tls = settings.dashboard_tls_certfile, settings.dashboard_tls_keyfile
    uvicorn.run(bootstrap(settings), host=args.host or settings.dashboard_host,
                port=args.port or settings.dashboard_port, log_level="warning", ws="websockets",
                ssl_certfile=str(tls[0]) if tls[0] else None, ssl_keyfile=str(tls[1]) if tls[1] else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
