"""Verification: an archive is trusted whole (official SHA-1) or member by member.

Members are read straight out of the zip file, in bounded memory; nothing is
extracted to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from . import releases
from .cache import DATA_ENV
from .errors import CorruptArchiveError, DataError, DataUnavailableError

#: The largest central directory read (the releases list 7 to 24 members);
#: an archive on disk may be up to twice its release's ``max_bytes``, and a
#: member up to its ``max_member_bytes``.
MAX_DIRECTORY_BYTES = 64 << 10

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


def _check_directory(f, path: Path, rel: releases.Release) -> None:
    """Refuse a zip file whose central directory is too large to read."""
    f.seek(0, os.SEEK_END)
    end = f.tell()
    f.seek(max(0, end - (22 + 0xFFFF)))
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise CorruptArchiveError(f"{path} is not a zip file (it has no end record).")
    entries, size = struct.unpack_from("<HI", tail, at + 10)
    if at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        # A zip64 end record (``zip -fz``, streaming writers) sits right before
        # its locator; read its counts, or refuse a layout we do not know.
        record = at - 20 - 56
        if record < 0 or tail[record:record + 4] != b"PK\x06\x06":
            raise CorruptArchiveError(
                f"{path} uses the zip64 format with an end record this module cannot "
                f"find; re-zip it with plain `zip` (without -fz), then run again.")
        entries, size = struct.unpack_from("<QQ", tail, record + 32)
    if size > MAX_DIRECTORY_BYTES or entries > MAX_DIRECTORY_BYTES // 46:
        raise CorruptArchiveError(
            f"{path} lists {entries} members in {size} bytes, far more than a "
            f"{rel.title} archive holds.")
    f.seek(0)


def _members(zf: zipfile.ZipFile) -> dict:
    return {Path(n).name: n for n in zf.namelist()}


def _read_checked(zf: zipfile.ZipFile, name: str, path: Path, expected=None,
                  keep: bool = True, limit: int = 16 << 20) -> bytes | None:
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
    if info.file_size > limit:
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
def _open_archive(path: Path, rel: releases.Release):
    """Open a regular file of sane size as a zip file, turning every failure
    into a DataError: unreadable (DataUnavailableError) or bad (CorruptArchiveError)."""
    try:
        # Opened once, without waiting, and checked on the descriptor: a named
        # pipe swapped in after a check by name would block the open for ever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) |
                     getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) |
                     getattr(os, "O_BINARY", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise CorruptArchiveError(f"{path} is {_kind(st.st_mode)}, not a zip "
                                          f"file.")
            if st.st_size > 2 * rel.max_bytes:
                raise CorruptArchiveError(f"{path} is {st.st_size:,} bytes; {rel.title} "
                                          f"is {_about(rel)}.")
            f = open(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
        with f:
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


def _about(rel: releases.Release) -> str:
    """The size of a release's archive in words."""
    size = rel.size or rel.max_bytes // 2
    return f"about {size / 1e6:,.0f} MB" if size >= 1e7 else f"about {size / 1e6:.0f} MB"


def _official(f, rel: releases.Release) -> tuple[bool, str, str]:
    """Whether the open file's strongest published checksum matches:
    ``(matches, algorithm, digest)``."""
    algorithm, expected = rel.known_hash.split(":")
    digest = _hash_stream(f, algorithm)
    return digest == expected, algorithm, digest


def verify_archive(path: str | os.PathLike, release: str | releases.Release = "ml-100k"
                   ) -> str:
    """Check an archive and say why it can be trusted.

    Returns ``"official"`` when the file is byte-identical to the GroupLens
    release (by its published checksum, see :mod:`.releases`), or
    ``"members"`` when it is another zip file whose members match the
    release's member checksums one by one (MovieLens 100K only). Raises
    :class:`CorruptArchiveError` otherwise, naming what is wrong, or
    :class:`DataUnavailableError` if the file cannot be read.
    """
    path, rel = Path(path), releases.release(release)
    with _open_archive(path, rel) as f:
        matches, algorithm, digest = _official(f, rel)
        if matches:
            return "official"
        if not rel.members:
            raise CorruptArchiveError(
                f"{path} is not the official {rel.title} archive: its "
                f"{releases.HASH_NAMES[algorithm]} is {digest[:12]}..., the published one "
                f"{rel.known_hash.split(':')[1][:12]}...")
        _check_directory(f, path, rel)
        with zipfile.ZipFile(f) as zf:
            names = _members(zf)
            for member, expected in rel.members.items():
                if member not in names:
                    raise CorruptArchiveError(
                        f"{path} is not a complete {rel.title} archive: it has no "
                        f"member {member!r}.")
                _read_checked(zf, names[member], path, expected, keep=False,
                              limit=rel.max_member_bytes)
    return "members"


_VERIFIED: dict[tuple, str] = {}


def _identity(path: Path, rel: releases.Release | None = None) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
            rel.known_hash if rel is not None else None)


def _verified(path: Path, rel: releases.Release) -> str:
    """verify_archive, remembered per file identity within a process."""
    key = _identity(path, rel)
    if key is None or key not in _VERIFIED:
        how = verify_archive(path, rel)
        if key is not None and key == _identity(path, rel):
            _VERIFIED[key] = how
        return how
    return _VERIFIED[key]
