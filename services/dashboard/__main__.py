"""python -m services.dashboard run [--host H] [--port P] | user add --role {trainer,operator} NAME"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

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
    args = p.parse_args(argv)

    from services.dashboard.config import DashboardSettings

    try:
        settings = DashboardSettings()
    except ValidationError as exc:
        print(f"dashboard settings are invalid:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s dashboard %(levelname)s %(message)s")

    if args.cmd == "user":
        from pydantic import TypeAdapter

        from services.dashboard.users import Role, UserName, UserStore
        from shared.store import RedisErrors, connect

        users = UserStore(connect(settings.redis_url), settings.site_id)
        try:
            if args.user_cmd == "list":
                for user in users.all():
                    print(f"{user.name}\t{user.role.value}\t{user.created:%Y-%m-%d}")
                return 0
            name = TypeAdapter(UserName).validate_python(args.name)
            user = users.add(name, Role(args.role), _password(args), replace=args.reset)
        except ValidationError:
            print("a user name is 2-40 characters: lower-case letters, digits, '.', '_' or '-'", file=sys.stderr)
            return 2
        except ValueError as exc:
            print(f"not created: {exc}", file=sys.stderr)
            return 1
        except RedisErrors as exc:
            print(f"redis at {settings.redis_url} cannot be reached: {exc}", file=sys.stderr)
            return 1
        print(f"{user.role.value} {user.name} created")
        return 0

    import uvicorn

    from services.dashboard.app import create_app

    uvicorn.run(create_app(settings), host=args.host or settings.dashboard_host,
                port=args.port or settings.dashboard_port, log_level="warning", ws="websockets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
