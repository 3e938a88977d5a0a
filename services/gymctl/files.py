"""Writing gymctl's secret files: never readable by anyone else, not even for an instant.

Every file gymctl writes that holds a secret (env files, the broker's password file and ACL, a
unit's bridge config, backups) is created by `os.open` with mode 0600 under a temporary name, given
its group and final mode while still empty, filled, flushed to disk and renamed over the old file.
So there is no moment at 0644 (as `write_text` then `chmod` had), the result does not depend on the
umask, and a reader sees the old file or the whole new one.

The broker's own files (password file, ACL, its config) must be readable by the broker after it
drops root (Debian's and the eclipse-mosquitto image's `mosquitto` user; it re-reads them on
SIGHUP): they are `root:<broker group>` mode 0640 when gymctl runs as root, never world-readable.
"""

from __future__ import annotations

import os
import pwd
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

OWNER_ONLY = 0o600
BROKER_READABLE = 0o640  # the owner writes, the broker's group reads, nobody else


def broker_group(broker_user: str, option: str = "--broker-user") -> int | None:
    """The group id that lets the broker read its files, or None when they stay owner-only.

    `broker_user` is a user name (`mosquitto`) or a numeric `uid[:gid]` (1883 in the eclipse-mosquitto
    image). As root any group can be given; otherwise only one of our own groups, and when the broker's
    is not one of them the broker is assumed to run as us (development, tests) and owner-only suffices.
    """
    uid_text, _, gid_text = broker_user.partition(":")
    if uid_text.isdigit():
        gid = int(gid_text) if gid_text.isdigit() else _primary_gid(int(uid_text))
    else:
        try:
            gid = pwd.getpwnam(broker_user).pw_gid
        except KeyError:
            if os.geteuid() == 0:
                print(f"gymctl: no user {broker_user!r} on this host: its files stay owner-only "
                      f"(give {option})", file=sys.stderr)
            return None
    if os.geteuid() == 0 or gid == os.getegid() or gid in os.getgroups():
        return gid
    return None


def _primary_gid(uid: int) -> int:
    try:
        return pwd.getpwuid(uid).pw_gid
    except KeyError:
        return uid  # a container's user unknown to this host: its group has the same number by convention


@contextmanager
def private_file(path: Path, *, group: int | None = None, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write at `path`: created 0600 (0640 to `group`), renamed into place when the block ends
    without an error, removed otherwise."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL | O_NOFOLLOW: a name planted in advance (a symlink to elsewhere) is refused, not followed.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, OWNER_ONLY)
    try:
        try:
            os.fchmod(fd, OWNER_ONLY)  # whatever the umask took away, the owner must be able to read it back
            if group is not None:
                os.fchown(fd, -1, group)
                os.fchmod(fd, BROKER_READABLE)  # only once the group is the broker's: no other group reads it
            fh = os.fdopen(fd, "wb" if binary else "w")
        except BaseException:
            os.close(fd)
            raise
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_public(path: Path, data: bytes) -> Path:
    """A file anyone may read (a certificate): 0644 whatever the umask, renamed into place whole."""
    with private_file(path, binary=True) as fh:
        os.fchmod(fh.fileno(), 0o644)
        fh.write(data)
    return path


def write_private(path: Path, text: str, *, group: int | None = None) -> Path:
    """Write `text` to `path` atomically: mode 0600, or 0640 to `group` when one is given."""
    with private_file(path, group=group) as fh:
        fh.write(text)
    return path


def private_dir(path: Path, *, group: int | None = None) -> Path:
    """A folder only its owner (and `group`, which may enter and list it) can reach."""
    path.mkdir(parents=True, exist_ok=True)
    if group is not None:
        os.chown(path, -1, group)
        path.chmod(0o750)
    else:
        path.chmod(0o700)
    return path
