"""The broker's password file, written by gymctl itself: no password ever on a command line.

`mosquitto_passwd -b FILE USER PASSWORD` showed the password to anyone running `ps` while it ran.
Mosquitto 2's format is simple enough to write directly: one `user:$7$<iterations>$<salt>$<hash>`
line per account, the hash PBKDF2-HMAC-SHA512 of the password over a 12-byte random salt, 64 bytes,
salt and hash in base64 — what `mosquitto_passwd` itself writes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

from services.gymctl.files import write_private

# mosquitto_passwd's own count. The cost of a hash only matters for a guessable password; ours are
# 192 random bits (gymctl's PASSWORD_BYTES), beyond any offline search, and the broker pays this
# cost on every CONNECT of every station.
ITERATIONS = 101
SALT_BYTES = 12


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, line_hash: str) -> bool:
    """Whether `password` matches a `$7$` hash (for tests and `gymctl` checks)."""
    try:
        _, kind, iterations, salt, _digest = line_hash.split("$")
    except ValueError:
        return False
    if kind != "7":
        return False
    expected = hash_password(password, salt=base64.b64decode(salt), iterations=int(iterations))
    return secrets.compare_digest(expected, line_hash)


def read_entries(path: Path) -> dict[str, str]:
    """user -> hash, in file order."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and ":" in line:
            user, h = line.split(":", 1)
            out[user] = h
    return out


def write_entries(path: Path, entries: dict[str, str], *, group: int | None) -> None:
    write_private(path, "".join(f"{u}:{h}\n" for u, h in entries.items()), group=group)


def set_password(path: Path, user: str, password: str, *, group: int | None) -> None:
    entries = read_entries(path)
    entries[user] = hash_password(password)
    write_entries(path, entries, group=group)


def remove_user(path: Path, user: str, *, group: int | None) -> None:
    entries = read_entries(path)
    entries.pop(user, None)
    write_entries(path, entries, group=group)
