"""Where the data lives: the cache folder, its lock, and quarantine."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from ..results import writers_mode  # standard library only
from . import releases
from .errors import CorruptArchiveError, DataError, DataUnavailableError
from .releases import ARCHIVE_NAME

DATA_ENV = "AUTOREC_DATA"


#: Prefixes of the files this module leaves next to the archive: downloads in
#: progress (removed on the next run) and archives that failed verification.
PART_PREFIX = ARCHIVE_NAME + ".part-"
CORRUPT_PREFIX = ARCHIVE_NAME + ".corrupt-"


def part_prefix(rel: releases.Release) -> str:
    """The prefix of a release's downloads in progress: ``ml-1m.zip.part-``."""
    return rel.archive + ".part-"


def corrupt_prefix(rel: releases.Release) -> str:
    """The prefix of a release's archives that failed verification."""
    return rel.archive + ".corrupt-"
def in_checkout() -> Path | None:
    """The root of the repository this package runs from, or None if installed."""
    repo = Path(__file__).resolve().parent.parent.parent
    if (repo / "pyproject.toml").is_file() and (repo / "notebooks").is_dir():
        return repo
    return None


def data_dir() -> Path:
    """The folder that holds (or will hold) ``ml-100k.zip``.

    In order: the folder named by the environment variable ``AUTOREC_DATA``;
    ``data/`` at the root of this repository when the package is used from a
    checkout (``pip install -e .``); otherwise the user's cache folder
    (``~/.cache/autorec-notebooks`` on Linux, ``/root/.cache/...`` in Colab).
    """
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    repo = in_checkout()
    if repo is not None:
        return repo / "data"
    import pooch

    return Path(pooch.os_cache("autorec-notebooks"))


def archive_path(root: str | os.PathLike | None = None,
                 release: str | releases.Release = "ml-100k") -> Path:
    """Where a release's archive is expected: ``<root or data_dir()>/ml-100k.zip``."""
    return (Path(root) if root is not None else data_dir()) / releases.release(release).archive


def _cache_folder(root) -> Path:
    """The cache folder, created if missing; a DataError if it cannot be one."""
    folder = Path(root) if root is not None else data_dir()
    if root is None and os.environ.get(DATA_ENV, "").strip():
        origin = f"The environment variable {DATA_ENV}={os.environ[DATA_ENV]!r} names"
        fix = f"Set {DATA_ENV} to a folder you can write to (or unset it)"
    else:
        origin = "The data folder is"
        fix = f"Remove or rename it, or set {DATA_ENV} to another folder"
    try:
        if folder.exists() and not folder.is_dir():
            raise DataUnavailableError(f"{origin} {folder}, which is not a folder. {fix}, "
                                       f"then run again.")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataUnavailableError(f"{origin} {folder}, which cannot be used as a folder "
                                   f"({type(err).__name__}: {err}). {fix}, then run again."
                                   ) from err
    return folder


#: Seconds a process waits for the cache lock before it says so.
LOCK_NOTICE = 2.0


def lock_path(folder: Path, rel: releases.Release) -> Path:
    """The lock file of a release's archive: ``<folder>/ml-1m.zip.lock``."""
    return folder / (rel.archive + ".lock")


@contextlib.contextmanager
def _locked(folder: Path, wait: float, rel: releases.Release):
    """Hold an exclusive lock on the release's lock file where the system offers
    one, waiting at most ``wait`` seconds (and saying so after
    :data:`LOCK_NOTICE`); yields whether it is held.

    The lock file is opened for writing, without following a link, so only
    those who may write to the cache can hold it; who cannot open it goes on
    without the lock (renames stay atomic either way).
    """
    path = lock_path(folder, rel)
    try:
        import fcntl

        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) |
                     getattr(os, "O_CLOEXEC", 0), writers_mode(folder))
    except (ImportError, OSError):
        yield False
        return
    try:
        held, start = False, time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                waited = time.monotonic() - start
                if waited > wait:
                    break
                if waited > LOCK_NOTICE and not told:
                    print(f"Waiting for another process to finish with {rel.archive} in "
                          f"{folder} (it holds {path.name}); at most {wait:g} s more.",
                          file=sys.stderr, flush=True)
                    told = True
                time.sleep(0.05)
            except OSError:
                break
        yield held
    finally:
        os.close(fd)


def _remove_parts(folder: Path, all_of_them: bool, rel: releases.Release) -> None:
    """Remove downloads left by killed processes (all when the lock is held,
    else those older than an hour)."""
    for part in folder.glob(part_prefix(rel) + "*"):
        with contextlib.suppress(OSError):
            if all_of_them or time.time() - part.lstat().st_mtime > 3600:
                part.unlink()


def _move_aside(path: Path, reason: DataError, rel: releases.Release) -> Path | None:
    """Rename a bad archive to a new ``<archive>.corrupt-<time>`` name; None if
    another process moved it first."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    n = 1
    while True:
        target = path.with_name(f"{corrupt_prefix(rel)}{stamp}" + (f"-{n}" if n > 1 else ""))
        if not os.path.lexists(target):
            break
        n += 1
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CorruptArchiveError(
            f"{reason}\nIt cannot be moved aside: the folder {path.parent} is not "
            f"writable ({type(err).__name__}: {err}). Delete or replace {path} yourself, "
            f"or set {DATA_ENV} to a folder you can write to, then run again.") from err
    return target
