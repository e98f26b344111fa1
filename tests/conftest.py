"""Shared synthetic data for the package tests, and the test tiers.

Each data fixture is a factory: call it with the shape and seed a test needs.
The same arguments always give the same data.

Markers (registered in pyproject.toml):

* ``data``: needs the real MovieLens 100K archive (every notebook does too);
* ``notebooks``: a notebook cell run under nbval (marked in the root conftest.py);
* ``slow``: starts fresh interpreters or processes; ``make unit`` leaves it out.

``make unit`` runs ``-m "not notebooks and not slow"``;
``AUTOREC_SKIP_DATA_CHECK=1 pytest tests -m "not data"`` needs no data at all.
"""

import numpy as np
import pandas as pd
import pytest


def _rating_matrix(rows=50, cols=30, density=0.2, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 6, size=(rows, cols)).astype(np.float32)
    return values * (rng.random((rows, cols)) < density)


def _low_rank_split(items=60, users=40, density=0.3, seed=0):
    rng = np.random.default_rng(seed)
    full = np.clip(np.rint(3 + rng.normal(size=(items, 3)) @ rng.normal(size=(3, users))), 1, 5)
    observed = rng.uniform(size=full.shape) < density
    test = rng.uniform(size=full.shape) < 0.2
    return ((full * (observed & ~test)).astype(np.float32),
            (full * (observed & test)).astype(np.float32))


def _rating_frame(num_users=30, num_items=40, n=400, seed=0):
    rng = np.random.default_rng(seed)
    pairs = rng.choice(num_users * num_items, size=n, replace=False)
    return pd.DataFrame({
        "user_id": pairs // num_items + 1,
        "item_id": pairs % num_items + 1,
        "rating": rng.integers(1, 6, size=n),
        "timestamp": rng.integers(8e8, 9e8, size=n),
    })


@pytest.fixture
def rating_matrix():
    """``rating_matrix(rows=50, cols=30, density=0.2, seed=0)``: a float32
    matrix of random ratings 1..5 where observed (each entry with probability
    ``density``), 0 elsewhere."""
    return _rating_matrix


@pytest.fixture
def low_rank_split():
    """``low_rank_split(items=60, users=40, density=0.3, seed=0)``: train and
    test item-by-user matrices (float32, 0 = unobserved) cut from a rank-3
    rating matrix, about a fifth of the observed entries in test; a model can
    learn them."""
    return _low_rank_split


@pytest.fixture
def rating_frame():
    """``rating_frame(num_users=30, num_items=40, n=400, seed=0)``: ``n``
    distinct (user, item) ratings in u.data's columns ``user_id, item_id,
    rating, timestamp``, ids from 1."""
    return _rating_frame


# --------------------------------------------------------------------------
# Synthetic MovieLens archives, written in each release's exact format
# --------------------------------------------------------------------------

def _rating_text(rel, frame) -> bytes:
    """The ratings file of release ``rel`` holding ``frame``'s ratings."""
    def star(r):
        return f"{r:g}" if rel.half_stars else str(int(r))
    rows = zip(frame.user_id, frame.item_id, frame.rating, frame.timestamp)
    if rel.format == "tab":
        lines = [f"{u}\t{i}\t{star(r)}\t{t}" for u, i, r, t in rows]
    elif rel.format == "dat":
        lines = [f"{u}::{i}::{star(r)}::{t}" for u, i, r, t in rows]
    else:
        lines = ["userId,movieId,rating,timestamp"] + [
            f"{u},{i},{star(r)},{t}" for u, i, r, t in rows]
    return ("\n".join(lines) + "\n").encode()


_OTHER_MEMBERS = {
    "dat": {"movies.dat": b"1::Toy Story (1995)::Animation|Children's|Comedy\n",
            "users.dat": b"1::F::1::10::48067\n"},
    "csv": {"movies.csv": b"movieId,title,genres\n1,Toy Story (1995),Animation\n",
            "links.csv": b"movieId,imdbId,tmdbId\n1,0114709,862\n"},
    "tab": {},
}


def movielens_zip(rel, frame) -> bytes:
    """A zip archive laid out as ``rel``'s release (its folder, its member names)
    whose ratings file holds ``frame``."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{rel.folder}/{rel.ratings}", _rating_text(rel, frame))
        for name, content in _OTHER_MEMBERS[rel.format].items():
            zf.writestr(f"{rel.folder}/{name}", content)
    return buf.getvalue()


def _release_ratings(rel, n=300, seed=0):
    """``n`` distinct ratings on ``rel``'s scale, with ids that have gaps."""
    rng = np.random.default_rng(seed)
    pairs = rng.choice(40 * 60, size=n, replace=False)
    low, high, step = rel.scale
    steps = int(round((high - low) / step))
    return pd.DataFrame({
        "user_id": (pairs // 60) * 3 + 1,
        "item_id": (pairs % 60) * 7 + 100,
        "rating": low + step * rng.integers(0, steps + 1, size=n),
        "timestamp": rng.integers(8e8, 1.6e9, size=n),
    })


@pytest.fixture
def movielens_archive(tmp_path, monkeypatch):
    """``movielens_archive(name, n=300, seed=0, frame=None)``: write a synthetic
    archive of release ``name`` (``"ml-1m"``, ...) in its exact format into a
    fresh folder, make the release's record trust it (its published checksum
    becomes this file's), and return ``(folder, frame)``: the folder to pass as
    ``root`` and the ratings it holds, with the file's own ids."""
    from types import MappingProxyType

    from autorec_common.data import releases

    def make(name, n=300, seed=0, frame=None):
        rel = releases.release(name)
        frame = _release_ratings(rel, n, seed) if frame is None else frame
        blob = movielens_zip(rel, frame)
        folder = tmp_path / f"{name}-{seed}"
        folder.mkdir()
        (folder / rel.archive).write_bytes(blob)
        import hashlib

        algorithm = rel.known_hash.split(":")[0]
        trusted = rel.replace(**{algorithm: hashlib.new(algorithm, blob).hexdigest()})
        monkeypatch.setattr(releases, "RELEASES",
                            MappingProxyType({**releases.RELEASES, name: trusted}))
        return folder, frame

    return make
