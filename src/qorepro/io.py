"""Atomic file writes: the one place where a result file comes into existence.

A writer produces ``<path>.part`` and renames it into place (``os.replace``, atomic on POSIX), so
a reader sees either the old file or the complete new one, never half a file; on any failure the
``.part`` file is removed and nothing is left behind.  A full disk is reported with the path
(HDF5 says only "NetCDF: HDF error").  This module imports nothing of the package (a leaf).
"""
from __future__ import annotations

import contextlib
import errno
import glob
import logging
import os
import shutil

log = logging.getLogger("qorepro")

PART = ".part"


def _disk_full(path: str, e: BaseException, needed: int = 0) -> bool:
    """Whether a failed write was (most likely) a full disk: ENOSPC/EDQUOT itself, or less room
    left on the file system than ``needed`` bytes (+1 MiB) when the library hid the errno."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if not needed:
        return False
    try:
        free = shutil.disk_usage(os.path.dirname(os.path.abspath(path)) or ".").free
    except OSError:
        return False
    return free < needed + (1 << 20)


@contextlib.contextmanager
def atomic_path(path: str, *, suffix: str = PART, needed_bytes: int = 0):
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``, on failure
    removed.  ``suffix`` lets a library that appends its own extension keep it (``.part.npz``).
    A write that failed for lack of room raises ``OSError(ENOSPC, ..., path)``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    tmp = path + suffix
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(e, Exception) and _disk_full(path, e, needed_bytes):
            raise OSError(errno.ENOSPC, "No space left on device", path) from e
        raise


def write_text(path: str, text: str, encoding: str = "utf-8") -> str:
    """Write ``text`` to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding) as fh:
        fh.write(text)
    return path


def write_netcdf(ds, path: str, encoding: dict | None = None) -> str:
    """Write an xarray Dataset to ``path`` atomically (``ds.to_netcdf`` on the ``.part`` file)."""
    with atomic_path(path, needed_bytes=2 * int(ds.nbytes)) as tmp:
        ds.to_netcdf(tmp, encoding=encoding or {})
    return path


def remove_partial(directory: str) -> list:
    """Remove the ``*.part`` files a killed writer left in ``directory`` (only the job that owns a
    directory writes there).  Returns the removed paths."""
    stale = sorted(glob.glob(os.path.join(directory, "*" + PART)) + glob.glob(os.path.join(directory, "*.part.*")))
    for p in stale:
        with contextlib.suppress(OSError):
            os.remove(p)
        log.warning("removed %s, left by an interrupted run", p)
    return stale
