"""What gymctl does to the disk and which commands it runs, seen through Python's audit events.

`watching(folder)` records every command line a process of ours starts (subprocess, exec, spawn) and
every file created under `folder`; at each audited step that follows (a write's open, a chmod, a chown,
a rename, the next file…) it looks at each created file's mode on disk. A file that was ever readable by
others than its owner (and the broker's group) is reported with the step at which it was seen — the
moment between `write_text` and `chmod` is exactly such a step.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SPAWN = {"subprocess.Popen": 1, "os.exec": 1, "os.posix_spawn": 1, "os.spawn": 2}


@dataclass
class Watch:
    root: str
    group: int | None  # the one group besides the owner allowed to read (the broker's), if any
    others: frozenset[int] = frozenset()  # more groups allowed to read their files (Redis's, the services')
    public: tuple[str, ...] = ()  # name parts of files everyone may read (certificates: ".crt")
    created: set[str] = field(default_factory=set)
    exposed: list[tuple[str, str, str]] = field(default_factory=list)  # path, mode, seen at which step
    commands: list[list[str]] = field(default_factory=list)

    def saw(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and len(args) == 3 and isinstance(args[2], int) and args[2] & os.O_CREAT:
            path = os.fsdecode(args[0]) if isinstance(args[0], str | bytes | os.PathLike) else ""
            if os.path.abspath(path).startswith(self.root):
                self.created.add(os.path.abspath(path))
        elif event in _SPAWN:
            argv = args[_SPAWN[event]]
            self.commands.append([os.fsdecode(a) for a in argv] if isinstance(argv, list | tuple) else [str(argv)])
        elif event == "os.system":
            self.commands.append([str(args[0])])
        for path in self.created:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            mode = st.st_mode & 0o777
            if any(part in os.path.basename(path) for part in self.public):
                continue
            if mode & 0o007 or (mode & 0o070 and st.st_gid != self.group and st.st_gid not in self.others):
                self.exposed.append((path, oct(mode), event))


_current: Watch | None = None
_inside = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    global _inside
    if _current is None or _inside:
        return
    _inside = True
    try:
        _current.saw(event, args)
    finally:
        _inside = False


_installed = False


@contextmanager
def watching(root: Path, *, group: int | None = None, others: tuple[int, ...] = (), public: tuple[str, ...] = (),
             umask: int = 0) -> Iterator[Watch]:
    """Record under `root` with the process umask set to `umask` (0: a file made without an explicit
    mode is world-readable and shows at once). `others`: more groups that may read; `public`: name parts
    of files anyone may read."""
    global _current, _installed
    if not _installed:
        sys.addaudithook(_hook)  # hooks cannot be removed: this one is idle outside `watching`
        _installed = True
    watch = Watch(str(root.resolve()), group, frozenset(others), public)
    old = os.umask(umask)
    _current = watch
    try:
        yield watch
    finally:
        _current = None
        os.umask(old)
