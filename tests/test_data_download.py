"""Downloads with limits, against misbehaving servers on 127.0.0.1: an overall
deadline, a size cap, retries of 5xx, recognisable temporary files cleaned on
the next run, and a URL that can point at a mirror."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autorec_common import data as D
from test_fetch import ARCHIVE, MEMBERS, checksums, trust  # noqa: F401
from test_fetch import Server as BaseServer

REPO = Path(__file__).resolve().parent.parent


class Server(BaseServer):
    """The fetch tests' server, with routes that send their answer slowly."""

    def trickle(self, handler, headers=True, every=0.5, limit=20.0):
        """Send one byte every ``every`` seconds (of the body, or of the headers)."""
        if headers:
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(ARCHIVE)))
            handler.end_headers()
            data = ARCHIVE
        else:
            data = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n" + b"X" * 10_000
        end = time.monotonic() + limit
        try:
            for byte in data:
                if self.stop.is_set() or time.monotonic() > end:
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            return


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def leftovers(folder):
    """What a download left in ``folder``, besides the cache lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name != "ml-100k.zip.lock")


@pytest.mark.parametrize("headers", [True, False], ids=["body", "headers"])
def test_trickling_server_is_cut_off_at_the_deadline(checksums, server, tmp_path,
                                                     monkeypatch, headers):
    monkeypatch.setattr(D.fetch, "DOWNLOAD_DEADLINE", 1.5)
    server.routes["/ml-100k.zip"] = lambda h: server.trickle(h, headers=headers)
    start = time.monotonic()
    with pytest.raises(D.DataUnavailableError, match="did not finish within 1.5 s"):
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert time.monotonic() - start < 5
    assert leftovers(tmp_path) == []


def test_stalled_server_times_out_per_read(checksums, server, tmp_path, monkeypatch):
    monkeypatch.setattr(D.fetch, "READ_TIMEOUT", 0.3)
    server.routes["/ml-100k.zip"] = lambda h: server.stop.wait(10)
    with pytest.raises(D.DataUnavailableError, match="[Tt]imed? ?out"):
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert len(server.hits) == 1 + D.fetch.DOWNLOAD_RETRIES and leftovers(tmp_path) == []


@pytest.mark.parametrize("announce", [True, False])
def test_oversized_download_is_cut_off(checksums, server, tmp_path, monkeypatch, announce):
    trust(monkeypatch, "ml-100k", ARCHIVE, MEMBERS, max_bytes=10_000)

    def huge(h):
        h.send_response(200)
        if announce:
            h.send_header("Content-Length", str(1 << 24))
        h.end_headers()
        try:
            for _ in range(256):
                h.wfile.write(bytes(1 << 16))
        except OSError:
            pass

    server.routes["/ml-100k.zip"] = huge
    with pytest.raises(D.DataUnavailableError, match="10,000 bytes" if not announce
                       else "announced 16,777,216 bytes"):
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert leftovers(tmp_path) == []


def test_server_error_is_retried(checksums, server, tmp_path):
    answers = iter([(503, b"busy"), (500, b"oops"), (200, ARCHIVE)])

    def flaky(h):
        status, body = next(answers)
        h.send_response(status)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/ml-100k.zip"] = flaky
    path = D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert path.read_bytes() == ARCHIVE and len(server.hits) == 3
    assert leftovers(tmp_path) == ["ml-100k.zip"]


def test_persistent_server_error_is_reported(checksums, server, tmp_path):
    server.routes["/ml-100k.zip"] = (503, b"busy")
    with pytest.raises(D.DataUnavailableError, match="HTTP 503"):
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert len(server.hits) == 1 + D.fetch.DOWNLOAD_RETRIES and leftovers(tmp_path) == []


def test_client_error_is_not_retried(checksums, server, tmp_path):
    with pytest.raises(D.DataUnavailableError, match="404"):
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert len(server.hits) == 1


def test_url_is_read_at_call_time(checksums, server, tmp_path, monkeypatch):
    server.routes["/mirror/ml-100k.zip"] = (200, ARCHIVE)
    monkeypatch.setattr(D.releases, "URL", server.url + "/mirror/ml-100k.zip")
    assert D.fetch_ml100k(tmp_path / "a", progressbar=False).read_bytes() == ARCHIVE
    monkeypatch.setattr(D.releases, "URL", "http://127.0.0.1:1/nothing")
    monkeypatch.setenv(D.URL_ENV, server.url + "/mirror/ml-100k.zip")
    assert D.fetch_ml100k(tmp_path / "b", progressbar=False).read_bytes() == ARCHIVE
    assert D.download_ml100k(tmp_path / "c", progressbar=False).read_bytes() == ARCHIVE
    assert len(server.hits) == 3


def test_downloaded_archive_is_readable_by_others(checksums, server, tmp_path):
    server.routes["/ml-100k.zip"] = (200, ARCHIVE)
    umask = os.umask(0o022)
    try:
        path = D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_killed_download_leaves_a_named_part_file_cleaned_next_time(checksums, server,
                                                                     tmp_path):
    server.routes["/slow.zip"] = lambda h: server.trickle(h, every=0.2)
    server.routes["/ml-100k.zip"] = (200, ARCHIVE)
    sha1 = D.releases.release("ml-100k").sha1
    code = (f"import types; from autorec_common import data as D; R = D.releases; "
            f"R.RELEASES = types.MappingProxyType({{**R.RELEASES, 'ml-100k': "
            f"R.RELEASES['ml-100k'].replace(sha1={sha1!r})}}); "
            f"D.fetch_ml100k({str(tmp_path)!r}, url={server.url + '/slow.zip'!r}, "
            f"progressbar=False)")
    child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO,
                             env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        end = time.monotonic() + 30
        while not any(tmp_path.glob(D.PART_PREFIX + "*")):
            assert time.monotonic() < end and child.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert [p.startswith(D.PART_PREFIX) for p in leftovers(tmp_path)] == [True]
    D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert leftovers(tmp_path) == ["ml-100k.zip"]


def test_fetch_reads_the_members_it_verified(checksums, server, tmp_path):
    server.routes["/ml-100k.zip"] = (200, ARCHIVE)
    D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert D.read_member("u.data", tmp_path) == MEMBERS["u.data"]


def test_a_part_file_swapped_for_a_symlink_writes_nothing_through_it(checksums, server,
                                                                     tmp_path):
    """Another user of a shared 0777 folder (no sticky bit) replaces the part file
    by a link to a file of ours while the server answers: the link's target is
    untouched and the archive is not put in place through it."""
    shared, victim = tmp_path / "shared", tmp_path / "important.conf"
    shared.mkdir()
    shared.chmod(0o777)
    victim.write_bytes(b"keep me\n")

    def swap_then_answer(h):
        for part in shared.glob(D.PART_PREFIX + "*"):
            part.unlink()
            part.symlink_to(victim)
        h.send_response(200)
        h.send_header("Content-Length", str(len(ARCHIVE)))
        h.end_headers()
        h.wfile.write(ARCHIVE)

    server.routes["/ml-100k.zip"] = swap_then_answer
    with pytest.raises(D.DataUnavailableError, match="was replaced by another file"):
        D.fetch_ml100k(shared, url=server.url + "/ml-100k.zip", progressbar=False)
    assert victim.read_bytes() == b"keep me\n"
    assert not os.path.lexists(shared / "ml-100k.zip")


def test_credentials_in_the_mirror_url_are_never_shown(checksums, server, tmp_path,
                                                       monkeypatch):
    import traceback

    url = server.url.replace("http://", "http://reader:s3cr3t-token@") + "/missing.zip"
    monkeypatch.setenv(D.URL_ENV, url)
    with pytest.raises(D.DataUnavailableError) as info:
        D.fetch_ml100k(tmp_path, progressbar=False)
    shown = "".join(traceback.format_exception(info.value))
    assert "404" in shown and "***@127.0.0.1" in shown
    assert "s3cr3t" not in shown and "reader" not in shown


@pytest.mark.parametrize("url", [
    "http://reader:s3cr3t-token@[::1:8/ml-100k.zip",  # urllib cannot parse it
    "http://reader:s3cr3t-token@127.0.0.1:99999/ml-100k.zip",
    "reader:s3cr3t-token@127.0.0.1/ml-100k.zip",  # no scheme
])
def test_credentials_in_a_malformed_mirror_url_are_never_shown(checksums, tmp_path,
                                                              monkeypatch, url):
    import traceback

    monkeypatch.setenv(D.URL_ENV, url)
    with pytest.raises(D.DataUnavailableError) as info:
        D.fetch_ml100k(tmp_path, progressbar=False)
    shown = "".join(traceback.format_exception(info.value))
    assert "s3cr3t" not in shown and "reader" not in shown and "***" in shown


def test_a_servers_reason_phrase_cannot_drive_the_terminal(checksums, server, tmp_path):
    def hostile(h):
        h.send_response(404, "Not\x1b[2J\x1b]0;pwned\x07Found")
        h.send_header("Content-Length", "0")
        h.end_headers()

    server.routes["/ml-100k.zip"] = hostile
    with pytest.raises(D.DataUnavailableError) as info:
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    message = str(info.value)
    assert "404" in message and "Not\\x1b[2J\\x1b]0;pwned\\x07Found" in message
    assert "\x1b" not in message and "\x07" not in message


def test_a_refused_connection_is_not_retried(checksums, tmp_path, monkeypatch):
    from test_fetch import closed_port_url

    monkeypatch.setattr(D.fetch, "RETRY_WAIT", 5.0)
    start = time.monotonic()
    with pytest.raises(D.DataUnavailableError, match="ConnectionError"):
        D.fetch_ml100k(tmp_path, url=closed_port_url(), progressbar=False)
    assert time.monotonic() - start < 4


def test_too_many_requests_is_retried(checksums, server, tmp_path):
    answers = iter([(429, b"slow down"), (200, ARCHIVE)])

    def busy(h):
        status, body = next(answers)
        h.send_response(status)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/ml-100k.zip"] = busy
    D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert len(server.hits) == 2


def test_a_web_page_instead_of_the_archive_is_named_as_such(checksums, server, tmp_path):
    server.routes["/ml-100k.zip"] = (200, b"<!DOCTYPE html><html>Log in to the Wi-Fi")
    with pytest.raises(D.CorruptArchiveError, match="sent a web page, not a zip file"):
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("bomb", [False, True], ids=["archive", "bomb"])
def test_a_gzip_encoded_answer_is_decoded_and_capped(checksums, server, tmp_path,
                                                     monkeypatch, bomb):
    import gzip

    if bomb:
        trust(monkeypatch, "ml-100k", ARCHIVE, MEMBERS, max_bytes=100_000)
    body = gzip.compress(bytes(8 << 20) if bomb else ARCHIVE)

    def gzipped(h):
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/ml-100k.zip"] = gzipped
    url = server.url + "/ml-100k.zip"
    if bomb:
        with pytest.raises(D.DataUnavailableError, match="sent more than 100,000 bytes"):
            D.fetch_ml100k(tmp_path, url=url, progressbar=False)
        assert leftovers(tmp_path) == []
    else:
        assert D.fetch_ml100k(tmp_path, url=url, progressbar=False).read_bytes() == ARCHIVE
