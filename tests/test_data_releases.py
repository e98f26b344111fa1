"""Every MovieLens release, read one way: synthetic archives written in each
release's exact format (folder, member names, separators, header, half stars),
checked against the release's record, and read into the same structures."""

import hashlib
import zipfile

import numpy as np
import pytest
from test_fetch import Server, closed_port_url

from autorec_common import data as D
from conftest import movielens_zip

OTHERS = ["ml-1m", "ml-10m", "ml-20m", "ml-25m", "ml-32m"]


def test_every_release_is_declared_with_its_checksum_source():
    assert list(D.RELEASES) == ["ml-100k"] + OTHERS
    for rel in D.RELEASES.values():
        assert rel.url == f"https://files.grouplens.org/datasets/movielens/{rel.name}.zip"
        assert rel.known_hash and rel.checksum_source and "GroupLens" in rel.licence
        assert rel.format in ("tab", "dat", "csv") and rel.half_stars == (
            rel.name not in ("ml-100k", "ml-1m"))
        assert rel.size is None or rel.size < rel.max_bytes
    assert D.RELEASES["ml-100k"].size == 4_924_029
    assert D.RELEASES["ml-100k"].sha1 == D.OFFICIAL_SHA1
    with pytest.raises(ValueError, match="unknown MovieLens release 'ml-2m'"):
        D.release("ml-2m")


@pytest.mark.parametrize("name", OTHERS)
def test_ratings_read_as_100k_reads_them(movielens_archive, name):
    root, frame = movielens_archive(name)
    data, num_users, num_items = D.load_ratings(name, root)
    assert list(data.columns) == D.RATING_COLUMNS and len(data) == len(frame)
    assert num_users == frame.user_id.nunique() and num_items == frame.item_id.nunique()
    assert data.user_id.min() == 1 and data.user_id.max() == num_users
    assert data.item_id.min() == 1 and data.item_id.max() == num_items
    # ids keep their order, so each rating stays with its user and item
    rank = {u: i + 1 for i, u in enumerate(sorted(frame.user_id.unique()))}
    np.testing.assert_array_equal(data.user_id, frame.user_id.map(rank))
    np.testing.assert_allclose(data.rating, frame.rating)
    np.testing.assert_array_equal(data.timestamp, frame.timestamp)
    if D.release(name).half_stars:
        assert (data.rating % 1 == 0.5).any()


@pytest.mark.parametrize("name", ["ml-1m", "ml-20m"])
def test_rating_matrices_dense_and_sparse_agree(movielens_archive, name):
    root, frame = movielens_archive(name, n=500)
    dense = D.rating_matrices(release=name, root=root, seed=3, valid_ratio=0.1)
    csr = D.rating_matrices(release=name, root=root, seed=3, valid_ratio=0.1, sparse=True)
    coo = D.rating_matrices(release=name, root=root, seed=3, sparse="coo")
    assert dense.train.shape == (frame.item_id.nunique(), frame.user_id.nunique())
    for part in ("train", "valid", "test"):
        assert csr.__dict__[part].format == "csr"
        np.testing.assert_array_equal(csr.__dict__[part].toarray(), dense.__dict__[part])
        assert csr.__dict__[part].nnz == len(dense.__dict__[part + "_df"])
    assert coo.train.format == "coo" and coo.test.nnz + coo.train.nnz == len(frame)
    assert f"release='{name}'" in repr(csr) and "sparse='csr'" in repr(csr)
    with pytest.raises(ValueError, match="one of MovieLens 100K's own splits"):
        D.rating_matrices("u1", release=name, root=root)


def test_split_is_seeded(movielens_archive):
    root, _ = movielens_archive("ml-10m")
    data, _, _ = D.load_ratings("ml-10m", root)
    a, b = D.split_ratings(data, seed=5), D.split_ratings(data, seed=5)
    assert a[0].equals(b[0]) and len(a[0]) + len(a[1]) == len(data)
    assert not D.split_ratings(data, seed=6)[1].equals(a[1])


def test_an_archive_with_a_wrong_checksum_is_refused_and_moved_aside(movielens_archive):
    root, frame = movielens_archive("ml-1m")
    path = root / "ml-1m.zip"
    path.write_bytes(movielens_zip(D.release("ml-1m"), frame.iloc[:-1]))
    with pytest.warns(UserWarning), pytest.raises(D.DataUnavailableError) as info:
        D.fetch_release("ml-1m", root, url=closed_port_url(), progressbar=False)
    message = str(info.value)
    assert "is not the official MovieLens 1M archive: its SHA-256 is" in message
    assert "failed verification and was moved to" in message and "ml-1m.zip" in message
    assert not path.exists() and len(list(root.glob("ml-1m.zip.corrupt-*"))) == 1


@pytest.mark.parametrize("name", ["ml-1m", "ml-10m"])
def test_a_release_downloads_checked_against_its_record(movielens_archive, tmp_path, name):
    root, _ = movielens_archive(name)
    blob = (root / f"{name}.zip").read_bytes()
    server = Server()
    try:
        server.routes[f"/{name}.zip"] = (200, blob)
        server.routes["/bad.zip"] = (200, blob + b"junk")
        got = D.fetch_release(name, tmp_path / "a", url=server.url + f"/{name}.zip",
                              progressbar=False)
        assert got.read_bytes() == blob
        algorithm = "SHA-256" if name == "ml-1m" else "MD5"
        with pytest.raises(D.CorruptArchiveError, match=f"failed its {algorithm} check"):
            D.fetch_release(name, tmp_path / "b", url=server.url + "/bad.zip",
                            progressbar=False)
        assert [p.name for p in (tmp_path / "b").iterdir()] == [f"{name}.zip.lock"]
    finally:
        server.close()


@pytest.mark.parametrize("name, bad, message", [
    ("ml-1m", b"1::2::3.5::978300760\n", "rating outside 1..5 in steps of 1"),
    ("ml-1m", b"1::2::3::4\n1::2::3\n", "line 2: expected 4 fields"),
    ("ml-20m", b"userId,movieId,rating,timestamp\n1,2,x,4\n", "line 2: 'x' is not a number"),
    ("ml-10m", b"1::2::4.5::978300760\n1::2::3::978300761\n", "line 2: user rated"),
    ("ml-20m", b"user,movie,rating,timestamp\n1,2,3.0,4\n", "expected the header"),
    ("ml-25m", b"userId,movieId,rating,timestamp\n1,2,5.5,4\n", "line 2: rating"),
    ("ml-32m", b"userId,movieId,rating,timestamp\n0,2,5,4\n", "ids start at 1"),
    ("ml-32m", b"userId,movieId,rating,timestamp\n", "no ratings found"),
])
def test_malformed_ratings_name_the_file_and_line(tmp_path, monkeypatch, name, bad,
                                                  message):
    from types import MappingProxyType

    rel = D.release(name)
    path = tmp_path / rel.archive
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{rel.folder}/{rel.ratings}", bad)
    algorithm = rel.known_hash.split(":")[0]
    trusted = rel.replace(**{algorithm: hashlib.new(algorithm, path.read_bytes())
                             .hexdigest()})
    monkeypatch.setattr(D.releases, "RELEASES",
                        MappingProxyType({**D.releases.RELEASES, name: trusted}))
    with pytest.raises(D.MalformedDataError, match=message) as info:
        D.load_ratings(name, tmp_path)
    assert rel.ratings in str(info.value)


def test_every_subpackage_is_installed_by_pip():
    """Colab installs the package with pip from git: pyproject must list every
    folder of autorec_common that is a package (data/ among them)."""
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts)
             for p in (root / "autorec_common").rglob("__init__.py")}
    assert found == listed and "autorec_common.data" in listed


def test_a_dense_matrix_larger_than_memory_is_refused_with_advice(monkeypatch,
                                                                   rating_frame):
    monkeypatch.setattr(D.matrices, "_available_memory", lambda: 1000)
    with pytest.raises(MemoryError, match=r"40 x 30 float32 matrix needs .*sparse=True"):
        D.interaction_matrix(rating_frame(), 30, 40)
    assert D.sparse_interaction_matrix(rating_frame(), 30, 40).nnz == 400


def test_the_readme_lists_every_release_as_declared():
    from pathlib import Path

    from autorec_common.data.releases import release_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert release_table() in readme, "README's release table is stale: paste release_table()"
    assert f"{26_744 * 138_493 * 4 / 1e9:.1f} GB" in readme  # the dense 20M copy
