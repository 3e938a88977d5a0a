"""Backup and restore of a site's Redis data: every `gym:<site>:*` key as Redis's own DUMP, with its TTL.

A backup holds members' badge ids and PINs and every dashboard password hash: it is created mode 0600
from its first byte (files.private_file: `os.open` with the mode, whatever the umask) and
renamed into place whole. A restore writes only the site's own keys: a file naming any other key
(another site's, or something that is not ours) is refused before anything is written.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import redis

from services.gymctl.files import private_file
from shared.store import Keys

FORMAT = "gym-redis-backup/1"


def site_prefix(site_id: str) -> bytes:
    return Keys(site_id).site_prefix().encode()  # one site's key space (shared/store/keys.py)


def backup(url: str, path: Path, site_id: str) -> str:
    r = redis.Redis.from_url(url)
    n = 0
    with private_file(path) as fh:  # a backup is either whole or absent, and never readable by others
        fh.write(json.dumps({"format": FORMAT, "site": site_id}) + "\n")
        for key in r.scan_iter(match=site_prefix(site_id) + b"*", count=1000):
            dump = r.dump(key)
            if dump is None:  # expired between SCAN and DUMP
                continue
            ttl = r.pttl(key)
            fh.write(json.dumps({"key": base64.b64encode(key).decode(), "ttl_ms": max(ttl, 0),
                                 "dump": base64.b64encode(dump).decode()}) + "\n")
            n += 1
    return f"{n} keys of site {site_id} saved to {path}"


def restore(url: str, path: Path, site_id: str) -> str:
    r = redis.Redis.from_url(url)
    prefix = site_prefix(site_id)
    with open(path) as fh:
        head = json.loads(fh.readline() or "{}")
        if head.get("format") != FORMAT:
            raise ValueError(f"{path} is not a gymctl backup ({head!r})")
        if head.get("site", site_id) != site_id:
            raise ValueError(f"{path} is a backup of site {head['site']!r}, not {site_id!r}")
        rows = [json.loads(line) for line in fh if line.strip()]
    keys = [base64.b64decode(row["key"]) for row in rows]
    foreign = [k for k in keys if not k.startswith(prefix)]
    if foreign:
        shown = ", ".join(repr(k.decode(errors="replace")) for k in foreign[:3])
        raise ValueError(f"{path} holds {len(foreign)} keys outside {prefix.decode()}* ({shown}…): nothing restored")
    pipe = r.pipeline(transaction=True)
    for key, row in zip(keys, rows, strict=True):
        pipe.restore(key, row["ttl_ms"], base64.b64decode(row["dump"]), replace=True)
    pipe.execute()
    return f"{len(rows)} keys restored from {path}"
