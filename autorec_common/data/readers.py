"""Readers with the book's names: the ratings, the items, the release's splits."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from . import releases
from .fetch import open_member, read_member
from .parsing import parse_items, parse_ratings, parse_ratings_table
from .releases import RELEASE_SPLITS


def read_data_ml100k(root: str | os.PathLike | None = None):
    """All 100,000 ratings, as in D2L: ``(data, num_users, num_items)``.

    ``data`` has the columns ``user_id, item_id, rating, timestamp`` with the
    release's 1-based ids.
    """
    data = parse_ratings(read_member("u.data", root), source="u.data")
    return data, int(data.user_id.max()), int(data.item_id.max())


def load_ratings(release: str | releases.Release = "ml-100k",
                 root: str | os.PathLike | None = None):
    """All ratings of a release: ``(data, num_users, num_items)``, as
    :func:`read_data_ml100k` gives them for 100K.

    ``data`` has the columns ``user_id, item_id, rating, timestamp``; ids are
    mapped to ``1..num_users`` and ``1..num_items`` in the order of the
    release's own ids (100K's ids are already so, and are kept as they are).
    Other releases than 100K come as int32 ids and float32 ratings (half stars
    from 10M on), to keep 20M to 32M within a laptop's memory.
    """
    rel = releases.release(release)
    if rel.format == "tab":
        return read_data_ml100k(root) if rel.name == "ml-100k" else _tab(rel, root)
    with open_member(rel.ratings, rel, root) as stream:
        data = parse_ratings_table(stream, rel.format, rel.scale, source=rel.ratings)
    return _renumber(data)


def _tab(rel, root):
    data = parse_ratings(read_member(rel.ratings, root, rel), source=rel.ratings)
    return data, int(data.user_id.max()), int(data.item_id.max())


def _renumber(data: pd.DataFrame):
    """Map user and item ids to 1..n in the order of the original ids."""
    user_id, num_users = _ranks(data.user_id.to_numpy())
    item_id, num_items = _ranks(data.item_id.to_numpy())
    frame = pd.DataFrame({"user_id": user_id, "item_id": item_id,
                          "rating": data.rating.to_numpy(np.float32),
                          "timestamp": data.timestamp.to_numpy(np.int64)})
    return frame, num_users, num_items


def _ranks(ids: np.ndarray):
    """Each positive id's rank among the distinct ids (1..n), and n; by a table
    of the ids present (linear time) when the ids are not huge, else by sorting."""
    top = int(ids.max())
    if top > 50_000_000:
        distinct, inverse = np.unique(ids, return_inverse=True)
        return (inverse + 1).astype(np.int32), len(distinct)
    present = np.zeros(top + 1, dtype=bool)
    present[ids] = True
    rank = np.cumsum(present, dtype=np.int32)
    return rank[ids], int(rank[-1])


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


def split_ratings(data: pd.DataFrame, split_mode: str = "random",
                  test_ratio: float = 0.1, seed: int | None = 0):
    """Any release's ratings split into ``(train, test)``, as :func:`split_data_ml100k`."""
    return split_data_ml100k(data, 0, 0, split_mode, test_ratio, seed)


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


def describe(data: pd.DataFrame, num_users: int, num_items: int) -> dict:
    """The statistics the chapter prints: counts and sparsity."""
    return {
        "ratings": len(data),
        "users": num_users,
        "items": num_items,
        "sparsity": round(1 - len(data) / (num_users * num_items), 6),
    }
