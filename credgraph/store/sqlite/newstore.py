"""A brand-new embedded store, built in a scratch file and moved into place.

When a load names a store that does not exist at all (no file, no ``-wal``,
no ``-shm``), nobody can be reading it: the load builds it in a scratch file
beside it, ``.NAME.building-PID``, with no rollback journal, no WAL and no
fsync (one write of each page instead of two, and no commit to wait for),
holding SQLite's exclusive lock. Once the load has committed there, the
file gets the store's normal on-disk state (WAL mode in its header, every
page synced) and is linked into place with ``os.link``, which refuses to
replace anything that appeared at the target meanwhile; then the scratch
name is removed and the folder synced.

A crash or ``kill -9`` during the build leaves no store at the target, only
the scratch file: the next load into the same folder removes scratch files
of that store whose process is gone. A folder where hard links cannot be
made (some network or FAT file systems) is not built this way: the load
then creates the store in place as before.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

from credgraph.store.base import StoreError

#: the scratch file's name beside the target (``{name}``: the target's)
SCRATCH = ".{name}.building-{pid}"
#: files SQLite may keep beside a database
SIDE_FILES = ("-wal", "-shm", "-journal", "-search")


class TargetAppeared(StoreError):
    """Something was created at the target while the new store was built."""


def absent(target: Path) -> bool:
    """Nothing at all at ``target``: no store file, no WAL, no shared memory."""
    return not any(os.path.lexists(f"{target}{suffix}") for suffix in ("", "-wal", "-shm"))


def _remove(path: Path) -> None:
    for suffix in ("", *SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(target: Path) -> list[Path]:
    """Remove the scratch files of ``target`` left by builds whose process
    has ended (a crash, ``kill -9``); the files of a running build stay."""
    removed: list[Path] = []
    prefix = SCRATCH.format(name=target.name, pid="")
    for path in sorted(target.parent.glob(f"{prefix}*")):
        pid = re.match(r"\d+", path.name[len(prefix) :])
        if pid is None or int(pid[0]) == os.getpid() or _alive(int(pid[0])):
            continue
        if path.exists():  # not removed with its scratch file just before
            path.unlink()
            removed.append(path)
    return removed


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class NewStore:
    """The build of a brand-new store at ``target`` in a scratch file."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.scratch = target.parent / SCRATCH.format(name=target.name, pid=os.getpid())
        #: a file of the build's own beside the scratch file (``searchbuild.py``)
        self.staging = Path(f"{self.scratch}-search")

    def open(self) -> sqlite3.Connection | None:
        """The scratch file's connection (journal off, exclusive), or None
        when the folder cannot hold hard links or the target has appeared."""
        remove_stale(self.target)
        _remove(self.scratch)
        if not absent(self.target):
            return None
        probe = Path(f"{self.scratch}.link")
        try:
            self.scratch.touch()
            os.link(self.scratch, probe)
            probe.unlink()
        except OSError:
            _remove(self.scratch)
            return None
        conn = sqlite3.connect(self.scratch, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        return conn

    def publish(self, conn: sqlite3.Connection) -> None:
        """After the build's last commit: the store's on-disk state, then the
        file linked into place (never over something that appeared there:
        :class:`TargetAppeared`). Closes ``conn``."""
        conn.execute("PRAGMA journal_mode=WAL")  # the header a store has
        conn.close()  # the last connection: the (empty) WAL is removed
        _fsync(self.scratch)
        if not absent(self.target):
            raise TargetAppeared(self._appeared())
        try:
            os.link(self.scratch, self.target)
        except FileExistsError:
            raise TargetAppeared(self._appeared()) from None
        self.scratch.unlink()
        _fsync(self.target.parent, directory=True)

    def _appeared(self) -> str:
        return f"{self.target} was created by another process during the load: nothing loaded"

    def discard(self, conn: sqlite3.Connection | None) -> None:
        """The build did not finish: the scratch file goes."""
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        _remove(self.scratch)
