"""gymctl commands on the site's data in Redis (GYM_REDIS_URL, GYM_SITE_ID), each one written to the audit log:

  user disable NAME | enable NAME | remove NAME | list
                         a dashboard account: disable/remove end every session of it at once
  member export ID [--out FILE]
                         everything the site keeps about one member, as JSON
  member erase ID --yes  delete a member and every trace of them (records, tokens, history, progress,
                         their sessions and verdicts at the stations, their data in processed marks)
  retention [--months N] delete finished sessions older than N months (default
                         GYM_DASHBOARD_HISTORY_RETENTION_MONTHS, else 24)
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from pathlib import Path

from shared.settings import Settings
from shared.store import (
    AuditLog,
    DashboardAccess,
    RedisErrors,
    RedisStore,
    connect,
    drop_history_before,
    erase_member,
    export_member,
    months_ago,
    redacted_url,
)

COMMANDS = ("user", "member", "retention")
DEFAULT_RETENTION_MONTHS = 24  # the dashboard's default (services/dashboard/config.py)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    u = sub.add_parser("user", help="disable, enable or remove a dashboard account (ends its sessions)")
    u.add_argument("action", choices=["disable", "enable", "remove", "list"])
    u.add_argument("name", nargs="?")
    m = sub.add_parser("member", help="export or erase one member's data")
    m.add_argument("action", choices=["export", "erase"])
    m.add_argument("id")
    m.add_argument("--out", type=Path, help="export: write the JSON here (mode 0600) instead of stdout")
    m.add_argument("--yes", action="store_true", help="erase: confirm; erasure cannot be undone")
    r = sub.add_parser("retention", help="delete finished sessions older than N months")
    r.add_argument("--months", type=int, default=None)


def _actor() -> str:
    try:
        return f"gymctl:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return f"gymctl:uid-{os.getuid()}"


def run(args: argparse.Namespace, env_file: Path | None = None) -> str:
    """Runs one command; raises ValueError with the operator's message on a refusal. `env_file`: gymctl's own
    Redis account (the environment's GYM_* win over it)."""
    settings = Settings(_env_file=env_file)
    r = connect(settings.redis_url)
    audit = AuditLog(r, settings.site_id)  # no trimming here: the dashboard's retention setting governs it
    try:
        if args.cmd == "user":
            return _user(DashboardAccess(r, settings.site_id), audit, args)
        if args.cmd == "member":
            return _member(RedisStore(r, settings.site_id), audit, args)
        return _retention(RedisStore(r, settings.site_id), audit, args)
    except RedisErrors as exc:
        raise ValueError(f"redis at {redacted_url(settings.redis_url)} cannot be reached: {exc}") from exc


def _user(access: DashboardAccess, audit: AuditLog, args: argparse.Namespace) -> str:
    if args.action == "list":
        disabled = access.disabled()
        names = sorted(access.r.hkeys(access.keys.dashboard_users()))
        return "\n".join(f"{n}\t{'disabled' if n in disabled else 'active'}\t{access.sessions_of(n)} sessions"
                         for n in names) or "(no account)"
    if not args.name:
        raise ValueError(f"user {args.action} needs an account name")
    try:
        if args.action == "disable":
            ended = access.disable(args.name)
            out = f"{args.name} disabled; {ended} session(s) ended"
        elif args.action == "enable":
            access.enable(args.name)
            ended, out = 0, f"{args.name} may sign in again"
        else:
            ended = access.remove(args.name)
            out = f"{args.name} removed; {ended} session(s) ended"
    except KeyError:
        raise ValueError(f"no dashboard account {args.name!r}") from None
    audit.record(_actor(), f"user.{args.action}", args.name, {"sessions_ended": ended})
    return out


def _member(store: RedisStore, audit: AuditLog, args: argparse.Namespace) -> str:
    if args.action == "export":
        data = export_member(store, args.id)
        if data is None:
            raise ValueError(f"no member {args.id}")
        audit.record(_actor(), "member.export", args.id)
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if args.out is None:
            return text
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # a member's data: the operator's
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
        return f"member {args.id}: {len(data['sessions'])} sessions exported to {args.out}"
    if not args.yes:
        raise ValueError(f"erasing member {args.id} cannot be undone: repeat with --yes "
                         f"(export first with `gymctl member export {args.id} --out FILE` if they asked for a copy)")
    counts = erase_member(store, args.id)
    if counts is None:
        raise ValueError(f"no member {args.id}")
    audit.record(_actor(), "member.erase", args.id, counts)
    return f"member {args.id} erased: " + ", ".join(f"{k} {v}" for k, v in counts.items())


def _retention(store: RedisStore, audit: AuditLog, args: argparse.Namespace) -> str:
    months = args.months or int(os.environ.get("GYM_DASHBOARD_HISTORY_RETENTION_MONTHS") or DEFAULT_RETENTION_MONTHS)
    if months < 1:
        raise ValueError("--months must be at least 1")
    cutoff = months_ago(months)
    counts = drop_history_before(store, cutoff)
    audit.record(_actor(), "history.retention", "", {"months": months, **counts})
    return f"sessions before {cutoff:%Y-%m-%d} deleted: {counts['sessions']} sessions, {counts['verdicts']} verdicts"
