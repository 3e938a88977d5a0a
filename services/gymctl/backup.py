"""Backup and restore of a site's Redis data: every `gym:*` key as Redis's own DUMP, with its TTL."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import redis

FORMAT = "gym-redis-backup/1"


def backup(url: str, path: Path) -> str:
    r = redis.Redis.from_url(url)
    n = 0
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "w") as fh:
        fh.write(json.dumps({"format": FORMAT}) + "\n")
        for key in r.scan_iter(match="gym:*", count=1000):
            dump = r.dump(key)
            if dump is None:  # expired between SCAN and DUMP
                continue
            ttl = r.pttl(key)
            fh.write(json.dumps({"key": base64.b64encode(key).decode(), "ttl_ms": max(ttl, 0),
                                 "dump": base64.b64encode(dump).decode()}) + "\n")
            n += 1
    tmp.replace(path)  # a backup is either whole or absent
    return f"{n} keys saved to {path}"


def restore(url: str, path: Path) -> str:
    r = redis.Redis.from_url(url)
    with open(path) as fh:
        head = json.loads(fh.readline() or "{}")
        if head.get("format") != FORMAT:
            raise ValueError(f"{path} is not a gymctl backup ({head!r})")
        rows = [json.loads(line) for line in fh if line.strip()]
    pipe = r.pipeline(transaction=True)
    for row in rows:
        pipe.restore(base64.b64decode(row["key"]), row["ttl_ms"], base64.b64decode(row["dump"]), replace=True)
    pipe.execute()
    return f"{len(rows)} keys restored from {path}"
