"""Fault tests of the fetcher, against a local HTTP server on 127.0.0.1.

The archives here are small synthetic zip files; the module's checksums are
patched to describe them, so no real data and no internet are involved.
"""

import hashlib
import http.server
import io
import socket
import threading
import zipfile
from types import MappingProxyType

import pytest

from autorec_common import data as D

MEMBERS = {
    "u.data": b"1\t1\t5\t874965758\n1\t2\t3\t876893171\n2\t1\t4\t878542960\n",
    "u.item": b"1|Toy Story (1995)|01-Jan-1995||http://x|" + b"|".join([b"0"] * 19) + b"\n",
}


def make_zip(members=MEMBERS) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(f"ml-100k/{name}", content)
    return buf.getvalue()


ARCHIVE = make_zip()


def trust(monkeypatch, name, archive, members=None, **changes):
    """Make release ``name``'s record describe ``archive`` (by its SHA-1) and,
    given ``members``, its members; return the patched record."""
    rel = D.releases.RELEASES[name].replace(
        sha1=hashlib.sha1(archive).hexdigest(), **changes)
    if members is not None:
        rel = rel.replace(members=MappingProxyType({
            n: (len(content), hashlib.sha256(content).hexdigest())
            for n, content in members.items()}))
    monkeypatch.setattr(D.releases, "RELEASES",
                        MappingProxyType({**D.releases.RELEASES, name: rel}))
    return rel


@pytest.fixture
def checksums(monkeypatch):
    """Make the module trust exactly the synthetic archive above."""
    trust(monkeypatch, "ml-100k", ARCHIVE, MEMBERS)
    monkeypatch.delenv(D.DATA_ENV, raising=False)
    monkeypatch.delenv(D.URL_ENV, raising=False)
    monkeypatch.setattr(D.fetch, "RETRY_WAIT", 0.01)


class Server:
    """Serves ``routes[path]`` on 127.0.0.1: ``(status, body)``, or a function
    of the request handler that answers it; ``hits`` lists the paths asked for."""

    def __init__(self):
        self.routes, self.hits, self.stop = {}, [], threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                route = server.routes.get(self.path, (404, b"not found"))
                if callable(route):
                    return route(self)
                status, body = route
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/ml-100k.zip"


def test_download_verifies_and_caches(checksums, server, tmp_path):
    server.routes["/ml-100k.zip"] = (200, ARCHIVE)
    path = D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert path == tmp_path / "ml-100k.zip" and path.read_bytes() == ARCHIVE
    assert D.verify_archive(path) == "official"
    ratings = D.parse_ratings(D.read_member("u.data", tmp_path))
    assert len(ratings) == 3


def test_http_error_leaves_nothing_and_says_what_to_do(checksums, server, tmp_path):
    url = server.url + "/missing.zip"
    with pytest.raises(D.DataUnavailableError) as info:
        D.fetch_ml100k(tmp_path, url=url, progressbar=False)
    message = str(info.value)
    assert url in message and "404" in message
    assert str(tmp_path / "ml-100k.zip") in message and D.DATA_ENV in message
    assert [p.name for p in tmp_path.iterdir()] == ["ml-100k.zip.lock"]


def test_truncated_download_is_discarded(checksums, server, tmp_path):
    server.routes["/ml-100k.zip"] = (200, ARCHIVE[: len(ARCHIVE) // 2])
    with pytest.raises(D.CorruptArchiveError, match="failed its SHA-1 check"):
        D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert [p.name for p in tmp_path.iterdir()] == ["ml-100k.zip.lock"]


def test_no_network_names_url_and_destination(checksums, tmp_path):
    url = closed_port_url()
    with pytest.raises(D.DataUnavailableError) as info:
        D.fetch_ml100k(tmp_path, url=url, progressbar=False)
    assert url in str(info.value)
    assert f"put it at\n    {tmp_path / 'ml-100k.zip'}" in str(info.value)


def test_corrupt_cached_archive_is_moved_aside_and_replaced(checksums, server, tmp_path):
    (tmp_path / "ml-100k.zip").write_bytes(ARCHIVE[:-40])  # truncated copy in the cache
    server.routes["/ml-100k.zip"] = (200, ARCHIVE)
    with pytest.warns(UserWarning, match="failed verification"):
        path = D.fetch_ml100k(tmp_path, url=server.url + "/ml-100k.zip", progressbar=False)
    assert path.read_bytes() == ARCHIVE
    (moved,) = tmp_path.glob("ml-100k.zip.corrupt-*")
    assert moved.read_bytes() == ARCHIVE[:-40]


def test_corrupt_cached_archive_offline_is_reported_not_used(checksums, tmp_path):
    (tmp_path / "ml-100k.zip").write_bytes(b"PK\x03\x04 this is not a zip file")
    with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError) as info:
        D.fetch_ml100k(tmp_path, url=closed_port_url(), progressbar=False)
    assert "failed verification" in str(info.value)
    assert not (tmp_path / "ml-100k.zip").exists()


def test_recompressed_archive_is_accepted_member_by_member(checksums, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, content in MEMBERS.items():
            zf.writestr(f"ml-100k/{name}", content)
    (tmp_path / "ml-100k.zip").write_bytes(buf.getvalue())
    assert buf.getvalue() != ARCHIVE  # same members, other bytes
    assert D.verify_archive(tmp_path / "ml-100k.zip") == "members"
    assert D.read_member("u.item", tmp_path).startswith(b"1|Toy Story")


def test_archive_with_a_changed_member_is_rejected(checksums, tmp_path):
    changed = dict(MEMBERS, **{"u.data": MEMBERS["u.data"].replace(b"\t5\t", b"\t1\t")})
    (tmp_path / "ml-100k.zip").write_bytes(make_zip(changed))
    with pytest.raises(D.CorruptArchiveError, match="'u.data' does not match"):
        D.verify_archive(tmp_path / "ml-100k.zip")


def test_archive_missing_a_member_is_rejected(checksums, tmp_path):
    (tmp_path / "ml-100k.zip").write_bytes(make_zip({"u.data": MEMBERS["u.data"]}))
    with pytest.raises(D.CorruptArchiveError, match="no member 'u.item'"):
        D.verify_archive(tmp_path / "ml-100k.zip")


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(D.DATA_ENV, str(tmp_path))
    assert D.data_dir() == tmp_path
    assert D.archive_path() == tmp_path / "ml-100k.zip"
