"""Download the archive into the cache, with limits, and read verified members."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
import threading
import time
import urllib.parse
import warnings
import zipfile
from pathlib import Path

from . import cache, releases
from .cache import DATA_ENV, _cache_folder, _move_aside, _remove_parts, part_prefix
from .errors import CorruptArchiveError, DataError, DataUnavailableError
from .verify import (
    _VERIFIED,
    _about,
    _identity,
    _members,
    _open_archive,
    _read_checked,
    _verified,
)

#: The environment variable naming a mirror; it takes precedence over
#: :data:`~autorec_common.data.releases.URL`. Both are read at each call.
URL_ENV = "AUTOREC_DATA_URL"

#: Limits of a download: seconds for the whole of it (retries included) per
#: 32 MiB of the release's ``max_bytes`` (the bytes accepted), seconds a single
#: read may wait, retries of a transient failure (5xx, 429, a dropped or timed
#: out connection; not a refused one) and seconds between them.
DOWNLOAD_DEADLINE = 300.0
READ_TIMEOUT = 30.0
DOWNLOAD_RETRIES = 2
RETRY_WAIT = 2.0

#: Seconds to wait for another process's work on the cache folder before
#: going ahead without the lock (renames stay atomic either way); None: the
#: release's download deadline plus a minute.
LOCK_WAIT = None


def _lock_wait(rel: releases.Release) -> float:
    return _deadline(rel) + 60 if LOCK_WAIT is None else LOCK_WAIT


def _deadline(rel: releases.Release) -> float:
    """Seconds allowed for downloading ``rel``: DOWNLOAD_DEADLINE per 32 MiB."""
    return DOWNLOAD_DEADLINE * max(1, rel.max_bytes // (32 << 20))


def data_url(release: str | releases.Release = "ml-100k") -> str:
    """The download URL: the release's own, or for MovieLens 100K
    ``$AUTOREC_DATA_URL`` if set (a mirror)."""
    rel = releases.release(release)
    if rel.name == "ml-100k":
        return os.environ.get(URL_ENV, "").strip() or releases.URL
    return rel.url


def _help_text(path: Path, rel: releases.Release) -> str:
    return (
        f"Download {data_url(rel)} yourself (or copy an existing {rel.archive}) and put "
        f"it at\n    {path}\n"
        f"or set the environment variable {DATA_ENV} to the folder that holds "
        f"{rel.archive}, then run again.")


class _Transient(Exception):
    """A failure worth another try (a 5xx answer, a dropped connection)."""


class _Sink:
    """Where pooch's downloader writes: a descriptor of the part file, opened
    once with ``O_EXCL|O_NOFOLLOW`` and never reopened by name, that counts and
    hashes what comes and refuses bytes past the release's size cap or after
    the download was abandoned."""

    def __init__(self, fd: int, rel: releases.Release, stop: threading.Event):
        self.fd, self.rel, self.stop = fd, rel, stop
        self.restart()

    def restart(self):
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        self.hash, self.size = hashlib.new(self.rel.known_hash.split(":")[0]), 0
        self.head = b""

    def write(self, block: bytes) -> int:
        if self.stop.is_set():
            raise _Abandoned
        self.size += len(block)
        if self.size > self.rel.max_bytes:
            raise DataUnavailableError(f"the server sent more than {self.rel.max_bytes:,} "
                                       f"bytes; {self.rel.title} is {_about(self.rel)}")
        self.hash.update(block)
        if len(self.head) < 512:
            self.head += block[:512 - len(self.head)]
        view = memoryview(block)
        while view:
            view = view[os.write(self.fd, view):]
        return len(block)

    def flush(self):
        pass


class _Abandoned(Exception):
    """The download ran past its deadline and its caller has gone."""


def _downloader(rel: releases.Release, progressbar: bool):
    """pooch's HTTP downloader with our read timeout, and a response hook that
    turns a 5xx into a retry and refuses a body announced too large."""
    import pooch

    def check(response, *args, **kwargs):
        if response.status_code >= 500 or response.status_code == 429:
            raise _Transient(f"HTTP {response.status_code} {response.reason}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > rel.max_bytes:
            raise DataUnavailableError(f"the server announced {int(declared):,} bytes; "
                                       f"{rel.title} is {_about(rel)}")

    return pooch.HTTPDownloader(progressbar=progressbar, chunk_size=1 << 16,
                                timeout=(READ_TIMEOUT, READ_TIMEOUT),
                                hooks={"response": check})


def _attempts(url: str, sink: _Sink, rel: releases.Release, progressbar: bool,
              deadline: float, outcome: dict) -> None:
    """Run in a worker thread: download with retries of transient failures."""
    import requests
    import urllib3

    transient = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                 requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError)
    download = _downloader(rel, progressbar)
    try:
        for attempt in range(DOWNLOAD_RETRIES + 1):
            try:
                sink.restart()
                download(url, sink, None)
                outcome["hash"], outcome["head"] = sink.hash.hexdigest(), sink.head
                return
            except (_Transient, *transient) as err:
                if _offline(err):
                    raise
                outcome["error"] = err if isinstance(err, _Transient) else _Transient(
                    f"{type(err).__name__}: {err}")
                wait = RETRY_WAIT * (attempt + 1)
                if attempt == DOWNLOAD_RETRIES or time.monotonic() + wait > deadline \
                        or sink.stop.wait(wait):
                    return
    except BaseException as err:  # noqa: BLE001 -- reported by the caller
        outcome["error"] = err
    finally:
        os.close(sink.fd)


def _offline(err: BaseException) -> bool:
    """Whether no connection could be opened at all (refused, or no such host):
    retrying in a few seconds would only make the offline user wait."""
    import urllib3

    reason = getattr(err.args[0], "reason", None) if err.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _web_page_hint(head: bytes) -> str:
    """A line for a download that turns out to be a web page, else ``""``."""
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return ("The server sent a web page, not a zip file: a network login page "
                "(captive portal) or a proxy may have answered; log in or use another "
                "network.\n")
    return ""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """``text`` with control characters written as ``\\x1b`` and the like: a
    server's reason phrase or redirect address reaches the message, and a
    terminal escape in it would drive the user's terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` names, without following a link, the file open as ``fd``."""
    try:
        st, link = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (link.st_dev, link.st_ino)


def _userinfo(url: str) -> str:
    """The ``user:password`` part of a URL, or ``""``; never an error, even for
    a URL that urllib cannot parse (its authority ends at the first ``/``,
    ``?`` or ``#``, as urllib3 reads it)."""
    rest = url.split("://", 1)[1] if "://" in url else url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return authority.rpartition("@")[0]


def redact(text: str, url: str) -> str:
    """``text`` with the user name and password of ``url`` replaced by ``***``."""
    secret = _userinfo(url)
    if not secret:
        return text
    for part in sorted({secret, *secret.split(":", 1),
                        urllib.parse.unquote(secret)} - {""}, key=len, reverse=True):
        text = text.replace(part, "***")
    return text


def _download(folder: Path, url: str, progressbar: bool, rel: releases.Release) -> Path:
    """:func:`_download_once`; its errors never show the URL's user name or password
    (notebook outputs are committed), nor chain an error that would."""
    try:
        return _download_once(folder, url, progressbar, rel)
    except DataError as err:
        if not _userinfo(url):
            raise
        raise type(err)(redact(str(err), url)) from None


def _download_once(folder: Path, url: str, progressbar: bool, rel: releases.Release
                   ) -> Path:
    """Download into a ``<archive>.part-*`` file, check its hash, rename it into
    place; within :func:`_deadline` seconds, retries included.

    pooch's downloader streams the body (``pooch.retrieve`` itself is not used:
    it reopens its temporary file by name, which another user of a shared
    folder could swap for a symbolic link, and it has no overall deadline or
    size cap). The part file is created once with ``O_EXCL|O_NOFOLLOW`` and
    written only through its descriptor, and it is renamed only while its name
    still leads to that descriptor's file.
    """
    target = folder / rel.archive
    part = folder / f"{part_prefix(rel)}{os.getpid()}-{secrets.token_hex(4)}"
    outcome: dict = {}
    stop = threading.Event()
    deadline = time.monotonic() + _deadline(rel)

    def unavailable(why: str) -> DataUnavailableError:
        return DataUnavailableError(f"Could not download {rel.title} from {url}: "
                                    f"{_printable(why)}\n" + _help_text(target, rel))

    if not os.access(folder, os.W_OK):
        raise unavailable(f"the folder {folder} is not writable")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    fd = None
    try:
        fd = os.open(part, flags, 0o644)
        # The worker owns a duplicate, closed when it ends, so that a worker
        # abandoned at the deadline never writes through a reused number.
        sink = _Sink(os.dup(fd), rel, stop)
        worker = threading.Thread(target=_attempts, name="autorec-download", daemon=True,
                                  args=(url, sink, rel, progressbar, deadline, outcome))
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            raise unavailable(f"it did not finish within {_deadline(rel):g} s "
                              f"(autorec_common.data.fetch.DOWNLOAD_DEADLINE)")
        if "hash" not in outcome:
            err = outcome.get("error")
            if isinstance(err, (_Transient, DataUnavailableError)):
                raise unavailable(str(err)) from err
            if isinstance(err, OSError):  # requests' errors are OSErrors too
                raise unavailable(f"{type(err).__name__}: {err}") from err
            raise err or unavailable("the download stopped")
        algorithm, expected = rel.known_hash.split(":")
        if outcome["hash"] != expected:
            raise CorruptArchiveError(
                f"The file downloaded from {url} failed its {releases.HASH_NAMES[algorithm]} "
                f"check and was discarded (expected {expected}, got {outcome['hash']}).\n"
                + _web_page_hint(outcome["head"]) + _help_text(target, rel))
        if not _same_file(fd, part):
            raise unavailable(f"{part} was replaced by another file while it was being "
                              f"written; someone else can write to {folder}. Use a folder "
                              f"only you can write to (set {DATA_ENV})")
        os.replace(part, target)
        ours = _same_file(fd, target)
        if not ours and not stat.S_ISREG(os.lstat(target).st_mode):
            raise unavailable(f"{target} was replaced by a link or special file as it "
                              f"was put in place; someone else can write to {folder}. "
                              f"Use a folder only you can write to (set {DATA_ENV})")
    except OSError as err:
        raise unavailable(f"{type(err).__name__}: {err}") from err
    finally:
        stop.set()
        if fd is not None:
            if not _same_file(fd, target):
                with contextlib.suppress(OSError):
                    if _same_file(fd, part):
                        os.unlink(part)
            os.close(fd)
    if ours:  # else another process's download won the race; it is verified on use
        _VERIFIED[_identity(target, rel)] = "official"
    return target


def download_release(release: str | releases.Release = "ml-100k",
                     root: str | os.PathLike | None = None, url: str | None = None,
                     progressbar: bool = True) -> Path:
    """Download a release's official archive into ``root`` and check its hash.

    ``url`` defaults to :func:`data_url`. The download is written to a
    ``<archive>.part-*`` file and renamed into place only after its hash
    matched; the limits are :data:`DOWNLOAD_DEADLINE` and the settings beside it.
    """
    rel = releases.release(release)
    folder = _cache_folder(root)
    with cache._locked(folder, _lock_wait(rel), rel) as held:
        _remove_parts(folder, held, rel)
        return _download(folder, url or data_url(rel), progressbar, rel)


def fetch_release(release: str | releases.Release = "ml-100k",
                  root: str | os.PathLike | None = None, url: str | None = None,
                  progressbar: bool = True) -> Path:
    """Return the path of a verified archive of a release, downloading it if needed.

    A cached archive (or anything else by that name) that fails verification is
    never used: it is renamed to ``<archive>.corrupt-<time>`` (so nothing is
    lost) and a fresh copy is downloaded. Concurrent calls share the work.
    """
    rel = releases.release(release)
    folder = _cache_folder(root)
    path = folder / rel.archive
    if _identity(path, rel) in _VERIFIED:
        return path
    if os.path.isfile(path) and not os.path.islink(path):
        # A good archive needs no lock: only replacing a bad one does.
        with contextlib.suppress(CorruptArchiveError):
            _verified(path, rel)
            return path
    problem = None
    with cache._locked(folder, _lock_wait(rel), rel) as held:
        if os.path.exists(path) or os.path.lexists(path) and not os.path.islink(path):
            try:
                _verified(path, rel)
                return path
            except CorruptArchiveError as err:
                moved = _move_aside(path, err, rel)
                if moved is not None:
                    problem = (f"The cached archive failed verification and was moved to "
                               f"{moved}: {err}")
                    warnings.warn(problem + "\nDownloading a fresh copy.", stacklevel=2)
        _remove_parts(folder, held, rel)
        try:
            return _download(folder, url or data_url(rel), progressbar, rel)
        except DataError as err:
            if problem:
                raise type(err)(f"{problem}\n{err}") from err
            raise


def download_ml100k(root: str | os.PathLike | None = None, url: str | None = None,
                    progressbar: bool = True) -> Path:
    """Download MovieLens 100K into ``root`` (see :func:`download_release`)."""
    return download_release("ml-100k", root, url, progressbar)


def fetch_ml100k(root: str | os.PathLike | None = None, url: str | None = None,
                 progressbar: bool = True) -> Path:
    """Return the path of a verified ``ml-100k.zip`` (see :func:`fetch_release`)."""
    return fetch_release("ml-100k", root, url, progressbar)


def read_member(name: str, root: str | os.PathLike | None = None,
                release: str | releases.Release = "ml-100k") -> bytes:
    """The bytes of one member (``"u.data"``, ``"u1.base"``, ...) of a verified archive."""
    rel = releases.release(release)
    path = fetch_release(rel, root)
    how = _verified(path, rel)
    expected = rel.members.get(name)
    if how != "official" and expected is None:
        raise CorruptArchiveError(
            f"{path} is not the official archive, and {name!r} has no recorded "
            f"checksum, so it cannot be trusted.")
    try:
        with _open_archive(path, rel) as f, zipfile.ZipFile(f) as zf:
            names = _members(zf)
            if name not in names:
                raise DataError(f"{path} has no member {name!r}.")
            return _read_checked(zf, names[name], path, expected,
                                 limit=rel.max_member_bytes)
    except CorruptArchiveError as err:
        _VERIFIED.pop(_identity(path, rel), None)
        raise CorruptArchiveError(f"{err}\nIt changed after it was verified; run again "
                                  f"to have it moved aside.") from err


@contextlib.contextmanager
def open_member(name: str, release: str | releases.Release,
                root: str | os.PathLike | None = None):
    """A binary stream of one member of a release's verified official archive,
    read in bounded memory (for ratings files too large to hold twice)."""
    rel = releases.release(release)
    path = fetch_release(rel, root)
    with _open_archive(path, rel) as f, zipfile.ZipFile(f) as zf:
        names = _members(zf)
        if name not in names:
            raise CorruptArchiveError(f"{path} has no member {name!r}; it is not a "
                                      f"{rel.title} archive.")
        info = zf.getinfo(names[name])
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or \
                info.flag_bits & 0x41 or info.file_size > rel.max_member_bytes:
            raise CorruptArchiveError(f"{path}: member {name!r} is encrypted, uses an "
                                      f"unusual compression or is too large to read.")
        with zf.open(info) as stream:
            yield stream
