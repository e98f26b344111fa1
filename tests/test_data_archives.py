"""Hostile archives and cache folders: every failure is a DataError with advice,
memory stays bounded, and a bad archive is moved aside (or the error says why not).

Synthetic archives only (the module's checksums are patched to describe them);
downloads go to a closed port on 127.0.0.1.
"""

import io
import multiprocessing
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from autorec_common import data as D
from test_fetch import ARCHIVE, MEMBERS, checksums, closed_port_url, make_zip  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
BOMB_BYTES = 32 << 20


def patch_central(blob: bytes, member: str, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of ``member``'s central-directory entry."""
    b = bytearray(blob)
    i = b.find(b"PK\x01\x02")
    while i >= 0:
        n = struct.unpack_from("<H", b, i + 28)[0]
        if bytes(b[i + 46:i + 46 + n]).decode().endswith(member):
            struct.pack_into(fmt, b, i + offset, value)
            return bytes(b)
        i = b.find(b"PK\x01\x02", i + 4)
    raise KeyError(member)


def bomb(method) -> bytes:
    """The synthetic archive, with a u.data that inflates to 32 MiB of zeros
    but whose header declares the expected size."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr("ml-100k/u.item", MEMBERS["u.item"])
        with zf.open("ml-100k/u.data", "w") as f:
            block = bytes(1 << 20)
            for _ in range(BOMB_BYTES >> 20):
                f.write(block)
    return patch_central(buf.getvalue(), "u.data", 24, "<I", len(MEMBERS["u.data"]))


def corrupt_files(folder: Path):
    return sorted(folder.glob(D.CORRUPT_PREFIX + "*"))


def fetch_offline(folder):
    return D.fetch_ml100k(folder, url=closed_port_url(), progressbar=False)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_DEFLATED])
def test_zip_bomb_is_refused_in_bounded_memory_and_moved_aside(checksums, tmp_path, method):
    blob = bomb(method)
    path = tmp_path / "ml-100k.zip"
    path.write_bytes(blob)
    tracemalloc.start()
    try:
        with pytest.raises(D.CorruptArchiveError, match="u.data"):
            D.verify_archive(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"verification peaked at {peak / 2**20:.1f} MiB"
    with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError):
        fetch_offline(tmp_path)
    assert not path.exists() and [p.read_bytes() for p in corrupt_files(tmp_path)] == [blob]


@pytest.mark.data
def test_real_archive_verifies_in_bounded_memory():
    path = D.archive_path()
    if not path.is_file():
        pytest.skip("no cached MovieLens 100K archive")
    tracemalloc.start()
    try:
        assert D.verify_archive(path) in {"official", "members"}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"verification peaked at {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("offset, value, reason", [
    (8, 0x1, "is encrypted"),                      # the encryption flag
    (10, 9, "compression method 9"),               # Deflate64
    (10, 99, "compression method 99"),             # AES
])
def test_unreadable_member_is_a_data_error_and_moved_aside(checksums, tmp_path,
                                                           offset, value, reason):
    blob = patch_central(make_zip(), "u.data", offset, "<H", value)
    (tmp_path / "ml-100k.zip").write_bytes(blob)
    with pytest.raises(D.CorruptArchiveError, match=reason):
        D.verify_archive(tmp_path / "ml-100k.zip")
    with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError) as info:
        fetch_offline(tmp_path)
    assert reason in str(info.value) and "moved to" in str(info.value)
    assert [p.read_bytes() for p in corrupt_files(tmp_path)] == [blob]


def test_huge_central_directory_is_refused_before_it_is_read(checksums, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(3000):
            zf.writestr(f"x{i}", b"")
    (tmp_path / "ml-100k.zip").write_bytes(buf.getvalue())
    with pytest.raises(D.CorruptArchiveError, match="lists 3000 members"):
        D.verify_archive(tmp_path / "ml-100k.zip")


def test_memory_error_is_a_data_error_and_the_archive_moved_aside(checksums, tmp_path,
                                                                  monkeypatch):
    def no_memory(*args):
        raise MemoryError

    monkeypatch.setattr(D.verify, "_hash_stream", no_memory)
    (tmp_path / "ml-100k.zip").write_bytes(ARCHIVE)
    with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError,
                                                  match="memory ran out"):
        fetch_offline(tmp_path)
    assert len(corrupt_files(tmp_path)) == 1


def in_thread(fn, timeout=20):
    """Run fn in a daemon thread; fail if it does not return within timeout."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as err:  # noqa: BLE001
            out["error"] = err

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "hangs"
    return out


def test_a_pipe_swapped_in_after_a_check_by_name_never_hangs(checksums, tmp_path,
                                                              monkeypatch):
    """In a folder others can write to, the archive can become a named pipe between
    a check by name and the open: the type is checked on the open descriptor."""
    path = tmp_path / "ml-100k.zip"
    os.mkfifo(path)
    regular = os.stat(__file__)
    real_stat = os.stat
    monkeypatch.setattr(D.verify.os, "stat", lambda p, *a, **k: regular
                        if Path(p) == path else real_stat(p, *a, **k))
    out = in_thread(lambda: D.verify_archive(path))
    assert isinstance(out.get("error"), D.CorruptArchiveError), out
    assert "a named pipe, not a zip file" in str(out["error"])


@pytest.mark.parametrize("kind", ["folder", "fifo", "device link", "folder link"])
def test_non_file_named_like_the_archive_never_hangs_and_is_moved_aside(
        checksums, tmp_path, kind):
    path = tmp_path / "ml-100k.zip"
    if kind == "folder":
        path.mkdir()
        (path / "keep.txt").write_text("mine")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device link":
        path.symlink_to("/dev/zero")
    else:
        (tmp_path / "elsewhere").mkdir()
        path.symlink_to(tmp_path / "elsewhere")
    with pytest.warns(UserWarning):
        out = in_thread(lambda: fetch_offline(tmp_path))
    err = out.get("error")
    assert isinstance(err, D.DataUnavailableError), err
    assert "not a zip file" in str(err) and "moved to" in str(err)
    (moved,) = corrupt_files(tmp_path)
    assert not os.path.lexists(path)
    if kind == "folder":
        assert (moved / "keep.txt").read_text() == "mine"
    if kind.endswith("link"):
        assert moved.is_symlink()


def test_dangling_link_is_replaced_by_the_download(checksums, tmp_path):
    (tmp_path / "ml-100k.zip").symlink_to(tmp_path / "nowhere")
    with pytest.raises(D.DataUnavailableError, match="Could not download"):
        fetch_offline(tmp_path)
    assert not (tmp_path / "nowhere").exists() and corrupt_files(tmp_path) == []


@pytest.mark.parametrize("below", ["", "sub"])
def test_data_variable_naming_a_file_is_a_data_error_naming_it(checksums, tmp_path,
                                                               monkeypatch, below):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv(D.DATA_ENV, str(tmp_path / "afile" / below))
    with pytest.raises(D.DataUnavailableError) as info:
        D.fetch_ml100k(url=closed_port_url(), progressbar=False)
    assert D.DATA_ENV in str(info.value) and "afile" in str(info.value)


# -- another user: as root, a forked child drops to "nobody"; otherwise chmod ----

def other_user(fn, folder: Path):
    """Run fn() as a user who owns neither ``folder`` nor its files; returns
    (exception type name, message) or (None, result)."""
    def call():
        try:
            return None, str(fn())
        except BaseException as err:  # noqa: BLE001
            return type(err).__name__, str(err)

    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            return call()
        finally:
            folder.chmod(0o755)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def child():
        os.setgid(65534)
        os.setuid(65534)
        queue.put(call())

    p = ctx.Process(target=child)
    p.start()
    result = queue.get(timeout=30)
    p.join(30)
    return result


@pytest.fixture
def shared_folder():
    """A folder in /tmp that every user can enter but only its owner can write."""
    folder = Path(tempfile.mkdtemp(prefix="autorec-shared-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_corrupt_archive_in_a_folder_we_cannot_write(checksums, shared_folder):
    path = shared_folder / "ml-100k.zip"
    path.write_bytes(ARCHIVE[:-40])
    path.chmod(0o644)
    kind, message = other_user(lambda: fetch_offline(shared_folder), shared_folder)
    assert kind == "CorruptArchiveError", message
    assert "cannot be moved aside" in message and "not writable" in message
    assert D.DATA_ENV in message and path.read_bytes() == ARCHIVE[:-40]


def test_archive_another_user_cannot_read(checksums, shared_folder):
    path = shared_folder / "ml-100k.zip"
    path.write_bytes(ARCHIVE)
    path.chmod(0o600 if os.geteuid() == 0 else 0)
    kind, message = other_user(lambda: fetch_offline(shared_folder), shared_folder)
    path.chmod(0o644)
    assert kind == "DataUnavailableError", message
    assert "cannot be read" in message and "chmod a+r" in message and D.DATA_ENV in message
    assert path.read_bytes() == ARCHIVE and corrupt_files(shared_folder) == []


def test_good_archive_in_a_read_only_folder_is_used(checksums, shared_folder):
    (shared_folder / "ml-100k.zip").write_bytes(ARCHIVE)
    (shared_folder / "ml-100k.zip").chmod(0o644)
    kind, result = other_user(lambda: fetch_offline(shared_folder), shared_folder)
    assert kind is None and result == str(shared_folder / "ml-100k.zip")


def test_empty_read_only_folder_says_it_is_not_writable(checksums, shared_folder):
    kind, message = other_user(lambda: fetch_offline(shared_folder), shared_folder)
    assert kind == "DataUnavailableError" and "is not writable" in message, message


@pytest.mark.slow
def test_pytest_reports_a_data_error_in_one_clean_message(tmp_path):
    (tmp_path / "afile").write_text("x")
    env = dict(os.environ, PYTHONPATH=str(REPO), AUTOREC_DATA=str(tmp_path / "afile"),
               AUTOREC_DATA_URL=closed_port_url())
    env.pop("AUTOREC_SKIP_DATA_CHECK", None)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:nbval",
         "-p", "no:xdist", "-o", "addopts=", "-q", "tests/test_parsing.py::test_describe"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "INTERNALERROR" not in text
    assert "MovieLens 100K is not available" in text and D.DATA_ENV in text


def test_quarantine_names_do_not_overwrite_each_other(checksums, tmp_path):
    for blob in (b"first bad copy", b"second bad copy"):
        (tmp_path / "ml-100k.zip").write_bytes(blob)
        with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError):
            fetch_offline(tmp_path)
    assert sorted(p.read_bytes() for p in corrupt_files(tmp_path)) == [
        b"first bad copy", b"second bad copy"]
    assert all(stat.S_ISREG(p.stat().st_mode) for p in corrupt_files(tmp_path))


def hold_lock(folder):
    """Take the cache lock of ml-100k.zip in ``folder``; return the descriptor."""
    fcntl = pytest.importorskip("fcntl")
    fd = os.open(folder / "ml-100k.zip.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_lock_held_too_long_is_waited_out_and_the_wait_is_said(checksums, tmp_path,
                                                                 monkeypatch, capfd):
    monkeypatch.setattr(D.fetch, "LOCK_WAIT", 0.5)
    monkeypatch.setattr(D.cache, "LOCK_NOTICE", 0.1)
    (tmp_path / "ml-100k.zip").write_bytes(ARCHIVE[:-1])  # needs the lock: bad copy
    fd = hold_lock(tmp_path)
    try:
        with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError):
            fetch_offline(tmp_path)
    finally:
        os.close(fd)
    err = capfd.readouterr().err
    assert "Waiting for another process to finish with ml-100k.zip" in err
    assert str(tmp_path) in err and len(corrupt_files(tmp_path)) == 1


def test_a_verified_archive_is_read_without_waiting_for_the_lock(checksums, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(D.fetch, "LOCK_WAIT", 30)
    (tmp_path / "ml-100k.zip").write_bytes(ARCHIVE)
    fd = hold_lock(tmp_path)
    try:
        out = in_thread(lambda: fetch_offline(tmp_path), timeout=5)
        assert out == {"value": tmp_path / "ml-100k.zip"}
    finally:
        os.close(fd)


def test_a_reader_of_the_folder_cannot_hold_the_lock(checksums, tmp_path, monkeypatch):
    """flock on the folder itself (any reader can open it) blocks no one."""
    fcntl = pytest.importorskip("fcntl")
    monkeypatch.setattr(D.fetch, "LOCK_WAIT", 30)
    (tmp_path / "ml-100k.zip").write_bytes(b"not a zip")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.warns(UserWarning):
            out = in_thread(lambda: fetch_offline(tmp_path), timeout=10)
        assert isinstance(out["error"], D.DataUnavailableError)
    finally:
        os.close(fd)
    lock = tmp_path / "ml-100k.zip.lock"
    assert lock.is_file() and not lock.is_symlink()


@pytest.mark.parametrize("folder_mode, lock_mode", [
    (0o755, 0o600), (0o775, 0o660), (0o777, 0o666), (0o1777, 0o666)])
def test_only_writers_of_the_folder_can_open_the_lock(checksums, tmp_path, folder_mode,
                                                       lock_mode):
    """Even under a umask of 0, a reader who may not write to the cache cannot
    open its lock file for writing, so cannot hold the lock."""
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(folder_mode)
    old = os.umask(0)
    try:
        with D.cache._locked(folder, 1, D.releases.release("ml-100k")) as held:
            assert held
    finally:
        os.umask(old)
    assert (folder / "ml-100k.zip.lock").stat().st_mode & 0o777 == lock_mode


def test_a_lock_file_swapped_for_a_symlink_is_not_followed(checksums, tmp_path):
    victim = tmp_path / "victim"
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "ml-100k.zip.lock").symlink_to(victim)
    (folder / "ml-100k.zip").write_bytes(b"not a zip")
    with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError):
        fetch_offline(folder)
    assert not victim.exists()


def zip64(blob: bytes, with_record: bool = True) -> bytes:
    """``blob`` with a zip64 end record and locator before its end record, as
    ``zip -fz`` or a streaming writer lays it out."""
    at = blob.rfind(b"PK\x05\x06")
    entries, size, offset = struct.unpack_from("<HII", blob, at + 10)
    record = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries,
                         entries, size, offset)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, at, 1)
    return blob[:at] + (record if with_record else b"") + locator + blob[at:]


def test_a_zip64_copy_with_the_right_members_is_read(checksums, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, content in MEMBERS.items():
            zf.writestr(f"ml-100k/{name}", content)
    (tmp_path / "ml-100k.zip").write_bytes(zip64(buf.getvalue()))
    assert D.verify_archive(tmp_path / "ml-100k.zip") == "members"
    assert D.read_member("u.data", tmp_path) == MEMBERS["u.data"]
    (tmp_path / "ml-100k.zip").write_bytes(zip64(buf.getvalue(), with_record=False))
    with pytest.raises(D.CorruptArchiveError, match="uses the zip64 format"):
        D.verify_archive(tmp_path / "ml-100k.zip")
