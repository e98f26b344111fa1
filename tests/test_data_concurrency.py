"""Several processes sharing one cache that holds a corrupt archive: none
crashes, the corrupt copy is kept once, and one good archive ends in place."""

import contextlib
import io
import multiprocessing
import warnings
import zipfile

import pytest

from autorec_common import data as D
from test_fetch import ARCHIVE, MEMBERS, Server, trust

PROCESSES, TRIALS = 3, 20
BIG = b"1\t1\t5\t874965758\n" * 120_000  # a member that takes a while to hash


def worker(folder, url, barrier, results):
    barrier.wait(30)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results.put(("ok", str(D.fetch_ml100k(folder, url=url, progressbar=False))))
    except BaseException as err:  # noqa: BLE001
        results.put((type(err).__name__, str(err)))


@pytest.mark.slow
@pytest.mark.parametrize("locking", [True, False], ids=["lock", "no lock"])
def test_processes_racing_over_a_corrupt_cache_all_succeed(monkeypatch, tmp_path, locking):
    if not locking:  # a system without flock: atomic renames alone must do
        monkeypatch.setattr(D.cache, "_locked", lambda *args: contextlib.nullcontext(False))
    members = dict(MEMBERS, **{"u.big": BIG})
    trust(monkeypatch, "ml-100k", ARCHIVE, members)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, content in dict(members, **{"u.big": BIG[:-2] + b"4\n"}).items():
            zf.writestr(f"ml-100k/{name}", content)
    corrupt = buf.getvalue()
    server = Server()
    server.routes["/ml-100k.zip"] = (200, ARCHIVE)
    ctx = multiprocessing.get_context("fork")
    failures = []
    try:
        for trial in range(TRIALS):
            folder = tmp_path / str(trial)
            folder.mkdir()
            (folder / "ml-100k.zip").write_bytes(corrupt)
            barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
            procs = [ctx.Process(target=worker, args=(folder, server.url + "/ml-100k.zip",
                                                      barrier, results))
                     for _ in range(PROCESSES)]
            for p in procs:
                p.start()
            outcomes = [results.get(timeout=60) for _ in procs]
            for p in procs:
                p.join(30)
            failures += [o for o in outcomes if o[0] != "ok"]
            assert (folder / "ml-100k.zip").read_bytes() == ARCHIVE
            if locking:
                moved = list(folder.glob(D.CORRUPT_PREFIX + "*"))
                assert [m.read_bytes() == corrupt for m in moved] == [True], trial
                assert not list(folder.glob(D.PART_PREFIX + "*"))
    finally:
        server.close()
    assert failures == []
