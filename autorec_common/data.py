"""MovieLens 100K: fetch, verify, read, split, and build interaction matrices.

NumPy and pandas only: no deep-learning framework is imported here.

The archive is downloaded once into a cache folder (see :func:`data_dir`) and
verified before any byte of it is used:

* an archive whose SHA-1 is the official one is trusted whole;
* any other archive (a re-compressed copy, say) is trusted only if every member
  this module reads matches the SHA-256 recorded in :data:`MEMBER_SHA256`.

Members are read straight out of the zip file, in bounded memory; nothing is
extracted to disk. Every failure raises a :class:`DataError` that says what to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
import struct
import threading
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

#: Where the archive is downloaded from; the environment variable
#: ``AUTOREC_DATA_URL`` (a mirror) takes precedence. Both are read at each call.
URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
URL_ENV = "AUTOREC_DATA_URL"
ARCHIVE_NAME = "ml-100k.zip"
OFFICIAL_SHA1 = "cd4dcac4241c8a4ad7badc7ca635da8a69dddb83"
DATA_ENV = "AUTOREC_DATA"

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

#: Limits of an archive on disk: its size, the size of its central directory,
#: and the size of any one member read from it.
MAX_ARCHIVE_BYTES = 64 << 20
MAX_DIRECTORY_BYTES = 64 << 10
MAX_MEMBER_BYTES = 16 << 20

#: Prefixes of the files this module leaves next to the archive: downloads in
#: progress (removed on the next run) and archives that failed verification.
PART_PREFIX = ARCHIVE_NAME + ".part-"
CORRUPT_PREFIX = ARCHIVE_NAME + ".corrupt-"

CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: "
    "History and Context. ACM Transactions on Interactive Intelligent Systems "
    "5, 4: 19:1-19:19. https://doi.org/10.1145/2827872"
)

#: Size in bytes and SHA-256 of each member of the original release that this
#: module may read. A local archive that is not byte-identical to the official
#: one is accepted member by member against this table.
MEMBER_SHA256 = {
    "u.data": (1_979_173, "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"),
    "u.item": (236_344, "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"),
    "u.user": (22_628, "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"),
    "u.genre": (202, "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb"),
    "u1.base": (1_586_544, "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a"),
    "u1.test": (392_629, "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950"),
    "u2.base": (1_583_948, "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e"),
    "u2.test": (395_225, "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3"),
    "u3.base": (1_582_546, "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d"),
    "u3.test": (396_627, "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d"),
    "u4.base": (1_581_878, "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca"),
    "u4.test": (397_295, "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9"),
    "u5.base": (1_581_776, "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485"),
    "u5.test": (397_397, "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634"),
    "ua.base": (1_792_501, "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2"),
    "ua.test": (186_672, "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42"),
    "ub.base": (1_792_476, "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881"),
    "ub.test": (186_697, "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da"),
}

RELEASE_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]


class DataError(RuntimeError):
    """Base class of the errors this module raises about the data set."""


class DataUnavailableError(DataError):
    """The archive is not cached and could not be downloaded, or cannot be read."""


class CorruptArchiveError(DataError):
    """An archive (cached or downloaded) failed its integrity checks."""


class MalformedDataError(DataError, ValueError):
    """A line of a ratings or item file could not be parsed."""


# --------------------------------------------------------------------------
# Where the data lives
# --------------------------------------------------------------------------

def in_checkout() -> Path | None:
    """The root of the repository this package runs from, or None if installed."""
    repo = Path(__file__).resolve().parent.parent
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


def archive_path(root: str | os.PathLike | None = None) -> Path:
    """Where the archive is expected: ``<root or data_dir()>/ml-100k.zip``."""
    return (Path(root) if root is not None else data_dir()) / ARCHIVE_NAME


def data_url() -> str:
    """The download URL: ``$AUTOREC_DATA_URL`` if set, else :data:`URL`."""
    return os.environ.get(URL_ENV, "").strip() or URL


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


def _help_text(path: Path) -> str:
    return (
        f"Download {data_url()} yourself (or copy an existing ml-100k.zip) and put it at\n"
        f"    {path}\n"
        f"or set the environment variable {DATA_ENV} to the folder that holds "
        f"ml-100k.zip, then run again.")


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------

def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _owner(path: Path) -> str:
    try:
        uid = os.stat(path).st_uid
    except OSError:
        return "another user"
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name!r} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _unreadable(path: Path, err: OSError) -> DataUnavailableError:
    return DataUnavailableError(
        f"{path} cannot be read ({err.strerror or err}); it belongs to {_owner(path)}. "
        f"Ask its owner to make it readable (chmod a+r {path}), or set {DATA_ENV} to a "
        f"folder of your own, then run again.")


def _check_directory(f, path: Path) -> None:
    """Refuse a zip file whose central directory is too large to read."""
    f.seek(0, os.SEEK_END)
    end = f.tell()
    f.seek(max(0, end - (22 + 0xFFFF)))
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise CorruptArchiveError(f"{path} is not a zip file (it has no end record).")
    entries, size = struct.unpack_from("<HI", tail, at + 10)
    zip64 = at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07"
    if zip64 or size > MAX_DIRECTORY_BYTES or entries > MAX_DIRECTORY_BYTES // 46:
        raise CorruptArchiveError(
            f"{path} lists {entries} members in {size} bytes; MovieLens 100K lists 24.")
    f.seek(0)


def _members(zf: zipfile.ZipFile) -> dict:
    return {Path(n).name: n for n in zf.namelist()}


def _read_checked(zf: zipfile.ZipFile, name: str, path: Path, expected=None,
                  keep: bool = True) -> bytes | None:
    """Read one member in 1 MiB chunks, refusing it before a byte is inflated if
    its flags, method or declared size are wrong; check its SHA-256 if known."""
    info = zf.getinfo(name)
    what = f"{path}: member {Path(name).name!r}"
    if info.flag_bits & 0x41:
        raise CorruptArchiveError(f"{what} is encrypted; the MovieLens archive is not.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CorruptArchiveError(
            f"{what} uses compression method {info.compress_type}; only stored and "
            f"deflated members are accepted (re-zip it with plain `zip`).")
    size, digest = expected if expected else (None, None)
    if size is not None and info.file_size != size:
        raise CorruptArchiveError(
            f"{what} does not match the original release (expected {size} bytes, "
            f"its header says {info.file_size}).")
    if info.file_size > MAX_MEMBER_BYTES:
        raise CorruptArchiveError(f"{what} is {info.file_size} bytes, too large to read.")
    h, chunks, n = hashlib.sha256(), [], 0
    with zf.open(info) as f:
        while block := f.read(1 << 20):
            n += len(block)
            if n > info.file_size:
                raise CorruptArchiveError(f"{what} holds more than the "
                                          f"{info.file_size} bytes its header says.")
            h.update(block)
            if keep:
                chunks.append(block)
    if digest is not None and h.hexdigest() != digest:
        raise CorruptArchiveError(
            f"{what} does not match the original release (expected {size} bytes with "
            f"SHA-256 {digest[:12]}..., got {n} bytes with SHA-256 {h.hexdigest()[:12]}...).")
    return b"".join(chunks) if keep else None


@contextlib.contextmanager
def _open_archive(path: Path):
    """Open a regular file of sane size as a zip file, turning every failure
    into a DataError: unreadable (DataUnavailableError) or bad (CorruptArchiveError)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise CorruptArchiveError(f"{path} is {_kind(st.st_mode)}, not a zip file.")
        if st.st_size > MAX_ARCHIVE_BYTES:
            raise CorruptArchiveError(f"{path} is {st.st_size:,} bytes; MovieLens 100K "
                                      f"is about 5 MB.")
        with open(path, "rb") as f:
            yield f
    except DataError:
        raise
    except PermissionError as err:
        raise _unreadable(path, err) from err
    except MemoryError as err:
        raise CorruptArchiveError(f"{path}: memory ran out while reading it.") from err
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError, KeyError, struct.error) as err:
        raise CorruptArchiveError(
            f"{path} is corrupt or truncated ({type(err).__name__}: {err}).") from err


def _hash_stream(f, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    while block := f.read(1 << 20):
        h.update(block)
    return h.hexdigest()


def verify_archive(path: str | os.PathLike) -> str:
    """Check an archive and say why it can be trusted.

    Returns ``"official"`` when the file is byte-identical to the GroupLens
    release (by SHA-1), or ``"members"`` when it is another zip file whose
    members match :data:`MEMBER_SHA256` one by one. Raises
    :class:`CorruptArchiveError` otherwise, naming what is wrong, or
    :class:`DataUnavailableError` if the file cannot be read.
    """
    path = Path(path)
    with _open_archive(path) as f:
        if _hash_stream(f, "sha1") == OFFICIAL_SHA1:
            return "official"
        _check_directory(f, path)
        with zipfile.ZipFile(f) as zf:
            names = _members(zf)
            for member, expected in MEMBER_SHA256.items():
                if member not in names:
                    raise CorruptArchiveError(
                        f"{path} is not a complete MovieLens 100K archive: it has no "
                        f"member {member!r}.")
                _read_checked(zf, names[member], path, expected, keep=False)
    return "members"


_VERIFIED: dict[tuple, str] = {}


def _identity(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _verified(path: Path) -> str:
    """verify_archive, remembered per file identity within a process."""
    key = _identity(path)
    if key is None or key not in _VERIFIED:
        how = verify_archive(path)
        if key is not None and key == _identity(path):
            _VERIFIED[key] = how
        return how
    return _VERIFIED[key]


# --------------------------------------------------------------------------
# The cache folder: lock, quarantine, download
# --------------------------------------------------------------------------

@contextlib.contextmanager
def _locked(folder: Path):
    """Hold an exclusive lock on the cache folder where the system offers one,
    waiting at most :data:`LOCK_WAIT` seconds; yields whether it is held."""
    try:
        import fcntl

        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield False
        return
    try:
        wait = DOWNLOAD_DEADLINE + 60 if LOCK_WAIT is None else LOCK_WAIT
        held, until = False, time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() > until:
                    break
                time.sleep(0.05)
            except OSError:
                break
        yield held
    finally:
        os.close(fd)


def _remove_parts(folder: Path, all_of_them: bool) -> None:
    """Remove downloads left by killed processes (all when the lock is held,
    else those older than an hour)."""
    for part in folder.glob(PART_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if all_of_them or time.time() - part.lstat().st_mtime > 3600:
                part.unlink()


def _move_aside(path: Path, reason: DataError) -> Path | None:
    """Rename a bad archive to a new ``ml-100k.zip.corrupt-<time>`` name; None if
    another process moved it first."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    n = 1
    while True:
        target = path.with_name(f"{CORRUPT_PREFIX}{stamp}" + (f"-{n}" if n > 1 else ""))
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
                              f"(autorec_common.data.DOWNLOAD_DEADLINE)")
        if "sha1" not in outcome:
            err = outcome.get("error")
            if isinstance(err, (_Transient, DataUnavailableError)):
                raise unavailable(str(err)) from err
            if isinstance(err, OSError):  # requests' errors are OSErrors too
                raise unavailable(f"{type(err).__name__}: {err}") from err
            raise err or unavailable("the download stopped")
        if outcome["sha1"] != OFFICIAL_SHA1:
            raise CorruptArchiveError(
                f"The file downloaded from {url} failed its SHA-1 check and was "
                f"discarded (expected {OFFICIAL_SHA1}, got {outcome['sha1']}).\n"
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
    with _locked(folder) as held:
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
    with _locked(folder) as held:
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
    expected = MEMBER_SHA256.get(name)
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


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

MAX_TIMESTAMP = 2**32 - 1


def _lines(text: bytes | str, encoding: str):
    """Numbered lines split at ``\n`` only (a form feed is not a line break),
    without a UTF-8 byte-order mark or trailing ``\r``."""
    if isinstance(text, bytes):
        text = text.removeprefix(b"\xef\xbb\xbf").decode(encoding, errors="replace")
    for lineno, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            yield lineno, line


def _natural(field: str) -> int:
    """A non-negative integer written in ASCII digits only (no sign, ``_`` or spaces)."""
    if not (field.isascii() and field.isdigit()) or len(field) > 18:
        raise ValueError(f"{field!r} is not a whole number")
    return int(field)


_RATING_LINE = re.compile(r"[0-9]{1,18}\t[0-9]{1,18}\t[1-5]\t[0-9]{1,10}")


def _ratings_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(rows, dtype=np.int64).reshape(-1, 4),
                        columns=RATING_COLUMNS)


def _parse_ratings_fast(lines: list) -> pd.DataFrame | None:
    """The common case in bulk; None when any line needs a closer look."""
    if not lines or not all(map(_RATING_LINE.fullmatch, lines)):
        return None
    frame = _ratings_frame("\t".join(lines).split("\t"))
    if (frame.user_id < 1).any() or (frame.item_id < 1).any() or \
            (frame.timestamp > MAX_TIMESTAMP).any() or \
            frame.duplicated(["user_id", "item_id"]).any():
        return None
    return frame


def parse_ratings(text: bytes | str, source: str = "<ratings>") -> pd.DataFrame:
    """Parse tab-separated ``user item rating timestamp`` lines.

    Every line must hold four integers in plain digits, positive ids, a rating
    from 1 to 5 and a Unix timestamp, and no (user, item) pair may repeat;
    otherwise :class:`MalformedDataError` names the file and the line.
    """
    numbered = list(_lines(text, "ascii"))
    frame = _parse_ratings_fast([line for _, line in numbered])
    if frame is not None:
        return frame
    rows, seen = [], {}
    for lineno, line in numbered:
        fields = line.split("\t")
        try:
            if len(fields) != 4:
                raise ValueError(f"expected 4 tab-separated fields, found {len(fields)}")
            user, item, rating, stamp = (_natural(x) for x in fields)
            if user < 1 or item < 1:
                raise ValueError("user and item ids start at 1")
            if not 1 <= rating <= 5:
                raise ValueError(f"rating {rating} is outside 1..5")
            if stamp > MAX_TIMESTAMP:
                raise ValueError(f"timestamp {stamp} is outside 0..{MAX_TIMESTAMP}")
            first = seen.setdefault((user, item), lineno)
            if first != lineno:
                raise ValueError(f"user {user} rated item {item} already on line {first}")
        except ValueError as err:
            raise MalformedDataError(
                f"{source}, line {lineno}: {err}: {line[:80]!r}") from None
        rows.append((user, item, rating, stamp))
    if not rows:
        raise MalformedDataError(f"{source}: no ratings found")
    return _ratings_frame(rows)


def parse_items(text: bytes | str, source: str = "u.item") -> pd.DataFrame:
    """Parse ``u.item`` (Latin-1, ``|``-separated) into a data frame.

    Item ids must be distinct whole numbers, genre flags 0 or 1, and release
    dates empty or like ``01-Jan-1995``; otherwise :class:`MalformedDataError`
    names the file and the line.
    """
    rows, seen, linenos = [], {}, []
    for lineno, line in _lines(text, "latin-1"):
        fields = line.split("|")
        try:
            if len(fields) != 5 + len(GENRES):
                raise ValueError(f"expected {5 + len(GENRES)} '|'-separated fields, "
                                 f"found {len(fields)}")
            item_id = _natural(fields[0])
            if item_id < 1:
                raise ValueError("item ids start at 1")
            bad = [g for g in fields[5:] if g not in ("0", "1")]
            if bad:
                raise ValueError(f"genre flag {bad[0]!r} is not 0 or 1")
            first = seen.setdefault(item_id, lineno)
            if first != lineno:
                raise ValueError(f"item {item_id} is already on line {first}")
        except ValueError as err:
            raise MalformedDataError(
                f"{source}, line {lineno}: {err}: {line[:80]!r}") from None
        rows.append([item_id, fields[1], fields[2], fields[4]] + [int(g) for g in fields[5:]])
        linenos.append(lineno)
    if not rows:
        raise MalformedDataError(f"{source}: no items found")
    frame = pd.DataFrame(rows, columns=["item_id", "title", "release_date", "url"] + GENRES)
    dates = pd.to_datetime(frame["release_date"], format="%d-%b-%Y", errors="coerce")
    bad = dates.isna() & (frame["release_date"].str.strip() != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise MalformedDataError(f"{source}, line {linenos[i]}: release date "
                                 f"{frame['release_date'][i]!r} is not like 01-Jan-1995")
    frame["release_date"] = dates
    return frame


# --------------------------------------------------------------------------
# Readers with the book's names
# --------------------------------------------------------------------------

def read_data_ml100k(root: str | os.PathLike | None = None):
    """All 100,000 ratings, as in D2L: ``(data, num_users, num_items)``.

    ``data`` has the columns ``user_id, item_id, rating, timestamp`` with the
    release's 1-based ids.
    """
    data = parse_ratings(read_member("u.data", root), source="u.data")
    return data, int(data.user_id.max()), int(data.item_id.max())


def read_items(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """The movies: id, title, release date, IMDb URL and 19 genre flags."""
    return parse_items(read_member("u.item", root))


def read_split(name: str, root: str | os.PathLike | None = None):
    """One of the release's own splits: ``u1``..``u5`` (80/20) or ``ua``/``ub``.

    Returns ``(train, test)`` data frames. ``u1``..``u5`` are the five disjoint
    test folds of a 5-fold cross-validation; ``ua`` and ``ub`` hold out exactly
    10 ratings of every user.
    """
    if name not in RELEASE_SPLITS:
        raise ValueError(f"unknown split {name!r}; choose one of {', '.join(RELEASE_SPLITS)}")
    train = parse_ratings(read_member(f"{name}.base", root), source=f"{name}.base")
    test = parse_ratings(read_member(f"{name}.test", root), source=f"{name}.test")
    return train, test


def split_data_ml100k(data: pd.DataFrame, num_users: int, num_items: int,
                      split_mode: str = "random", test_ratio: float = 0.1,
                      seed: int | None = 0):
    """Split ratings into training and test sets, as D2L does but seeded.

    ``split_mode="random"`` sends each rating to the test set with probability
    ``test_ratio``, drawing from ``numpy.random.default_rng(seed)`` (D2L draws
    from the global generator without a seed, so its split changes every run).
    ``split_mode="seq-aware"`` holds out each user's latest rating (the first
    one, in file order, among ties) and keeps the rest for training.
    """
    if split_mode == "random":
        if not 0 < test_ratio < 1:
            raise ValueError(f"test_ratio must lie in (0, 1), got {test_ratio}")
        rng = np.random.default_rng(seed)
        is_train = rng.uniform(0, 1, len(data)) < 1 - test_ratio
        return data[is_train].reset_index(drop=True), data[~is_train].reset_index(drop=True)
    if split_mode == "seq-aware":
        # idxmax returns the first row with the largest timestamp of each user.
        latest = data.groupby("user_id")["timestamp"].idxmax()
        is_test = np.zeros(len(data), dtype=bool)
        is_test[data.index.get_indexer(latest.values)] = True
        train = data[~is_test].sort_values(["user_id", "timestamp"], kind="stable")
        test = data[is_test].sort_values("user_id", kind="stable")
        return train.reset_index(drop=True), test.reset_index(drop=True)
    raise ValueError(f"unknown split_mode {split_mode!r}; use 'random' or 'seq-aware'")


def interaction_matrix(data: pd.DataFrame, num_users: int, num_items: int,
                       kind: str = "item-user", dtype=np.float32) -> np.ndarray:
    """Dense rating matrix with zeros where no rating was observed.

    ``kind="item-user"`` gives one row per item (the input of item-based
    AutoRec, shape ``(num_items, num_users)``); ``"user-item"`` its transpose.
    """
    users = data.user_id.to_numpy() - 1
    items = data.item_id.to_numpy() - 1
    if users.min(initial=0) < 0 or items.min(initial=0) < 0 or \
            users.max(initial=-1) >= num_users or items.max(initial=-1) >= num_items:
        raise ValueError("ids fall outside 1..num_users or 1..num_items")
    if kind == "item-user":
        mat = np.zeros((num_items, num_users), dtype=dtype)
        mat[items, users] = data.rating.to_numpy()
    elif kind == "user-item":
        mat = np.zeros((num_users, num_items), dtype=dtype)
        mat[users, items] = data.rating.to_numpy()
    else:
        raise ValueError(f"unknown kind {kind!r}; use 'item-user' or 'user-item'")
    return mat


def load_data_ml100k(data: pd.DataFrame, num_users: int, num_items: int,
                     feedback: str = "explicit"):
    """D2L's loader: 0-based ``users, items, scores`` lists and the matrix.

    As in the book, the explicit-feedback matrix is item-by-user; with
    ``feedback="implicit"`` the scores are 1 and the "matrix" is a dict from
    each user to the items they rated.
    """
    users = (data.user_id.to_numpy() - 1).tolist()
    items = (data.item_id.to_numpy() - 1).tolist()
    if feedback == "explicit":
        scores = data.rating.to_numpy().tolist()
        inter = interaction_matrix(data, num_users, num_items, "item-user")
    elif feedback == "implicit":
        scores = [1] * len(users)
        inter = {}
        for u, i in zip(users, items):
            inter.setdefault(u, []).append(i)
    else:
        raise ValueError(f"unknown feedback {feedback!r}")
    return users, items, scores, inter


def describe(data: pd.DataFrame, num_users: int, num_items: int) -> dict:
    """The statistics the chapter prints: counts and sparsity."""
    return {
        "ratings": len(data),
        "users": num_users,
        "items": num_items,
        "sparsity": round(1 - len(data) / (num_users * num_items), 6),
    }


class RatingMatrices:
    """Dense train / validation / test matrices of one split, ready for AutoRec.

    Attributes: ``train``, ``valid`` (``None`` without a validation carve-out),
    ``test`` (arrays of shape ``(num_items, num_users)`` for ``kind="item-user"``,
    transposed for ``"user-item"``), the data frames they came from
    (``train_df``, ``valid_df``, ``test_df``), ``num_users``, ``num_items``,
    ``kind`` and ``split``.
    """

    def __init__(self, train_df, valid_df, test_df, num_users, num_items, kind, split):
        self.train_df, self.valid_df, self.test_df = train_df, valid_df, test_df
        self.num_users, self.num_items, self.kind, self.split = num_users, num_items, kind, split
        build = lambda df: None if df is None else interaction_matrix(  # noqa: E731
            df, num_users, num_items, kind)
        self.train, self.valid, self.test = build(train_df), build(valid_df), build(test_df)

    def __repr__(self):
        sizes = ", ".join(f"{n}={len(df)}" for n, df in
                          (("train", self.train_df), ("valid", self.valid_df),
                           ("test", self.test_df)) if df is not None)
        return (f"RatingMatrices(split={self.split!r}, kind={self.kind!r}, "
                f"shape={self.train.shape}, ratings: {sizes})")


def rating_matrices(split: str = "random", seed: int = 0, test_ratio: float = 0.1,
                    valid_ratio: float = 0.0, valid_seed: int | None = None,
                    kind: str = "item-user", root=None) -> RatingMatrices:
    """The matrices of one split of MovieLens 100K, optionally with validation.

    ``split`` is ``"random"`` (D2L's 90/10 split drawn with ``seed``),
    ``"seq-aware"``, or a release split ``"u1"``..``"u5"``, ``"ua"``, ``"ub"``.
    With ``valid_ratio > 0``, that share of the *training* ratings is held out
    at random (with ``valid_seed``, default ``seed + 1000``) as a validation set
    for choosing hyperparameters, so that the test set is never used for it.
    The matrices always have all 943 users and 1,682 items.
    """
    data, num_users, num_items = read_data_ml100k(root)
    if split in RELEASE_SPLITS:
        train, test = read_split(split, root)
    else:
        train, test = split_data_ml100k(data, num_users, num_items, split, test_ratio, seed)
    valid = None
    if valid_ratio:
        vseed = seed + 1000 if valid_seed is None else valid_seed
        train, valid = split_data_ml100k(train, num_users, num_items, "random",
                                         valid_ratio, vseed)
    return RatingMatrices(train, valid, test, num_users, num_items, kind, split)
