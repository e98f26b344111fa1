"""Download the archive into the cache, with limits, and read verified members."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
import time
import warnings
import zipfile
from pathlib import Path

from . import cache, releases
from .cache import (
    ARCHIVE_NAME,
    DATA_ENV,
    PART_PREFIX,
    _cache_folder,
    _move_aside,
    _remove_parts,
)
from .errors import CorruptArchiveError, DataError, DataUnavailableError
from .verify import (
    _VERIFIED,
    _identity,
    _members,
    _open_archive,
    _read_checked,
    _verified,
)

#: The environment variable naming a mirror; it takes precedence over
#: :data:`~autorec_common.data.releases.URL`. Both are read at each call.
URL_ENV = "AUTOREC_DATA_URL"

#: Limits of a download: seconds for the whole of it (retries included),
#: seconds a single read may wait, bytes accepted, retries of a transient
#: failure (5xx, a dropped connection) and seconds between them.
DOWNLOAD_DEADLINE = 300.0
READ_TIMEOUT = 30.0
DOWNLOAD_MAX_BYTES = 32 << 20
DOWNLOAD_RETRIES = 2
RETRY_WAIT = 2.0

#: Seconds to wait for another process's work on the cache folder before
#: going ahead without the lock (renames stay atomic either way); None: the
#: download deadline plus a minute.
LOCK_WAIT = None


def _lock_wait() -> float:
    return DOWNLOAD_DEADLINE + 60 if LOCK_WAIT is None else LOCK_WAIT


def data_url() -> str:
    """The download URL: ``$AUTOREC_DATA_URL`` if set, else :data:`URL`."""
    return os.environ.get(URL_ENV, "").strip() or releases.URL


def _help_text(path: Path) -> str:
    return (
        f"Download {data_url()} yourself (or copy an existing ml-100k.zip) and put it at\n"
        f"    {path}\n"
        f"or set the environment variable {DATA_ENV} to the folder that holds "
        f"ml-100k.zip, then run again.")


class _Transient(Exception):
    """A failure worth another try (a 5xx answer, a dropped connection)."""


def _progress(enabled: bool, total: int | None):
    if not enabled:
        return contextlib.nullcontext(None)
    from tqdm.std import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, ncols=79, leave=True)


def _get(url: str, part: Path, stop: threading.Event, progressbar: bool) -> str:
    """One attempt: stream ``url`` into ``part``; return the SHA-1 of what came."""
    import requests
    import urllib3

    transient = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                 requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError)
    try:
        with requests.get(url, stream=True, timeout=(READ_TIMEOUT, READ_TIMEOUT)) as r:
            if r.status_code >= 500:
                raise _Transient(f"HTTP {r.status_code} {r.reason}")
            r.raise_for_status()
            declared = r.headers.get("Content-Length", "")
            total = int(declared) if declared.isdigit() else None
            if total is not None and total > DOWNLOAD_MAX_BYTES:
                raise DataUnavailableError(f"the server announced {total:,} bytes; "
                                           f"MovieLens 100K is about 5 MB")
            read = getattr(r.raw, "read1", r.raw.read)
            h, n = hashlib.sha1(), 0
            with open(part, "r+b") as out, _progress(progressbar, total) as bar:
                out.truncate(0)
                while block := read(1 << 16, decode_content=True):
                    if stop.is_set():
                        return ""
                    n += len(block)
                    if n > DOWNLOAD_MAX_BYTES:
                        raise DataUnavailableError(f"the server sent more than "
                                                   f"{DOWNLOAD_MAX_BYTES:,} bytes; "
                                                   f"MovieLens 100K is about 5 MB")
                    h.update(block)
                    out.write(block)
                    if bar is not None:
                        bar.update(len(block))
            return h.hexdigest()
    except transient as err:
        raise _Transient(f"{type(err).__name__}: {err}") from err


def _download(folder: Path, url: str, progressbar: bool) -> Path:
    """Download into a ``ml-100k.zip.part-*`` file, check its SHA-1, rename it
    into place; within :data:`DOWNLOAD_DEADLINE` seconds, retries included."""
    target = folder / ARCHIVE_NAME
    part = folder / f"{PART_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    outcome: dict = {}
    stop = threading.Event()
    deadline = time.monotonic() + DOWNLOAD_DEADLINE

    def attempts():
        for attempt in range(DOWNLOAD_RETRIES + 1):
            try:
                outcome["sha1"] = _get(url, part, stop, progressbar)
                return
            except _Transient as err:
                outcome["error"] = err
                wait = RETRY_WAIT * (attempt + 1)
                if attempt == DOWNLOAD_RETRIES or time.monotonic() + wait > deadline \
                        or stop.wait(wait):
                    return
            except BaseException as err:  # noqa: BLE001 -- reported by the caller
                outcome["error"] = err
                return

    def unavailable(why: str) -> DataUnavailableError:
        return DataUnavailableError(f"Could not download MovieLens 100K from {url}: {why}\n"
                                    + _help_text(target))

    if not os.access(folder, os.W_OK):
        raise unavailable(f"the folder {folder} is not writable")
    worker = threading.Thread(target=attempts, name="autorec-download", daemon=True)
    try:
        os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            raise unavailable(f"it did not finish within {DOWNLOAD_DEADLINE:g} s "
                              f"(autorec_common.data.fetch.DOWNLOAD_DEADLINE)")
        if "sha1" not in outcome:
            err = outcome.get("error")
            if isinstance(err, (_Transient, DataUnavailableError)):
                raise unavailable(str(err)) from err
            if isinstance(err, OSError):  # requests' errors are OSErrors too
                raise unavailable(f"{type(err).__name__}: {err}") from err
            raise err or unavailable("the download stopped")
        if outcome["sha1"] != releases.OFFICIAL_SHA1:
            raise CorruptArchiveError(
                f"The file downloaded from {url} failed its SHA-1 check and was "
                f"discarded (expected {releases.OFFICIAL_SHA1}, got {outcome['sha1']}).\n"
                + _help_text(target))
        os.replace(part, target)
    except OSError as err:
        raise unavailable(f"{type(err).__name__}: {err}") from err
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            os.unlink(part)
    _VERIFIED[_identity(target)] = "official"
    return target


def download_ml100k(root: str | os.PathLike | None = None, url: str | None = None,
                    progressbar: bool = True) -> Path:
    """Download the official archive into ``root`` and check its SHA-1.

    ``url`` defaults to :func:`data_url`. The download is written to a
    ``ml-100k.zip.part-*`` file and renamed into place only after its hash
    matched; the limits are :data:`DOWNLOAD_DEADLINE` and the settings beside it.
    """
    folder = _cache_folder(root)
    with cache._locked(folder, _lock_wait()) as held:
        _remove_parts(folder, held)
        return _download(folder, url or data_url(), progressbar)


def fetch_ml100k(root: str | os.PathLike | None = None, url: str | None = None,
                 progressbar: bool = True) -> Path:
    """Return the path of a verified ``ml-100k.zip``, downloading it if needed.

    A cached archive (or anything else by that name) that fails verification is
    never used: it is renamed to ``ml-100k.zip.corrupt-<time>`` (so nothing is
    lost) and a fresh copy is downloaded. Concurrent calls share the work.
    """
    folder = _cache_folder(root)
    path = folder / ARCHIVE_NAME
    if _identity(path) in _VERIFIED:
        return path
    problem = None
    with cache._locked(folder, _lock_wait()) as held:
        if os.path.exists(path) or os.path.lexists(path) and not os.path.islink(path):
            try:
                _verified(path)
                return path
            except CorruptArchiveError as err:
                moved = _move_aside(path, err)
                if moved is not None:
                    problem = (f"The cached archive failed verification and was moved to "
                               f"{moved}: {err}")
                    warnings.warn(problem + "\nDownloading a fresh copy.", stacklevel=2)
        _remove_parts(folder, held)
        try:
            return _download(folder, url or data_url(), progressbar)
        except DataError as err:
            if problem:
                raise type(err)(f"{problem}\n{err}") from err
            raise


def read_member(name: str, root: str | os.PathLike | None = None) -> bytes:
    """The bytes of one member (``"u.data"``, ``"u1.base"``, ...) of a verified archive."""
    path = fetch_ml100k(root)
    how = _verified(path)
    expected = releases.MEMBER_SHA256.get(name)
    if how != "official" and expected is None:
        raise CorruptArchiveError(
            f"{path} is not the official archive, and {name!r} has no recorded "
            f"checksum, so it cannot be trusted.")
    try:
        with _open_archive(path) as f, zipfile.ZipFile(f) as zf:
            names = _members(zf)
            if name not in names:
                raise DataError(f"{path} has no member {name!r}.")
            return _read_checked(zf, names[name], path, expected)
    except CorruptArchiveError as err:
        _VERIFIED.pop(_identity(path), None)
        raise CorruptArchiveError(f"{err}\nIt changed after it was verified; run again "
                                  f"to have it moved aside.") from err
